"""Piecewise-linear rate tables: evaluation at a time (numba kernels), averaging over pieces,
and the corrections that keep a network's mean growth on the averaged tables (see
``docs/engine.md``).

A rate table is ``values[m, k]`` at ``knots[m]`` (non-decreasing; a repeated knot is a jump).
Between knots the rate is linear, outside the knots constant.  The step grid of a simulation
contains every knot, so within one step every rate is linear and is fully described by its
right-limit at the step start and its left-limit at the step end.
"""

from __future__ import annotations

from collections.abc import Sequence

import numba as nb
import numpy as np
from numpy.typing import NDArray

from cllsim.engine.moves import expm_mean

__all__ = [
    "advance_knot",
    "average_pieces",
    "averaged_tables",
    "growth_corrections",
    "rate_row",
    "rates_at",
    "rates_on_grid",
]


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


@nb.njit(cache=True)
def _piece_ok(knots, values, cum, a, e, tol):
    """Whether every column of ``values`` may be replaced by its average on knots a..e, its
    running integrals held to the smallest ``tol`` of the piece's intervals."""
    bound = np.inf
    for j in range(a, e):
        bound = min(bound, tol[j])
    if bound == np.inf:
        return True
    span = knots[e] - knots[a]
    for c in range(values.shape[1]):
        mean = (cum[e, c] - cum[a, c]) / span
        g0 = 0.0  # running deviation at knot a
        for j in range(a, e):
            g1 = abs(cum[j + 1, c] - cum[a, c] - mean * (knots[j + 1] - knots[a]))
            # the running deviation is quadratic on a linear interval: its largest value
            # there exceeds its ends' by at most length * |change of the rate| / 8
            bow = 0.125 * (knots[j + 1] - knots[j]) * abs(values[j + 1, c] - values[j, c])
            if max(g0, g1) + bow > bound:
                return False
            g0 = g1
    return True


@nb.njit(cache=True)
def _flat(values, a, e, flat_rate):
    """Whether no column of ``values`` varies by more than ``flat_rate`` on knots a..e (the
    table is linear between knots, so its extremes are at knots)."""
    for c in range(values.shape[1]):
        lo = values[a, c]
        hi = values[a, c]
        for j in range(a + 1, e + 1):
            lo = min(lo, values[j, c])
            hi = max(hi, values[j, c])
        if hi - lo > flat_rate:
            return False
    return True


@nb.njit(cache=True)
def average_pieces(knots, values, cum, tol, max_len, flat_rate, flat_len):
    """Split a piecewise-linear rate table into pieces on which each rate may be replaced by
    its average (which keeps every rate's integral over every piece).

    A piece ``[knots[a], knots[e]]`` is accepted when it is at most ``max_len`` long and the
    running integral of every rate never strays from that of its average by more than the
    smallest ``tol`` of its intervals (``max_s |int_a^s (r - mean)| <= tol``: every cell's
    hazards over any part of the piece are off by a factor of at most ``exp(tol)``).  A piece
    that reaches ``max_len`` grows on, up to ``flat_len``, while no rate varies on it by more
    than ``flat_rate`` (the rate of every moment is then within ``flat_rate`` of the average)
    and the running integrals still keep to ``tol``.  Every piece is exact over its
    whole length.  Pieces are grown greedily from the left (doubling, then bisection, on the
    end knot; flat pieces knot by knot); a single interval of the table that fails on its own
    is kept linear.  The longest piece allowed is tried first: where it passes (most pieces
    between a patient's visits) it is taken without a search.

    Parameters
    ----------
    knots : float64[m]
        Non-decreasing; a repeated knot is a jump (first copy: the left-limit).
    values : float64[m, k]
        The rates to check.
    cum : float64[m, k]
        Their running integrals at the knots (0 at the first).
    tol : float64[m - 1]
        Largest deviation of a running integral (rate x days) on a piece that contains
        interval ``j`` of the table (``knots[j]`` to ``knots[j + 1]``); inf: a piece of such
        intervals keeps only its integral.
    max_len : float
        Longest piece, days, unless its rates are flat.
    flat_rate : float
        A piece may be longer than ``max_len`` (up to ``flat_len``) while no rate varies by
        more than this on it (rate units; 0: never).
    flat_len : float
        Longest flat piece, days.

    Returns
    -------
    start, end : int64[p]
        Knot indices of each piece (``end > start``; consecutive pieces meet at one time).
    linear : bool[p]
        Whether the piece is one interval of the table kept as it is.
    """
    m = knots.shape[0]
    start = np.empty(m, dtype=np.int64)
    end = np.empty(m, dtype=np.int64)
    linear = np.zeros(m, dtype=np.bool_)
    p = 0
    a = 0
    last = 0
    while a < m - 1:
        if knots[a + 1] == knots[a]:  # a jump where the piece starts: start after it
            a += 1
            continue
        while last + 1 < m and knots[last + 1] - knots[a] <= max_len:
            last += 1
        good = a  # the furthest end known to pass
        bad = last + 1  # an end known to fail (or past the last allowed)
        if last > a + 1 and _piece_ok(knots, values, cum, a, last, tol):
            good = last  # the longest piece allowed passes: no search
        step = 1
        while good + step < bad:  # doubling
            if not _piece_ok(knots, values, cum, a, good + step, tol):
                bad = good + step
                break
            good += step
            step *= 2
        while bad - good > 1:  # bisection
            mid = (good + bad) // 2
            if _piece_ok(knots, values, cum, a, mid, tol):
                good = mid
            else:
                bad = mid
        if good == last and flat_rate > 0.0:
            # as long as allowed: beyond max_len while every rate stays flat
            while good + 1 < m and knots[good + 1] - knots[a] <= flat_len:
                if not _flat(values, a, good + 1, flat_rate):
                    break
                if not _piece_ok(knots, values, cum, a, good + 1, tol):
                    break
                good += 1
        linear[p] = good == a
        start[p] = a
        end[p] = a + 1 if linear[p] else good
        a = end[p]
        p += 1
    return start[:p], end[:p], linear[:p]


@nb.njit(cache=True)
def _running_integrals(knots, values):
    """Running integrals of a piecewise-linear table at its knots (0 at the first): the
    trapezoids summed in knot order, one pass (numpy's ``cumsum`` of the trapezoids gives the
    same numbers from three passes over the table and two temporaries)."""
    m, k = values.shape
    cum = np.empty((m, k))
    for c in range(k):
        cum[0, c] = 0.0
    for j in range(m - 1):
        half = 0.5 * (knots[j + 1] - knots[j])
        for c in range(k):
            cum[j + 1, c] = cum[j, c] + half * (values[j + 1, c] + values[j, c])
    return cum


@nb.njit(cache=True)
def _varies(table):
    """Whether each column of ``table`` holds more than one value (``max > min`` without the
    two passes over the whole table: a column stops at its first differing value)."""
    m, k = table.shape
    out = np.zeros(k, dtype=np.bool_)
    for c in range(k):
        for j in range(1, m):
            if table[j, c] != table[0, c]:
                out[c] = True
                break
    return out


def averaged_tables(
    knots: NDArray,
    tables: Sequence[NDArray],
    tol: float | NDArray,
    max_len: float,
    flat_rate: float = 0.0,
    flat_len: float = 0.0,
) -> tuple[NDArray, list[NDArray]]:
    """Piecewise-linear rate tables replaced by their averages on pieces (see
    :func:`average_pieces`): every rate keeps its integral over every piece, and the tables
    get as many knots as the rates' variation needs instead of as many as the exposures'.

    Parameters
    ----------
    knots : float64[m]
    tables : float64[m, k_i] each
    tol : float or float64[m - 1]
        As for :func:`average_pieces` (a float: the same for every interval).
    max_len, flat_rate, flat_len : float
        As for :func:`average_pieces` (default: no piece longer than ``max_len``).

    Returns
    -------
    knots : float64[2p] (each piece's start and end; one knot if every rate is constant)
    tables : list of float64[2p, k_i]
    """
    vary = [_varies(t) for t in tables]
    if knots.size == 1 or not any(v.any() for v in vary):
        return knots[:1].copy(), [t[:1].copy() for t in tables]
    # only the rates that vary are checked and averaged; the others keep their one value
    varying = np.concatenate([t[:, v] for t, v in zip(tables, vary, strict=True)], axis=1)
    # running integrals: trapezoids are exact on a linear table
    cum = _running_integrals(knots, varying)

    tols = np.broadcast_to(np.asarray(tol, dtype=np.float64), (knots.size - 1,))
    start, end, linear = average_pieces(
        knots, varying, cum, np.ascontiguousarray(tols), float(max_len), float(flat_rate),
        float(flat_len),
    )  # fmt: skip
    mean = (cum[end] - cum[start]) / (knots[end] - knots[start])[:, None]
    rows = np.stack(
        [
            np.where(linear[:, None], varying[start], mean),
            np.where(linear[:, None], varying[end], mean),
        ],
        axis=1,
    ).reshape(2 * start.size, -1)
    parts = np.split(rows, np.cumsum([v.sum() for v in vary])[:-1], axis=1)
    out = []
    for t, v, part in zip(tables, vary, parts, strict=True):
        o = np.repeat(t[:1], rows.shape[0], axis=0)
        o[:, v] = part
        out.append(o)
    return np.column_stack([knots[start], knots[end]]).ravel(), out


# growth_corrections: steps of norm x length above this take the matrix's exponential
_TAYLOR_ON_VECTOR = 3.0


@nb.njit(cache=True)
def _generator(tables, r0, r1, b_col, d_col, m_col, m_src, diag, rate):
    """The mean generator of the rates midway between rows ``r0`` and ``r1`` of ``tables``
    (birth, death, move), read through each type's birth and death column and each move's
    column: births minus deaths and moves out on the diagonal (``diag``), moves off it
    (``rate``)."""
    b, d, m = tables
    for i in range(diag.shape[0]):
        diag[i] = 0.5 * (b[r0, b_col[i]] + b[r1, b_col[i]] - d[r0, d_col[i]] - d[r1, d_col[i]])
    for e in range(m_src.shape[0]):
        rate[e] = 0.5 * (m[r0, m_col[e]] + m[r1, m_col[e]])
        diag[m_src[e]] -= rate[e]


@nb.njit(cache=True)
def _norm_h(diag, h):
    """The size of a step of ``h`` days for the generator with diagonal ``diag``."""
    return np.abs(diag).max() * h


@nb.njit(cache=True)
def _long(diag, h):
    """Whether a step of ``h`` days is long for the generator with diagonal ``diag``: its
    exponential is then taken of the matrix (:func:`_expm`), else on the vector."""
    return _norm_h(diag, h) > _TAYLOR_ON_VECTOR


@nb.njit(cache=True)
def _grow_work(n):
    """Scratch space of :func:`_grow` for ``n`` types (two vectors, two matrices and
    :func:`cllsim.engine.moves.expm_mean`'s six)."""
    return (np.empty(n), np.empty(n), np.empty((n, n)), np.empty((n, n)), np.empty((6, n, n)))


@nb.njit(cache=True)
def _grow(v, diag, rate, h, m_src, m_dst, work):
    """``v <- v expm(A h) / sum``, returning the log of the sum, for the generator ``A`` of
    :func:`_generator`: on ``v``, a Taylor series summed to 1e-10 (``v`` sums to 1) over
    sub-steps of norm <= 1, for a short step; of the matrix (:func:`_expm`) for a long one
    (a week of steps of norm 1 costs more than the matrix's exponential)."""
    norm_h = _norm_h(diag, h)
    if norm_h > _TAYLOR_ON_VECTOR:  # long (:func:`_long`): the matrix's exponential
        _expm(diag, rate, h, m_src, m_dst, work)
        return _apply(v, work)
    n = v.shape[0]
    term, nxt = work[0], work[1]
    n_sub = max(1, int(np.ceil(norm_h)))
    dt = h / n_sub
    log_sum = 0.0
    for _ in range(n_sub):
        term[:] = v
        k = 1
        while True:
            for i in range(n):
                nxt[i] = term[i] * diag[i]
            for e in range(m_src.shape[0]):
                nxt[m_dst[e]] += term[m_src[e]] * rate[e]
            f = dt / k
            big = 0.0
            for i in range(n):
                term[i] = nxt[i] * f
                v[i] += term[i]
                big = max(big, abs(term[i]))
            if big <= 1e-10:
                break
            k += 1
        s = v.sum()
        v /= s
        log_sum += np.log(s)
    return log_sum


@nb.njit(cache=True)
def _expm(diag, rate, h, m_src, m_dst, work):
    """``work[3] = expm(A h)`` for the generator of :func:`_generator`
    (:func:`cllsim.engine.moves.expm_mean`)."""
    a, out, w = work[2], work[3], work[4]
    n = diag.shape[0]
    a[:, :] = 0.0
    for i in range(n):
        a[i, i] = diag[i] * h
    for e in range(m_src.shape[0]):
        a[m_src[e], m_dst[e]] += rate[e] * h
    expm_mean(a, n, out, w)


@nb.njit(cache=True)
def _apply(v, work):
    """``v <- v work[3] / sum`` (the exponential of :func:`_expm`), returning the log of
    the sum."""
    out, nxt = work[3], work[1]
    n = v.shape[0]
    for j in range(n):
        acc = 0.0
        for i in range(n):
            acc += v[i] * out[i, j]
        nxt[j] = acc
    s = nxt.sum()
    v[:] = nxt / s
    return np.log(s)


@nb.njit(cache=True)
def _near_table(f, j0, j1, a, r, cols, flat_rate):
    """:func:`_near` for one table."""
    for c in cols:
        lo = min(a[r, c], a[r + 1, c]) - flat_rate
        hi = max(a[r, c], a[r + 1, c]) + flat_rate
        for j in range(j0, j1 + 1):
            if f[j, c] < lo or f[j, c] > hi:
                return False
    return True


@nb.njit(cache=True)
def _near(fine, j0, j1, averaged, r, b_col, d_col, m_col, flat_rate):
    """Whether rows ``j0..j1`` of the ``fine`` tables are within ``flat_rate`` of rows ``r``
    and ``r + 1`` of the ``averaged`` ones in every column read."""
    return (
        _near_table(fine[0], j0, j1, averaged[0], r, b_col, flat_rate)
        and _near_table(fine[1], j0, j1, averaged[1], r, d_col, flat_rate)
        and _near_table(fine[2], j0, j1, averaged[2], r, m_col, flat_rate)
    )


@nb.njit(cache=True)
def growth_corrections(
    fine_knots, fine, knots, averaged, b_col, d_col, m_col, m_src, m_dst, v0, flat_rate
):
    """The death rate to add on each averaged piece to every type of a component (a set of
    types that moves connect) so that the component's mean cells, from composition ``v0``,
    on the averaged tables so corrected are those on the fine tables at every piece's end.

    Parameters
    ----------
    fine_knots : float64[m]
    fine : tuple of float64[m, *] (birth, death, move columns)
    knots : float64[2p] (each piece's start and end)
    averaged : tuple of float64[2p, *] (the same columns averaged)
    b_col, d_col : int64[n] (each type's birth and death column)
    m_col, m_src, m_dst : int64[e] (each move's column, source and target type, 0..n-1)
    v0 : float64[n] (cells of each type at the start; only the composition counts; all
        zero: evenly spread)
    flat_rate : float
        Where every rate read stays within this of its average on a piece (after treatment,
        while an effect fades), the fine path follows the average there too, in one step,
        instead of interval by interval.

    Returns
    -------
    float64[p]: on each piece, (log growth on the averaged tables - log growth on the fine
    ones) / its length, each path from its own composition at the piece's start.  Each
    path's growth over a fine interval or a piece is that of the exponential of its mean
    generator at the midpoint (:func:`_grow`), to 1e-10.
    """
    n = v0.shape[0]
    p_count = knots.shape[0] // 2
    delta = np.zeros(p_count)
    total = v0.sum()
    fine_v = v0 / total if total > 0.0 else np.full(n, 1.0 / n)
    avg_v = fine_v.copy()
    work = _grow_work(n)
    diag = np.empty(n)
    rate = np.empty(m_src.shape[0])
    j = 0
    m = fine_knots.shape[0]
    for p in range(p_count):
        t0 = knots[2 * p]
        t1 = knots[2 * p + 1]
        while j < m - 1 and fine_knots[j + 1] <= t0:
            j += 1
        _generator(averaged, 2 * p, 2 * p + 1, b_col, d_col, m_col, m_src, diag, rate)
        grown = _grow(avg_v, diag, rate, t1 - t0, m_src, m_dst, work)
        j1 = j
        while j1 < m - 1 and fine_knots[j1 + 1] <= t1:
            j1 += 1
        if j1 - j > 1 and _near(fine, j, j1, averaged, 2 * p, b_col, d_col, m_col, flat_rate):
            # every rate within flat_rate of its average (after treatment, while an effect
            # fades): the fine path follows the average too, in one step
            if _long(diag, t1 - t0):  # the exponential just taken
                grown -= _apply(fine_v, work)
            else:
                grown -= _grow(fine_v, diag, rate, t1 - t0, m_src, m_dst, work)
            j = j1
        while j < j1:
            h = fine_knots[j + 1] - fine_knots[j]
            if h > 0.0:
                _generator(fine, j, j + 1, b_col, d_col, m_col, m_src, diag, rate)
                grown -= _grow(fine_v, diag, rate, h, m_src, m_dst, work)
            j += 1
        delta[p] = grown / (t1 - t0)
    return delta
