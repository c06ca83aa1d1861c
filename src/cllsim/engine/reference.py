"""The reference: Gillespie's direct method, one event at a time (numba kernel).

Kept slow and plain on purpose (STYLE §5): every birth, death, move, spawn and inflow is one
event; all propensities are recomputed after every event.  A rate that varies in time is
handled by thinning (Lewis & Shedler 1979): candidate events arrive at the rate of the
propensities' upper bounds over the current grid step (rates are linear within a step, so the
bound is the larger end point) and are accepted with probability actual / bound, which is
exact.  The fast engine (``leap.py``) is tested against this kernel.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from cllsim.engine.events import apply_events, reached_total
from cllsim.engine.rates import rates_on_grid

__all__ = ["run_block"]


@nb.njit(cache=True)
def _record(out_counts, r, row, x):
    if row >= 0:
        out_counts[r, row, :] = x


@nb.njit(cache=True, nogil=True)
def run_block(
    rng,
    knots,
    birth,
    death,
    msrc,
    mdst,
    mrate,
    ssrc,
    sdst,
    srate,
    inflow,
    isize,
    x0,
    grid,
    record_at,
    ev_ptr,
    ev_type,
    ev_action,
    ev_value,
    stop_total,
    stop_mask,
    stop_extinct,
    max_events,
    out_counts,
    out_status,
    out_stop_time,
    out_stop_counts,
    out_events,
):
    """Simulate ``out_counts.shape[0]`` runs event by event; fill the ``out_*`` arrays.

    Parameters are the flat arrays of :class:`cllsim.engine.network.Network` (rates
    float64[m, k] at ``knots``), the step grid float64[G] with ``record_at`` int64[G]
    (record row or -1), count events in CSR form over grid points, the stop condition, and
    ``max_events`` per run (status 3 when exhausted).  Outputs: counts int64[R, T, n],
    status int8[R], stop time float64[R], counts at stop int64[R, n], events int64[R].
    """
    n = x0.shape[0]
    nm = msrc.shape[0]
    ns = ssrc.shape[0]
    n_steps = grid.shape[0] - 1
    b_s, b_e = rates_on_grid(knots, birth, grid)
    d_s, d_e = rates_on_grid(knots, death, grid)
    m_s, m_e = rates_on_grid(knots, mrate, grid)
    s_s, s_e = rates_on_grid(knots, srate, grid)
    i_s, i_e = rates_on_grid(knots, inflow, grid)
    vary = knots.shape[0] > 1  # constant rates: one row of rates for every step
    has_inflow = False
    for v in inflow.ravel():
        if v > 0:
            has_inflow = True
    n_reac = 3 * n + nm + ns
    bound = np.empty(n_reac)
    for r in range(out_counts.shape[0]):
        x = x0.copy()
        status = 0
        t_stop = np.nan
        n_events = 0
        apply_events(rng, x, 0, ev_ptr, ev_type, ev_action, ev_value)
        if reached_total(x, stop_total, stop_mask):
            status, t_stop = 2, grid[0]
        elif stop_extinct and not has_inflow and x.sum() == 0:
            status, t_stop = 1, grid[0]
        _record(out_counts, r, record_at[0], x)
        for g in range(n_steps):
            gr = g if vary else 0
            ta = grid[g]
            tb = grid[g + 1]
            t = ta
            while status == 0:
                # upper bounds of every propensity until tb (state fixed until the next event)
                total = 0.0
                for i in range(n):
                    bound[i] = max(b_s[gr, i], b_e[gr, i]) * x[i]
                    bound[n + i] = max(d_s[gr, i], d_e[gr, i]) * x[i]
                    bound[2 * n + i] = max(i_s[gr, i], i_e[gr, i])
                for e in range(nm):
                    bound[3 * n + e] = max(m_s[gr, e], m_e[gr, e]) * x[msrc[e]]
                for e in range(ns):
                    bound[3 * n + nm + e] = max(s_s[gr, e], s_e[gr, e]) * x[ssrc[e]]
                for j in range(n_reac):
                    total += bound[j]
                if total <= 0.0:
                    break
                t += rng.exponential(1.0 / total)
                if t >= tb:
                    break
                w = (t - ta) / (tb - ta)
                u = rng.random() * total
                cum = 0.0
                fired = -1
                for j in range(n_reac):
                    cum += bound[j]
                    if u < cum:
                        off = u - (cum - bound[j])
                        if j < n:
                            actual = (b_s[gr, j] + w * (b_e[gr, j] - b_s[gr, j])) * x[j]
                        elif j < 2 * n:
                            i = j - n
                            actual = (d_s[gr, i] + w * (d_e[gr, i] - d_s[gr, i])) * x[i]
                        elif j < 3 * n:
                            i = j - 2 * n
                            actual = i_s[gr, i] + w * (i_e[gr, i] - i_s[gr, i])
                        elif j < 3 * n + nm:
                            e = j - 3 * n
                            actual = (m_s[gr, e] + w * (m_e[gr, e] - m_s[gr, e])) * x[msrc[e]]
                        else:
                            e = j - 3 * n - nm
                            actual = (s_s[gr, e] + w * (s_e[gr, e] - s_s[gr, e])) * x[ssrc[e]]
                        if off < actual:
                            fired = j
                        break
                if fired < 0:
                    continue  # thinned candidate: no event
                n_events += 1
                if fired < n:
                    x[fired] += 1
                elif fired < 2 * n:
                    x[fired - n] -= 1
                elif fired < 3 * n:
                    x[fired - 2 * n] += isize[fired - 2 * n]
                elif fired < 3 * n + nm:
                    e = fired - 3 * n
                    x[msrc[e]] -= 1
                    x[mdst[e]] += 1
                else:
                    x[sdst[fired - 3 * n - nm]] += 1
                if reached_total(x, stop_total, stop_mask):
                    status, t_stop = 2, t
                elif stop_extinct and not has_inflow and x.sum() == 0:
                    status, t_stop = 1, t
                elif n_events >= max_events:
                    status, t_stop = 3, t
            if status == 0:
                apply_events(rng, x, g + 1, ev_ptr, ev_type, ev_action, ev_value)
                if reached_total(x, stop_total, stop_mask):
                    status, t_stop = 2, tb
                elif stop_extinct and not has_inflow and x.sum() == 0:
                    status, t_stop = 1, tb
            _record(out_counts, r, record_at[g + 1], x)
        out_status[r] = status
        out_stop_time[r] = t_stop
        out_stop_counts[r, :] = x
        out_events[r] = n_events
