"""The fast engine against the reference SSA and against exact theory, on small networks.

Every test runs for every entry of ``ALGORITHMS`` where a theory value exists, and compares
KendallLeap with ExactSSA in distribution otherwise (two-sample tests at stated levels).
"""

import numpy as np
import pytest
from scipy import stats

from cllsim.engine import (
    ALGORITHMS,
    ExactSSA,
    KendallLeap,
    Network,
    StopCondition,
    piecewise_constant,
    simulate_network,
)

ALG_IDS = [type(a).__name__ for a in ALGORITHMS]
P_LEVEL = 1e-3  # two-sample tests: fail when p < 1e-3 (Bonferroni-corrected per test below)


def _two_sample(a: np.ndarray, b: np.ndarray, n_tests: int) -> None:
    """Mann–Whitney (location) and two-sample KS on counts; both must exceed 1e-3/n_tests.
    Counts are discrete, so KS is conservative; MW catches shifts of the bulk."""
    level = P_LEVEL / n_tests
    assert stats.mannwhitneyu(a, b).pvalue > level
    assert stats.ks_2samp(a, b).pvalue > level


def test_mutation_switching_migration_agree_with_reference():
    """A 4-type network from single cells and small counts: sensitive/persister switching,
    migration blood <-> node, mutation at division.  Every type's count at t = 6 and the total,
    4,000 runs each (KendallLeap with a low exact threshold so leaps, splitting, arrivals and
    exact lineages all take part)."""
    net = Network(
        types=("S_pb", "S_ln", "P_ln", "R_ln"),
        initial=(1, 40, 0, 0),
        birth=[0.0, 1.0, 0.1, 1.0],
        death=[0.3, 0.4, 0.05, 0.45],
        moves=[("S_pb", "S_ln"), ("S_ln", "S_pb"), ("S_ln", "P_ln"), ("P_ln", "S_ln")],
        move_rate=[0.8, 0.4, 0.05, 0.2],
        spawns=[("S_ln", "R_ln")],
        spawn_rate=[0.02],
    )
    kw = {"times_days": [2.0, 6.0], "n_runs": 4000}
    fast = simulate_network(net, algorithm=KendallLeap(exact_below=20), rng=11, **kw)
    ref = simulate_network(net, algorithm=ExactSSA(), rng=12, **kw)
    for i in range(net.n_types):
        _two_sample(fast.counts[:, 1, i], ref.counts[:, 1, i], n_tests=net.n_types + 1)
    _two_sample(fast.counts[:, 1].sum(1), ref.counts[:, 1].sum(1), n_tests=net.n_types + 1)


@pytest.mark.parametrize("algorithm", ALGORITHMS, ids=ALG_IDS)
def test_resistance_present_before_treatment(algorithm):
    """reference/kendall.md: b = 1, d = 0.5, u·n = 1e-4, grown from one cell until the total
    reaches M = 1e4.  A Monte Carlo of 20,000 exact runs gave P(no resistant cell) =
    0.2558 ± 0.0031 and E[R] = 15.86 ± 1.03.  We run 12,000 starts (about 6,000 reach M) and
    require |z| <= 4 for both, the z combining both Monte Carlo errors.  The total at the stop
    must be exactly M (the stop is exact)."""
    u = 1e-4
    net = Network(
        types=("S", "R"),
        initial=(1, 0),
        birth=[1 - u, 1.0],
        death=0.5,
        spawns=[("S", "R")],
        spawn_rate=[u],
    )
    res = simulate_network(
        net,
        times_days=[0.0, 400.0],
        n_runs=12_000,
        rng=2558,
        stop=StopCondition(total_at_least=10_000),
        algorithm=algorithm,
    )
    reached = res.status == 2
    assert np.all(res.stop_counts[reached].sum(1) == 10_000)
    r = res.stop_counts[reached, 1].astype(float)
    n = r.size
    p0 = (r == 0).mean()
    z_p0 = (p0 - 0.2558) / np.hypot(np.sqrt(p0 * (1 - p0) / n), 0.0031)
    z_er = (r.mean() - 15.86) / np.hypot(r.std(ddof=1) / np.sqrt(n), 1.03)
    assert abs(z_p0) <= 4, (p0, n)
    assert abs(z_er) <= 4, (r.mean(), n)
    # the rest went extinct: eventual extinction probability d/b = 0.5 (binomial, |z| <= 4)
    assert abs((res.status == 1).mean() - 0.5) <= 4 * np.sqrt(0.25 / res.n_runs)


def test_continuous_rates_match_fine_piecewise_constant_reference():
    """Death rate rising linearly from 0.1 to 1.5 per day over 4 days (birth 0.6), with
    migration and a spawn: KendallLeap on the continuous (linear) rates against ExactSSA on a
    100-piece piecewise-constant version (midpoint values; its own discretisation error is
    O(1e-4) in the mean, far below the test's resolution).  4,000 runs each."""
    t_end = 4.0
    kn = np.array([0.0, t_end])
    death_lin = np.array([[0.1, 0.2], [1.5, 0.2]])
    common = dict(
        types=("A", "B"),
        initial=(300, 0),
        moves=[("A", "B")],
        move_rate=[0.3],
        spawns=[("A", "B")],
        spawn_rate=[0.05],
    )
    cont = Network(birth=[0.6, 0.1], death=death_lin, knots_days=kn, **common)
    edges = np.linspace(0, t_end, 101)
    mids = 0.5 * (edges[1:] + edges[:-1])
    rows = np.stack([0.1 + (1.5 - 0.1) * mids / t_end, np.full(100, 0.2)], axis=1)
    knots, vals = piecewise_constant(edges[1:-1], rows)
    fine = Network(birth=[0.6, 0.1], death=vals, knots_days=knots, **common)
    fast = simulate_network(
        cont, times_days=[t_end], n_runs=4000, rng=5, algorithm=KendallLeap(exact_below=50)
    )
    ref = simulate_network(fine, times_days=[t_end], n_runs=4000, rng=6, algorithm=ExactSSA())
    for i in range(2):
        _two_sample(fast.counts[:, 0, i], ref.counts[:, 0, i], n_tests=2)


@pytest.mark.parametrize("algorithm", ALGORITHMS, ids=ALG_IDS)
def test_immigration_death_mean_and_variance(algorithm):
    """Inflow 5 cells per event at 2 events/day, death 0.3/day, from 0: the count at t is
    compound Poisson with mean 5·2·(1 - e^{-0.3 t})/0.3 and variance 2·E[K²]·(1 - e^{-0.6 t})/0.6
    with K ~ Binomial(5, ·) thinned over time — we check the mean (4 SE) at n = 10,000 and the
    exact variance formula Var = ∫ 2·(5p + 20p²) ds, p = e^{-0.3 s}, within 4 standard errors
    of the sample variance (SE from the sample's fourth central moment)."""
    net = Network(types=("X",), initial=(0,), death=0.3, inflow=2.0, inflow_size=5)
    t = 6.0
    res = simulate_network(net, times_days=[t], n_runs=10_000, rng=3, algorithm=algorithm)
    x = res.counts[:, 0, 0].astype(float)
    mean = 10 * (1 - np.exp(-0.3 * t)) / 0.3
    var = 2 * (5 * (1 - np.exp(-0.3 * t)) / 0.3 + 20 * (1 - np.exp(-0.6 * t)) / 0.6)
    assert abs(x.mean() - mean) < 4 * np.sqrt(var / x.size)
    m4 = np.mean((x - x.mean()) ** 4)
    se_var = np.sqrt((m4 - x.var() ** 2) / x.size)
    assert abs(x.var(ddof=1) - var) < 4 * se_var
