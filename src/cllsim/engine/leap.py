"""KendallLeap: exact whole-clone leaps plus exact event-by-event simulation of small counts.

Within one sub-step [t, te] (rates are linear there):

1. Every type of a move-connected component holding at least ``exact_below`` cells, and
   every type with no outgoing move or spawn in this step, is *leapt*.  One that does not
   move jumps to ``te`` in one exact draw of its birth–death process
   (``kendall.sample_leap``); one that moves goes through the Strang
   splitting: births over half the step, each cell's fate (moved or dead) from the chain of
   moves and deaths over the step (one matrix exponential per component of the move graph),
   births over the second half.  On a step longer than the splitting's own bound
   (``h^2 * commutator > mean_correction_above``) the second half's births are corrected so
   that each mover's expected count at ``te`` is the exact ``x expm((A + B) h)`` (a second
   matrix exponential): the mean is exact, the splitting touches only higher moments.
2. Each spawn edge of a leapt type emits a Poisson number of cells with mean
   ``int r_e(s) N(s) ds``, ``N`` the geometric bridge between the leap's end points.  Up to
   ``max_arrivals`` emissions per edge are placed at their own times (drawn from that
   intensity by rejection) and join the exact simulation as single cells; more, or those
   that land in a leapt type holding at least ``batch_into`` times all the cells so batched
   into it this step, arrive as one batch at the intensity-weighted mean time and are leapt from
   there (an approximation, for frequent spawns and for cells joining a large clone).
   Inflow works the same way, except that it is never batched into a large type.
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

from cllsim.engine.arrivals import arrival_time, batch_arrival, emissions, sort_arrivals
from cllsim.engine.direct import simulate_direct
from cllsim.engine.events import apply_events, reached_total, substep_end
from cllsim.engine.kendall import (
    draw_leap,
    extinction_time,
    leap_part,
    leap_probabilities,
    linear_integrals,
)
from cllsim.engine.moves import edges_by_source, expm_mean, expm_transition, move_components
from cllsim.engine.rates import advance_knot, rate_row

__all__ = ["run_block"]


@nb.njit(cache=True, inline="always")
def relocated(rng, n, p, normal_above):
    """``Binomial(n, p)``; where its variance is at least ``normal_above``, the rounded normal
    with the same mean and variance (clipped to [0, n]), which is 10x cheaper and differs in
    skewness by ``(1 - 2p) / sd <= 1e-3`` at the default 1e6."""
    var = n * p * (1.0 - p)
    if var < normal_above:
        return rng.binomial(n, p)
    c = np.int64(np.rint(rng.normal(n * p, np.sqrt(var))))
    return min(max(c, np.int64(0)), np.int64(n))


@nb.njit(cache=True, inline="always")
def _chain_types(lo, hi, comp_members, comp_local, mover, xl, m_ptr, m_idx, mdst, m0, m1, pos):
    """The types of component ``lo:hi`` in this step's chain: the leapt movers that hold
    cells and every type they reach by moves with a rate this step (transitively through
    movers).  Writes each type's row of the chain into ``pos[q - lo]`` (-1: left out), in
    component order, and returns how many there are.

    The others are left out of the exponential, exactly: their rows would never be read (no
    cell starts there) and no cell can reach their columns, so the exponential of the chain
    restricted to these types is that of the whole chain on them.  A component's persister
    types are empty before venetoclax and again from weeks after it (Clb-Obi never has any),
    so the chain is 4 types instead of 8 for most of a CLL14 patient's steps."""
    size = hi - lo
    for a in range(size):
        i = comp_members[lo + a]
        pos[a] = 1 if mover[i] and xl[i] > 0 else -1
    grew = True
    while grew:  # at most `size` rounds: each adds a type
        grew = False
        for a in range(size):
            i = comp_members[lo + a]
            if pos[a] < 0 or not mover[i]:
                continue
            for p in range(m_ptr[i], m_ptr[i + 1]):
                e = m_idx[p]
                c = comp_local[mdst[e]]
                if pos[c] < 0 and (m0[e] > 0.0 or m1[e] > 0.0):
                    pos[c] = 1
                    grew = True
    k = 0
    for a in range(size):
        if pos[a] >= 0:
            pos[a] = k
            k += 1
    return k


@nb.njit(cache=True, inline="always")
def _substep(
    rng, x, t, te, rates, graph, work, forced, exact_below, max_arrivals, normal_above,
    batch_into, stop_total, stop_mask,
    extinction_possible, correct,
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
        cache_mean,
        cache_mean_ok,
        gen,
        grown,
        second,
        expm_work,
        arr_t,
        arr_i,
        arr_c,
        ub,
        joined,
        pos,
        cache_size,
    ) = work
    n = x.shape[0]
    big = gen.shape[0]
    h = te - t
    hm = 0.5 * h
    k = 0
    any_mover = False
    # A move-connected group of types (a component: one genotype's compartments and
    # phenotypes) holding at least exact_below cells is leapt as a whole, its near-empty types
    # too: the splitting treats each cell exactly in the chain of moves and deaths, whatever
    # the count, and one generator per component can be shared between genotypes.  Smaller
    # groups (a new mutant clone) are simulated event by event.
    for ci in range(comp_ptr.shape[0] - 1):
        tot = 0
        for q in range(comp_ptr[ci], comp_ptr[ci + 1]):
            tot += x[comp_members[q]]
        for q in range(comp_ptr[ci], comp_ptr[ci + 1]):
            leapt[comp_members[q]] = tot >= exact_below
    for i in range(n):
        xs[i] = x[i]
        y[i] = 0
        xl[i] = 0
        batch[i] = 0
        joined[i] = 0  # spawned cells batched into type i for its size this step
        arrived[i] = 0.0  # cells arriving in leapt type i at mid-step (move half of the splitting)
        second[i] = np.nan  # a mover's net growth rate over the second half (NaN: its birth)
        has_move = False
        for p in range(m_ptr[i], m_ptr[i + 1]):
            if m0[m_idx[p]] > 0.0 or m1[m_idx[p]] > 0.0:
                has_move = True
        has_spawn = False
        for p in range(s_ptr[i], s_ptr[i + 1]):
            if s0[s_idx[p]] > 0.0 or s1[s_idx[p]] > 0.0:
                has_spawn = True
        leapt[i] = not forced[i] and (leapt[i] or (x[i] > 0 and not (has_move or has_spawn)))
        mover[i] = leapt[i] and has_move
        any_mover = any_mover or mover[i]
        if not leapt[i]:
            y[i] = x[i]
        elif mover[i]:
            xl[i] = leap_part(rng, x[i], b0[i], b1[i], 0.0, 0.0, 0.0, 0.5, h)
        else:
            xl[i] = leap_part(rng, x[i], b0[i], b1[i], d0[i], d1[i], 0.0, 1.0, h)
    if any_mover:
        # Strang splitting for leapt types that move: births (a Yule leap) over the first
        # half; every cell's fate over h, moved or dead, from the exact chain of moves and
        # deaths (P = expm(A h), A at mid-step); births over the second half.  Cells that land
        # in a type simulated event by event join it at mid-step.  One small matrix
        # exponential per connected component of the move graph.
        for ci in range(comp_ptr.shape[0] - 1):
            lo, hi = comp_ptr[ci], comp_ptr[ci + 1]
            # the chain of the leapt movers with cells and the types they reach
            # (_chain_types: row pos[q - lo] for type comp_members[q]; none: no mover of the
            # component holds cells); a type simulated event by event is absorbing (a cell
            # that lands there stays, and joins that simulation at mid-step)
            size = _chain_types(
                lo, hi, comp_members, comp_local, mover, xl, m_ptr, m_idx, mdst, m0, m1, pos
            )
            if size == 0:
                continue
            sub = cache_new[ci]  # the chain's generator x h; column `big`: birth x h
            for a in range(size):
                for c in range(size):
                    sub[a, c] = 0.0
                sub[a, big] = 0.0
            for q in range(lo, hi):
                i = comp_members[q]
                a = pos[q - lo]
                if a < 0 or not mover[i]:
                    continue
                sub[a, big] = 0.5 * (b0[i] + b1[i]) * h
                for p in range(m_ptr[i], m_ptr[i + 1]):
                    e = m_idx[p]
                    r = 0.5 * (m0[e] + m1[e]) * h
                    c = pos[comp_local[mdst[e]]]
                    if c >= 0:  # (an edge to a type left out has no rate this step)
                        sub[a, c] += r
                        sub[a, a] -= r
                # death is part of the chain: each cell's fate (where it is, or dead)
                sub[a, a] -= 0.5 * (d0[i] + d1[i]) * h
            # same chain as this component's last one, or as another component's (e.g.
            # genotypes that move and die alike, with the same types leapt): same transition
            # matrix; the same births too: same mean matrix
            found = -1
            found_mean = -1
            for cj in range(-1, comp_ptr.shape[0] - 1):
                cc = ci if cj < 0 else cj
                if cj == ci or not cache_ok[cc] or cache_size[cc] != size:
                    continue
                same = True
                for a in range(size):
                    for c in range(size):
                        if cache_sub[cc, a, c] != sub[a, c]:
                            same = False
                            break
                    if not same:
                        break
                if not same:
                    continue
                if found < 0:
                    found = cc
                if correct and cache_mean_ok[cc]:
                    for a in range(size):
                        if cache_sub[cc, a, big] != sub[a, big]:
                            same = False
                            break
                    if same:
                        found_mean = cc
                        break
                if not correct:
                    break
            prob = cache_prob[ci]
            mean = cache_mean[ci]
            if found < 0:
                expm_transition(sub, size, prob, expm_work)
            elif found != ci:
                for a in range(size):
                    for c in range(size):
                        prob[a, c] = cache_prob[found, a, c]
            if correct:
                if found_mean < 0:
                    # the exact mean over the step: expm of the chain plus births
                    for a in range(size):
                        for c in range(size):
                            gen[a, c] = sub[a, c]
                        gen[a, a] += sub[a, big]
                    expm_mean(gen, size, mean, expm_work)
                elif found_mean != ci:
                    for a in range(size):
                        for c in range(size):
                            mean[a, c] = cache_mean[found_mean, a, c]
            if found != ci or (correct and found_mean != ci):
                for a in range(size):
                    for c in range(size):
                        cache_sub[ci, a, c] = sub[a, c]
                    cache_sub[ci, a, big] = sub[a, big]
                cache_ok[ci] = True
                cache_size[ci] = size
                cache_mean_ok[ci] = correct
            if correct:
                # Mean correction (where the splitting's bias would exceed its bound): the
                # second half's births of each mover are set so that its expected count at the
                # end, given the counts at the start, is the exact x expm((A + B) h) rather than
                # the splitting's x e^{B h/2} expm(A h) e^{B h/2}.  The mean is then exact at
                # any step; the splitting touches only the higher moments.
                for q in range(lo, hi):  # each mover's expected cells after the first half
                    i = comp_members[q]
                    grown[q - lo] = 0.0
                    if mover[i] and xs[i] > 0:  # (birth linear from b0 to b1; in the chain)
                        grown[q - lo] = xs[i] * np.exp(hm * (b0[i] + 0.25 * (b1[i] - b0[i])))
                for qq in range(lo, hi):
                    j = comp_members[qq]
                    c = pos[qq - lo]
                    if not mover[j] or c < 0:
                        continue
                    split = 0.0
                    exact = 0.0
                    for q in range(lo, hi):
                        if grown[q - lo] > 0.0:
                            a = pos[q - lo]
                            split += grown[q - lo] * prob[a, c]
                            exact += xs[comp_members[q]] * mean[a, c]
                    if split > 0.0 and exact > 0.0:
                        second[j] = np.log(exact / split) / hm
            for q in range(lo, hi):
                i = comp_members[q]
                if not mover[i]:
                    continue
                left = xl[i]
                xl[i] = 0
                p_left = 1.0
                a = pos[q - lo]  # >= 0 where left > 0
                for qq in range(lo, hi):
                    if left == 0:
                        break
                    c = pos[qq - lo]
                    if c < 0:  # not reached: probability 0
                        continue
                    j = comp_members[qq]
                    pj = max(prob[a, c], 0.0)
                    # sequential binomials; the cells left after the last type died
                    if pj >= p_left:
                        c = left
                    else:
                        c = relocated(rng, left, pj / p_left, normal_above)
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
            if mover[j]:  # deaths were in the chain: births only (or the correction's net rate)
                r = second[j]
                bb0, bb1, dd = b0[j], b1[j], 0.0  # uncorrected: the births
                if not np.isnan(r):
                    bb0, bb1, dd = max(r, 0.0), max(r, 0.0), max(-r, 0.0)
                xl[j] += leap_part(rng, np.int64(arrived[j]), bb0, bb1, dd, dd, 0.5, 1.0, h)
            elif arrived[j] > 0:  # cells that joined a leapt type that does not move
                xl[j] += leap_part(
                    rng, np.int64(arrived[j]), b0[j], b1[j], d0[j], d1[j], 0.5, 1.0, h
                )
    for i in range(n):
        if not leapt[i] or xs[i] == 0:
            continue
        # spawns leave as Poisson arrivals following the population, interpolated
        # geometrically between the step's end points
        q1 = np.log(xl[i] / xs[i]) / h if xl[i] > 0 else (b0[i] - d0[i])
        for p in range(s_ptr[i], s_ptr[i + 1]):
            e = s_idx[p]
            if s0[e] > 0.0 or s1[e] > 0.0:
                j = sdst[e]
                a = emissions(rng, xs[i], s0[e], s1[e], q1, 0.0, h)
                # many, or few into a leapt type batch_into times larger than all that join
                # it this step: one batch from their mean arrival time (they do not move on
                # within the step; see KendallLeap.batch_into)
                into = batch_into > 0 and a > 0 and leapt[j]
                into = into and (joined[j] + a) * batch_into <= xs[j]
                if into:
                    joined[j] += a
                if a > max_arrivals or into:
                    batch[j] += batch_arrival(rng, a, s0[e], s1[e], q1, 0.0, h,
                                              b0[j], b1[j], d0[j], d1[j])  # fmt: skip
                    a = 0
                for _ in range(a):  # few: each at its own time, then event by event
                    arr_t[k] = t + arrival_time(rng, s0[e], s1[e], q1, 0.0, h)
                    arr_i[k] = j
                    arr_c[k] = 1
                    k += 1
    for j in range(n):
        if in0[j] > 0.0 or in1[j] > 0.0:
            a = emissions(rng, 1.0, in0[j], in1[j], 0.0, 0.0, h)
            if a > max_arrivals:
                batch[j] += batch_arrival(rng, a * isize[j], in0[j], in1[j], 0.0, 0.0, h,
                                          b0[j], b1[j], d0[j], d1[j])  # fmt: skip
                a = 0
            for _ in range(a):
                arr_t[k] = t + arrival_time(rng, in0[j], in1[j], 0.0, 0.0, h)
                arr_i[k] = j
                arr_c[k] = isize[j]
                k += 1
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


@nb.njit(cache=True, inline="always")
def _step_rates(n, nm, ns, msrc, mdst, m_ptr, m_idx, b_s, b_e, m_s, m_e, s_s, s_e, i_s, i_e, out):
    """For one grid step's rates: ``out[0]`` the largest total move rate out of any type (it
    bounds the splitting step), ``out[1]`` the largest move rate x difference of birth rate
    across a move edge (the size of the commutator that makes the splitting inexact: deaths are
    inside the move chain, so only births are split off; 0 when both ends divide alike).
    Returns whether the step is *lone*: no type moves, spawns or receives inflow."""
    out[0] = 0.0
    out[1] = 0.0
    for i in range(n):
        r = 0.0
        for p in range(m_ptr[i], m_ptr[i + 1]):
            r += max(m_s[m_idx[p]], m_e[m_idx[p]])
        out[0] = max(out[0], r)
    lone = True
    for e in range(nm):
        i, j = msrc[e], mdst[e]
        dl = max(abs(b_s[i] - b_s[j]), abs(b_e[i] - b_e[j]))
        out[1] = max(out[1], max(m_s[e], m_e[e]) * dl)
        if m_s[e] > 0.0 or m_e[e] > 0.0:
            lone = False
    for e in range(ns):
        if s_s[e] > 0.0 or s_e[e] > 0.0:
            lone = False
    for i in range(n):
        if i_s[i] > 0.0 or i_e[i] > 0.0:
            lone = False
    return lone


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
    mean_correction_above,
    normal_above,
    batch_into,
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
    vary = knots.shape[0] > 1
    # Rates of the current grid step, right-limits at its start (``*_s``) and left-limits at
    # its end (``*_e``), filled from the knots as each run walks the grid (constant rates: at
    # its first step).
    b_s, b_e, d_s, d_e = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    i_s, i_e = np.empty(n), np.empty(n)
    m_s, m_e, s_s, s_e = np.empty(nm), np.empty(nm), np.empty(ns), np.empty(ns)
    lone_surv = np.ones(n)
    lone_nb = np.ones(n)
    m_ptr, m_idx = edges_by_source(msrc, n)
    s_ptr, s_idx = edges_by_source(ssrc, n)
    comp_ptr, comp_members, comp_local = move_components(msrc, mdst, n)
    n_comp = comp_ptr.shape[0] - 1
    big = 1
    for ci in range(n_comp):
        big = max(big, comp_ptr[ci + 1] - comp_ptr[ci])
    cache_sub = np.zeros((n_comp, big, big + 1))
    cache_prob = np.zeros((n_comp, big, big))
    cache_mean = np.zeros((n_comp, big, big))
    cache_mean_ok = np.zeros(n_comp, dtype=np.bool_)
    cache_ok = np.zeros(n_comp, dtype=np.bool_)
    cache_size = np.zeros(n_comp, dtype=np.int64)  # each cached chain's number of types
    chain_pos = np.empty(big, dtype=np.int64)  # _chain_types' rows
    cache_new = np.zeros((n_comp, big, big + 1))
    gen = np.zeros((big, big))
    grown = np.zeros(big)
    second = np.empty(n)
    expm_work = np.zeros((6, big, big))
    step_stats = np.zeros(2)  # the current grid step's largest move rate and commutator
    lone_step = False
    has_inflow = False
    for v in inflow.ravel():
        if v > 0:
            has_inflow = True
    extinction_possible = stop_extinct and not has_inflow
    # emissions: at most max_arrivals per edge, inflow and batch; relocations: at most one
    # entry per (mover, destination) pair of a component per step
    cap = (nm + ns + n) * max_arrivals + 1
    for ci in range(n_comp):
        cap += (comp_ptr[ci + 1] - comp_ptr[ci]) ** 2
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
    joined = np.zeros(n, dtype=np.int64)
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
        cache_mean,
        cache_mean_ok,
        gen,
        grown,
        second,
        expm_work,
        arr_t,
        arr_i,
        arr_c,
        ub,
        joined,
        chain_pos,
        cache_size,
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
        kr = 0
        kl = 0
        lone_h = -1.0  # step length of the lone-step leap probabilities in lone_surv/lone_nb
        for g in range(n_steps):
            ta = grid[g]
            tb = grid[g + 1]
            span = tb - ta
            t = ta
            if status == 0 and (vary or g == 0):  # constant rates: one row for every step
                kr = advance_knot(knots, ta, kr, True)
                kl = advance_knot(knots, tb, kl, False)
                for tab_s, tab_e, tab in (
                    (b_s, b_e, birth), (d_s, d_e, death), (i_s, i_e, inflow), (m_s, m_e, mrate),
                    (s_s, s_e, srate),
                ):  # fmt: skip
                    rate_row(knots, tab, ta, kr, tab_s)
                    rate_row(knots, tab, tb, kl, tab_e)
                lone_step = _step_rates(
                    n, nm, ns, msrc, mdst, m_ptr, m_idx, b_s, b_e, m_s, m_e, s_s, s_e, i_s, i_e,
                    step_stats,
                )  # fmt: skip
            if status == 0 and lone_step and stop_total <= 0:
                if vary or span != lone_h:
                    # no type moves, spawns or receives inflow: each is a lone birth-death
                    # process, leapt with the step's probabilities (same rates and length:
                    # same law, computed once)
                    for i in range(n):
                        rho, big_j, big_b = linear_integrals(b_s[i], b_e[i], d_s[i], d_e[i], span)
                        lone_surv[i], lone_nb[i] = leap_probabilities(rho, big_j, big_b)
                    lone_h = span
                total = 0
                for i in range(n):
                    xs[i] = x[i]
                    x[i] = draw_leap(rng, x[i], lone_surv[i], lone_nb[i])
                    total += x[i]
                if extinction_possible and total == 0:
                    status, t_stop = 1, ta
                    for i in range(n):
                        if xs[i] > 0:
                            t_ext = extinction_time(
                                rng, xs[i], b_s[i], b_e[i], d_s[i], d_e[i], span
                            )
                            t_stop = max(t_stop, ta + t_ext)
                t = tb
            while status == 0 and t < tb:
                te = tb
                if step_stats[0] > 0.0:
                    # at most max_move_fraction of a type's cells move per step, unless the
                    # commutator is so small that a longer step keeps h^2 * comm <= bound;
                    # equal sub-steps across the rest of the grid step (one transition matrix)
                    h_move = max_move_fraction / step_stats[0]
                    h_comm = np.inf
                    h_plain = np.inf  # longest step whose mean needs no correction
                    if step_stats[1] > 0.0:
                        h_comm = np.sqrt(max_commutator / step_stats[1])
                        h_plain = np.sqrt(mean_correction_above / step_stats[1])
                    h_max = max(h_move, h_comm)
                    h_short = max(h_move, min(h_comm, h_plain))
                    if h_max > h_short:
                        # steps longer than an uncorrected one only while every spawn edge
                        # is expected to emit at most max_arrivals cells in the step, so that
                        # spawned cells are not batched for their number (those joining a
                        # type batch_into times larger are batched at any step)
                        emit = 0.0
                        for e in range(ns):
                            emit = max(emit, max(s_s[e], s_e[e]) * x[ssrc[e]])
                        if emit > 0.0:
                            h_max = max(h_short, min(h_max, max_arrivals / emit))
                    if tb - t > h_max * (1.0 + 1e-9):
                        te = t + (tb - t) / np.ceil((tb - t) / h_max - 1e-9)
                force = False
                if stop_total > 0:
                    for i in range(n):
                        hi[i] = max(b_s[i], b_e[i])
                        lo[i] = min(d_s[i], d_e[i])
                        ub[i] = max(d_s[i], d_e[i])
                        in1[i] = max(i_s[i], i_e[i])
                    for e in range(nm):
                        m1[e] = max(m_s[e], m_e[e])
                    for e in range(ns):
                        s1[e] = max(s_s[e], s_e[e])
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
                    b0[i] = b_s[i] + ws * (b_e[i] - b_s[i])
                    b1[i] = b_s[i] + we * (b_e[i] - b_s[i])
                    d0[i] = d_s[i] + ws * (d_e[i] - d_s[i])
                    d1[i] = d_s[i] + we * (d_e[i] - d_s[i])
                    in0[i] = i_s[i] + ws * (i_e[i] - i_s[i])
                    in1[i] = i_s[i] + we * (i_e[i] - i_s[i])
                    forced[i] = force and stop_mask[i]
                for e in range(nm):
                    m0[e] = m_s[e] + ws * (m_e[e] - m_s[e])
                    m1[e] = m_s[e] + we * (m_e[e] - m_s[e])
                for e in range(ns):
                    s0[e] = s_s[e] + ws * (s_e[e] - s_s[e])
                    s1[e] = s_s[e] + we * (s_e[e] - s_s[e])
                correct = (te - t) ** 2 * step_stats[1] > mean_correction_above
                status, t_stop = _substep(
                    rng, x, t, te, rates, graph, work, forced, exact_below, max_arrivals,
                    normal_above, batch_into,
                    stop_total, stop_mask, extinction_possible, correct,
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
