"""The event-by-event part of KendallLeap: direct method with thinning over one step, for the
cells of small types and every arriving cell."""

from __future__ import annotations

import numba as nb
import numpy as np

from cllsim.engine.events import reached_total

__all__ = ["simulate_direct"]


@nb.njit(cache=True)
def simulate_direct(
    rng,
    y,
    t,
    te,
    b0,
    b1,
    d0,
    d1,
    m0,
    m1,
    s0,
    s1,
    mdst,
    sdst,
    m_ptr,
    m_idx,
    s_ptr,
    s_idx,
    arr_t,
    arr_i,
    arr_c,
    k,
    ub,
    check_total,
    stop_total,
    stop_mask,
):
    """Direct-method simulation of the cells in ``y`` over [t, te] with scheduled arrivals.

    Rates are linear in time over [t, te]; candidates arrive at the per-cell bound ``ub`` and
    are thinned to the actual rates.  Returns (status, time): status 2 when the masked total
    reached ``stop_total`` (only checked when ``check_total``), else 0 with the time of the
    last event.
    """
    n = y.shape[0]
    t0 = t
    h = te - t0
    for i in range(n):
        u = max(b0[i], b1[i]) + max(d0[i], d1[i])
        for p in range(m_ptr[i], m_ptr[i + 1]):
            u += max(m0[m_idx[p]], m1[m_idx[p]])
        for p in range(s_ptr[i], s_ptr[i + 1]):
            u += max(s0[s_idx[p]], s1[s_idx[p]])
        ub[i] = u
    nxt = 0
    t_last = t0
    while True:
        total = 0.0
        for i in range(n):
            total += y[i] * ub[i]
        t_arr = arr_t[nxt] if nxt < k else np.inf
        tn = t + rng.exponential(1.0 / total) if total > 0.0 else np.inf
        if t_arr <= tn and t_arr < te:
            t = t_arr
            y[arr_i[nxt]] += arr_c[nxt]
            nxt += 1
            if check_total and reached_total(y, stop_total, stop_mask):
                return 2, t
            continue
        if tn >= te:
            break
        t = tn
        u = rng.random() * total
        cum = 0.0
        i = n - 1
        for j in range(n):
            cum += y[j] * ub[j]
            if u < cum:
                i = j
                break
        v = (u - (cum - y[i] * ub[i])) / y[i]  # uniform on [0, ub[i])
        w = (t - t0) / h
        r = b0[i] + w * (b1[i] - b0[i])
        if v < r:
            y[i] += 1
            t_last = t
            if check_total and reached_total(y, stop_total, stop_mask):
                return 2, t
            continue
        v -= r
        r = d0[i] + w * (d1[i] - d0[i])
        if v < r:
            y[i] -= 1
            t_last = t
            continue
        v -= r
        fired = False
        for p in range(m_ptr[i], m_ptr[i + 1]):
            e = m_idx[p]
            r = m0[e] + w * (m1[e] - m0[e])
            if v < r:
                y[i] -= 1
                y[mdst[e]] += 1
                fired = True
                break
            v -= r
        if not fired:
            for p in range(s_ptr[i], s_ptr[i + 1]):
                e = s_idx[p]
                r = s0[e] + w * (s1[e] - s0[e])
                if v < r:
                    y[sdst[e]] += 1
                    fired = True
                    break
                v -= r
        if fired:
            t_last = t
            if check_total and reached_total(y, stop_total, stop_mask):
                return 2, t
    return 0, t_last
