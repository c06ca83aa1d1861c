"""The event-by-event part of KendallLeap: direct method with thinning over one step, for the
cells of small types and every arriving cell."""

from __future__ import annotations

import numba as nb
import numpy as np

from cllsim.engine.events import reached_total

__all__ = ["simulate_direct"]


@nb.njit(cache=True, inline="always")
def _add(act, na, j):
    """Insert type ``j`` into the sorted active list ``act[:na]``; returns the new length."""
    q = na
    while q > 0 and act[q - 1] > j:
        act[q] = act[q - 1]
        q -= 1
    act[q] = j
    return na + 1


@nb.njit(cache=True, inline="always")
def _drop(act, na, j):
    """Remove type ``j`` from the sorted active list ``act[:na]``; returns the new length."""
    q = 0
    while act[q] != j:
        q += 1
    for r in range(q, na - 1):
        act[r] = act[r + 1]
    return na - 1


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
    act,
    check_total,
    stop_total,
    stop_mask,
):
    """Direct-method simulation of the cells in ``y`` over [t, te] with scheduled arrivals.

    Rates are linear in time over [t, te]; candidates arrive at the per-cell bound ``ub`` and
    are thinned to the actual rates.  Returns (status, time): status 2 when the masked total
    reached ``stop_total`` (only checked when ``check_total``), else 0 with the time of the
    last event.

    Sums over types run over the types holding cells only (``act``, int64[n] scratch: their
    indices in increasing order), which adds the same terms in the same order as a sum over
    every type (a term 0.0 leaves a sum unchanged): the same numbers, in a fraction of the
    time when a small clone occupies a few of many types.
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
    na = 0
    for i in range(n):
        if y[i] > 0:
            act[na] = i
            na += 1
    nxt = 0
    t_last = t0
    while True:
        total = 0.0
        for q in range(na):
            total += y[act[q]] * ub[act[q]]
        t_arr = arr_t[nxt] if nxt < k else np.inf
        tn = t + rng.exponential(1.0 / total) if total > 0.0 else np.inf
        if t_arr <= tn and t_arr < te:
            t = t_arr
            j = arr_i[nxt]
            if y[j] == 0 and arr_c[nxt] > 0:
                na = _add(act, na, j)
            y[j] += arr_c[nxt]
            nxt += 1
            if check_total and reached_total(y, stop_total, stop_mask):
                return 2, t
            continue
        if tn >= te:
            break
        t = tn
        u = rng.random() * total
        cum = 0.0
        i = act[na - 1]
        for q in range(na):
            j = act[q]
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
            if y[i] == 0:
                na = _drop(act, na, i)
            t_last = t
            continue
        v -= r
        fired = False
        for p in range(m_ptr[i], m_ptr[i + 1]):
            e = m_idx[p]
            r = m0[e] + w * (m1[e] - m0[e])
            if v < r:
                y[i] -= 1
                if y[i] == 0:
                    na = _drop(act, na, i)
                if y[mdst[e]] == 0:
                    na = _add(act, na, mdst[e])
                y[mdst[e]] += 1
                fired = True
                break
            v -= r
        if not fired:
            for p in range(s_ptr[i], s_ptr[i + 1]):
                e = s_idx[p]
                r = s0[e] + w * (s1[e] - s0[e])
                if v < r:
                    if y[sdst[e]] == 0:
                        na = _add(act, na, sdst[e])
                    y[sdst[e]] += 1
                    fired = True
                    break
                v -= r
        if fired:
            t_last = t
            if check_total and reached_total(y, stop_total, stop_mask):
                return 2, t
    return 0, t_last
