"""The SBML discrete stochastic test suite (16 DSMTS cases) through `cllsim sbml run`.

Statistic and threshold (the suite's own rule, ``sbml-stochastic/README.md``): with n runs,
per variable and record time t, ``Z_t = sqrt(n) (mean_t - mu_t) / sigma_t`` must satisfy
``|Z_t| <= 3`` and ``Y_t = sqrt(n / 2) (S2_t / sigma_t**2 - 1)`` must satisfy ``|Y_t| <= 5``,
where mu_t and sigma_t are the case's analytic mean and sd and S2_t the sample variance
(ddof = 1).  Where sigma_t = 0 every run must equal mu_t exactly.  Z is approximately
standard normal, so a correct simulator fails a mean point with probability 0.27 %; over the
51 points of a case one chance failure is expected now and then, so a case passes with at
most 1 failing point over all its columns (and therefore at most 1 per variable).

Y is standard normal only when X_t has the kurtosis of a normal law: in general
``sd(Y_t) ~ sqrt((kurt_t - 1) / 2)`` whatever n.  In case 00003 (birth 1, death 1.1, nearly
extinct by t = 50) the exact law of X_t has kurtosis 15 at t = 30 and 96 at t = 50, so sd(Y_t)
is 2.7 to 6.9 and an exact simulator (cllsim's ExactSSA reference as well as KendallLeap,
at every seed tried) fails the Y rule at late times.  That case is therefore judged by
:func:`test_00003_variance_with_exact_fourth_moment`: its means by the suite's Z rule, its
variances with the exact standard error of S2 (the same |.| <= 5).

Seeds are fixed (one per case, 20,000 + case number), so the outcome is reproducible.  The
process has a memory of about 10 days, so one chance excursion of the mean fails several
neighbouring points (3-4% of seeds exceed |Z| = 3 somewhere, for ExactSSA as for KendallLeap).
As the suite's README prescribes ("2-3 failures merit a rerun to see if they persist at the
same times"), a case that fails at its seed is run once more at a second fixed seed; it
passes only if the rerun passes the rule and no point failed at both seeds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sbml_helpers import CASES, case_files

from cllsim import cli
from cllsim.sbml import check_results, describe_check, parse_settings, read_results

# 00003 is judged by test_00003_variance_with_exact_fourth_moment (module docstring)
SUITE_CASES = [c for c in CASES if c != "00003"]
RERUN_SEED_OFFSET = 7919


def simulate_case(suite: Path, case: str, out: Path, n_runs: int, seed: int) -> int:
    """Run `cllsim sbml run` on one case with --check; return the exit code."""
    model, settings, expected = case_files(suite, case)
    args = ["sbml", "run", str(model), "--settings", str(settings), "--runs", str(n_runs)]
    args += ["--seed", str(seed), "--out", str(out), "--check", str(expected)]
    return cli.main(args)


def failing_points(suite: Path, case: str, out: Path, n_runs: int, seed: int) -> list[str]:
    """Run the case and apply the suite's rule; the failing points (empty when it passes)."""
    _, settings, expected = case_files(suite, case)
    code = simulate_case(suite, case, out, n_runs, seed)
    suite_settings = parse_settings(settings)
    report = check_results(
        read_results(out / "results.csv"),
        read_results(expected),
        n_runs=n_runs,
        columns=suite_settings.output,
        mean_range=suite_settings.mean_range,
        sd_range=suite_settings.sd_range,
        max_failures=1,
    )
    assert code == (0 if report.passed else 1)
    return [] if report.passed else describe_check(report)


def judge(suite: Path, case: str, tmp_path: Path, n_runs: int, seed: int) -> None:
    """The suite's rule at ``seed``; on failure, once more at a second seed (README)."""
    first = failing_points(suite, case, tmp_path / "first" / case, n_runs, seed)
    if not first:
        return
    second = failing_points(
        suite, case, tmp_path / "rerun" / case, n_runs, seed + RERUN_SEED_OFFSET
    )
    assert not second, "fails at two seeds:\n" + "\n".join(first + second)


@pytest.mark.parametrize("case", SUITE_CASES)
def test_suite_case_n10k(suite: Path, tmp_path: Path, case: str) -> None:
    """n = 10,000 runs: |Z| <= 3 and |Y| <= 5 at all but at most 1 point of the case."""
    judge(suite, case, tmp_path, n_runs=10_000, seed=20_000 + int(case))


@pytest.mark.slow
@pytest.mark.parametrize("case", SUITE_CASES)
def test_suite_case_n100k(suite: Path, tmp_path: Path, case: str) -> None:
    """n = 100,000 runs (sd of Z's numerator 3.2x smaller): same rule, at most 1 failing point."""
    judge(suite, case, tmp_path, n_runs=100_000, seed=200_000 + int(case))


def birth_death_moments(
    x0: int, birth: float, death: float, t: float
) -> tuple[float, float, float]:
    """Mean, variance and 4th central moment of a linear birth-death process from x0 cells.

    From one founder (Kendall 1948, doi:10.1214/aoms/1177730285; ``reference/kendall.md``):
    P(0) = alpha, P(n) = (1 - alpha)(1 - beta) beta^(n-1); x0 founders are independent, so
    the cumulants add: kappa2 = x0 k2, kappa4 = x0 k4 and mu4 = kappa4 + 3 kappa2^2.
    """
    e = np.exp((birth - death) * t)
    alpha = death * (e - 1) / (birth * e - death)
    beta = birth * (e - 1) / (birth * e - death)
    n = np.arange(0, 40_000, dtype=np.float64)
    p = np.where(n == 0, alpha, (1 - alpha) * (1 - beta) * beta ** np.maximum(n - 1, 0))
    m1 = float((p * n).sum())
    k2 = float((p * (n - m1) ** 2).sum())
    k4 = float((p * (n - m1) ** 4).sum()) - 3 * k2**2
    return x0 * m1, x0 * k2, x0 * k4 + 3 * (x0 * k2) ** 2


@pytest.mark.parametrize(
    ("n_runs", "seed"), [(10_000, 3), pytest.param(100_000, 300_003, marks=pytest.mark.slow)]
)
def test_00003_variance_with_exact_fourth_moment(
    suite: Path, tmp_path: Path, n_runs: int, seed: int
) -> None:
    """00003: means by the suite's Z rule; variances by the exact standard error of S2.

    n = 10,000 runs (fast tier) and 100,000 (slow tier).
    Mean: ``|Z_t| <= 3`` with at most 1 failing point (the suite's rule).  Variance:
    ``Y'_t = (S2_t - sigma_t^2) / sd(S2_t)`` with ``Var(S2) = (mu4 - sigma^4 (n-3)/(n-1)) / n``
    from the exact law (:func:`birth_death_moments`); ``|Y'_t| <= 5`` at every t > 0 (5
    standard errors, as the suite's sdRange).
    """
    _, _, expected_path = case_files(suite, "00003")
    out = tmp_path / "00003"
    simulate_case(suite, "00003", out, n_runs, seed=seed)
    simulated = read_results(out / "results.csv")
    expected = read_results(expected_path)
    report = check_results(simulated, expected, n_runs=n_runs, columns=["X-mean"])
    assert report.passed, "\n".join(describe_check(report))
    worst = 0.0
    for k in range(1, len(simulated)):
        t, sd = simulated["time"][k], simulated["X-sd"][k]
        mean, var, mu4 = birth_death_moments(100, 1.0, 1.1, float(t))
        # the exact law reproduces the suite's analytic mean and sd (given to 5 decimals)
        assert mean == pytest.approx(expected["X-mean"][k], abs=1e-5)
        assert np.sqrt(var) == pytest.approx(expected["X-sd"][k], abs=1e-5)
        var_s2 = (mu4 - var**2 * (n_runs - 3) / (n_runs - 1)) / n_runs
        worst = max(worst, abs(sd**2 - var) / np.sqrt(var_s2))
    assert worst <= 5.0
