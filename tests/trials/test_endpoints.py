"""Kaplan-Meier and Cox summaries against hand-computed values and known hazard ratios."""

import numpy as np
import pandas as pd
import pytest

from cllsim.errors import SpecError
from cllsim.trials import DAYS_PER_MONTH, arm_pfs, compare_arms


def test_kaplan_meier_matches_hand_computed_table():
    """Six patients, events at 1, 3 and 5 months, censored at 2, 4 and 6 months:
    S(1) = 5/6; S(3) = 5/6 * 3/4 = 0.625; S(5) = 0.625 * 1/2 = 0.3125 (product-limit by hand).
    PFS is reported at 12/24 months with the month scale 30.4375 days."""
    m = DAYS_PER_MONTH
    df = pd.DataFrame({
        "arm": ["A"] * 6,
        "pfs_days": [1 * m, 2 * m, 3 * m, 4 * m, 5 * m, 6 * m],
        "pfs_event": [True, False, True, False, True, False],
    })  # fmt: skip
    out = arm_pfs(df, "A", follow_up_days=7 * m, months=(1, 3, 5, 6, 12))
    assert out["n"] == 6
    assert out["pfs"]["1"] == pytest.approx(5 / 6)
    assert out["pfs"]["3"] == pytest.approx(0.625)
    assert out["pfs"]["5"] == pytest.approx(0.3125)
    assert out["pfs"]["6"] == pytest.approx(0.3125)
    assert out["pfs"]["12"] is None  # beyond follow-up
    lo, hi = out["pfs_ci95"]["3"]
    assert lo < 0.625 < hi
    assert out["median_pfs_months"] == pytest.approx(5.0)


def test_median_not_reached_is_none():
    df = pd.DataFrame(
        {"arm": ["A"] * 4, "pfs_days": [10.0, 20, 30, 40], "pfs_event": [True, False, False, False]}
    )
    assert arm_pfs(df, "A", follow_up_days=100.0)["median_pfs_months"] is None


def test_cox_hazard_ratio_recovers_the_truth():
    """Exponential PFS with hazards 0.02 and 0.05 per month (true HR 0.4), 2,000 patients per
    arm, administrative censoring at 72 months: |log HR - log 0.4| <= 4 standard errors (SE
    read off the Wald 95% interval), and the log-rank test rejects equality (p < 1e-9).
    Fixed seed."""
    rng = np.random.default_rng(14)
    n = 2000
    t_a = rng.exponential(1 / 0.02, n) * DAYS_PER_MONTH
    t_r = rng.exponential(1 / 0.05, n) * DAYS_PER_MONTH
    cens = 72 * DAYS_PER_MONTH
    df = pd.DataFrame({
        "arm": ["ven-obi"] * n + ["clb-obi"] * n,
        "pfs_days": np.minimum(np.concatenate([t_a, t_r]), cens),
        "pfs_event": np.concatenate([t_a, t_r]) < cens,
    })  # fmt: skip
    out = compare_arms(df, "ven-obi", "clb-obi")
    lo, hi = out["ci95"]
    se = (np.log(hi) - np.log(lo)) / (2 * 1.959964)
    assert abs(np.log(out["hazard_ratio"]) - np.log(0.4)) <= 4 * se
    assert lo < out["hazard_ratio"] < hi
    assert out["logrank_p"] < 1e-9
    assert set(out) == {"arm", "reference", "hazard_ratio", "ci95", "logrank_p"}


def test_bad_tables_name_the_problem():
    with pytest.raises(SpecError, match="missing column"):
        arm_pfs(pd.DataFrame({"arm": ["A"]}), "A", follow_up_days=10)
    df = pd.DataFrame({"arm": ["A"], "pfs_days": [-1.0], "pfs_event": [True]})
    with pytest.raises(SpecError, match=r"pfs_days must be finite and >= 0, got -1\.0"):
        arm_pfs(df, "A", follow_up_days=10)
    ok = pd.DataFrame({"arm": ["A"], "pfs_days": [1.0], "pfs_event": [True]})
    with pytest.raises(SpecError, match="no patient in arm 'B'"):
        arm_pfs(ok, "B", follow_up_days=10)
