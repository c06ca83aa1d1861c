"""Published prognostic scores for CLL: CLL-IPI and IPS-E.

Both scores are sums of points for a few patient traits; each point total falls in a risk
group, and each group carries the outcome the score's authors published for it.  The tables
below hold those published numbers, each with its source beside it (also in
``reference/cll.md``, section "Prognostic scores").

References
----------
.. [1] International CLL-IPI working group, "An international prognostic index for patients
   with chronic lymphocytic leukaemia (CLL-IPI): a meta-analysis of individual patient
   data", Lancet Oncol 2016;17(6):779-790, doi:10.1016/S1470-2045(16)30029-8,
   PMID 27185642.
.. [2] Condoluci A, Terzi di Bergamo L, Langerbeins P, et al., "International prognostic
   score for asymptomatic early-stage chronic lymphocytic leukemia", Blood
   2020;135(21):1859-1869, doi:10.1182/blood.2019003453, PMID 32267500.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from cllsim.errors import SpecError

__all__ = [
    "CLL_IPI_STAGES",
    "CllIpiScore",
    "IpsEScore",
    "cll_ipi",
    "ips_e",
]

#: Clinical stages accepted by :func:`cll_ipi` (Binet A-C, Rai 0-IV).
CLL_IPI_STAGES: tuple[str, ...] = (
    "binet-a",
    "binet-b",
    "binet-c",
    "rai-0",
    "rai-1",
    "rai-2",
    "rai-3",
    "rai-4",
)
_TP53_VALUES = ("normal", "aberrant")
_IGHV_VALUES = ("mutated", "unmutated")
_YES_NO = ("yes", "no")

# CLL-IPI points.  Source: CLL-IPI working group, Lancet Oncol 2016;17:779,
# doi:10.1016/S1470-2045(16)30029-8, PMID 27185642 (table of the final model).
_IPI_TP53_ABERRANT = 4  # del(17p) and/or TP53 mutation
_IPI_IGHV_UNMUTATED = 2
_IPI_B2M_HIGH = 2  # serum beta2-microglobulin > 3.5 mg/L
_IPI_B2M_THRESHOLD_MG_PER_L = 3.5  # strictly greater than scores
_IPI_STAGE_ADVANCED = 1  # Binet B-C or Rai I-IV
_IPI_AGE_OLD = 1  # age > 65 years
_IPI_AGE_THRESHOLD_YEARS = 65.0  # strictly greater than scores
_IPI_ADVANCED_STAGES = frozenset({"binet-b", "binet-c", "rai-1", "rai-2", "rai-3", "rai-4"})

# CLL-IPI groups: (group, lowest points, highest points, 5-year OS, 95% CI low, 95% CI high).
# Source: CLL-IPI working group, Lancet Oncol 2016;17:779, doi:10.1016/S1470-2045(16)30029-8,
# PMID 27185642 (5-year overall survival by risk group, training data set).
_IPI_GROUPS: tuple[tuple[str, int, int, float, float, float], ...] = (
    ("low", 0, 1, 0.932, 0.905, 0.960),  # 93.2% (90.5-96.0)
    ("intermediate", 2, 3, 0.793, 0.755, 0.832),  # 79.3% (75.5-83.2)
    ("high", 4, 6, 0.633, 0.579, 0.688),  # 63.3% (57.9-68.8)
    ("very high", 7, 10, 0.233, 0.125, 0.341),  # 23.3% (12.5-34.1)
)

# IPS-E: 1 point each for IGHV unmutated, ALC > 15e9/L, palpable lymph nodes.
# Source: Condoluci et al., Blood 2020;135:1859, doi:10.1182/blood.2019003453, PMID 32267500.
_IPSE_ALC_THRESHOLD_1E9_PER_L = 15.0  # strictly greater than scores

# IPS-E groups: (group, lowest points, highest points, 5-year cumulative risk of first
# treatment, rate of first treatment per 100 person-years).
# Source: Condoluci et al., Blood 2020;135:1859, doi:10.1182/blood.2019003453, PMID 32267500
# (meta-analysis of the training and validation cohorts).
_IPSE_GROUPS: tuple[tuple[str, int, int, float, float], ...] = (
    ("low", 0, 0, 0.084, 2.0),  # 8.4%, 2.0 per 100 person-years
    ("intermediate", 1, 1, 0.284, 6.1),  # 28.4%, 6.1 per 100 person-years
    ("high", 2, 3, 0.612, 16.1),  # 61.2%, 16.1 per 100 person-years
)


@dataclass(frozen=True, slots=True)
class CllIpiScore:
    """A CLL-IPI score: points, risk group and the group's published 5-year survival.

    Attributes
    ----------
    points : int
        Total points, 0 to 10.
    group : str
        ``"low"`` (0-1), ``"intermediate"`` (2-3), ``"high"`` (4-6) or ``"very high"`` (7-10).
    os_5y : float
        Published 5-year overall survival of the group, as a fraction.
    os_5y_ci95 : tuple of float
        Its published 95% confidence interval, as fractions.
    contributions : tuple of (str, int)
        Points from each input, in the order tp53, ighv, b2m, stage, age.
    """

    points: int
    group: str
    os_5y: float
    os_5y_ci95: tuple[float, float]
    contributions: tuple[tuple[str, int], ...]

    def to_json_dict(self) -> dict[str, Any]:
        """Return the score as a JSON-ready dict.

        Returns
        -------
        dict
            ``{"score": "cll-ipi", "points": ..., "group": ..., "outcome": {"os_5y": ...,
            "os_5y_ci95": [low, high]}}``.
        """
        return {
            "score": "cll-ipi",
            "points": self.points,
            "group": self.group,
            "outcome": {"os_5y": self.os_5y, "os_5y_ci95": list(self.os_5y_ci95)},
        }


@dataclass(frozen=True, slots=True)
class IpsEScore:
    """An IPS-E score: points, risk group and the group's published risk of first treatment.

    Attributes
    ----------
    points : int
        Total points, 0 to 3.
    group : str
        ``"low"`` (0), ``"intermediate"`` (1) or ``"high"`` (2-3).
    treatment_risk_5y : float
        Published 5-year cumulative risk of first treatment of the group, as a fraction.
    treatment_rate_per_100_person_years : float
        Published rate of first treatment, per 100 person-years.
    contributions : tuple of (str, int)
        Points from each input, in the order ighv, alc, palpable_nodes.
    """

    points: int
    group: str
    treatment_risk_5y: float
    treatment_rate_per_100_person_years: float
    contributions: tuple[tuple[str, int], ...]

    def to_json_dict(self) -> dict[str, Any]:
        """Return the score as a JSON-ready dict.

        Returns
        -------
        dict
            ``{"score": "ips-e", "points": ..., "group": ..., "outcome":
            {"treatment_risk_5y": ..., "treatment_rate_per_100_person_years": ...}}``.
        """
        return {
            "score": "ips-e",
            "points": self.points,
            "group": self.group,
            "outcome": {
                "treatment_risk_5y": self.treatment_risk_5y,
                "treatment_rate_per_100_person_years": self.treatment_rate_per_100_person_years,
            },
        }


def _choice(score: str, field: str, value: object, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        expected = ", ".join(repr(a) for a in allowed)
        raise SpecError(f"{score}: unknown {field} {value!r}; expected one of {expected}")
    return value


def _non_negative(score: str, field: str, value: object, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"{score}: {field} must be a number >= 0 {unit}, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0.0:
        raise SpecError(f"{score}: {field} must be a finite number >= 0 {unit}, got {value!r}")
    return number


def cll_ipi(
    *,
    tp53: str,
    ighv: str,
    b2m_mg_per_l: float,
    stage: str,
    age_years: float,
) -> CllIpiScore:
    """Score a patient on the CLL International Prognostic Index.

    Points: TP53 aberrant (del(17p) and/or TP53 mutation) 4; IGHV unmutated 2; serum
    beta2-microglobulin > 3.5 mg/L 2; Binet B-C or Rai I-IV 1; age > 65 years 1.  Both
    thresholds are strict: 3.5 mg/L and 65 years score 0.

    Parameters
    ----------
    tp53 : {"normal", "aberrant"}
        TP53 status (aberrant: del(17p) and/or TP53 mutation).
    ighv : {"mutated", "unmutated"}
        IGHV mutational status.
    b2m_mg_per_l : float
        Serum beta2-microglobulin, mg/L, >= 0.
    stage : {"binet-a", "binet-b", "binet-c", "rai-0", "rai-1", "rai-2", "rai-3", "rai-4"}
        Clinical stage.
    age_years : float
        Age, years, >= 0.

    Returns
    -------
    CllIpiScore
        Points, group, and the group's published 5-year overall survival with 95% CI.

    Raises
    ------
    SpecError
        If a categorical input is not one of its allowed values, or a number is negative,
        not finite or not a number; the message names the field and the value.

    References
    ----------
    .. [1] International CLL-IPI working group, Lancet Oncol 2016;17:779,
       doi:10.1016/S1470-2045(16)30029-8.

    Examples
    --------
    >>> score = cll_ipi(tp53="aberrant", ighv="unmutated", b2m_mg_per_l=4.2,
    ...                 stage="binet-a", age_years=60)
    >>> score.to_json_dict()["points"], score.group, score.os_5y
    (8, 'very high', 0.233)
    """
    name = "CLL-IPI"
    tp53 = _choice(name, "tp53", tp53, _TP53_VALUES)
    ighv = _choice(name, "ighv", ighv, _IGHV_VALUES)
    b2m = _non_negative(name, "b2m_mg_per_l", b2m_mg_per_l, "(mg/L)")
    stage = _choice(name, "stage", stage, CLL_IPI_STAGES)
    age = _non_negative(name, "age_years", age_years, "(years)")
    contributions = (
        ("tp53", _IPI_TP53_ABERRANT if tp53 == "aberrant" else 0),
        ("ighv", _IPI_IGHV_UNMUTATED if ighv == "unmutated" else 0),
        ("b2m", _IPI_B2M_HIGH if b2m > _IPI_B2M_THRESHOLD_MG_PER_L else 0),
        ("stage", _IPI_STAGE_ADVANCED if stage in _IPI_ADVANCED_STAGES else 0),
        ("age", _IPI_AGE_OLD if age > _IPI_AGE_THRESHOLD_YEARS else 0),
    )
    points = sum(p for _, p in contributions)
    for group, low, high, os_5y, ci_low, ci_high in _IPI_GROUPS:
        if low <= points <= high:
            return CllIpiScore(points, group, os_5y, (ci_low, ci_high), contributions)
    raise AssertionError(f"CLL-IPI points {points} outside the published groups")  # unreachable


def _yes_no(score: str, field: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    return _choice(score, field, value, _YES_NO) == "yes"


def ips_e(*, ighv: str, alc_1e9_per_l: float, palpable_nodes: bool | str) -> IpsEScore:
    """Score a patient with early-stage, asymptomatic CLL on the IPS-E.

    One point each for IGHV unmutated, absolute lymphocyte count > 15e9/L (strict: exactly
    15e9/L scores 0) and palpable lymph nodes.

    Parameters
    ----------
    ighv : {"mutated", "unmutated"}
        IGHV mutational status.
    alc_1e9_per_l : float
        Absolute lymphocyte count, 1e9 cells/L, >= 0.
    palpable_nodes : bool or {"yes", "no"}
        Whether lymph nodes are palpable.

    Returns
    -------
    IpsEScore
        Points, group, and the group's published 5-year cumulative risk of first treatment
        and rate of first treatment per 100 person-years.

    Raises
    ------
    SpecError
        If ``ighv`` or ``palpable_nodes`` is not one of its allowed values, or
        ``alc_1e9_per_l`` is negative, not finite or not a number.

    References
    ----------
    .. [1] Condoluci A et al., Blood 2020;135:1859, doi:10.1182/blood.2019003453,
       PMID 32267500.

    Examples
    --------
    >>> score = ips_e(ighv="unmutated", alc_1e9_per_l=30.0, palpable_nodes="no")
    >>> score.points, score.group, score.treatment_risk_5y
    (2, 'high', 0.612)
    """
    name = "IPS-E"
    ighv = _choice(name, "ighv", ighv, _IGHV_VALUES)
    alc = _non_negative(name, "alc_1e9_per_l", alc_1e9_per_l, "(1e9 cells/L)")
    nodes = _yes_no(name, "palpable_nodes", palpable_nodes)
    contributions = (
        ("ighv", 1 if ighv == "unmutated" else 0),
        ("alc", 1 if alc > _IPSE_ALC_THRESHOLD_1E9_PER_L else 0),
        ("palpable_nodes", 1 if nodes else 0),
    )
    points = sum(p for _, p in contributions)
    for group, low, high, risk_5y, rate in _IPSE_GROUPS:
        if low <= points <= high:
            return IpsEScore(points, group, risk_5y, rate, contributions)
    raise AssertionError(f"IPS-E points {points} outside the published groups")  # unreachable
