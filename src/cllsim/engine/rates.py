"""Piecewise-linear rate tables: evaluation at a time (numba kernels).

A rate table is ``values[m, k]`` at ``knots[m]`` (non-decreasing; a repeated knot is a jump).
Between knots the rate is linear, outside the knots constant.  The step grid of a simulation
contains every knot, so within one step every rate is linear and is fully described by its
right-limit at the step start and its left-limit at the step end.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["advance_knot", "rate_row", "rates_at", "rates_on_grid"]


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
    # one merge pass over the sorted grid and knots (same values as rates_at, no allocation)
    kr = 0  # searchsorted(knots, t, side="right")
    kl = 0  # searchsorted(knots, t, side="left")
    for i in range(g):
        t = grid[i]
        kr = advance_knot(knots, t, kr, True)
        kl = advance_knot(knots, t, kl, False)
        if i < g - 1:
            rate_row(knots, values, t, kr, start[i])
        if i > 0:
            rate_row(knots, values, t, kl, end[i - 1])
    return start, end


@nb.njit(cache=True, inline="always")
def advance_knot(knots, t, k, right):
    """``searchsorted(knots, t, side="right" if right else "left")``, searching forward from
    ``k`` (a previous answer for an earlier ``t``): one merge pass over a sorted grid."""
    m = knots.shape[0]
    if right:
        while k < m and knots[k] <= t:
            k += 1
    else:
        while k < m and knots[k] < t:
            k += 1
    return k


@nb.njit(cache=True, inline="always")
def rate_row(knots, values, t, kk, out):
    """``out[:] =`` the rate at ``t`` between knots ``kk - 1`` and ``kk`` (constant outside),
    ``kk`` from :func:`advance_knot` (right side: right-limit; left side: left-limit)."""
    m = knots.shape[0]
    if kk == 0:
        out[:] = values[0]
    elif kk >= m:
        out[:] = values[m - 1]
    else:
        t0 = knots[kk - 1]
        w = (t - t0) / (knots[kk] - t0)
        for j in range(out.shape[0]):
            out[j] = values[kk - 1, j] + w * (values[kk, j] - values[kk - 1, j])
