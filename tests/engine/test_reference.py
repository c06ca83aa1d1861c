"""The reference SSA's event count against the exact expectation (reference/kendall.md)."""

import numpy as np
from scipy.linalg import solve_banded

from cllsim.engine import ExactSSA, KendallLeap, Network, StopCondition, simulate_network


def _expected_events_conditioned(b: float, d: float, n: int) -> float:
    """Exact expected number of events to grow from 1 to ``n`` cells, given that ``n`` is
    reached: the jump chain is a walk up with p = b/(b+d), conditioned (Doob h-transform,
    h(k) = 1 - (q/p)^k) to hit n before 0; E_k = 1 + p'_k E_{k+1} + q'_k E_{k-1}, E_n = 0."""
    p, q = b / (b + d), d / (b + d)
    k = np.arange(0, n + 1, dtype=float)
    h = 1 - (q / p) ** k
    up = p * h[2:] / h[1:-1]  # k = 1..n-1
    down = q * h[:-2] / h[1:-1]
    m = n - 1  # unknowns E_1 .. E_{n-1}
    ab = np.zeros((3, m))
    ab[1] = 1.0
    ab[0, 1:] = -up[:-1]
    ab[2, :-1] = -down[1:]
    e = solve_banded((1, 1), ab, np.ones(m))
    return float(e[0])


def test_event_count_to_reach_n_matches_exact_expectation():
    """b = 1, d = 0.5, from 1 cell until 1,000 cells: reference/kendall.md gives about
    (N - 1)(b + d)/(b - d) = 2,997 events (Wald); the exact expectation for runs that reach N
    is computed by :func:`_expected_events_conditioned`.  4,000 starts (about 2,000 reach N),
    mean within 4 standard errors (SE ~ 3.5 events)."""
    net = Network(types=("X",), initial=(1,), birth=1.0, death=0.5)
    res = simulate_network(
        net, times_days=[0, 100.0], n_runs=4000, rng=29, algorithm=ExactSSA(),
        stop=StopCondition(total_at_least=1000),
    )  # fmt: skip
    ok = res.status == 2
    events = res.n_events[ok].astype(float)
    exact = _expected_events_conditioned(1.0, 0.5, 1000)
    assert abs(exact - 2997) < 10  # Wald's figure is the unconditioned leading term
    assert abs(events.mean() - exact) < 4 * events.std(ddof=1) / np.sqrt(ok.sum())


def test_leap_reports_no_event_count():
    net = Network(types=("X",), initial=(10,), birth=1.0, death=0.5)
    res = simulate_network(net, times_days=[1.0], n_runs=3, rng=1, algorithm=KendallLeap())
    assert np.all(res.n_events == -1)
