"""Rate tables on the step grid: the one-pass merge equals evaluating every grid point."""

import numpy as np

from cllsim.engine.rates import rates_at, rates_on_grid


def test_rates_on_grid_equals_pointwise_limits():
    """Random knots with jumps (repeated knots), a grid reaching beyond both ends: the start
    (right-limit) and end (left-limit) rows are bitwise those of ``rates_at``."""
    rng = np.random.default_rng(0)
    jumps = np.repeat(rng.uniform(0, 100, 20), 2)
    knots = np.sort(np.concatenate([rng.uniform(0, 100, 300), jumps]))
    values = rng.normal(size=(knots.size, 7))
    grid = np.unique(np.concatenate([knots, np.linspace(-5, 105, 400)]))
    start, end = rates_on_grid(knots, values, grid)
    assert np.array_equal(start, [rates_at(knots, values, t, True) for t in grid[:-1]])
    assert np.array_equal(end, [rates_at(knots, values, t, False) for t in grid[1:]])


def test_constant_rates_give_one_row():
    values = np.array([[0.5, 0.2]])
    start, end = rates_on_grid(np.zeros(1), values, np.linspace(0, 3, 4))
    assert start.shape == (1, 2) and np.array_equal(start, values) and np.array_equal(end, values)
