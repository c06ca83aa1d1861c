"""Laboratory assays: what MRD and VAF tests report, with counting noise and a detection limit.

An assay looks at a finite sample: ``n`` leukocytes (MRD) or ``n`` copies of a locus (VAF,
reads or droplets).  The number of positive events is ``k ~ Binomial(n, p)`` for a true
fraction ``p``; at the low fractions where the detection limit matters this is the Poisson
counting law ``Poisson(n p)`` of the consensus papers to relative order ``p`` (the binomial
also keeps the reported fraction <= 1 at high MRD).  The assay reports ``k / n`` when
``k >= min_events = ceil(n * detection_limit)`` (equivalently ``k / n >= detection_limit``
up to the rounding of ``n * limit``), and NaN (undetectable) otherwise.

The built-in assays put the detection limit at a fixed number of events: 20 for the flow and
PCR assays, following the ERIC flow standard (>= 2e6 leukocytes for a 1e-5 limit [2]_, i.e.
20 events; the 20-event rule for the other assays is an assumption by analogy [A]), and 3 for
clonoSEQ, whose input of about 20 ug DNA holds about 3e6 cell equivalents (6.6 pg per
diploid genome) [M].

================  =====  =========  ==========================================================
name              limit  n          source
================  =====  =========  ==========================================================
aso-pcr (MRD)     1e-4   2e5 cells  CLL14 uMRD threshold by ASO-PCR [1]_, [3]_; n [A]
flow-4colour      1e-4   2e5 cells  iwCLL uMRD4 by 4-colour flow [1]_; n [A]
eric-flow         1e-5   2e6 cells  ERIC 6-marker flow, >= 2e6 leukocytes [2]_ [V]
ddpcr (MRD)       1e-5   2e6 cells  [1]_ (Table 3); n [A]
clonoseq          1e-6   3e6 cells  clonoSEQ NGS to 1e-6 [1]_, [2]_; n [M]
ngs (VAF)         1e-3   2e4 reads  [A] targeted deep sequencing; 20 mutant reads at the limit
ddpcr (VAF)       1e-4   2e5 copies [A] droplet digital PCR; 20 positive copies at the limit
================  =====  =========  ==========================================================

MRD categories [1]_: uMRD4 below 1e-4, MRD-low from 1e-4 to below 1e-2, MRD-high from 1e-2.

References
----------
.. [1] Wierda WG, Rawstron A, Cymbalista F, et al., "Measurable residual disease in chronic
   lymphocytic leukemia: expert review and consensus recommendations", Leukemia
   2021;35:3059-3072, doi:10.1038/s41375-021-01241-1.
.. [2] Rawstron AC, Fazi C, Agathangelidis A, et al., "A complementary role of multiparameter
   flow cytometry and high-throughput sequencing for minimal residual disease detection in
   chronic lymphocytic leukemia: an European Research Initiative on CLL study", Leukemia
   2016;30:929-936, doi:10.1038/leu.2015.313.
.. [3] Fischer K, Al-Sawaf O, Bahlo J, et al., "Venetoclax and obinutuzumab in patients with
   CLL and coexisting conditions", N Engl J Med 2019;380:2225-2236,
   doi:10.1056/NEJMoa1815281.
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cllsim.errors import SpecError

__all__ = [
    "MRD_ASSAYS",
    "MRD_CATEGORIES",
    "UMRD4",
    "VAF_ASSAYS",
    "MrdAssay",
    "VafAssay",
    "is_umrd",
    "measure_fraction",
    "mrd_category",
]

#: uMRD4 threshold: MRD below 1 CLL cell per 10^4 leukocytes [1]_.
UMRD4 = 1e-4
#: MRD-high threshold: 1 CLL cell per 100 leukocytes and above [1]_.
MRD_HIGH = 1e-2
#: Category labels returned by :func:`mrd_category`, lowest first.
MRD_CATEGORIES: tuple[str, ...] = ("uMRD4", "MRD-low", "MRD-high")

# Relative tolerance when n * limit is meant to be a whole number of events (2e5 * 1e-4).
_EVENT_ROUNDING = 1e-9


class _CountingAssay(BaseModel):
    """Shared fields and the counting rule of MRD and VAF assays."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, description="assay name")
    detection_limit: float = Field(
        gt=0, le=1, description="lowest reported fraction (dimensionless); below it: NaN"
    )
    source: str = Field("", description="where the limit and the sample size come from")

    @property
    def n_analysed(self) -> int:
        """Units (cells or copies) analysed per sample."""
        raise NotImplementedError

    @property
    def min_events(self) -> int:
        """Positive events needed to report a value: ``ceil(n_analysed * detection_limit)``."""
        expected = self.n_analysed * self.detection_limit
        return math.ceil(expected * (1.0 - _EVENT_ROUNDING))

    @model_validator(mode="after")
    def _limit_resolvable(self) -> _CountingAssay:
        if self.n_analysed * self.detection_limit < 1.0 - _EVENT_ROUNDING:
            raise ValueError(
                f"assay {self.name!r}: detection_limit {self.detection_limit} is below one "
                f"event in {self.n_analysed} analysed; raise the sample size to at least "
                f"{math.ceil(1.0 / self.detection_limit)} or the limit to >= "
                f"{1.0 / self.n_analysed:.3g}"
            )
        return self

    def measure(self, true_fraction: Any, *, rng: np.random.Generator) -> np.ndarray:
        """One measurement per true fraction; see :func:`measure_fraction`."""
        return measure_fraction(
            true_fraction,
            n_analysed=self.n_analysed,
            min_events=self.min_events,
            rng=rng,
        )


class MrdAssay(_CountingAssay):
    """An MRD assay: counts CLL cells among ``n_leukocytes`` analysed leukocytes.

    Examples
    --------
    >>> MrdAssay.builtin("eric-flow").min_events
    20
    """

    n_leukocytes: int = Field(
        gt=0, description="leukocytes (or their DNA cell equivalents) analysed per sample, cells"
    )

    @property
    def n_analysed(self) -> int:
        return self.n_leukocytes

    @classmethod
    def builtin(cls, name: str) -> MrdAssay:
        """A built-in MRD assay by name (see the module table and :data:`MRD_ASSAYS`)."""
        return _lookup(MRD_ASSAYS, name, "MRD assay")


class VafAssay(_CountingAssay):
    """A mutation assay: counts mutant copies among ``n_copies`` analysed copies of the locus."""

    n_copies: int = Field(
        gt=0, description="copies of the locus analysed per sample (reads or droplets), copies"
    )

    @property
    def n_analysed(self) -> int:
        return self.n_copies

    @classmethod
    def builtin(cls, name: str) -> VafAssay:
        """A built-in VAF assay by name (see the module table and :data:`VAF_ASSAYS`)."""
        return _lookup(VAF_ASSAYS, name, "VAF assay")


def _lookup(table: Any, name: str, what: str) -> Any:
    if name not in table:
        raise SpecError(
            f"unknown {what} {name!r}; expected one of {', '.join(repr(k) for k in table)}"
        )
    return table[name]


_WIERDA = "Wierda et al., Leukemia 2021;35:3059, doi:10.1038/s41375-021-01241-1"
_RAWSTRON = "Rawstron et al., Leukemia 2016;30:929, doi:10.1038/leu.2015.313"

#: Built-in MRD assays by name.
MRD_ASSAYS = MappingProxyType(
    {
        "aso-pcr": MrdAssay(
            name="aso-pcr",
            detection_limit=1e-4,
            n_leukocytes=200_000,
            source=f"uMRD4 by ASO-PCR as in CLL14 (Fischer 2019, doi:10.1056/NEJMoa1815281); "
            f"{_WIERDA}; 20 events at the limit [A]",
        ),
        "flow-4colour": MrdAssay(
            name="flow-4colour",
            detection_limit=1e-4,
            n_leukocytes=200_000,
            source=f"uMRD4 by 4-colour flow; {_WIERDA}; 20 events at the limit [A]",
        ),
        "eric-flow": MrdAssay(
            name="eric-flow",
            detection_limit=1e-5,
            n_leukocytes=2_000_000,
            source=f"ERIC 6-marker flow, >= 2e6 leukocytes for 1e-5; {_RAWSTRON} [V]",
        ),
        "ddpcr": MrdAssay(
            name="ddpcr",
            detection_limit=1e-5,
            n_leukocytes=2_000_000,
            source=f"ddPCR at 1e-5, {_WIERDA} (Table 3); 20 events at the limit [A]",
        ),
        "clonoseq": MrdAssay(
            name="clonoseq",
            detection_limit=1e-6,
            n_leukocytes=3_000_000,
            source=f"clonoSEQ NGS to 1e-6; {_WIERDA}; {_RAWSTRON}; ~20 ug DNA = 3e6 cell "
            "equivalents [M]",
        ),
    }
)

#: Built-in VAF assays by name.
VAF_ASSAYS = MappingProxyType(
    {
        "ngs": VafAssay(
            name="ngs",
            detection_limit=1e-3,
            n_copies=20_000,
            source="targeted deep sequencing, 1e-3 limit with 20 mutant reads [A]",
        ),
        "ddpcr": VafAssay(
            name="ddpcr",
            detection_limit=1e-4,
            n_copies=200_000,
            source="droplet digital PCR, 1e-4 limit with 20 positive copies [A]",
        ),
    }
)


def measure_fraction(
    true_fraction: Any, *, n_analysed: int, min_events: int, rng: np.random.Generator
) -> np.ndarray:
    """Count positive events in a finite sample and censor below the detection limit.

    ``k ~ Binomial(n_analysed, p)`` independently per element; the result is ``k / n_analysed``
    where ``k >= min_events`` and NaN elsewhere.

    Parameters
    ----------
    true_fraction : array_like of float
        True fractions ``p`` in [0, 1] (dimensionless), any shape.
    n_analysed : int
        Cells or copies analysed per sample, > 0.
    min_events : int
        Positive events needed to report a value, >= 1.
    rng : numpy.random.Generator
        Source of the counting noise; one binomial draw per element, in C order.

    Returns
    -------
    numpy.ndarray of float64
        Same shape as ``true_fraction``: reported fractions, NaN where undetectable.

    Raises
    ------
    SpecError
        If a fraction lies outside [0, 1] or is NaN.
    """
    p = np.asarray(true_fraction, dtype=np.float64)
    bad = ~((p >= 0.0) & (p <= 1.0))
    if bad.any():
        raise SpecError(f"true fraction must lie in [0, 1], got {float(p[bad].flat[0])!r}")
    k = rng.binomial(n_analysed, p)
    return np.where(k >= min_events, k / n_analysed, np.nan)


def is_umrd(mrd: Any, *, threshold: float = UMRD4, assay: MrdAssay | None = None) -> np.ndarray:
    """Whether MRD is undetectable at ``threshold``: below it, or NaN from a sensitive assay.

    Parameters
    ----------
    mrd : array_like of float
        True or measured MRD (CLL cells per leukocyte); NaN means undetectable by ``assay``.
    threshold : float
        uMRD threshold (dimensionless), default 1e-4 (uMRD4).
    assay : MrdAssay or None
        The assay that produced NaN values; a NaN is uMRD only if its detection limit is at
        or below ``threshold``.

    Returns
    -------
    numpy.ndarray of bool
        Same shape as ``mrd``.

    Raises
    ------
    SpecError
        If ``mrd`` holds NaN and no assay is given, or the assay's limit is above
        ``threshold`` (it cannot tell uMRD at that level).
    """
    values = np.asarray(mrd, dtype=np.float64)
    undetected = np.isnan(values)
    if undetected.any():
        if assay is None:
            raise SpecError(
                "is_umrd: mrd holds NaN (undetectable) but no assay is given; pass the assay "
                "whose detection limit the NaN refers to"
            )
        if assay.detection_limit > threshold:
            raise SpecError(
                f"is_umrd: assay {assay.name!r} has detection_limit {assay.detection_limit:g}, "
                f"above the uMRD threshold {threshold:g}; an undetectable result cannot show "
                "uMRD at that level"
            )
    return undetected | (values < threshold)


def mrd_category(mrd: Any, *, assay: MrdAssay | None = None) -> np.ndarray:
    """MRD category [1]_: ``"uMRD4"`` (< 1e-4), ``"MRD-low"`` (< 1e-2), ``"MRD-high"``.

    Parameters
    ----------
    mrd : array_like of float
        True or measured MRD (CLL cells per leukocyte); NaN means undetectable by ``assay``.
    assay : MrdAssay or None
        Needed when ``mrd`` holds NaN (see :func:`is_umrd`).

    Returns
    -------
    numpy.ndarray of str
        One label of :data:`MRD_CATEGORIES` per element.

    Raises
    ------
    SpecError
        As :func:`is_umrd`.
    """
    values = np.asarray(mrd, dtype=np.float64)
    umrd = is_umrd(values, threshold=UMRD4, assay=assay)
    high = np.nan_to_num(values, nan=0.0) >= MRD_HIGH
    return np.where(umrd, MRD_CATEGORIES[0], np.where(high, MRD_CATEGORIES[2], MRD_CATEGORIES[1]))
