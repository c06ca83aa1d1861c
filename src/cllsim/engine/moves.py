"""The pure-move chain of KendallLeap's splitting: components and matrix exponentials."""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["edges_by_source", "expm_transition", "move_components"]


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
def _matmul(a, b, out, n):
    """``out[:n, :n] = a[:n, :n] @ b[:n, :n]`` without allocating (BLAS costs more here)."""
    for i in range(n):
        for j in range(n):
            acc = 0.0
            for k in range(n):
                acc += a[i, k] * b[k, j]
            out[i, j] = acc


@nb.njit(cache=True)
def expm_transition(a, n, out, work):
    """Matrix exponential of ``a[:n, :n]`` (scaling and squaring of the Taylor series), for
    generators of a cell's fate, written into ``out[:n, :n]``.

    ``a`` : a generator times a time: off-diagonal rates >= 0, rows summing to 0 (pure moves)
    or to minus the death rate (a cell can also die).  ``out[i, j]`` is the probability that a
    cell in ``i`` is in ``j`` at the end; ``1 - sum_j out[i, j]`` that it died.  Negative
    round-off is clipped and a row sum above 1 (round-off) is scaled back to 1.  ``work`` :
    float64[3, >= n, >= n] scratch space, so that no call allocates.  The series stops once a
    term's entries are below 1e-18 (the scaled matrix has norm <= 0.5).
    """
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
    scaled, term, nxt = work[0], work[1], work[2]
    for i in range(n):
        for j in range(n):
            scaled[i, j] = a[i, j] * scale
            out[i, j] = 0.0
            term[i, j] = 0.0
        out[i, i] = 1.0
        term[i, i] = 1.0
    for kk in range(1, 30):
        _matmul(term, scaled, nxt, n)
        big = 0.0
        for i in range(n):
            for j in range(n):
                v = nxt[i, j] / kk
                term[i, j] = v
                out[i, j] += v
                big = max(big, abs(v))
        if big < 1e-18:
            break
    for _ in range(s):
        _matmul(out, out, nxt, n)
        for i in range(n):
            for j in range(n):
                out[i, j] = nxt[i, j]
    for i in range(n):
        tot = 0.0
        for j in range(n):
            if out[i, j] < 0.0:
                out[i, j] = 0.0
            tot += out[i, j]
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
