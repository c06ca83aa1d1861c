"""Continuing a run from counts at a later day (``simulate_network(start_day=...)``)."""

from __future__ import annotations

import numpy as np
import pytest

from cllsim.engine import ExactSSA, KendallLeap, Network, simulate_network
from cllsim.engine.kendall import kendall_mean, kendall_variance
from cllsim.engine.network import piecewise_constant
from cllsim.errors import SpecError

# birth 1.0/d, death 0.2/d before day 5; birth 0.3/d, death 0.5/d from day 5 on
KNOTS, ROWS = piecewise_constant([5.0], [[1.0, 0.2], [0.3, 0.5]])


def _net(n0: int) -> Network:
    return Network(
        types=("A",), initial=[n0], birth=ROWS[:, :1], death=ROWS[:, 1:], knots_days=KNOTS
    )


@pytest.mark.parametrize("algorithm", [KendallLeap(), ExactSSA()], ids=["leap", "ssa"])
def test_start_day_reads_the_rates_in_force_then(algorithm):
    """From 200 cells at day 5, the count at day 8 follows the post-day-5 law (b=0.3, d=0.5):
    mean within 4 SE at n = 4,000 runs (the pre-day-5 rates would give 20x more cells)."""
    n, n0, dt = 4000, 200, 3.0
    res = simulate_network(
        _net(n0), times_days=[5.0, 8.0], n_runs=n, rng=11, algorithm=algorithm, start_day=5.0
    )
    assert np.all(res.counts[:, 0, 0] == n0)
    mean = n0 * float(kendall_mean(0.3, 0.5, dt))
    sd = np.sqrt(n0 * float(kendall_variance(0.3, 0.5, dt)))
    z = (res.counts[:, 1, 0].mean() - mean) / (sd / np.sqrt(n))
    assert abs(z) <= 4.0, z


def test_records_before_start_day_are_refused():
    with pytest.raises(SpecError, match="start_day"):
        simulate_network(_net(10), times_days=[1.0, 8.0], rng=1, start_day=5.0)
