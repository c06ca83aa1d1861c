"""Deaths from other causes: a period life table, a comorbidity hazard ratio, one draw per
patient.

PFS counts death from any cause, so every virtual patient also carries a time of death from
causes other than CLL.  The hazard is that of the general population of the patient's age
and sex, times the patient's comorbidity hazard ratio:

    mu(x) = HR * mu_table(x, sex),   mu_table = -ln(1 - q_x) on [x, x + 1)

(piecewise constant within each year of age, so the cumulative hazard ``H`` is piecewise
linear in age).  A patient of age ``a`` dies ``t`` years after day 0 where
``H(a + t) - H(a) = E / HR`` with ``E ~ Exponential(1)`` (scipy.stats.expon), the exact
inverse of the survival function ``S(t) = exp(-HR * (H(a + t) - H(a)))``.

The table
---------
``us-ssa-2022``: probabilities ``q_x`` of dying within a year at exact age ``x``, for men and
women, from the US Social Security Administration's period life table for 2022 (the
"Actuarial Life Table" used in the 2025 Trustees Report,
https://www.ssa.gov/oact/STATS/table4c6.html).  [M]: the values were transcribed from a
copy of that table, not re-checked against the SSA page; ages 40-60 are given at 5-year
steps and interpolated log-linearly (``ln q`` linear in age) between them [A]; every age
from 65 to 100 is tabulated; 105 and 110 are tabulated and interpolated log-linearly; the
table closes at 120 (everyone dies).  CLL14 recruited in 21 countries, mostly in Europe;
the US table stands in for their mix [A] (period life expectancy at 65 differs by about a
year between the US and western Europe).  Nothing here was fitted to CLL14 outcomes.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from cllsim.errors import SpecError

__all__ = [
    "LIFE_TABLES",
    "SEXES",
    "cumulative_hazard",
    "other_cause_death_days",
    "survival_probability",
]

SEXES = ("male", "female")
_DAYS_PER_YEAR = 365.25
_MAX_AGE = 120.0

# age: (male q_x, female q_x); SSA 2022 period life table [M], see the module docstring.
_SSA_2022 = {
    40: (0.003353, 0.001803), 45: (0.004175, 0.002352), 50: (0.005666, 0.003407),
    55: (0.008348, 0.005040), 60: (0.012458, 0.007658), 65: (0.017897, 0.011018),
    66: (0.019017, 0.011743), 67: (0.020213, 0.012532), 68: (0.021569, 0.013512),
    69: (0.023088, 0.014684), 70: (0.024828, 0.016025), 71: (0.026705, 0.017468),
    72: (0.028761, 0.019195), 73: (0.031116, 0.021195), 74: (0.033861, 0.023452),
    75: (0.037088, 0.025980), 76: (0.041126, 0.029153), 77: (0.045241, 0.032394),
    78: (0.049793, 0.035888), 79: (0.054768, 0.039676), 80: (0.060660, 0.044156),
    81: (0.067027, 0.049087), 82: (0.073999, 0.054635), 83: (0.081737, 0.061066),
    84: (0.090458, 0.068431), 85: (0.100525, 0.076841), 86: (0.111793, 0.086205),
    87: (0.124494, 0.096851), 88: (0.138398, 0.109019), 89: (0.153207, 0.121867),
    90: (0.169704, 0.135805), 91: (0.187963, 0.151108), 92: (0.208395, 0.168020),
    93: (0.230808, 0.186340), 94: (0.253914, 0.206432), 95: (0.277402, 0.228086),
    96: (0.300882, 0.250406), 97: (0.324326, 0.273699), 98: (0.347332, 0.296984),
    99: (0.369430, 0.319502), 100: (0.391927, 0.342716), 105: (0.508032, 0.466891),
    110: (0.648392, 0.624805),
}  # fmt: skip


def _single_years(table: dict[int, tuple[float, float]]) -> dict[str, NDArray[np.float64]]:
    """q_x for every whole age from the first tabulated one to 119 (log-linear in between;
    beyond the last tabulated age ln q continues on the last slope, capped below 1)."""
    ages = np.array(sorted(table), dtype=np.float64)
    full = np.arange(ages[0], _MAX_AGE)
    out = {}
    for k, sex in enumerate(SEXES):
        lq = np.log([table[int(a)][k] for a in ages])
        slope = (lq[-1] - lq[-2]) / (ages[-1] - ages[-2])
        q = np.exp(np.where(full <= ages[-1], np.interp(full, ages, lq),
                            lq[-1] + slope * (full - ages[-1])))  # fmt: skip
        out[sex] = np.minimum(q, 0.999)
    out["first_age"] = np.array([ages[0]])
    return out


#: Life tables by name: ``q_x`` per whole year of age per sex, from ``first_age`` to 119.
LIFE_TABLES = {"us-ssa-2022": _single_years(_SSA_2022)}


def _table(name: str, sex: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Ages (knots, years) and the cumulative hazard at them, one table and sex."""
    if name not in LIFE_TABLES:
        raise SpecError(f"unknown life table {name!r}; expected one of {', '.join(LIFE_TABLES)}")
    if sex not in SEXES:
        raise SpecError(f"sex must be one of {', '.join(SEXES)}, got {sex!r}")
    tab = LIFE_TABLES[name]
    q = tab[sex]
    first = float(tab["first_age"][0])
    ages = first + np.arange(q.size + 1, dtype=np.float64)
    hazard = np.concatenate([[0.0], np.cumsum(-np.log1p(-q))])
    return ages, hazard


def cumulative_hazard(age_years: float, *, sex: str, table: str = "us-ssa-2022") -> float:
    """The table's cumulative hazard from its first age to ``age_years`` (years >= first
    age; younger ages take the first year's hazard); dimensionless."""
    ages, hazard = _table(table, sex)
    if age_years < ages[0]:
        return float(hazard[1] * (age_years - ages[0]))  # same hazard as the first year
    return float(np.interp(age_years, ages, hazard))


def survival_probability(
    t_days: float, *, age_years: float, sex: str, hazard_ratio: float = 1.0,
    table: str = "us-ssa-2022",
) -> float:  # fmt: skip
    """Probability of being alive (other causes only) ``t_days`` after day 0."""
    h0 = cumulative_hazard(age_years, sex=sex, table=table)
    h1 = cumulative_hazard(min(age_years + t_days / _DAYS_PER_YEAR, _MAX_AGE), sex=sex, table=table)
    return math.exp(-hazard_ratio * (h1 - h0))


def other_cause_death_days(
    *,
    age_years: float,
    sex: str,
    hazard_ratio: float,
    rng: np.random.Generator,
    table: str = "us-ssa-2022",
) -> float:
    """Days from day 0 to death from other causes, drawn from the life table.

    Parameters
    ----------
    age_years : float
        Age at day 0, years.
    sex : {"male", "female"}
    hazard_ratio : float
        Multiplier (> 0) of the population hazard (comorbidity).
    rng : numpy.random.Generator
        One draw of Exponential(1) is taken from it.
    table : str
        A name in :data:`LIFE_TABLES`.

    Returns
    -------
    float
        Days (> 0); at most the days left to age 120.
    """
    if not hazard_ratio > 0:
        raise SpecError(f"mortality hazard_ratio must be > 0, got {hazard_ratio}")
    ages, hazard = _table(table, sex)
    e = float(stats.expon.rvs(random_state=rng))
    target = cumulative_hazard(age_years, sex=sex, table=table) + e / hazard_ratio
    if target < 0:  # before the table's first age: the first year's hazard
        death_age = ages[0] + target / hazard[1]
    elif target < hazard[-1]:
        death_age = float(np.interp(target, hazard, ages))
    else:
        death_age = _MAX_AGE
    return max(death_age - age_years, 1e-6) * _DAYS_PER_YEAR
