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

__all__ = ["arrival_time", "emit", "sort_arrivals"]


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


@nb.njit(cache=True, inline="always")
def emit(
    rng,
    k,
    x_src,
    r0,
    r1,
    q1,
    q2,
    t,
    h,
    dst,
    size,
    max_arrivals,
    arr_t,
    arr_i,
    arr_c,
    b0,
    b1,
    d0,
    d1,
    batch,
):
    """Poisson emissions of one edge (or inflow) over [t, t + h]; returns the new arrival count.

    Intensity ``x_src * r(s) * e^{q1 s + q2 s^2}``.  Up to ``max_arrivals`` emissions get their
    own times; more arrive as one batch at the mean time and are leapt to ``t + h`` with the
    destination's birth (b0..b1) and death (d0..d1) rates: a batch stays where it arrived
    until the step ends (it neither moves on nor spawns within the step).
    """
    lam = x_src * weighted_exp_integral(r0, r1, q1, q2, h)
    if not lam > 0.0:
        return k
    a = rng.poisson(lam)
    if a == 0:
        return k
    if a <= max_arrivals:
        for _ in range(a):
            arr_t[k] = t + arrival_time(rng, r0, r1, q1, q2, h)
            arr_i[k] = dst
            arr_c[k] = size
            k += 1
        return k
    tbar = weighted_exp_mean_time(r0, r1, q1, q2, h)
    w = tbar / h
    rest = h - tbar
    if rest <= 0.0:
        batch[dst] += a * size
        return k
    rho, big_j, big_b = linear_integrals(
        b0[dst] + w * (b1[dst] - b0[dst]), b1[dst], d0[dst] + w * (d1[dst] - d0[dst]), d1[dst], rest
    )
    batch[dst] += sample_leap(rng, np.int64(a) * size, rho, big_j, big_b)
    return k
