"""Deaths from other causes against the life table's own survival."""

import math

import numpy as np
import pytest
from scipy import stats

from cllsim.trials import other_cause_death_days, survival_probability
from cllsim.trials.mortality import _SSA_2022, LIFE_TABLES

YEAR = 365.25


def _table_survival(age: int, years: int, sex: str, hr: float) -> float:
    """S(years) by hand from the tabulated q_x at whole ages: prod (1 - q_x) ** HR."""
    k = 0 if sex == "male" else 1
    return math.prod((1 - _SSA_2022[a][k]) ** hr for a in range(age, age + years))


@pytest.mark.parametrize("sex", ["male", "female"])
def test_survival_matches_the_tabulated_q(sex):
    """At whole ages from 65 on every age is tabulated: S must equal the product exactly."""
    for hr in (1.0, 1.7):
        for years in (1, 5, 10):
            assert survival_probability(years * YEAR, age_years=70, sex=sex, hazard_ratio=hr) == (
                pytest.approx(_table_survival(70, years, sex, hr), rel=1e-12)
            )
    q72 = _SSA_2022[72][0 if sex == "male" else 1]
    assert LIFE_TABLES["us-ssa-2022"][sex][72 - 40] == pytest.approx(q72, rel=1e-12)


@pytest.mark.parametrize(
    ("age", "sex", "hr"),
    [(72.0, "male", 1.6), (66.5, "female", 1.0), (85.0, "male", 2.5), (45.0, "female", 1.3)],
)
def test_death_times_follow_the_table(age, sex, hr):
    """n = 10,000 draws; deaths per year of follow-up (10 years, then later) against the
    table's probabilities by chi-square, and a KS test on the whole law (survival from the
    cumulative hazard); both p > 1e-3 / 4 (Bonferroni over the cases)."""
    rng = np.random.default_rng(11)
    n = 10_000
    t = np.array([other_cause_death_days(age_years=age, sex=sex, hazard_ratio=hr, rng=rng)
                  for _ in range(n)])  # fmt: skip
    edges = np.append(np.arange(0, 11) * YEAR, np.inf)
    s = np.array([survival_probability(e, age_years=age, sex=sex, hazard_ratio=hr)
                  if np.isfinite(e) else 0.0 for e in edges])  # fmt: skip
    expected = n * (s[:-1] - s[1:])
    observed = np.histogram(t, bins=edges)[0]
    assert stats.chisquare(observed, expected).pvalue > 1e-3 / 4
    cdf = np.vectorize(lambda x: 1 - survival_probability(x, age_years=age, sex=sex,
                                                          hazard_ratio=hr))  # fmt: skip
    assert stats.kstest(t, cdf).pvalue > 1e-3 / 4


def test_same_generator_state_same_death_and_higher_hazard_earlier():
    a = other_cause_death_days(age_years=70, sex="male", hazard_ratio=1.0,
                               rng=np.random.default_rng(5))  # fmt: skip
    b = other_cause_death_days(age_years=70, sex="male", hazard_ratio=1.0,
                               rng=np.random.default_rng(5))  # fmt: skip
    c = other_cause_death_days(age_years=70, sex="male", hazard_ratio=2.0,
                               rng=np.random.default_rng(5))  # fmt: skip
    assert a == b and c < a
