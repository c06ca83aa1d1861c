"""The pure-move chain of KendallLeap's splitting: components and matrix exponentials."""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["edges_by_source", "expm_mean", "expm_transition", "move_components"]


@nb.njit(cache=True)
def move_components(msrc, mdst, n):
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
def _matmul(w, ia, ib, io, n):
    """``w[io, :n, :n] = w[ia, :n, :n] @ w[ib, :n, :n]`` without allocating (BLAS costs more
    at these sizes); the inner loop runs along rows, so it vectorises.  One array argument:
    numba counts references per array argument, which costs more than the product here."""
    for i in range(n):
        for j in range(n):
            w[io, i, j] = 0.0
        for k in range(n):
            aik = w[ia, i, k]
            if aik != 0.0:
                for j in range(n):
                    w[io, i, j] += aik * w[ib, k, j]


# 1/k! for the degree-12 Taylor polynomial
_INV_FACTORIAL = np.array([1.0 / float(np.prod(np.arange(1, k + 1))) for k in range(13)])


@nb.njit(cache=True)
def _expm(a, n, w):
    """Matrix exponential of ``a[:n, :n]`` (scaling and squaring of the degree-12 Taylor
    polynomial, evaluated by Paterson–Stockmeyer in 5 products), left in ``w[slot]``; returns
    the slot.  The matrix is scaled to norm <= 0.5, where the truncation error is below
    0.5^13/13! = 2e-14."""
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
    scale = 1.0 / (2.0**s)
    # slots of w: 0 A, 1 A^2, 2 A^3, 3 A^4, 4 and 5 the polynomial (ping-pong)
    for i in range(n):
        for j in range(n):
            w[0, i, j] = a[i, j] * scale
    _matmul(w, 0, 0, 1, n)
    _matmul(w, 1, 0, 2, n)
    _matmul(w, 1, 1, 3, n)
    c = _INV_FACTORIAL
    # p = B0 + A4 (B1 + A4 B2), Bk = c[4k] I + c[4k+1] A + c[4k+2] A^2 + c[4k+3] A^3
    # (B2 = c[8] I + ... + c[11] A^3 + c[12] A^4)
    for i in range(n):
        for j in range(n):
            w[5, i, j] = (
                c[9] * w[0, i, j] + c[10] * w[1, i, j] + c[11] * w[2, i, j] + c[12] * w[3, i, j]
            )
        w[5, i, i] += c[8]
    _matmul(w, 3, 5, 4, n)
    for i in range(n):
        for j in range(n):
            w[4, i, j] += c[5] * w[0, i, j] + c[6] * w[1, i, j] + c[7] * w[2, i, j]
        w[4, i, i] += c[4]
    _matmul(w, 3, 4, 5, n)
    for i in range(n):
        for j in range(n):
            w[5, i, j] += c[1] * w[0, i, j] + c[2] * w[1, i, j] + c[3] * w[2, i, j]
        w[5, i, i] += c[0]
    cur = 5
    for _ in range(s):
        _matmul(w, cur, cur, 9 - cur, n)  # 5 -> 4 -> 5 ...
        cur = 9 - cur
    return cur


@nb.njit(cache=True)
def expm_transition(a, n, out, w):
    """Matrix exponential of ``a[:n, :n]`` (:func:`_expm`) for generators of a cell's fate,
    written into ``out[:n, :n]``.

    ``a`` : a generator times a time: off-diagonal rates >= 0, rows summing to 0 (pure moves)
    or to minus the death rate (a cell can also die).  ``out[i, j]`` is the probability that a
    cell in ``i`` is in ``j`` at the end; ``1 - sum_j out[i, j]`` that it died.  Negative
    round-off is clipped and a row sum above 1 (round-off) is scaled back to 1.  ``w`` :
    float64[6, >= n, >= n] scratch space, so that no call allocates.
    """
    cur = _expm(a, n, w)
    for i in range(n):
        tot = 0.0
        for j in range(n):
            v = max(w[cur, i, j], 0.0)
            out[i, j] = v
            tot += v
        if tot > 1.0:
            for j in range(n):
                out[i, j] /= tot


@nb.njit(cache=True)
def edges_by_source(src, n):
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
def expm_mean(a, n, out, w):
    """Matrix exponential of ``a[:n, :n]`` (:func:`_expm`) for the mean of a linear
    multi-type branching process: ``a`` a generator times a time (off-diagonal move rates
    >= 0, net growth on the diagonal), ``out[i, j]`` the expected number of cells in ``j`` at
    the end per cell in ``i`` at the start.  Entries are >= 0 exactly; negative round-off is
    clipped."""
    cur = _expm(a, n, w)
    for i in range(n):
        for j in range(n):
            out[i, j] = max(w[cur, i, j], 0.0)
