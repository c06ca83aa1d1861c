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

from cllsim.engine.events import apply_events, reached_total
from cllsim.engine.kendall import (
    _draw_leap,
    _leap_probabilities,
    linear_integrals,
    sample_leap,
    weighted_exp_integral,
    weighted_exp_mean_time,
)
from cllsim.engine.rates import rates_on_grid

__all__ = ["run_block"]

_Z_MARGIN = 8.0  # standard deviations of margin kept between a leap and a stop total
_FORCE_EXACT_EVENTS = 64.0  # below this many expected events a leap is not worth its margin
_EXACT_PIECE_EVENTS = 1.0e4  # expected events per event-by-event piece near a stop total


@nb.njit(cache=True)
def _csr(src, n):
    """Edges grouped by source: ptr int64[n+1], idx int64[n_edges]."""
    ptr = np.zeros(n + 1, dtype=np.int64)
    for e in range(src.shape[0]):
        ptr[src[e] + 1] += 1
    for i in range(n):
        ptr[i + 1] += ptr[i]
    fill = ptr[:-1].copy()
    idx = np.empty(src.shape[0], dtype=np.int64)
    for e in range(src.shape[0]):
        idx[fill[src[e]]] = e
        fill[src[e]] += 1
    return ptr, idx


@nb.njit(cache=True)
def _arrival_time(rng, r0, r1, q1, q2, h):
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
def _extinction_time(rng, n0, b0, b1, d0, d1, h):
    """Time of extinction of ``n0`` cells given that they are extinct by ``h`` (bisection on
    the conditional distribution function (alpha(s)/alpha(h))^n0)."""
    _, jh, _ = linear_integrals(b0, b1, d0, d1, h)
    log_ah = np.log(jh / (1.0 + jh))
    target = np.log(rng.random()) / n0 + log_ah
    lo, hi = 0.0, h
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        bm = b0 + (b1 - b0) * mid / h
        dm = d0 + (d1 - d0) * mid / h
        _, js, _ = linear_integrals(b0, bm, d0, dm, mid)
        if js > 0 and np.log(js / (1.0 + js)) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@nb.njit(cache=True)
def _sort_arrivals(t, i, c, k):
    for a in range(1, k):
        tv, iv, cv = t[a], i[a], c[a]
        b = a - 1
        while b >= 0 and t[b] > tv:
            t[b + 1], i[b + 1], c[b + 1] = t[b], i[b], c[b]
            b -= 1
        t[b + 1], i[b + 1], c[b + 1] = tv, iv, cv


@nb.njit(cache=True)
def _substep_end(
    x, t, tb, b_hi, d_lo, d_hi, in_hi, isize, msrc, mdst, m_hi, ssrc, sdst, s_hi, mask, stop_total
):
    """End of the next sub-step under a stop at a total, and whether the counted types must
    be simulated event by event.

    The counted total ``T`` can grow at most at rate ``lam = max(b - d)`` over counted types
    plus the flow ``F`` into them; the leap is taken only while
    ``(T + F h) e^{lam h} + 8 sqrt(V h + 1) e^{lam h} < M`` (``V`` the event rate), so that
    reaching ``M`` inside a leap is an 8-sigma event.  When that allows fewer than 64 events,
    leaping saves nothing: the counted types go exact, in pieces of ~1e4 expected events.
    """
    n = x.shape[0]
    tm = 0.0
    lam = 0.0
    var = 0.0
    for i in range(n):
        if mask[i]:
            tm += x[i]
            var += x[i] * (b_hi[i] + d_hi[i])
            lam = max(lam, b_hi[i] - d_lo[i])
    flow = 0.0
    for e in range(msrc.shape[0]):
        if mask[mdst[e]] and not mask[msrc[e]]:
            flow += m_hi[e] * x[msrc[e]]
    for e in range(ssrc.shape[0]):
        if mask[sdst[e]]:
            flow += s_hi[e] * x[ssrc[e]]
    for j in range(n):
        if mask[j]:
            flow += in_hi[j] * isize[j]
    var += flow
    h = tb - t
    for _ in range(80):
        g = np.exp(lam * h)
        if (tm + flow * h) * g + _Z_MARGIN * np.sqrt(var * h + 1.0) * g < stop_total:
            break
        h *= 0.5
    if var * h < _FORCE_EXACT_EVENTS:
        # event by event, in pieces of about _EXACT_PIECE_EVENTS expected events, so that a
        # population that turns away from the limit goes back to leaping
        return min(tb, t + _EXACT_PIECE_EVENTS / var), True
    return t + h, False


@nb.njit(cache=True)
def _components(msrc, mdst, n):
    """Connected components of the move graph (edges taken both ways).

    Returns ptr int64[k+1], members int64[n] grouped by component, local int64[n] (position
    of each type within its component).
    """
    parent = np.arange(n)
    for e in range(msrc.shape[0]):
        a, b = msrc[e], mdst[e]
        while parent[a] != a:
            a = parent[a]
        while parent[b] != b:
            b = parent[b]
        if a != b:
            parent[max(a, b)] = min(a, b)
    root = np.empty(n, dtype=np.int64)
    for i in range(n):
        r = i
        while parent[r] != r:
            r = parent[r]
        root[i] = r
    order = np.argsort(root, kind="mergesort")
    ptr = [0]
    for q in range(1, n):
        if root[order[q]] != root[order[q - 1]]:
            ptr.append(q)
    ptr.append(n)
    local = np.empty(n, dtype=np.int64)
    for c in range(len(ptr) - 1):
        for q in range(ptr[c], ptr[c + 1]):
            local[order[q]] = q - ptr[c]
    return np.array(ptr, dtype=np.int64), order.astype(np.int64), local


@nb.njit(cache=True)
def _leap_part(rng, n0, b0, b1, d0, d1, f0, f1, h):
    """Leap ``n0`` cells over the fraction [f0, f1] of a step of length ``h`` (rates linear
    from (b0, d0) at 0 to (b1, d1) at 1)."""
    if n0 <= 0 or f1 <= f0:
        return np.int64(n0) if n0 > 0 else np.int64(0)
    ba = b0 + f0 * (b1 - b0)
    bb = b0 + f1 * (b1 - b0)
    da = d0 + f0 * (d1 - d0)
    db = d0 + f1 * (d1 - d0)
    rho, big_j, big_b = linear_integrals(ba, bb, da, db, (f1 - f0) * h)
    return sample_leap(rng, n0, rho, big_j, big_b)


@nb.njit(cache=True)
def _expm(a):
    """Matrix exponential (scaling and squaring of the Taylor series), for rate matrices.

    ``a`` : float64[n, n], a rate matrix times a time (rows sum to 0).  Returns a row-stochastic
    matrix (negative round-off clipped, rows renormalised).
    """
    n = a.shape[0]
    norm = 0.0
    for i in range(n):
        r = 0.0
        for j in range(n):
            r += abs(a[i, j])
        norm = max(norm, r)
    s = 0
    while norm > 0.5:
        norm *= 0.5
        s += 1
    scaled = a / (2.0**s)
    out = np.eye(n)
    term = np.eye(n)
    for kk in range(1, 30):
        term = (term @ scaled) / kk
        out += term
        if np.abs(term).max() < 1e-18:
            break
    for _ in range(s):
        out = out @ out
    for i in range(n):
        tot = 0.0
        for j in range(n):
            if out[i, j] < 0.0:
                out[i, j] = 0.0
            tot += out[i, j]
        for j in range(n):
            out[i, j] /= tot
    return out


@nb.njit(cache=True)
def _emit(
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
            arr_t[k] = t + _arrival_time(rng, r0, r1, q1, q2, h)
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


@nb.njit(cache=True)
def _ssa(
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


@nb.njit(cache=True)
def _substep(
    rng,
    x,
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
    in0,
    in1,
    isize,
    msrc,
    mdst,
    ssrc,
    sdst,
    m_ptr,
    m_idx,
    s_ptr,
    s_idx,
    forced,
    exact_below,
    max_arrivals,
    stop_total,
    stop_mask,
    extinction_possible,
    od0,
    od1,
    xs,
    xl,
    y,
    batch,
    leapt,
    mover,
    mm,
    comp_ptr,
    comp_members,
    comp_local,
    arr_t,
    arr_i,
    arr_c,
    ub,
):
    """Advance ``x`` (int64[n], in place) from ``t`` to ``te``; returns (status, stop time)."""
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
        od0[i] = 0.0  # cells arriving in leapt type i at mid-step (move half of the splitting)
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
            xl[i] = _leap_part(rng, x[i], b0[i], b1[i], d0[i], d1[i], 0.0, 0.5, h)
        else:
            xl[i] = _leap_part(rng, x[i], b0[i], b1[i], d0[i], d1[i], 0.0, 1.0, h)
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
            sub = np.zeros((size, size))
            for q in range(lo, hi):
                i = comp_members[q]
                if mover[i]:
                    for p in range(m_ptr[i], m_ptr[i + 1]):
                        e = m_idx[p]
                        r = 0.5 * (m0[e] + m1[e]) * h
                        sub[q - lo, comp_local[mdst[e]]] += r
                        sub[q - lo, q - lo] -= r
            prob = _expm(sub)
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
                        od0[j] += c
                    else:
                        arr_t[k] = t + hm
                        arr_i[k] = j
                        arr_c[k] = c
                        k += 1
        for j in range(n):
            if od0[j] > 0 or (leapt[j] and mover[j]):
                xl[j] += _leap_part(rng, np.int64(od0[j]), b0[j], b1[j], d0[j], d1[j], 0.5, 1.0, h)
    for i in range(n):
        if not leapt[i]:
            continue
        # spawns leave as Poisson arrivals following the population, interpolated
        # geometrically between the step's end points
        q1 = np.log(xl[i] / xs[i]) / h if xl[i] > 0 else (b0[i] - d0[i])
        for p in range(s_ptr[i], s_ptr[i + 1]):
            e = s_idx[p]
            if s0[e] > 0.0 or s1[e] > 0.0:
                k = _emit(
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
            k = _emit(
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
    _sort_arrivals(arr_t, arr_i, arr_c, k)
    check_total = False
    if stop_total > 0:
        check_total = True
        for i in range(n):
            if stop_mask[i] and leapt[i]:
                check_total = False
    status, t_event = 0, t
    if k > 0 or y.sum() > 0:  # nothing to simulate event by event otherwise
        status, t_event = _ssa(
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
                xl[i] = _leap_part(rng, xs[i], b0[i], b1[i], d0[i], d1[i], 0.0, ws, h)
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
                t_ext = max(t_ext, t + _extinction_time(rng, xs[i], b0[i], b1[i], d0[i], d1[i], h))
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
    m_ptr, m_idx = _csr(msrc, n)
    s_ptr, s_idx = _csr(ssrc, n)
    comp_ptr, comp_members, comp_local = _components(msrc, mdst, n)
    # per grid step: the largest total move rate out of any type (bounds the splitting step)
    move_max = np.zeros(n_steps)
    for g in range(n_steps):
        for i in range(n):
            r = 0.0
            for p in range(m_ptr[i], m_ptr[i + 1]):
                r += max(m_s[g, m_idx[p]], m_e[g, m_idx[p]])
            move_max[g] = max(move_max[g], r)
    # grid steps in which no type moves, spawns or receives inflow: every type is a lone
    # birth-death process and is leapt directly (no event-by-event part to set up)
    lone = np.ones(n_steps, dtype=np.bool_)
    for g in range(n_steps):
        for e in range(nm):
            if m_s[g, e] > 0.0 or m_e[g, e] > 0.0:
                lone[g] = False
        for e in range(ns):
            if s_s[g, e] > 0.0 or s_e[g, e] > 0.0:
                lone[g] = False
        for i in range(n):
            if i_s[g, i] > 0.0 or i_e[g, i] > 0.0:
                lone[g] = False
    # the leap probabilities of lone steps are the same for every run: compute them once
    lone_surv = np.ones((n_steps, n))
    lone_nb = np.ones((n_steps, n))
    for g in range(n_steps):
        if lone[g]:
            for i in range(n):
                rho, big_j, big_b = linear_integrals(
                    b_s[g, i], b_e[g, i], d_s[g, i], d_e[g, i], grid[g + 1] - grid[g]
                )
                lone_surv[g, i], lone_nb[g, i] = _leap_probabilities(rho, big_j, big_b)
    has_inflow = False
    for v in inflow.ravel():
        if v > 0:
            has_inflow = True
    extinction_possible = stop_extinct and not has_inflow
    cap = (nm + ns + n) * max_arrivals + 1
    arr_t = np.empty(cap)
    arr_i = np.empty(cap, dtype=np.int64)
    arr_c = np.empty(cap, dtype=np.int64)
    f = [np.empty(n) for _ in range(10)]
    b0, b1, d0, d1, in0, in1, od0, od1, ub, hi = (
        f[0],
        f[1],
        f[2],
        f[3],
        f[4],
        f[5],
        f[6],
        f[7],
        f[8],
        f[9],
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
    mm = np.empty((n, n))
    forced = np.zeros(n, dtype=np.bool_)
    lo = np.empty(n)
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
            ta = grid[g]
            tb = grid[g + 1]
            span = tb - ta
            t = ta
            if status == 0 and lone[g] and stop_total <= 0:
                total = 0
                for i in range(n):
                    xs[i] = x[i]
                    x[i] = _draw_leap(rng, x[i], lone_surv[g, i], lone_nb[g, i])
                    total += x[i]
                if extinction_possible and total == 0:
                    status, t_stop = 1, ta
                    for i in range(n):
                        if xs[i] > 0:
                            t_ext = _extinction_time(
                                rng, xs[i], b_s[g, i], b_e[g, i], d_s[g, i], d_e[g, i], span
                            )
                            t_stop = max(t_stop, ta + t_ext)
                t = tb
            while status == 0 and t < tb:
                te = tb
                if move_max[g] > 0.0:
                    te = min(tb, t + max_move_fraction / move_max[g])
                force = False
                if stop_total > 0:
                    for i in range(n):
                        hi[i] = max(b_s[g, i], b_e[g, i])
                        lo[i] = min(d_s[g, i], d_e[g, i])
                        ub[i] = max(d_s[g, i], d_e[g, i])
                        in1[i] = max(i_s[g, i], i_e[g, i])
                    for e in range(nm):
                        m1[e] = max(m_s[g, e], m_e[g, e])
                    for e in range(ns):
                        s1[e] = max(s_s[g, e], s_e[g, e])
                    te, force = _substep_end(
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
                    b0[i] = b_s[g, i] + ws * (b_e[g, i] - b_s[g, i])
                    b1[i] = b_s[g, i] + we * (b_e[g, i] - b_s[g, i])
                    d0[i] = d_s[g, i] + ws * (d_e[g, i] - d_s[g, i])
                    d1[i] = d_s[g, i] + we * (d_e[g, i] - d_s[g, i])
                    in0[i] = i_s[g, i] + ws * (i_e[g, i] - i_s[g, i])
                    in1[i] = i_s[g, i] + we * (i_e[g, i] - i_s[g, i])
                    forced[i] = force and stop_mask[i]
                for e in range(nm):
                    m0[e] = m_s[g, e] + ws * (m_e[g, e] - m_s[g, e])
                    m1[e] = m_s[g, e] + we * (m_e[g, e] - m_s[g, e])
                for e in range(ns):
                    s0[e] = s_s[g, e] + ws * (s_e[g, e] - s_s[g, e])
                    s1[e] = s_s[g, e] + we * (s_e[g, e] - s_s[g, e])
                status, t_stop = _substep(
                    rng,
                    x,
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
                    in0,
                    in1,
                    isize,
                    msrc,
                    mdst,
                    ssrc,
                    sdst,
                    m_ptr,
                    m_idx,
                    s_ptr,
                    s_idx,
                    forced,
                    exact_below,
                    max_arrivals,
                    stop_total,
                    stop_mask,
                    extinction_possible,
                    od0,
                    od1,
                    xs,
                    xl,
                    y,
                    batch,
                    leapt,
                    mover,
                    mm,
                    comp_ptr,
                    comp_members,
                    comp_local,
                    arr_t,
                    arr_i,
                    arr_c,
                    ub,
                )
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
