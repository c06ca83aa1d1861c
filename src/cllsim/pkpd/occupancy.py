"""Covalent (irreversible) target occupancy, e.g. ibrutinib on BTK.

Free target fraction ``f`` (of a constant total) obeys

    df/dt = k_syn * (1 - f) - kappa * C(t) * f,        f = 1 before the first dose,

where ``C`` is the plasma concentration (ng/mL), ``kappa`` the inactivation rate per unit
concentration (per ng/mL per day) and ``k_syn`` the resynthesis rate (per day): bound target
is only replaced by newly made free target, so occupancy ``1 - f`` rises with every dose and
falls, once the drug is gone, at the resynthesis rate alone whatever the plasma level was.

The equation is linear in ``f``.  Over any interval ``[a, b]``

    f(b) = exp(-dU) f(a) + k_syn * integral_a^b exp(-(U(b) - U(s))) ds,
    U(t) = k_syn t + kappa * integral C,

with ``dU = U(b) - U(a)`` exact (closed-form integral of C, :func:`cllsim.pkpd.pk.integrate`).
Only the last integral has no closed form; it is evaluated by 8-point Gauss-Legendre
quadrature on pieces over which U grows by at most ``_MAX_DU_PER_PIECE`` and the fastest PK
mode decays by at most a factor e (relative quadrature error < 1e-11, see the tests).  Where
the drug adds less than ``_NO_DRUG_DU`` to U over a stretch between doses, the closed form
``f(b) = 1 - (1 - f(a)) exp(-k_syn (b - a))`` is used.  No ODE is stepped.

:func:`occupancy_table` does the work once for a dose history up to a horizon;
:func:`free_fraction_at` then answers any times up to that horizon.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import NamedTuple

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from cllsim.pkpd.pk import (
    Superposition,
    integrate,
    integrate_consecutive,
    last_input_at_or_before,
)

__all__ = ["OccupancyTable", "free_fraction_at", "free_target_fraction", "occupancy_table"]

_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(8)
_GL_NODES_PLUS_ONE = 1.0 + _GL_NODES
_MAX_DU_PER_PIECE = 0.5  # growth of U per quadrature piece: integrand varies <= e**0.5
_NO_DRUG_DU = 1e-13  # drug part of dU below which the drug term is dropped (error < 1e-13)
_BLOCK_PIECES = 2048  # pieces per block in _step (speed only: results do not depend on it)


class OccupancyTable(NamedTuple):
    """Free fraction at the edges of quadrature pieces covering [first dose, horizon]."""

    edges: NDArray[np.float64]  # [n_pieces + 1] days
    free: NDArray[np.float64]  # [n_pieces + 1] free fraction at the edges
    present: NDArray[np.bool_]  # [n_pieces] whether the drug term is kept on the piece
    inactivation_rate: float  # kappa, per (ng/mL) per day
    resynthesis_rate_per_day: float  # k_syn


def _split(edges: NDArray, n_sub: NDArray) -> tuple[NDArray, NDArray]:
    """Split interval k of ``edges`` into ``n_sub[k]`` equal parts; return edges and parents."""
    parent = np.repeat(np.arange(n_sub.size), n_sub)
    first = np.concatenate([[0], np.cumsum(n_sub)[:-1]])
    j = np.arange(parent.size) - first[parent]
    h = np.diff(edges)
    left = edges[:-1][parent] + h[parent] * (j / n_sub[parent])
    return np.append(left, edges[-1]), parent


@numba.njit(cache=True)
def _scan(a: NDArray, b: NDArray, f0: float) -> NDArray:  # pragma: no cover - compiled
    """f[0] = f0, f[k + 1] = a[k] f[k] + b[k]: a linear recurrence (cannot be vectorised)."""
    out = np.empty(a.size + 1)
    out[0] = f0
    for k in range(a.size):
        out[k + 1] = a[k] * out[k] + b[k]
    return out


def _step(
    sp: Superposition,
    a: NDArray,
    h: NDArray,
    present: NDArray,
    kappa: float,
    ksyn: float,
    batch_starts: Sequence[int] = (),
) -> tuple[NDArray, NDArray]:
    """Coefficients (A, B) of f(a + h) = A f(a) + B for pieces [a, a + h] inside table pieces.

    Pieces go through in blocks of :data:`_BLOCK_PIECES` so that the temporaries stay in the
    cache.  Every number is computed elementwise except the quadrature sums, a matrix product
    whose rounding depends on how many rows go together: it is taken over all pieces, or per
    batch (``batch_starts``: positions where batches start), as separate calls would.
    """
    n = a.size
    block = n if sp.infusion_start.size else _BLOCK_PIECES  # infusion sums: one batch
    big_a = np.empty(n)
    integrand = np.empty((n, _GL_NODES.size))
    source = last_input_at_or_before(sp.starts, a)
    for lo in range(0, n, max(block, 1)):
        hi = min(n, lo + block)
        big_a[lo:hi], integrand[lo:hi] = _step_block(
            sp, a[lo:hi], h[lo:hi], source[lo:hi], kappa, ksyn
        )
    if len(batch_starts) == 0:
        sums = integrand @ _GL_WEIGHTS
    else:
        sums = np.empty(n)
        bounds = [0, *batch_starts, n]
        for lo, hi in itertools.pairwise(bounds):
            if hi > lo:
                sums[lo:hi] = integrand[lo:hi] @ _GL_WEIGHTS
    b_quad = ksyn * h / 2.0 * sums
    return big_a, np.where(present, b_quad, -np.expm1(-ksyn * h))


def _step_block(
    sp: Superposition, a: NDArray, h: NDArray, source: NDArray, kappa: float, ksyn: float
) -> tuple[NDArray, NDArray]:
    """A (float64[n]) and the quadrature integrand at the Gauss nodes (float64[n, 8]).

    Arrays are laid out node-major (``[node, piece]``) so that every operation runs along
    contiguous memory; the arithmetic is that of the piece-major formulas, term by term.
    """
    nodes = a + h * _GL_NODES_PLUS_ONE[:, None] / 2.0  # [8, n]
    ends = a + h
    edges = np.vstack([a, nodes, ends])  # [10, n]: 9 sub-pieces per piece
    parts = kappa * integrate_consecutive(sp, edges, source)
    tail = np.empty_like(parts)  # drug part of U(end) - U(node): sums from the end
    tail[-1] = parts[-1]
    for k in range(parts.shape[0] - 2, -1, -1):
        tail[k] = tail[k + 1] + parts[k]
    big_a = np.exp(-(ksyn * h + tail[0]))
    integrand = np.exp(-(ksyn * (ends - nodes) + tail[1:]))
    return big_a, integrand.T


def occupancy_table(
    sp: Superposition,
    horizon_days: float,
    *,
    inactivation_rate: float,
    resynthesis_rate_per_day: float,
) -> OccupancyTable:
    """Free target fraction at quadrature-piece edges from the first dose to ``horizon_days``.

    Parameters
    ----------
    sp : Superposition
        The drug's doses and PK (:func:`cllsim.pkpd.pk.superpose`).
    horizon_days : float
        Last time that will be asked, days.
    inactivation_rate : float
        kappa, per (ng/mL) per day, > 0.
    resynthesis_rate_per_day : float
        k_syn, per day, > 0.

    Notes
    -----
    Cost grows with the time under drug: about ``max rate of the PK + kappa * AUC / 0.5``
    pieces per day of treatment (a few hundred for ibrutinib 420 mg daily).
    """
    kappa, ksyn = float(inactivation_rate), float(resynthesis_rate_per_day)
    inputs = np.concatenate([sp.starts, sp.infusion_start])
    if inputs.size == 0 or horizon_days <= inputs.min():
        t0 = float(inputs.min()) if inputs.size else float(horizon_days)
        return OccupancyTable(np.array([t0]), np.ones(1), np.zeros(0, bool), kappa, ksyn)
    t0 = float(inputs.min())
    grid = np.unique(np.concatenate([[t0, horizon_days], inputs[inputs < horizon_days]]))
    present = kappa * integrate(sp, grid) > _NO_DRUG_DU
    mu_max = float(sp.mode_rates.max())
    n1 = np.where(present, np.maximum(1, np.ceil(mu_max * np.diff(grid))), 1)
    edges1, parent1 = _split(grid, n1.astype(np.int64))
    du1 = ksyn * np.diff(edges1) + kappa * integrate(sp, edges1)
    present1 = present[parent1]
    n2 = np.where(present1, np.maximum(1, np.ceil(du1 / _MAX_DU_PER_PIECE)), 1)
    edges, parent2 = _split(edges1, n2.astype(np.int64))
    present2 = present1[parent2]
    big_a, big_b = _step(sp, edges[:-1], np.diff(edges), present2, kappa, ksyn)
    return OccupancyTable(edges, _scan(big_a, big_b, 1.0), present2, kappa, ksyn)


def free_fraction_at(
    table: OccupancyTable,
    sp: Superposition,
    times_days: ArrayLike,
    *,
    batch_starts: Sequence[int] = (),
) -> NDArray[np.float64]:
    """Free target fraction at ``times_days`` (any shape, days) from a table of the same ``sp``.

    Times before the first dose give 1; times after the table's horizon raise ValueError
    (build the table with a later horizon).  ``batch_starts`` (positions in the flattened
    times) splits the times into batches that give, bit for bit, the values of one call per
    batch (see :func:`cllsim.pkpd.pk.evaluate`).
    """
    t = np.asarray(times_days, dtype=np.float64)
    flat = t.reshape(-1)
    out = np.ones(flat.size)
    if table.present.size == 0:
        return out.reshape(t.shape)
    if flat.size and flat.max() > table.edges[-1]:
        raise ValueError(
            f"time {float(flat.max())!r} is after the table horizon {float(table.edges[-1])!r}"
        )
    if len(batch_starts) and sp.infusion_start.size:  # infusion sums: one call per batch
        parts = np.split(flat, batch_starts)
        return np.concatenate([free_fraction_at(table, sp, p) for p in parts]).reshape(t.shape)
    inside = flat > table.edges[0]
    piece = np.searchsorted(table.edges, flat[inside], side="right") - 1
    piece = np.minimum(piece, table.present.size - 1)
    a = table.edges[piece]
    h = flat[inside] - a
    inside_before = np.concatenate([[0], np.cumsum(inside)])
    big_a, big_b = _step(
        sp,
        a,
        h,
        table.present[piece],
        table.inactivation_rate,
        table.resynthesis_rate_per_day,
        [int(inside_before[b]) for b in batch_starts],
    )
    out[inside] = big_a * table.free[piece] + big_b
    return np.clip(out, 0.0, 1.0).reshape(t.shape)


def free_target_fraction(
    sp: Superposition,
    times_days: ArrayLike,
    *,
    inactivation_rate: float,
    resynthesis_rate_per_day: float,
) -> NDArray[np.float64]:
    """Free target fraction (in (0, 1]) at ``times_days``; occupancy is ``1 - f``.

    One call of :func:`occupancy_table` up to the latest time, then :func:`free_fraction_at`.
    """
    t = np.asarray(times_days, dtype=np.float64)
    horizon = float(t.max()) if t.size else 0.0
    table = occupancy_table(
        sp,
        horizon,
        inactivation_rate=inactivation_rate,
        resynthesis_rate_per_day=resynthesis_rate_per_day,
    )
    return free_fraction_at(table, sp, t)
