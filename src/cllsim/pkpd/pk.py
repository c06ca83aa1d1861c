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
from typing import NamedTuple

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
    states = np.empty_like(weights)
    acc = np.zeros(n_modes)
    for j in range(starts.size):  # a scan over doses (a few thousand at most)
        if j:
            acc = acc * np.exp(-mode_rates * (starts[j] - starts[j - 1]))
        acc = acc + weights[j]
        states[j] = acc
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


def _decayed_states(sp: Superposition, t: NDArray, side: str) -> NDArray:
    """Per-mode sums at times ``t`` of every term started by then: float64[len(t), n_modes]."""
    idx = np.searchsorted(sp.starts, t, side=side) - 1
    out = np.zeros((t.size, sp.mode_rates.size))
    ok = idx >= 0
    if np.any(ok):
        dt = t[ok] - sp.starts[idx[ok]]
        out[ok] = sp.states[idx[ok]] * np.exp(-dt[:, None] * sp.mode_rates)
    return out


def evaluate(sp: Superposition, times_days: ArrayLike, *, left_limit: bool = False) -> NDArray:
    """Concentration (ng/mL) at ``times_days``: float64 with the shape of ``times_days``.

    Right-continuous: at a dose time the dose is included.  With ``left_limit=True`` the value
    just before each time is returned (differs only at IV bolus times).
    """
    t = np.asarray(times_days, dtype=np.float64)
    flat = t.reshape(-1)
    out = _decayed_states(sp, flat, "left" if left_limit else "right").sum(axis=1)
    for t0, t1, rate in zip(sp.infusion_start, sp.infusion_end, sp.infusion_rate, strict=True):
        running = (flat > t0) & (flat <= t1) if left_limit else (flat >= t0) & (flat < t1)
        if np.any(running):
            s = flat[running, None] - t0
            out[running] += rate * (_phi(sp.rates, s) @ sp.coef)
    return np.maximum(out, 0.0).reshape(t.shape)  # clip rounding below 0 near oral doses


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
    out = (_decayed_states(sp, a, "right") * _phi(sp.mode_rates, h[:, None])).sum(axis=1)
    for t0, t1, rate in zip(sp.infusion_start, sp.infusion_end, sp.infusion_rate, strict=True):
        running = (a >= t0) & (a < t1)
        if np.any(running):
            x, hr = a[running, None] - t0, h[running, None]
            per_mode = hr * _phi(sp.rates, x) + np.exp(-sp.rates * x) * _psi(sp.rates, hr)
            out[running] += rate * (per_mode @ sp.coef)
    return out.reshape(shape)


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
