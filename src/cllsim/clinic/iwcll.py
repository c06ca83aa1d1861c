"""iwCLL 2018 criteria on the observables table: progression, response, treatment indication.

The model measures lymph nodes by total volume, the guideline by the sum of the products of
the perpendicular diameters (SPD) of up to six nodes.  For a fixed set of nodes that all swell
or shrink in proportion, each product of two diameters scales as volume^(2/3), so the SPD proxy
here is ``size = volume ** (2/3)`` (``ln_size_exponent``) [A].  A 50% rise in SPD is then a
``1.5 ** 1.5 = 1.84``-fold rise in volume.  (If enlargement came from new nodes of unchanged
size, SPD would scale as volume and 1.5-fold would do; 1.84 is the conservative choice.)

The guideline's size thresholds are for single nodes (abnormal above 1.5 cm, massive from
10 cm), the model's volume is the whole nodal disease.  The largest node is taken to hold a
fixed share of it (``largest_node_share``, 0.1 [A]), so a node of diameter ``d`` (a sphere of
``pi/6 * d**3`` mL) stands for a nodal disease of ``pi/6 * d**3 / share`` mL.  A rise only
counts when the largest node is abnormal (nodal disease at least ``1.77 / 0.1 = 17.7`` mL),
so that a tiny residue growing from an even tinier nadir is not called progression.  Why a
tenth: at the diagnosis burden (1e12 cells, about half of them nodal, 1e9 cells per mL;
reference/cll.md) the largest node is then about 4.6 cm, an enlarged node of a patient
needing treatment, where a share of 1 (the whole disease in one node) would make 1.8e9
residual cells, spread in truth over the body's hundreds of nodes, an abnormal node and
every progression after a deep response a nodal one [A].

Progression is assessed at visits after the first treatment start; the baseline is the last
visit at or before that start, the nadir (best response) the lowest value from baseline up to
the previous visit.  Since the nadir is never above the baseline, "50% above baseline or
nadir" is "50% above nadir"; the reason names the baseline when the value never fell below it.
Isolated lymphocytosis on a BTK inhibitor is redistribution, not progression.

References
----------
.. [1] Hallek M, Cheson BD, Catovsky D, et al., "iwCLL guidelines for diagnosis, indications
   for treatment, response assessment, and supportive management of CLL", Blood
   2018;131(25):2745-2760, doi:10.1182/blood-2017-09-806398.
.. [2] Hallek M, Cheson BD, Catovsky D, et al., "Guidelines for the diagnosis and treatment of
   chronic lymphocytic leukemia: a report from the International Workshop on CLL updating the
   NCI-WG 1996 guidelines", Blood 2008;111(12):5446-5456, doi:10.1182/blood-2007-06-093906.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from cllsim.clinic.treatment import as_treatment_periods, first_treatment_day, on_drug_class
from cllsim.errors import SpecError

__all__ = [
    "IWCLL_2018",
    "ClinicalEvent",
    "IwcllCriteria",
    "progression",
    "progression_of",
    "response_categories",
    "treatment_indication",
]

_MONTH_DAYS = 365.25 / 12


class IwcllCriteria(BaseModel):
    """Thresholds of the iwCLL 2018 criteria [1]_, each with its source.

    ``[A]`` marks a modelling choice, explained in the module docstring.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    rise_fraction: float = Field(
        0.5, gt=0, description="relative rise that is progression (>= 50%) [1]; dimensionless"
    )
    pd_min_alc_1e9_per_l: float = Field(
        5.0,
        ge=0,
        description="ALC the rise must reach, 10^9/L ([1]: >= 5e9/L B lymphocytes; "
        "applied to the ALC [A])",
    )
    ln_size_exponent: float = Field(
        2 / 3, gt=0, le=1, description="SPD proxy = volume ** exponent [A]; dimensionless"
    )
    min_node_diameter_cm: float = Field(
        1.5, gt=0, description="longest diameter above which a node is abnormal [1], cm"
    )
    largest_node_share: float = Field(
        0.1,
        gt=0,
        le=1,
        description="share of the nodal disease volume in the largest node [A]; dimensionless",
    )
    massive_node_diameter_cm: float = Field(
        10.0, gt=0, description="massive lymphadenopathy, a treatment indication [1], cm"
    )
    cr_max_alc_1e9_per_l: float = Field(
        4.0, gt=0, description="complete response: ALC below this [1], 10^9/L"
    )
    cr_max_marrow_fraction: float = Field(
        0.3,
        gt=0,
        le=1,
        description="complete response: marrow lymphocytes below 30% [1]; "
        "approximated by marrow MRD [A]; dimensionless",
    )
    pr_fall_fraction: float = Field(
        0.5,
        gt=0,
        lt=1,
        description="partial response: fall from baseline (>= 50%) [1]; dimensionless",
    )
    doubling_time_days: float = Field(
        6 * _MONTH_DAYS,
        gt=0,
        description="treatment indication: doubling time below 6 months [1], days",
    )
    rise_window_days: float = Field(
        2 * _MONTH_DAYS,
        gt=0,
        description="treatment indication: the rise within 2 months "
        "[1]; also the shortest span of a doubling-time fit, days",
    )
    doubling_window_days: float = Field(
        3 * _MONTH_DAYS,
        gt=0,
        description="doubling time fitted over the last 3 months of "
        "visits ([1]: observation over 2 to 3 months), days",
    )
    indication_min_alc_1e9_per_l: float = Field(
        30.0,
        ge=0,
        description="lymphocytosis criteria of treatment indication count only at "
        "ALC >= 30e9/L ([2]: below it LDT is not a criterion on its own) [M], 10^9/L",
    )

    def node_volume_ml(self, diameter_cm: float) -> float:
        """Volume of a spherical node of this diameter, mL (= cm^3)."""
        return math.pi / 6 * diameter_cm**3

    def nodal_volume_ml(self, diameter_cm: float) -> float:
        """Nodal disease volume whose largest node has this diameter, mL."""
        return self.node_volume_ml(diameter_cm) / self.largest_node_share

    @property
    def abnormal_volume_ml(self) -> float:
        """Nodal disease volume from which the largest node is abnormal (> 1.5 cm), mL."""
        return self.nodal_volume_ml(self.min_node_diameter_cm)

    @property
    def abnormal_size(self) -> float:
        """The SPD proxy of :attr:`abnormal_volume_ml`: nodal growth below it is no
        progression, however large relative to its nadir."""
        return float(self.ln_size(np.array(self.abnormal_volume_ml)))

    def ln_size(self, volume_ml: np.ndarray) -> np.ndarray:
        """The SPD proxy ``volume ** ln_size_exponent`` (mL^exponent)."""
        return np.power(volume_ml, self.ln_size_exponent)


#: The criteria as published [1]_ with the choices of the module docstring.
IWCLL_2018 = IwcllCriteria()


class ClinicalEvent(NamedTuple):
    """The first visit day meeting a criterion, and which one; (None, None) if none."""

    day: float | None
    reason: str | None


def _column(observables: pd.DataFrame, name: str) -> np.ndarray:
    if not isinstance(observables, pd.DataFrame):
        raise SpecError(f"observables must be a pandas DataFrame, got {type(observables).__name__}")
    if name not in observables.columns:
        raise SpecError(
            f"observables: missing column {name!r}; expected the table of "
            "cllsim.clinic.observables (time_days, alc_1e9_per_l, ln_volume_ml, ...)"
        )
    values = observables[name].to_numpy(dtype=np.float64)
    bad = ~(np.isfinite(values) & (values >= 0))
    if bad.any():
        raise SpecError(
            f"observables: {name} must be finite and >= 0, got {float(values[bad][0])!r}"
        )
    return values


def _times(observables: pd.DataFrame) -> np.ndarray:
    times = _column(observables, "time_days")
    if np.any(np.diff(times) <= 0):
        raise SpecError("observables: time_days must be strictly increasing")
    return times


def _from(nadir: float, baseline: float) -> str:
    return "nadir" if nadir < baseline else "baseline"


def progression(
    observables: pd.DataFrame,
    *,
    treatment_periods: Iterable[Any],
    criteria: IwcllCriteria = IWCLL_2018,
) -> ClinicalEvent:
    """First visit with iwCLL 2018 progressive disease after treatment start [1]_.

    At each visit after the first treatment start, in this order:

    1. lymph nodes: SPD proxy >= 1.5 x its nadir (volume >= 1.84 x) and the largest node
       abnormal (volume >= 17.7 mL); reason ``"lymph node enlargement >= 50% from nadir"`` (or
       ``"from baseline"``);
    2. lymphocytosis: ALC >= 1.5 x its nadir and >= 5 x 10^9/L, not while on a BTK
       inhibitor; reason ``"lymphocytosis >= 50% from nadir to >= 5e9/L"`` (or baseline).

    Parameters
    ----------
    observables : pandas.DataFrame
        Columns ``time_days`` (days, strictly increasing), ``alc_1e9_per_l`` (10^9/L) and
        ``ln_volume_ml`` (mL), as from :func:`~cllsim.clinic.observables.observables`.
    treatment_periods : iterable
        Treatment periods (see :func:`~cllsim.clinic.treatment.as_treatment_periods`).
    criteria : IwcllCriteria
        Thresholds.

    Returns
    -------
    ClinicalEvent
        ``(day, reason)`` of the first progression, or ``(None, None)`` if none or untreated.

    Raises
    ------
    SpecError
        If a column is missing or invalid, or no visit lies at or before treatment start.
    """
    return progression_of(
        _times(observables),
        _column(observables, "alc_1e9_per_l"),
        _column(observables, "ln_volume_ml"),
        treatment_periods=treatment_periods,
        criteria=criteria,
    )


def progression_of(
    times: np.ndarray,
    alc_1e9_per_l: np.ndarray,
    ln_volume_ml: np.ndarray,
    *,
    treatment_periods: Iterable[Any],
    criteria: IwcllCriteria = IWCLL_2018,
) -> ClinicalEvent:
    """:func:`progression` of columns already checked (``times`` strictly increasing, the
    others finite and >= 0): what a trial patient's endpoints read, without a DataFrame.

    Raises
    ------
    SpecError
        If no visit lies at or before treatment start.
    """
    periods = as_treatment_periods(treatment_periods)
    alc = np.asarray(alc_1e9_per_l, dtype=np.float64)
    size = criteria.ln_size(np.asarray(ln_volume_ml, dtype=np.float64))
    start = first_treatment_day(periods)
    if start is None:
        return ClinicalEvent(None, None)
    base = int(np.searchsorted(times, start, side="right")) - 1
    if base < 0:
        raise SpecError(
            f"observables: no visit at or before the treatment start (day {start}); iwCLL "
            "progression is measured from the value at treatment start, add a visit then"
        )
    if base + 1 >= times.size:
        return ClinicalEvent(None, None)
    on_btki = on_drug_class(times, periods, "BTKi")
    factor = 1.0 + criteria.rise_fraction
    percent = f"{criteria.rise_fraction:.0%}"
    # visit i (> base) against the nadir of visits base..i-1: the running minimum before it
    size_nadir = np.minimum.accumulate(size[base:-1])
    alc_nadir = np.minimum.accumulate(alc[base:-1])
    later = slice(base + 1, None)
    by_node = (size[later] >= factor * size_nadir) & (size[later] >= criteria.abnormal_size)
    by_alc = (alc[later] >= factor * alc_nadir) & (alc[later] >= criteria.pd_min_alc_1e9_per_l)
    by_alc &= ~on_btki[later]
    hit = np.flatnonzero(by_node | by_alc)
    if not hit.size:
        return ClinicalEvent(None, None)
    k = int(hit[0])
    day = float(times[base + 1 + k])
    if by_node[k]:  # nodes are checked first at a visit
        return ClinicalEvent(
            day, f"lymph node enlargement >= {percent} from {_from(size_nadir[k], size[base])}"
        )
    return ClinicalEvent(
        day,
        f"lymphocytosis >= {percent} from {_from(alc_nadir[k], alc[base])} to >= "
        f"{criteria.pd_min_alc_1e9_per_l:g}e9/L",
    )


def response_categories(
    observables: pd.DataFrame,
    *,
    treatment_periods: Iterable[Any],
    criteria: IwcllCriteria = IWCLL_2018,
) -> pd.Series:
    """Approximate iwCLL response at each visit: ``"CR"``, ``"PR"``, ``"SD"`` or ``"PD"`` [1]_.

    Only blood and nodes are modelled (no spleen, liver, blood counts or symptoms), so:
    PD from the :func:`progression` day on; CR when ALC < 4 x 10^9/L, no abnormal node
    (largest node below 1.5 cm) and marrow MRD < 30%; PR when ALC and the SPD proxy have
    each fallen >= 50% from baseline (or are normal); SD otherwise.  Visits up to the
    baseline get ``None``.

    Parameters
    ----------
    observables : pandas.DataFrame
        As for :func:`progression`, plus ``mrd_marrow`` (true CLL fraction of marrow cells).
    treatment_periods : iterable
        Treatment periods.
    criteria : IwcllCriteria
        Thresholds.

    Returns
    -------
    pandas.Series
        Object dtype, one label or None per visit, indexed like ``observables``.

    Raises
    ------
    SpecError
        As :func:`progression`, or if ``mrd_marrow`` is missing.
    """
    periods = as_treatment_periods(treatment_periods)
    times = _times(observables)
    alc = _column(observables, "alc_1e9_per_l")
    volume = _column(observables, "ln_volume_ml")
    marrow = _column(observables, "mrd_marrow")
    labels: list[str | None] = [None] * times.size
    start = first_treatment_day(periods)
    if start is not None:
        pd_day, _ = progression(observables, treatment_periods=periods, criteria=criteria)
        base = int(np.searchsorted(times, start, side="right")) - 1
        size = criteria.ln_size(volume)
        node = criteria.abnormal_volume_ml
        keep = 1.0 - criteria.pr_fall_fraction
        normal_alc = alc < criteria.cr_max_alc_1e9_per_l
        no_node = volume < node
        for i in range(base + 1, times.size):
            if pd_day is not None and times[i] >= pd_day:
                labels[i] = "PD"
            elif normal_alc[i] and no_node[i] and marrow[i] < criteria.cr_max_marrow_fraction:
                labels[i] = "CR"
            elif (normal_alc[i] or alc[i] <= keep * alc[base]) and (
                no_node[i] or size[i] <= keep * size[base]
            ):
                labels[i] = "PR"
            else:
                labels[i] = "SD"
    return pd.Series(labels, index=observables.index, dtype=object, name="response")


def _doubling_time_days(t: np.ndarray, alc: np.ndarray) -> float:
    """Doubling time of a least-squares exponential fit, days (inf if not growing)."""
    slope = np.polyfit(t, np.log(alc), 1)[0]
    return math.log(2.0) / slope if slope > 0 else math.inf


def treatment_indication(
    observables: pd.DataFrame, *, criteria: IwcllCriteria = IWCLL_2018
) -> ClinicalEvent:
    """First visit of an untreated patient meeting an iwCLL 2018 treatment indication [1]_.

    Only the disease-activity criteria the model holds are checked, in this order:

    1. massive lymphadenopathy: volume at least one 10-cm node (524 mL);
       reason ``"massive lymphadenopathy (>= 10 cm)"``;
    2. progressive lymphadenopathy: SPD proxy >= 1.5 x its lowest earlier value and volume at
       least one abnormal node; reason ``"progressive lymphadenopathy >= 50%"``;
    3. lymphocytosis rising >= 50% within 2 months; reason
       ``"lymphocytosis >= 50% rise within 2 months"``;
    4. lymphocyte doubling time < 6 months, from a least-squares fit of log ALC against time
       over the visits of the last 3 months (at least two, spanning at least 2 months) [A:
       exponential rather than linear extrapolation]; reason
       ``"lymphocyte doubling time < 6 months"``.

    Criteria 3 and 4 count only when the ALC at the visit is at least
    ``indication_min_alc_1e9_per_l`` (30 x 10^9/L).  Visits from the first one with
    ``on_treatment`` true (when that column is present) on are ignored.

    Parameters
    ----------
    observables : pandas.DataFrame
        Columns ``time_days`` (days, strictly increasing), ``alc_1e9_per_l`` (10^9/L, > 0),
        ``ln_volume_ml`` (mL) and optionally ``on_treatment`` (bool).
    criteria : IwcllCriteria
        Thresholds.

    Returns
    -------
    ClinicalEvent
        ``(day, reason)`` of the first visit meeting a criterion, or ``(None, None)``.

    Raises
    ------
    SpecError
        If a column is missing or invalid.
    """
    times = _times(observables)
    alc = _column(observables, "alc_1e9_per_l")
    volume = _column(observables, "ln_volume_ml")
    n = times.size
    if "on_treatment" in observables.columns:
        treated = np.flatnonzero(observables["on_treatment"].to_numpy(dtype=bool))
        n = int(treated[0]) if treated.size else n
    size = criteria.ln_size(volume)
    massive = criteria.nodal_volume_ml(criteria.massive_node_diameter_cm)
    node = criteria.abnormal_volume_ml
    factor = 1.0 + criteria.rise_fraction
    percent = f"{criteria.rise_fraction:.0%}"
    tol = 1e-9
    for i in range(n):
        if volume[i] >= massive:
            return ClinicalEvent(
                float(times[i]),
                f"massive lymphadenopathy (>= {criteria.massive_node_diameter_cm:g} cm)",
            )
        if i > 0 and volume[i] >= node and size[i] >= factor * size[:i].min():
            return ClinicalEvent(float(times[i]), f"progressive lymphadenopathy >= {percent}")
        if alc[i] < criteria.indication_min_alc_1e9_per_l or alc[i] <= 0:
            continue
        recent = (times[:i] >= times[i] - criteria.rise_window_days - tol) & (alc[:i] > 0)
        if recent.any() and alc[i] >= factor * alc[:i][recent].min():
            return ClinicalEvent(
                float(times[i]),
                f"lymphocytosis >= {percent} rise within "
                f"{criteria.rise_window_days / _MONTH_DAYS:.3g} months",
            )
        window = (times[: i + 1] >= times[i] - criteria.doubling_window_days - tol) & (
            alc[: i + 1] > 0
        )
        t, a = times[: i + 1][window], alc[: i + 1][window]
        if t.size >= 2 and t[-1] - t[0] >= criteria.rise_window_days - tol:
            if _doubling_time_days(t, a) < criteria.doubling_time_days:
                return ClinicalEvent(
                    float(times[i]),
                    f"lymphocyte doubling time < "
                    f"{criteria.doubling_time_days / _MONTH_DAYS:.3g} months",
                )
    return ClinicalEvent(None, None)
