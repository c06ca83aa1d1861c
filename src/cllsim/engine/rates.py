"""Piecewise-linear rate tables: evaluation at a time (numba kernels).

A rate table is ``values[m, k]`` at ``knots[m]`` (non-decreasing; a repeated knot is a jump).
Between knots the rate is linear, outside the knots constant.  The step grid of a simulation
contains every knot, so within one step every rate is linear and is fully described by its
right-limit at the step start and its left-limit at the step end.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["rates_at", "rates_on_grid"]


@nb.njit(cache=True)
def rates_at(knots, values, t, right):
    """Row of ``values`` at time ``t``: the right-limit (``right=True``) or the left-limit.

    Parameters
    ----------
    knots : float64[m], values : float64[m, k], t : float (days), right : bool

    Returns
    -------
    float64[k]
    """
    m = knots.shape[0]
    if m == 1:
        return values[0].copy()
    if right:
        k = np.searchsorted(knots, t, side="right")
    else:
        k = np.searchsorted(knots, t, side="left")
    if k == 0:
        return values[0].copy()
    if k >= m:
        return values[m - 1].copy()
    t0 = knots[k - 1]
    t1 = knots[k]
    w = (t - t0) / (t1 - t0)
    return values[k - 1] + w * (values[k] - values[k - 1])


@nb.njit(cache=True)
def rates_on_grid(knots, values, grid):
    """Right-limits at ``grid[:-1]`` and left-limits at ``grid[1:]``.

    Returns
    -------
    start : float64[G-1, k], end : float64[G-1, k]
        Rates at the start and the end of every grid step; with one knot (constant rates)
        a single row each, used for every step (kernels index row ``g if varying else 0``).
    """
    k = values.shape[1]
    if knots.shape[0] == 1:
        return values[:1].copy(), values[:1].copy()
    g = grid.shape[0]
    start = np.empty((max(g - 1, 0), k))
    end = np.empty((max(g - 1, 0), k))
    for i in range(g - 1):
        start[i] = rates_at(knots, values, grid[i], True)
        end[i] = rates_at(knots, values, grid[i + 1], False)
    return start, end
