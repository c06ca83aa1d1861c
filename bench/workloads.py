"""The benchmark workloads W1-W4 (issue 3, "Speed"): definitions, cllsim calls, exactness.

Each workload is a :class:`Workload` (sizes, record times, seed) plus a function that runs it
with cllsim (``run_w1`` ... ``run_w4``).  The exactness checks are plain functions of arrays of
samples, so the same check judges cllsim and the peers (``peers.py``).

Reference values:

* W1: the SBML stochastic test suite, case 00001 (DSMTS-001-01, Evans, Gillespie & Wilkinson
  2008), ``00001-results.csv``; the analytic Kendall moments when the file is absent.
* W2, W4: the exact mean and variance of the linear birth-death process (Kendall 1948,
  doi:10.1214/aoms/1177730285), ``shared/reference/kendall.md``.
* W3: ``shared/reference/kendall.md``, "Resistance present before treatment": formula
  P(no resistant cell at M) = 0.2500; Monte Carlo of 20,000 exact runs 0.2558 +- 0.0031 and
  E[resistant cells] 15.86 +- 1.03 (formula 17.03).
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from cllsim.engine import Network, NetworkResult, Status, StopCondition, simulate_network
from cllsim.engine.kendall import kendall_mean, kendall_variance

__all__ = [
    "CLLSIM_RUNS",
    "REPO",
    "W1",
    "W2",
    "W3",
    "W4",
    "WORKLOADS",
    "Verdict",
    "Workload",
    "birth_death_moments",
    "dsmts_expected",
    "dsmts_rule",
    "dsmts_rule_summary",
    "judge_cllsim",
    "judge_w1",
    "judge_w2",
    "judge_w3",
    "judge_w4",
    "mean_z",
    "resistance_stats",
    "run_w1",
    "run_w2",
    "run_w3",
    "run_w4",
    "run_w4_types",
    "shared_dir",
]


REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """The project's ``shared/`` folder: ``$CLLSIM_SHARED``, else beside the repository."""
    env = os.environ.get("CLLSIM_SHARED")
    return Path(env) if env else REPO.parent / "shared"


@dataclass(frozen=True)
class Workload:
    """One benchmark workload: what is simulated, how many runs, at which times, which seed."""

    key: str
    title: str
    n_runs: int
    times_days: NDArray[np.float64] = field(repr=False)
    seed: int
    target: str


# ---------------------------------------------------------------- W1: DSMTS-001-01
W1 = Workload(
    key="W1",
    title="DSMTS-001-01 birth-death (X0 = 100, b = 0.1, d = 0.11), 51 time points",
    n_runs=10_000,
    times_days=np.arange(51.0),
    seed=20_240_001,
    target="<= 0.1 s and >= 13x GillesPy2 SSA",
)
W1_RATES = (100, 0.1, 0.11)  # X0, Lambda (birth), Mu (death), per day


def run_w1(n_runs: int = W1.n_runs, *, workers: int = 1) -> NetworkResult:
    """W1 with cllsim's default algorithm: ``simulate_network`` on a one-type Network."""
    x0, b, d = W1_RATES
    net = Network(types=("X",), initial=(x0,), birth=b, death=d)
    return simulate_network(
        net, times_days=W1.times_days, n_runs=n_runs, rng=W1.seed, workers=workers
    )


# ---------------------------------------------------------------- W2: one clone 1e3 -> 1e6
W2_RATES = (1000, 1.0, 0.5)  # N0, birth, death per day
W2_T = math.log(1000.0) / 0.5  # days: exact mean 1000 * e^{0.5 t} = 1e6
W2 = Workload(
    key="W2",
    title="one clone b = 1, d = 0.5 from 1,000 cells to ~1e6 (t = ln(1000)/0.5 = 13.8 days)",
    n_runs=100,
    times_days=np.array([0.0, W2_T]),
    seed=20_240_002,
    target=">= 10,000x GillesPy2 SSA",
)


def run_w2(n_runs: int = W2.n_runs, *, workers: int = 1) -> NetworkResult:
    """W2 with cllsim: one type, record at 0 and t."""
    n0, b, d = W2_RATES
    net = Network(types=("X",), initial=(n0,), birth=b, death=d)
    return simulate_network(
        net, times_days=W2.times_days, n_runs=n_runs, rng=W2.seed, workers=workers
    )


# ---------------------------------------------------------------- W3: resistance before treatment
W3_M = 10_000
W3_U = 1e-4
W3_RATES = (1.0, 0.5)  # birth, death per day (both types)
W3_HORIZON_DAYS = 200.0  # far beyond the time to reach M (about 17 days +- 3)
W3 = Workload(
    key="W3",
    title="S -> S + R at division (u = 1e-4), b = 1, d = 0.5, from 1 cell until S + R = 1e4",
    n_runs=2_000,
    times_days=np.array([0.0, W3_HORIZON_DAYS]),
    seed=20_240_003,
    target=">= 30x GillesPy2 SSA",
)
W3_REFERENCE = {
    "p_none_formula": 0.2500,
    "p_none_mc": 0.2558,
    "p_none_mc_se": 0.0031,
    "mean_r_mc": 15.86,
    "mean_r_mc_se": 1.03,
    "mean_r_formula": 17.03,
}


def run_w3(n_runs: int = W3.n_runs, *, workers: int = 1) -> NetworkResult:
    """W3 with cllsim: birth of S is b(1 - u), spawn S -> S + R at b u; stop at S + R = M."""
    b, d = W3_RATES
    net = Network(
        types=("S", "R"),
        initial=(1, 0),
        birth=[b * (1 - W3_U), b],
        death=d,
        spawns=[("S", "R")],
        spawn_rate=[b * W3_U],
    )
    return simulate_network(
        net,
        times_days=W3.times_days,
        n_runs=n_runs,
        stop=StopCondition(total_at_least=W3_M),
        rng=W3.seed,
        workers=workers,
    )


# ---------------------------------------------------------------- W4: 1,000 clones x 1e12 cells
W4_RATES = (10**12, 0.0039, 0.0018)  # N0, birth, death per day
W4_CLONES = 1_000
W4 = Workload(
    key="W4",
    title="1,000 independent clones of 1e12 cells, b = 0.0039, d = 0.0018, 10 years daily",
    n_runs=W4_CLONES,
    times_days=np.arange(3651.0),
    seed=20_240_004,
    target="<= 0.3 s",
)


def run_w4(n_runs: int = W4.n_runs, *, workers: int = 1) -> NetworkResult:
    """W4 as ``n_runs`` independent runs of a one-type Network."""
    n0, b, d = W4_RATES
    net = Network(types=("X",), initial=(n0,), birth=b, death=d)
    return simulate_network(
        net, times_days=W4.times_days, n_runs=n_runs, rng=W4.seed, workers=workers
    )


def run_w4_types(n_clones: int = W4_CLONES, *, workers: int = 1) -> NetworkResult:
    """W4 as one run of a Network with ``n_clones`` independent types (a patient's clones)."""
    n0, b, d = W4_RATES
    net = Network(
        types=tuple(f"clone{i}" for i in range(n_clones)),
        initial=np.full(n_clones, n0, dtype=np.int64),
        birth=b,
        death=d,
    )
    return simulate_network(net, times_days=W4.times_days, n_runs=1, rng=W4.seed, workers=workers)


WORKLOADS: dict[str, Workload] = {w.key: w for w in (W1, W2, W3, W4)}


# ---------------------------------------------------------------- exactness checks
@dataclass(frozen=True)
class Verdict:
    """The outcome of an exactness check: a one-line text, pass/fail (None: not judged)."""

    text: str
    ok: bool | None
    values: dict[str, float] = field(default_factory=dict)


def birth_death_moments(
    n0: float, b: float, d: float, t: NDArray | float
) -> tuple[NDArray, NDArray]:
    """Exact mean and variance of a linear birth-death process from ``n0`` cells at ``t`` days.

    Kendall (1948): E = n0 e^{(b-d)t}, Var = n0 (b+d)/(b-d) e^{(b-d)t}(e^{(b-d)t} - 1);
    Var = 2 n0 b t when b = d.
    """
    t = np.asarray(t, dtype=np.float64)
    return n0 * kendall_mean(b, d, t), n0 * kendall_variance(b, d, t)


def dsmts_expected(case_dir: Path | None = None) -> tuple[NDArray, NDArray, NDArray, str]:
    """Expected ``time, X-mean, X-sd`` of DSMTS-001-01 and where they came from.

    Read from ``00001-results.csv`` of the suite; falls back to the analytic moments (the
    suite's values are analytic too) when the file is not there.
    """
    case_dir = case_dir if case_dir is not None else shared_dir() / "sbml-stochastic" / "00001"
    path = case_dir / "00001-results.csv"
    if path.is_file():
        with path.open(newline="") as fh:
            rows = list(csv.DictReader(fh))
        t = np.array([float(r["time"]) for r in rows])
        mean = np.array([float(r["X-mean"]) for r in rows])
        sd = np.array([float(r["X-sd"]) for r in rows])
        return t, mean, sd, str(path)
    x0, b, d = W1_RATES
    mean, var = birth_death_moments(x0, b, d, W1.times_days)
    return W1.times_days.copy(), mean, np.sqrt(var), "analytic Kendall moments"


def dsmts_rule(samples: NDArray, mean: NDArray, sd: NDArray) -> Verdict:
    """The suite's acceptance rule on ``samples`` float[n_runs, n_times].

    Z_t = sqrt(n)(Xbar_t - mu_t)/sigma_t must satisfy |Z_t| <= 3 and
    Y_t = sqrt(n/2)(S2_t/sigma_t^2 - 1) must satisfy |Y_t| <= 5 (S2 with ddof = 1); where
    sigma_t = 0 every sample must equal mu_t.  At most one failing time point passes.
    """
    x = np.asarray(samples, dtype=np.float64)
    exact_where_flat = np.all(x[:, sd <= 0] == mean[sd <= 0], axis=0)
    return dsmts_rule_summary(
        x.mean(axis=0),
        x.std(axis=0, ddof=1),
        x.shape[0],
        mean,
        sd,
        exact_where_flat=exact_where_flat,
    )


def dsmts_rule_summary(
    sim_mean: NDArray,
    sim_sd: NDArray,
    n: int,
    mean: NDArray,
    sd: NDArray,
    *,
    exact_where_flat: NDArray | None = None,
) -> Verdict:
    """The suite's rule from per-time sample means and sds (ddof = 1) of ``n`` runs.

    Where sigma_t = 0 the simulated mean must equal mu_t and its sd be 0 (or, when given,
    ``exact_where_flat`` says whether every sample equalled mu_t).
    """
    xbar = np.asarray(sim_mean, dtype=np.float64)
    s2 = np.asarray(sim_sd, dtype=np.float64) ** 2
    pos = sd > 0
    z = np.zeros_like(xbar)
    y = np.zeros_like(xbar)
    z[pos] = math.sqrt(n) * (xbar[pos] - mean[pos]) / sd[pos]
    y[pos] = math.sqrt(n / 2) * (s2[pos] / sd[pos] ** 2 - 1)
    fail = (np.abs(z) > 3) | (np.abs(y) > 5)
    if exact_where_flat is None:
        exact_where_flat = (xbar[~pos] == mean[~pos]) & (s2[~pos] == 0)
    fail[~pos] = ~np.asarray(exact_where_flat, dtype=bool)
    n_fail = int(fail.sum())
    ok = n_fail <= 1
    text = (
        f"{'passes' if ok else 'FAILS'} ({n_fail} of {xbar.size} points beyond; "
        f"max |Z| {np.abs(z).max():.2f}, max |Y| {np.abs(y).max():.2f}; n = {n:,})"
    )
    return Verdict(
        text,
        ok,
        {
            "n_fail": n_fail,
            "max_abs_z": float(np.abs(z).max()),
            "max_abs_y": float(np.abs(y).max()),
            "n": n,
        },
    )


def mean_z(final: NDArray, exact_mean: float, exact_var: float, *, limit: float = 4.0) -> Verdict:
    """z-score of the sample mean of ``final`` against the exact mean (exact variance).

    z = (mean - exact) / sqrt(exact_var / n); judged |z| <= ``limit`` (4 standard errors).
    """
    x = np.asarray(final, dtype=np.float64)
    n = x.size
    m = float(x.mean())
    z = (m - exact_mean) / math.sqrt(exact_var / n)
    rel = m / exact_mean - 1
    ok = abs(z) <= limit
    text = f"mean {rel:+.2%} vs exact, z = {z:+.1f} ({'ok' if ok else 'BIASED'}; n = {n:,})"
    return Verdict(text, ok, {"mean": m, "exact_mean": exact_mean, "z": z, "rel": rel, "n": n})


def resistance_stats(resistant: NDArray, *, limit: float = 3.0) -> Verdict:
    """P(no resistant cell at size M) and E[resistant cells] over runs that reached M.

    ``resistant`` int[n]: resistant cells at the moment the total first reached M.  Standard
    errors are the Monte Carlo ones (binomial for the probability, sample sd / sqrt(n) for
    the mean); each is compared with the reference Monte Carlo value by
    z = (x - ref) / sqrt(se^2 + se_ref^2), judged |z| <= ``limit``.
    """
    r = np.asarray(resistant, dtype=np.float64)
    n = r.size
    if n == 0:
        return Verdict("no run reached M", False)
    p = float(np.mean(r == 0))
    se_p = math.sqrt(p * (1 - p) / n)
    mr = float(r.mean())
    se_r = float(r.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan")
    ref = W3_REFERENCE
    z_p = (p - ref["p_none_mc"]) / math.hypot(se_p, ref["p_none_mc_se"])
    z_r = (mr - ref["mean_r_mc"]) / math.hypot(se_r, ref["mean_r_mc_se"])
    ok = abs(z_p) <= limit and abs(z_r) <= limit
    text = (
        f"P(no R) = {p:.4f} +- {se_p:.4f} (ref 0.2558 +- 0.0031, z = {z_p:+.1f}); "
        f"E[R] = {mr:.2f} +- {se_r:.2f} (ref 15.86 +- 1.03, z = {z_r:+.1f}); "
        f"{'within MC error' if ok else 'OUTSIDE MC error'} (n = {n:,} reached M)"
    )
    return Verdict(
        text,
        ok,
        {
            "p_none": p,
            "se_p_none": se_p,
            "mean_r": mr,
            "se_mean_r": se_r,
            "z_p": z_p,
            "z_r": z_r,
            "n_reached": n,
        },
    )


# ---------------------------------------------------------------- judging cllsim results
def judge_w1(result: NetworkResult) -> Verdict:
    """W1: the DSMTS rule on X at the 51 time points."""
    _, mean, sd, _ = dsmts_expected()
    return dsmts_rule(result.counts_of("X"), mean, sd)


def judge_w2(result: NetworkResult) -> Verdict:
    """W2: z-score of the mean at t against 1000 e^{0.5 t}."""
    n0, b, d = W2_RATES
    mean, var = birth_death_moments(n0, b, d, W2_T)
    return mean_z(result.counts_of("X")[:, -1], float(mean), float(var))


def judge_w3(result: NetworkResult) -> Verdict:
    """W3: runs that reached M (status CELL_LIMIT); extinct runs are discarded (conditioning)."""
    reached = result.status == Status.CELL_LIMIT
    extinct = int(np.sum(result.status == Status.EXTINCT))
    other = result.n_runs - int(reached.sum()) - extinct
    totals = result.stop_counts[reached].sum(axis=1)
    v = resistance_stats(result.stop_counts[reached, result.types.index("R")])
    note = f"; {extinct:,} extinct, {other} unfinished"
    if reached.any() and not np.all(totals == W3_M):
        note += f"; totals at stop {int(totals.min())}..{int(totals.max())} (expected {W3_M})"
    return Verdict(v.text + note, v.ok, {**v.values, "n_extinct": extinct, "n_unfinished": other})


def judge_w4(final: NDArray) -> Verdict:
    """W4: z-score of the mean clone size at 10 years against N0 e^{(b-d) 3650}."""
    n0, b, d = W4_RATES
    mean, var = birth_death_moments(n0, b, d, float(W4.times_days[-1]))
    return mean_z(final, float(mean), float(var))


CLLSIM_RUNS: dict[str, Callable[..., NetworkResult]] = {
    "W1": run_w1,
    "W2": run_w2,
    "W3": run_w3,
    "W4": run_w4,
    "W4-types": run_w4_types,
}


def judge_cllsim(key: str, result: NetworkResult) -> Verdict:
    """Judge a cllsim result of workload ``key`` (one of :data:`CLLSIM_RUNS`)."""
    if key == "W1":
        return judge_w1(result)
    if key == "W2":
        return judge_w2(result)
    if key == "W3":
        return judge_w3(result)
    if key == "W4":
        return judge_w4(result.counts[:, -1, 0])
    if key == "W4-types":
        return judge_w4(result.counts[0, -1, :])
    raise KeyError(key)
