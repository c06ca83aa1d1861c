"""Closed-form linear PK: concentrations and their integrals by superposition.

A linear one- or two-compartment model answers a unit bolus into the central compartment
with ``C(t) = sum_i coef[i] * exp(-rates[i] * t)`` (:func:`disposition`).  Every dose adds a
sum of exponentials:

* bolus of D mg: ``D * coef[i]`` on each disposition mode, from the dose time;
* oral dose of D mg with absorption rate ka and bioavailability F: ``F D ka coef[i] /
  (ka - rates[i])`` on each disposition mode and ``-F D ka sum_i coef[i] / (ka - rates[i])``
  on an extra mode of rate ka, from the dose time;
* zero-order infusion of D mg over T days (rate R = D/T mg/day): while it runs,
  ``R sum_i coef[i] (1 - exp(-rates[i] s)) / rates[i]`` at time s into the infusion; after it
  ends, a bolus-like term ``R coef[i] (1 - exp(-rates[i] T)) / rates[i]`` from the end time.

Terms of the same rate are accumulated across doses in time order (the state just after
each dose input), so evaluating ``n_times`` points after ``n_doses`` doses costs
``O((n_times + n_doses) * n_modes)`` and is exact to rounding at any time, dose times
included (right-continuous; ``left_limit=True`` gives the value just before).

Units: time in days, amounts in mg, volumes in L, concentrations in ng/mL
(1 mg/L = 1000 ng/mL).

References
----------
Gibaldi M, Perrier D. Pharmacokinetics, 2nd ed. Marcel Dekker, 1982 (chapters 1-3).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import NamedTuple

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Superposition",
    "disposition",
    "evaluate",
    "integrate",
    "integrate_pieces",
    "superpose",
]

NG_PER_ML_PER_MG_PER_L = 1000.0  # 1 mg/L = 1 ug/mL = 1000 ng/mL
_PSI_SERIES_BELOW = 1e-2  # below this rate*h the series for psi is exact to ~1e-14


class Superposition(NamedTuple):
    """The doses of one drug folded into per-mode states (arrays only; see module doc)."""

    starts: NDArray[np.float64]  # [n_sources] sorted times from which each term decays
    states: NDArray[np.float64]  # [n_sources, n_modes] summed terms just after each start
    mode_rates: NDArray[np.float64]  # [n_modes] per day
    coef: NDArray[np.float64]  # [n_disp] ng/mL per mg, disposition coefficients
    rates: NDArray[np.float64]  # [n_disp] per day, disposition rates
    infusion_start: NDArray[np.float64]  # [n_inf] days
    infusion_end: NDArray[np.float64]  # [n_inf] days
    infusion_rate: NDArray[np.float64]  # [n_inf] mg/day


def disposition(
    clearance_l_per_day: float,
    central_volume_l: float,
    peripheral_volume_l: float = 0.0,
    intercompartmental_clearance_l_per_day: float = 0.0,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Unit-bolus response of the central concentration as a sum of exponentials.

    Parameters
    ----------
    clearance_l_per_day : float
        CL, L/day, > 0.
    central_volume_l : float
        Vc, L, > 0.
    peripheral_volume_l, intercompartmental_clearance_l_per_day : float
        Vp (L) and Q (L/day); both 0 for a one-compartment model, both > 0 for two.

    Returns
    -------
    coef : float64[n]
        ng/mL per mg dosed (n = 1 or 2); ``coef.sum() == 1000 / central_volume_l``.
    rates : float64[n]
        Per day, fastest first.

    Examples
    --------
    >>> coef, rates = disposition(10.0, 100.0)
    >>> coef.tolist(), rates.tolist()
    ([10.0], [0.1])
    """
    k10 = clearance_l_per_day / central_volume_l
    scale = NG_PER_ML_PER_MG_PER_L / central_volume_l
    if peripheral_volume_l == 0:
        return np.array([scale]), np.array([k10])
    k12 = intercompartmental_clearance_l_per_day / central_volume_l
    k21 = intercompartmental_clearance_l_per_day / peripheral_volume_l
    s, p = k10 + k12 + k21, k10 * k21
    root = math.sqrt(s * s - 4.0 * p)
    lam1 = (s + root) / 2.0
    lam2 = 2.0 * p / (s + root)  # the small root without cancellation
    a1 = scale * (k21 - lam1) / (lam2 - lam1)
    a2 = scale * (k21 - lam2) / (lam1 - lam2)
    return np.array([a1, a2]), np.array([lam1, lam2])


def _phi(rate: NDArray, h: NDArray) -> NDArray:
    """(1 - exp(-rate h)) / rate: the integral of exp(-rate s) over [0, h]."""
    return -np.expm1(-rate * h) / rate


def _psi(rate: NDArray, h: NDArray) -> NDArray:
    """(rate h - 1 + exp(-rate h)) / rate**2: the integral of _phi over [0, h]."""
    x = rate * h
    series = h * h * (0.5 - x / 6.0 + x * x / 24.0 - x**3 / 120.0 + x**4 / 720.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        direct = (x + np.expm1(-x)) / (rate * rate)
    return np.where(x < _PSI_SERIES_BELOW, series, direct)


@numba.njit(cache=True)
def _fold(decay: NDArray, weights: NDArray) -> NDArray:  # pragma: no cover - compiled
    """states[0] = weights[0], states[j] = states[j - 1] * decay[j - 1] + weights[j]: the
    terms of every dose so far, per mode, just after dose j (a scan over the doses)."""
    states = np.empty_like(weights)
    for m in range(weights.shape[1]):
        acc = 0.0
        for j in range(weights.shape[0]):
            if j:
                acc = acc * decay[j - 1, m]
            acc = acc + weights[j, m]
            states[j, m] = acc
    return states


def superpose(
    dose_times_days: ArrayLike,
    amounts_mg: ArrayLike,
    durations_days: ArrayLike,
    oral: ArrayLike,
    *,
    coef: ArrayLike,
    rates: ArrayLike,
    absorption_rate_per_day: float | None = None,
    bioavailability: float = 1.0,
) -> Superposition:
    """Fold a drug's doses into per-mode states for :func:`evaluate` and :func:`integrate`.

    Parameters
    ----------
    dose_times_days : float64[n_doses]
        Dose (or infusion start) times, days, any order.
    amounts_mg : float64[n_doses]
        mg, > 0.
    durations_days : float64[n_doses]
        Infusion durations, days; 0 for bolus and oral doses.
    oral : bool[n_doses]
        True for oral doses (their duration must be 0).
    coef, rates : float64[n_disp]
        From :func:`disposition`.
    absorption_rate_per_day : float, optional
        ka, per day; required when any dose is oral, and not equal to any of ``rates``.
    bioavailability : float
        F in (0, 1] for oral doses.

    Returns
    -------
    Superposition
    """
    t = np.asarray(dose_times_days, dtype=np.float64).reshape(-1)
    amount = np.asarray(amounts_mg, dtype=np.float64).reshape(-1)
    dur = np.asarray(durations_days, dtype=np.float64).reshape(-1)
    is_oral = np.asarray(oral, dtype=bool).reshape(-1)
    c = np.asarray(coef, dtype=np.float64)
    lam = np.asarray(rates, dtype=np.float64)
    infusion = dur > 0
    has_ka = absorption_rate_per_day is not None
    n_modes = lam.size + int(has_ka)
    weights = np.zeros((t.size, n_modes))
    bolus = ~is_oral & ~infusion
    weights[bolus, : lam.size] = amount[bolus, None] * c
    rate_mg_day = np.where(infusion, amount / np.where(infusion, dur, 1.0), 0.0)
    weights[infusion, : lam.size] = rate_mg_day[infusion, None] * c * _phi(lam, dur[infusion, None])
    mode_rates = lam
    if has_ka:
        ka = float(absorption_rate_per_day)
        per_mode = bioavailability * ka * c / (ka - lam)  # ng/mL per mg on each mode
        weights[is_oral, : lam.size] = amount[is_oral, None] * per_mode
        weights[is_oral, lam.size] = -amount[is_oral] * per_mode.sum()
        mode_rates = np.append(lam, ka)
    starts = t + np.where(infusion, dur, 0.0)
    order = np.argsort(starts, kind="stable")
    starts, weights = starts[order], weights[order]
    decay = np.exp(-np.asarray(mode_rates)[None, :] * np.diff(starts)[:, None])
    states = _fold(decay, np.ascontiguousarray(weights))
    return Superposition(
        starts=starts,
        states=states,
        mode_rates=np.asarray(mode_rates, dtype=np.float64),
        coef=c,
        rates=lam,
        infusion_start=t[infusion],
        infusion_end=t[infusion] + dur[infusion],
        infusion_rate=rate_mg_day[infusion],
    )


def _decayed_modes(sp: Superposition, t: NDArray, side: str) -> NDArray:
    """Per-mode sums at times ``t`` of every term started by then: float64[n_modes, len(t)]."""
    idx = np.searchsorted(sp.starts, t, side=side) - 1
    if idx.size and idx.min() >= 0:  # every time after the first dose: no mask needed
        out = np.exp(-(t - sp.starts.take(idx)) * sp.mode_rates[:, None])
        return np.multiply(_states_by_mode(sp).take(idx, axis=1), out, out=out)
    out = np.zeros((sp.mode_rates.size, t.size))
    ok = idx >= 0
    if np.any(ok):
        dt = t[ok] - sp.starts[idx[ok]]
        out[:, ok] = sp.states[idx[ok]].T * np.exp(-dt * sp.mode_rates[:, None])
    return out


def _states_by_mode(sp: Superposition) -> NDArray:
    """``sp.states`` transposed and contiguous: float64[n_modes, n_sources]."""
    return _layouts(sp)[0]


def _next_starts(sp: Superposition) -> NDArray:
    """The start after each start (``inf`` after the last): float64[n_sources]."""
    return _layouts(sp)[1]


_LAYOUTS_KEPT = 8  # superpositions whose derived arrays are kept (an evaluator asks many times)
_layouts_kept: dict[int, tuple[NDArray, NDArray, NDArray]] = {}
_layouts_lock = threading.Lock()


def _layouts(sp: Superposition) -> tuple[NDArray, NDArray]:
    """Arrays derived from ``sp`` once, kept by the identity of ``sp.states``."""
    with _layouts_lock:
        kept = _layouts_kept.get(id(sp.states))
    if kept is not None and kept[0] is sp.states:
        return kept[1], kept[2]
    by_mode = np.ascontiguousarray(sp.states.T)
    after = np.append(sp.starts[1:], np.inf)
    with _layouts_lock:
        while len(_layouts_kept) >= _LAYOUTS_KEPT:
            del _layouts_kept[next(iter(_layouts_kept))]
        _layouts_kept[id(sp.states)] = (sp.states, by_mode, after)
    return by_mode, after


def _infusion_groups(sp: Superposition, t: NDArray, left_limit: bool) -> list[tuple[int, NDArray]]:
    """``(k, positions of t while infusion k runs)`` for every infusion running at some t.

    Running means ``start <= t < end`` (``start < t <= end`` for left limits).  Positions are
    increasing, as a boolean mask would give them, and infusions come in their own order.
    """
    n_inf = sp.infusion_start.size
    if n_inf == 0 or t.size == 0:
        return []
    order = np.argsort(sp.infusion_start, kind="stable")
    begin, end = sp.infusion_start[order], sp.infusion_end[order]
    if n_inf > 1 and bool(np.any(begin[1:] < end[:-1])):  # overlapping: test each infusion
        groups = []
        for k, (t0, t1) in enumerate(zip(sp.infusion_start, sp.infusion_end, strict=True)):
            running = (t > t0) & (t <= t1) if left_limit else (t >= t0) & (t < t1)
            if np.any(running):
                groups.append((k, np.flatnonzero(running)))
        return groups
    # disjoint infusions: only the last one begun by t can be running at t
    pos = np.searchsorted(begin, t, side="left" if left_limit else "right") - 1
    last = np.maximum(pos, 0)
    running = (pos >= 0) & ((t <= end[last]) if left_limit else (t < end[last]))
    hit = np.flatnonzero(running)
    if hit.size == 0:
        return []
    which = pos[hit]
    return sorted((int(order[k]), hit[which == k]) for k in np.unique(which))


def evaluate(
    sp: Superposition,
    times_days: ArrayLike,
    *,
    left_limit: bool = False,
    batch_starts: Sequence[int] = (),
) -> NDArray:
    """Concentration (ng/mL) at ``times_days``: float64 with the shape of ``times_days``.

    Right-continuous: at a dose time the dose is included.  With ``left_limit=True`` the value
    just before each time is returned (differs only at IV bolus times).

    ``batch_starts`` (positions in the flattened times) splits the times into batches that
    give, bit for bit, the values of one call per batch: the only sums over times (the
    infusion terms' matrix products, whose rounding depends on how many rows go together)
    are taken per batch.
    """
    t = np.asarray(times_days, dtype=np.float64)
    flat = t.reshape(-1)
    out = _sum_modes(_decayed_modes(sp, flat, "left" if left_limit else "right"))
    for k, running in _infusion_groups(sp, flat, left_limit):
        for at in _by_batch(running, batch_starts):
            s = flat[at, None] - sp.infusion_start[k]
            out[at] += sp.infusion_rate[k] * (_phi(sp.rates, s) @ sp.coef)
    return np.maximum(out, 0.0).reshape(t.shape)  # clip rounding below 0 near oral doses


def _by_batch(positions: NDArray, batch_starts: Sequence[int]) -> list[NDArray]:
    """Increasing ``positions`` cut where batches start (empty parts dropped)."""
    if len(batch_starts) == 0:
        return [positions]
    parts = np.split(positions, np.searchsorted(positions, batch_starts))
    return [part for part in parts if part.size]


def integrate_pieces(sp: Superposition, lo: ArrayLike, hi: ArrayLike) -> NDArray:
    """Exact integrals of C over pieces ``[lo, hi]`` that contain no dose input inside.

    Precondition (not checked): ``lo <= hi`` and no dose time, infusion start or infusion end
    lies strictly inside any piece; pieces may come in any order.  Use :func:`integrate` for
    arbitrary intervals.

    Returns
    -------
    float64 with the shape of ``lo``: ng/mL * day.
    """
    a = np.asarray(lo, dtype=np.float64)
    shape = a.shape
    a = a.reshape(-1)
    h = np.asarray(hi, dtype=np.float64).reshape(-1) - a
    out = _sum_modes(_decayed_modes(sp, a, "right") * _phi(sp.mode_rates[:, None], h))
    for k, at in _infusion_groups(sp, a, False):
        x, hr = a[at, None] - sp.infusion_start[k], h[at, None]
        per_mode = hr * _phi(sp.rates, x) + np.exp(-sp.rates * x) * _psi(sp.rates, hr)
        out[at] += sp.infusion_rate[k] * (per_mode @ sp.coef)
    return out.reshape(shape)


def _sum_modes(x: NDArray) -> NDArray:
    """``x.sum(axis=0)`` for a short leading mode axis, added in the same order (0, 1, ...)."""
    out = x[0].copy()
    for k in range(1, x.shape[0]):
        out += x[k]
    return out


def integrate(sp: Superposition, edges_days: ArrayLike) -> NDArray:
    """Exact integrals of the concentration between consecutive edges, ng/mL * day.

    Parameters
    ----------
    edges_days : float64[n_edges]
        Non-decreasing times, days.

    Returns
    -------
    float64[n_edges - 1]
        ``integral of C over [edges[k], edges[k + 1]]``; 0 for repeated edges.
    """
    e = np.asarray(edges_days, dtype=np.float64).reshape(-1)
    if e.size < 2:
        return np.zeros(0)
    inner = np.concatenate([sp.starts, sp.infusion_start])
    inner = inner[(inner > e[0]) & (inner < e[-1])]
    bp = np.unique(np.concatenate([e, inner]))
    pieces = integrate_pieces(sp, bp[:-1], bp[1:])
    pos = np.searchsorted(bp, e)
    out = np.zeros(e.size - 1)
    nonempty = pos[1:] > pos[:-1]
    if np.any(nonempty):
        out[nonempty] = np.add.reduceat(pieces, pos[:-1][nonempty])
    return out
