"""Cells arriving during a KendallLeap step: Poisson emissions following a population,
their arrival times, and batches leapt from their mean arrival time."""

from __future__ import annotations

import numba as nb
import numpy as np

from cllsim.engine.kendall import (
    linear_integrals,
    sample_leap,
    weighted_exp_integral,
    weighted_exp_mean_time,
)

__all__ = ["arrival_time", "batch_arrival", "emissions", "sort_arrivals"]


@nb.njit(cache=True)
def arrival_time(rng, r0, r1, q1, q2, h):
    """A time in [0, h] with density proportional to r(s) e^{q1 s + q2 s^2} (rejection)."""
    qmax = max(0.0, q1 * h + q2 * h * h)
    if q2 < 0.0:
        sv = -q1 / (2.0 * q2)
        if 0.0 < sv < h:
            qmax = max(qmax, q1 * sv + q2 * sv * sv)
    bound = max(r0, r1)
    while True:
        s = h * rng.random()
        f = (r0 + (r1 - r0) * s / h) * np.exp(q1 * s + q2 * s * s - qmax)
        if rng.random() * bound < f:
            return s


@nb.njit(cache=True)
def sort_arrivals(t, i, c, k):
    for a in range(1, k):
        tv, iv, cv = t[a], i[a], c[a]
        b = a - 1
        while b >= 0 and t[b] > tv:
            t[b + 1], i[b + 1], c[b + 1] = t[b], i[b], c[b]
            b -= 1
        t[b + 1], i[b + 1], c[b + 1] = tv, iv, cv


@nb.njit(cache=True)
def emissions(rng, x_src, r0, r1, q1, q2, h):
    """Number of Poisson emissions over [0, h] with intensity ``x_src * r(s) * e^{q1 s + q2 s^2}``
    (``r`` linear from ``r0`` to ``r1``)."""
    lam = x_src * weighted_exp_integral(r0, r1, q1, q2, h)
    if not lam > 0.0:
        return 0
    return rng.poisson(lam)


@nb.njit(cache=True)
def batch_arrival(rng, cells, r0, r1, q1, q2, h, b0, b1, d0, d1):
    """``cells`` that arrived together at the intensity-weighted mean time, leapt to ``h`` with
    the destination's birth (b0..b1) and death (d0..d1) rates over the step: a batch stays
    where it arrived until the step ends (it neither moves on nor spawns within the step)."""
    tbar = weighted_exp_mean_time(r0, r1, q1, q2, h)
    w = tbar / h
    rest = h - tbar
    if rest <= 0.0:
        return np.int64(cells)
    rho, big_j, big_b = linear_integrals(b0 + w * (b1 - b0), b1, d0 + w * (d1 - d0), d1, rest)
    return sample_leap(rng, np.int64(cells), rho, big_j, big_b)
