"""KendallLeap: exact whole-clone leaps plus exact event-by-event simulation of small counts.

Within one sub-step [t, te] (rates are linear there):

1. Every type that has at least ``exact_below`` cells, or has no outgoing move or spawn in
   this step, is *leapt*: its own birth–death process (birth; death plus moves out) jumps to
   ``te`` in one exact draw (``kendall.sample_leap``).
2. Each outgoing edge of a leapt type emits a Poisson number of cells with mean
   ``int r_e(s) N(s) ds``, ``N`` the geometric bridge between the leap's end points.  Up to
   ``max_arrivals`` emissions per edge are placed at their own times (drawn from that
   intensity by rejection) and join the exact simulation as single cells; more arrive as one
   batch at the intensity-weighted mean time and are leapt from there (the one
   approximation, for frequent flows between large types).  Inflow works the same way.
3. All other cells (small types with outgoing edges, and every arrival) are simulated event
   by event (direct method; thinning against the step's rate bounds for time-varying rates).
4. The parts are summed at ``te``.

A stop at a total shrinks the sub-steps so that the total cannot reach the limit inside a
leap (8 standard deviations of margin); once a leap would save fewer than 64 events, the
counted types are simulated event by event and the stop is exact.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from cllsim.engine.arrivals import emit, sort_arrivals
from cllsim.engine.direct import simulate_direct
from cllsim.engine.events import apply_events, reached_total, substep_end
from cllsim.engine.kendall import (
    draw_leap,
    extinction_time,
    leap_part,
    leap_probabilities,
    linear_integrals,
)
from cllsim.engine.moves import edges_by_source, expm_stochastic, move_components
from cllsim.engine.rates import rates_on_grid

__all__ = ["run_block"]


@nb.njit(cache=True)
def _substep(
    rng, x, t, te, rates, graph, work, forced, exact_below, max_arrivals, stop_total, stop_mask,
    extinction_possible,
):  # fmt: skip
    """Advance ``x`` (int64[n], in place) from ``t`` to ``te``; returns (status, stop time)."""
    b0, b1, d0, d1, m0, m1, s0, s1, in0, in1 = rates
    (
        isize,
        mdst,
        sdst,
        m_ptr,
        m_idx,
        s_ptr,
        s_idx,
        comp_ptr,
        comp_members,
        comp_local,
    ) = graph
    (
        arrived,
        xs,
        xl,
        y,
        batch,
        leapt,
        mover,
        cache_sub,
        cache_prob,
        cache_ok,
        cache_new,
        expm_work,
        arr_t,
        arr_i,
        arr_c,
        ub,
    ) = work
    n = x.shape[0]
    h = te - t
    hm = 0.5 * h
    k = 0
    any_mover = False
    for i in range(n):
        xs[i] = x[i]
        y[i] = 0
        xl[i] = 0
        batch[i] = 0
        arrived[i] = 0.0  # cells arriving in leapt type i at mid-step (move half of the splitting)
        has_move = False
        for p in range(m_ptr[i], m_ptr[i + 1]):
            if m0[m_idx[p]] > 0.0 or m1[m_idx[p]] > 0.0:
                has_move = True
        has_spawn = False
        for p in range(s_ptr[i], s_ptr[i + 1]):
            if s0[s_idx[p]] > 0.0 or s1[s_idx[p]] > 0.0:
                has_spawn = True
        leapt[i] = (
            x[i] > 0 and not forced[i] and (x[i] >= exact_below or not (has_move or has_spawn))
        )
        mover[i] = leapt[i] and has_move
        any_mover = any_mover or mover[i]
        if not leapt[i]:
            y[i] = x[i]
        elif mover[i]:
            xl[i] = leap_part(rng, x[i], b0[i], b1[i], d0[i], d1[i], 0.0, 0.5, h)
        else:
            xl[i] = leap_part(rng, x[i], b0[i], b1[i], d0[i], d1[i], 0.0, 1.0, h)
    if any_mover:
        # Strang splitting for leapt types that move: birth-death over the first half, every
        # cell relocated by the exact pure-move chain over h (P = expm(M h), M at mid-step),
        # birth-death over the second half.  Cells that land in a type simulated event by
        # event join it at mid-step.
        # one small matrix exponential per connected component of the move graph
        for ci in range(comp_ptr.shape[0] - 1):
            lo, hi = comp_ptr[ci], comp_ptr[ci + 1]
            size = hi - lo
            active = False
            for q in range(lo, hi):
                active = active or mover[comp_members[q]]
            if not active or size < 2:
                continue
            sub = cache_new[ci]
            for a in range(size):
                for c in range(size):
                    sub[a, c] = 0.0
            for q in range(lo, hi):
                i = comp_members[q]
                if mover[i]:
                    for p in range(m_ptr[i], m_ptr[i + 1]):
                        e = m_idx[p]
                        r = 0.5 * (m0[e] + m1[e]) * h
                        sub[q - lo, comp_local[mdst[e]]] += r
                        sub[q - lo, q - lo] -= r
            same = cache_ok[ci]
            if same:
                for a in range(size):
                    for c in range(size):
                        if cache_sub[ci, a, c] != sub[a, c]:
                            same = False
            prob = cache_prob[ci]
            if not same:  # else: same rates, same step, same movers: same transition matrix
                expm_stochastic(sub, size, prob, expm_work)
                for a in range(size):
                    for c in range(size):
                        cache_sub[ci, a, c] = sub[a, c]
                cache_ok[ci] = True
            for q in range(lo, hi):
                i = comp_members[q]
                if not mover[i]:
                    continue
                left = xl[i]
                xl[i] = 0
                p_left = 1.0
                last = lo
                for qq in range(lo, hi):
                    if prob[q - lo, qq - lo] > 0.0:
                        last = qq
                for qq in range(lo, hi):
                    if left == 0:
                        break
                    j = comp_members[qq]
                    pj = max(prob[q - lo, qq - lo], 0.0)
                    # sequential binomials; the last reachable type takes the rest exactly
                    if qq == last or pj >= p_left:
                        c = left
                    else:
                        c = rng.binomial(left, pj / p_left)
                    left -= c
                    p_left -= pj
                    if c == 0:
                        continue
                    if leapt[j] or c >= exact_below:
                        # a large batch landing in an empty or small type is leapt from
                        # mid-step like the cells that stayed (no event-by-event simulation)
                        arrived[j] += c
                    else:
                        arr_t[k] = t + hm
                        arr_i[k] = j
                        arr_c[k] = c
                        k += 1
        for j in range(n):
            if arrived[j] > 0 or (leapt[j] and mover[j]):
                xl[j] += leap_part(
                    rng, np.int64(arrived[j]), b0[j], b1[j], d0[j], d1[j], 0.5, 1.0, h
                )
    for i in range(n):
        if not leapt[i]:
            continue
        # spawns leave as Poisson arrivals following the population, interpolated
        # geometrically between the step's end points
        q1 = np.log(xl[i] / xs[i]) / h if xl[i] > 0 else (b0[i] - d0[i])
        for p in range(s_ptr[i], s_ptr[i + 1]):
            e = s_idx[p]
            if s0[e] > 0.0 or s1[e] > 0.0:
                k = emit(
                    rng,
                    k,
                    xs[i],
                    s0[e],
                    s1[e],
                    q1,
                    0.0,
                    t,
                    h,
                    sdst[e],
                    1,
                    max_arrivals,
                    arr_t,
                    arr_i,
                    arr_c,
                    b0,
                    b1,
                    d0,
                    d1,
                    batch,
                )
    for j in range(n):
        if in0[j] > 0.0 or in1[j] > 0.0:
            k = emit(
                rng,
                k,
                1.0,
                in0[j],
                in1[j],
                0.0,
                0.0,
                t,
                h,
                j,
                isize[j],
                max_arrivals,
                arr_t,
                arr_i,
                arr_c,
                b0,
                b1,
                d0,
                d1,
                batch,
            )
    sort_arrivals(arr_t, arr_i, arr_c, k)
    check_total = False
    if stop_total > 0:
        check_total = True
        for i in range(n):
            if stop_mask[i] and leapt[i]:
                check_total = False
    status, t_event = 0, t
    if k > 0 or y.sum() > 0:  # nothing to simulate event by event otherwise
        status, t_event = simulate_direct(
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
        )
    if status == 2:
        # Stopped inside the step: leapt types are drawn afresh at the stop time from their
        # birth-death law (independent of the few cells they exchanged before it).
        hs = t_event - t
        ws = hs / h
        for i in range(n):
            if leapt[i]:
                xl[i] = leap_part(rng, xs[i], b0[i], b1[i], d0[i], d1[i], 0.0, ws, h)
    total = 0
    for i in range(n):
        x[i] = xl[i] + y[i] + batch[i]
        total += x[i]
    if status == 2:
        return 2, t_event
    if extinction_possible and total == 0:
        t_ext = t_event
        for i in range(n):
            if leapt[i] and xs[i] > 0:
                t_ext = max(t_ext, t + extinction_time(rng, xs[i], b0[i], b1[i], d0[i], d1[i], h))
        return 1, t_ext
    return 0, te


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
    max_step,
    exact_below,
    max_arrivals,
    max_move_fraction,
    max_commutator,
    out_counts,
    out_status,
    out_stop_time,
    out_stop_counts,
    out_events,
):
    """Simulate ``out_counts.shape[0]`` runs with KendallLeap; fill the ``out_*`` arrays.

    Same arrays as :func:`cllsim.engine.reference.run_block`, plus the algorithm options
    (``max_step`` is already applied to the grid).  Outputs: counts int64[R, T, n],
    status int8[R], stop time float64[R], counts at stop int64[R, n].
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
    m_ptr, m_idx = edges_by_source(msrc, n)
    s_ptr, s_idx = edges_by_source(ssrc, n)
    comp_ptr, comp_members, comp_local = move_components(msrc, mdst, n)
    n_comp = comp_ptr.shape[0] - 1
    big = 1
    for ci in range(n_comp):
        big = max(big, comp_ptr[ci + 1] - comp_ptr[ci])
    cache_sub = np.zeros((n_comp, big, big))
    cache_prob = np.zeros((n_comp, big, big))
    cache_ok = np.zeros(n_comp, dtype=np.bool_)
    cache_new = np.zeros((n_comp, big, big))
    expm_work = np.zeros((3, big, big))
    # per grid step: the largest total move rate out of any type (bounds the splitting step)
    move_max = np.zeros(n_steps)
    for g in range(n_steps):
        gr = g if vary else 0
        for i in range(n):
            r = 0.0
            for p in range(m_ptr[i], m_ptr[i + 1]):
                r += max(m_s[gr, m_idx[p]], m_e[gr, m_idx[p]])
            move_max[g] = max(move_max[g], r)
    # and the largest move rate x difference of net growth across a move edge: the size of
    # the commutator that makes the splitting inexact (0 when both ends grow alike)
    comm_max = np.zeros(n_steps)
    for g in range(n_steps):
        gr = g if vary else 0
        for e in range(nm):
            i, j = msrc[e], mdst[e]
            dl = max(
                abs((b_s[gr, i] - d_s[gr, i]) - (b_s[gr, j] - d_s[gr, j])),
                abs((b_e[gr, i] - d_e[gr, i]) - (b_e[gr, j] - d_e[gr, j])),
            )
            comm_max[g] = max(comm_max[g], max(m_s[gr, e], m_e[gr, e]) * dl)
    # grid steps in which no type moves, spawns or receives inflow: every type is a lone
    # birth-death process and is leapt directly (no event-by-event part to set up)
    lone = np.ones(n_steps, dtype=np.bool_)
    for g in range(n_steps):
        gr = g if vary else 0
        for e in range(nm):
            if m_s[gr, e] > 0.0 or m_e[gr, e] > 0.0:
                lone[g] = False
        for e in range(ns):
            if s_s[gr, e] > 0.0 or s_e[gr, e] > 0.0:
                lone[g] = False
        for i in range(n):
            if i_s[gr, i] > 0.0 or i_e[gr, i] > 0.0:
                lone[g] = False
    # the leap probabilities of lone steps are the same for every run: compute them once
    lone_surv = np.ones((n_steps, n))
    lone_nb = np.ones((n_steps, n))
    for g in range(n_steps):
        gr = g if vary else 0
        if (
            lone[g]
            and g > 0
            and lone[g - 1]
            and not vary
            and (grid[g + 1] - grid[g] == grid[g] - grid[g - 1])
        ):
            lone_surv[g] = lone_surv[g - 1]  # same rates, same step length: same law
            lone_nb[g] = lone_nb[g - 1]
        elif lone[g]:
            for i in range(n):
                rho, big_j, big_b = linear_integrals(
                    b_s[gr, i], b_e[gr, i], d_s[gr, i], d_e[gr, i], grid[g + 1] - grid[g]
                )
                lone_surv[g, i], lone_nb[g, i] = leap_probabilities(rho, big_j, big_b)
    has_inflow = False
    for v in inflow.ravel():
        if v > 0:
            has_inflow = True
    extinction_possible = stop_extinct and not has_inflow
    cap = (nm + ns + n) * max_arrivals + 1
    arr_t = np.empty(cap)
    arr_i = np.empty(cap, dtype=np.int64)
    arr_c = np.empty(cap, dtype=np.int64)
    work = np.empty((9, n))
    b0, b1, d0, d1, in0, in1, arrived, ub, hi = (
        work[0],
        work[1],
        work[2],
        work[3],
        work[4],
        work[5],
        work[6],
        work[7],
        work[8],
    )
    m0 = np.empty(nm)
    m1 = np.empty(nm)
    s0 = np.empty(ns)
    s1 = np.empty(ns)
    xs = np.empty(n, dtype=np.int64)
    xl = np.empty(n, dtype=np.int64)
    y = np.empty(n, dtype=np.int64)
    batch = np.empty(n, dtype=np.int64)
    leapt = np.empty(n, dtype=np.bool_)
    mover = np.empty(n, dtype=np.bool_)
    forced = np.zeros(n, dtype=np.bool_)
    lo = np.empty(n)
    rates = (b0, b1, d0, d1, m0, m1, s0, s1, in0, in1)
    graph = (
        isize,
        mdst,
        sdst,
        m_ptr,
        m_idx,
        s_ptr,
        s_idx,
        comp_ptr,
        comp_members,
        comp_local,
    )
    work = (
        arrived,
        xs,
        xl,
        y,
        batch,
        leapt,
        mover,
        cache_sub,
        cache_prob,
        cache_ok,
        cache_new,
        expm_work,
        arr_t,
        arr_i,
        arr_c,
        ub,
    )
    for r in range(out_counts.shape[0]):
        x = x0.copy()
        status = 0
        t_stop = np.nan
        apply_events(rng, x, 0, ev_ptr, ev_type, ev_action, ev_value)
        if reached_total(x, stop_total, stop_mask):
            status, t_stop = 2, grid[0]
        elif extinction_possible and x.sum() == 0:
            status, t_stop = 1, grid[0]
        if record_at[0] >= 0:
            out_counts[r, record_at[0], :] = x
        for g in range(n_steps):
            gr = g if vary else 0
            ta = grid[g]
            tb = grid[g + 1]
            span = tb - ta
            t = ta
            if status == 0 and lone[g] and stop_total <= 0:
                total = 0
                for i in range(n):
                    xs[i] = x[i]
                    x[i] = draw_leap(rng, x[i], lone_surv[g, i], lone_nb[g, i])
                    total += x[i]
                if extinction_possible and total == 0:
                    status, t_stop = 1, ta
                    for i in range(n):
                        if xs[i] > 0:
                            t_ext = extinction_time(
                                rng, xs[i], b_s[gr, i], b_e[gr, i], d_s[gr, i], d_e[gr, i], span
                            )
                            t_stop = max(t_stop, ta + t_ext)
                t = tb
            while status == 0 and t < tb:
                te = tb
                if move_max[g] > 0.0:
                    # at most max_move_fraction of a type's cells move per step, unless the
                    # commutator is so small that a longer step keeps h^2 * comm <= bound
                    h_move = max_move_fraction / move_max[g]
                    h_comm = np.sqrt(max_commutator / comm_max[g]) if comm_max[g] > 0.0 else np.inf
                    te = min(tb, t + max(h_move, h_comm))
                force = False
                if stop_total > 0:
                    for i in range(n):
                        hi[i] = max(b_s[gr, i], b_e[gr, i])
                        lo[i] = min(d_s[gr, i], d_e[gr, i])
                        ub[i] = max(d_s[gr, i], d_e[gr, i])
                        in1[i] = max(i_s[gr, i], i_e[gr, i])
                    for e in range(nm):
                        m1[e] = max(m_s[gr, e], m_e[gr, e])
                    for e in range(ns):
                        s1[e] = max(s_s[gr, e], s_e[gr, e])
                    te, force = substep_end(
                        x,
                        t,
                        te,
                        hi,
                        lo,
                        ub,
                        in1,
                        isize,
                        msrc,
                        mdst,
                        m1,
                        ssrc,
                        sdst,
                        s1,
                        stop_mask,
                        stop_total,
                    )
                ws = (t - ta) / span
                we = (te - ta) / span
                for i in range(n):
                    b0[i] = b_s[gr, i] + ws * (b_e[gr, i] - b_s[gr, i])
                    b1[i] = b_s[gr, i] + we * (b_e[gr, i] - b_s[gr, i])
                    d0[i] = d_s[gr, i] + ws * (d_e[gr, i] - d_s[gr, i])
                    d1[i] = d_s[gr, i] + we * (d_e[gr, i] - d_s[gr, i])
                    in0[i] = i_s[gr, i] + ws * (i_e[gr, i] - i_s[gr, i])
                    in1[i] = i_s[gr, i] + we * (i_e[gr, i] - i_s[gr, i])
                    forced[i] = force and stop_mask[i]
                for e in range(nm):
                    m0[e] = m_s[gr, e] + ws * (m_e[gr, e] - m_s[gr, e])
                    m1[e] = m_s[gr, e] + we * (m_e[gr, e] - m_s[gr, e])
                for e in range(ns):
                    s0[e] = s_s[gr, e] + ws * (s_e[gr, e] - s_s[gr, e])
                    s1[e] = s_s[gr, e] + we * (s_e[gr, e] - s_s[gr, e])
                status, t_stop = _substep(
                    rng, x, t, te, rates, graph, work, forced, exact_below, max_arrivals,
                    stop_total, stop_mask, extinction_possible,
                )  # fmt: skip
                if status == 0:
                    t_stop = np.nan
                    if reached_total(x, stop_total, stop_mask):
                        status, t_stop = 2, te
                t = te
            if status == 0:
                apply_events(rng, x, g + 1, ev_ptr, ev_type, ev_action, ev_value)
                if reached_total(x, stop_total, stop_mask):
                    status, t_stop = 2, tb
                elif extinction_possible and x.sum() == 0:
                    status, t_stop = 1, tb
            if record_at[g + 1] >= 0:
                out_counts[r, record_at[g + 1], :] = x
        out_status[r] = status
        out_stop_time[r] = t_stop
        out_stop_counts[r, :] = x
        out_events[r] = -1  # leaps have no event count
