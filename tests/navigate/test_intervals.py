"""Prediction intervals from posterior-predictive draws (navigate/intervals.py).

The synthetic-truth study of issue 6 first built its 90% intervals with
``numpy.quantile``'s interpolation: NaN whenever the upper bound fell between two draws
with no indication before the horizon (``inf - inf``), and bounds between visit days that
no draw predicts.  These tests state what an interval of ``n`` draws must do for a truth
that is one more draw of the same law: cover it with probability ``(k - j) / (n + 1)``
(continuous law) or more (ties), on censored, visit-discretised outcomes like the
forecast's.
"""

import math

import numpy as np
import pytest

from cllsim.navigate import prediction_ranks, predictive_interval, randomised_rank

YEAR = 365.25


def _visit_days(rng, size):
    """Days to an event on visits every 84 days, NaN beyond 5 years (about 40% of draws):
    the shape of the forecast's time to treatment indication."""
    t = rng.exponential(4.0 * YEAR, size=size)
    days = np.ceil(t / 84.0) * 84.0
    return np.where(days > 5 * YEAR, np.nan, days)


def test_ranks_and_nominal_coverage():
    assert prediction_ranks(24) == (1, 24, pytest.approx(23 / 25))
    assert prediction_ranks(36) == (2, 35, pytest.approx(33 / 37))
    assert prediction_ranks(19) == (1, 19, pytest.approx(0.9))
    assert prediction_ranks(3)[:2] == (1, 3)  # too few draws: their range
    with pytest.raises(ValueError, match="n >= 1"):
        prediction_ranks(0)


def test_censored_draws_give_a_defined_interval():
    """Most draws beyond the horizon: the upper bound is 'beyond' (inf), never NaN, and
    both bounds are values some draw took."""
    draws = np.array([252.0, 336.0, 336.0, 420.0] + [math.nan] * 20)
    lo, hi, cov = predictive_interval(draws)
    assert lo == 252.0 and hi == math.inf and cov == pytest.approx(23 / 25)
    assert 336.0 >= lo and math.inf <= hi  # a truth beyond 5 years is covered
    lo, hi, _ = predictive_interval(np.full(24, math.nan))
    assert lo == hi == math.inf


@pytest.mark.parametrize("n", [18, 24, 36])
def test_interval_covers_an_exchangeable_truth(n):
    """4,000 replicates of n draws and one truth from the same censored, visit-discretised
    law.  Statistic: the fraction of truths inside [low, high].  With ties the coverage is
    at least (k - j) / (n + 1) (0.895, 0.92, 0.892 for n = 18, 24, 36); threshold that
    minus 4 binomial standard errors (sd <= 0.0049 at 4,000).  Interpolated numpy
    quantiles give about 0.0 here (NaN upper bounds) and fail."""
    rng = np.random.default_rng(20261124 + n)
    reps = 4000
    x = _visit_days(rng, (reps, n + 1))
    hits = 0
    for row in x:
        lo, hi, _ = predictive_interval(row[:n])
        truth = math.inf if math.isnan(row[n]) else row[n]
        hits += lo <= truth <= hi
    _, _, nominal = prediction_ranks(n)
    sd = math.sqrt(nominal * (1 - nominal) / reps)
    assert hits / reps >= nominal - 4 * sd


@pytest.mark.parametrize("n", [24, 36])
def test_interval_is_not_wider_than_needed(n):
    """Continuous law (no ties): coverage equals (k - j) / (n + 1) within 4 binomial
    standard errors of 4,000 replicates, so the intervals are not needlessly wide."""
    rng = np.random.default_rng(7 + n)
    reps = 4000
    x = rng.lognormal(6.0, 0.5, size=(reps, n + 1))
    hits = sum(lo <= row[n] <= hi for row in x for lo, hi, _ in [predictive_interval(row[:n])])
    _, _, nominal = prediction_ranks(n)
    sd = math.sqrt(nominal * (1 - nominal) / reps)
    assert abs(hits / reps - nominal) < 4 * sd


def test_randomised_rank_is_uniform_and_gives_nominal_coverage_with_ties():
    """The navigator study's coverage with ties counted at random.  4,000 replicates of 36
    draws and one truth from the censored, visit-discretised law (about 40% beyond the
    horizon, so ties are the rule).  Statistics: (a) chi-square of the rank's 37 counts
    against uniform, p > 1e-4 (36 df); (b) the fraction with j <= rank <= k - 1 equals
    33/37 within 4 binomial standard errors (sd 0.0049), while the interval's plain
    coverage (a tie on a bound counts as covered) is above it by more than 4 sd: the
    excess the study saw (197/200) that the randomised count removes.  Counting ties as
    never covered, or not randomising (rank = draws below), fails (a) and (b)."""
    from scipy import stats

    rng = np.random.default_rng(20261124)
    reps, n = 4000, 36
    j, k, nominal = prediction_ranks(n)
    x = _visit_days(rng, (reps, n + 1))
    ranks = np.array([randomised_rank(row[:n], row[n], rng.uniform()) for row in x])
    plain = 0
    for row in x:
        lo, hi, _ = predictive_interval(row[:n])
        plain += lo <= (math.inf if math.isnan(row[n]) else row[n]) <= hi
    counts = np.bincount(ranks, minlength=n + 1)
    assert counts.size == n + 1
    assert stats.chisquare(counts).pvalue > 1e-4
    sd = math.sqrt(nominal * (1 - nominal) / reps)
    covered = np.mean((ranks >= j) & (ranks <= k - 1))
    assert abs(covered - nominal) < 4 * sd
    assert plain / reps > nominal + 4 * sd


def test_randomised_rank_ties_and_bad_u():
    draws = [84.0, 84.0, 168.0, math.nan]
    assert [randomised_rank(draws, 84.0, u) for u in (0.0, 0.34, 0.67, 0.999)] == [0, 1, 2, 2]
    assert randomised_rank(draws, 100.0, 0.5) == 2
    assert randomised_rank(draws, math.nan, 0.0) == 3  # beyond the horizon ties the NaN draw
    assert randomised_rank(draws, math.inf, 0.999) == 4
    with pytest.raises(ValueError, match="u must be in"):
        randomised_rank(draws, 84.0, 1.0)
