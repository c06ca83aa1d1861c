"""Pharmacodynamics: exposures to per-type rate changes (Emax/Hill, Bliss independence).

For drug *j* acting on cell type *i* with exposure ``x_j`` (ng/mL, or a fraction for BTK
occupancy), the Hill fraction is ``H = x^h / (EC50^h + x^h)`` (Hill 1910; Holford & Sheiner,
Clin Pharmacokinet 1981;6:429, doi:10.2165/00003088-198106060-00002 [M]).

* **Death.** Drug *j* adds a death hazard ``kmax[i, j] * H`` (per day).  Independent killing
  mechanisms add hazards; this is Bliss independence on survival: over any interval the
  probability of surviving all drugs is the product of the probabilities of surviving each
  (``1 - P_kill = prod_j (1 - P_kill_j)``; Bliss, Ann Appl Biol 1939;26:585,
  doi:10.1111/j.1744-7348.1939.tb06990.x [M]).
* **Birth.** Drug *j* removes the fraction ``imax[i, j] * H`` of divisions; fractions combine
  by Bliss independence, so the birth rate is multiplied by ``prod_j (1 - imax H)``.

Microenvironment protection enters through per-type EC50: e.g. lymph-node types get the
venetoclax EC50 times ``PD_DEFAULTS.lymph_node_bh3_mimetic_ec50_fold`` (about 1000-fold;
Vogler et al., Blood 2009;113:4403).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit

from cllsim.errors import SpecError

__all__ = ["bliss_independence", "emax_effect", "hill_fraction", "rate_effects"]


def hill_fraction(exposure: ArrayLike, ec50: ArrayLike, hill: ArrayLike) -> NDArray[np.float64]:
    """``x^h / (EC50^h + x^h)`` elementwise (broadcast), in [0, 1].

    Computed as ``expit(h * (ln x - ln EC50))``: no overflow for any x >= 0 and 0 at x = 0.

    Examples
    --------
    >>> float(hill_fraction(2.0, 2.0, 3.0))
    0.5
    """
    x = np.asarray(exposure, dtype=np.float64)
    with np.errstate(divide="ignore"):
        log_ratio = np.log(x) - np.log(np.asarray(ec50, dtype=np.float64))
    return expit(np.asarray(hill, dtype=np.float64) * log_ratio)


def emax_effect(
    exposure: ArrayLike, emax: ArrayLike, ec50: ArrayLike, hill: ArrayLike
) -> NDArray[np.float64]:
    """Emax/Hill model ``E = Emax x^h / (EC50^h + x^h)`` (units of Emax), broadcast."""
    return np.asarray(emax, dtype=np.float64) * hill_fraction(exposure, ec50, hill)


def bliss_independence(fractions: ArrayLike, axis: int = -1) -> NDArray[np.float64]:
    """Combined fractional effect of independent actions: ``1 - prod(1 - f)`` along ``axis``.

    Parameters
    ----------
    fractions : float64[...]
        Fractional effects (kill probabilities, fractions inhibited) in [0, 1].

    Examples
    --------
    >>> float(bliss_independence([0.5, 0.5]))
    0.75
    """
    f = np.asarray(fractions, dtype=np.float64)
    with np.errstate(divide="ignore"):  # a fraction of 1 gives log 0 = -inf, and 1 overall
        return -np.expm1(np.log1p(-f).sum(axis=axis))


def _table(name: str, value: ArrayLike, n_types: int, n_drugs: int) -> NDArray[np.float64]:
    arr = np.asarray(value, dtype=np.float64)
    try:
        arr = np.broadcast_to(arr, (n_types, n_drugs))
    except ValueError:
        raise SpecError(
            f"rate_effects: {name} has shape {np.shape(value)}; expected a scalar, ({n_drugs},) "
            f"or ({n_types}, {n_drugs}) (types x drugs)"
        ) from None
    if not np.all(np.isfinite(arr)):
        i, j = (int(v) for v in np.argwhere(~np.isfinite(arr))[0])
        raise SpecError(f"rate_effects: {name}[{i}, {j}] must be finite, got {float(arr[i, j])!r}")
    return arr


def _check(name: str, arr: NDArray, ok: NDArray, allowed: str) -> None:
    if not np.all(ok):
        i, j = (int(v) for v in np.argwhere(~ok)[0])
        raise SpecError(
            f"rate_effects: {name}[{i}, {j}] must be {allowed}, got {float(arr[i, j])!r}"
        )


def rate_effects(
    exposures: ArrayLike,
    *,
    death_kmax_per_day: ArrayLike,
    death_ec50: ArrayLike,
    death_hill: ArrayLike,
    birth_imax: ArrayLike,
    birth_ic50: ArrayLike,
    birth_hill: ArrayLike,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Added death rate and birth multiplier of every type at every time.

    Parameters
    ----------
    exposures : float64[n_times, n_drugs]
        Drug exposures (ng/mL, or fraction for BTK occupancy), >= 0; e.g. from
        :func:`cllsim.pkpd.grid.exposure_table`.
    death_kmax_per_day : float64[n_types, n_drugs] (or broadcastable)
        Largest added death rate of each drug on each type, per day, >= 0.
    death_ec50, birth_ic50 : float64[n_types, n_drugs]
        Exposure of half-maximal effect, in the drug's exposure unit, > 0.
    death_hill, birth_hill : float64[n_types, n_drugs]
        Hill coefficients, > 0.
    birth_imax : float64[n_types, n_drugs]
        Largest fraction of divisions prevented, in [0, 1].

    Returns
    -------
    added_death_per_day : float64[n_times, n_types]
        ``sum_j kmax[i, j] H_ij(x_j)``, per day.
    birth_multiplier : float64[n_times, n_types]
        ``prod_j (1 - imax[i, j] H_ij(x_j))``, in [0, 1].

    Raises
    ------
    SpecError
        For a bad shape or value, naming the array, the [type, drug] index and the value.
    """
    x = np.asarray(exposures, dtype=np.float64)
    if x.ndim != 2:
        raise SpecError(f"rate_effects: exposures must be (n_times, n_drugs), got {x.shape}")
    bad = ~np.isfinite(x) | (x < 0)
    if np.any(bad):
        k, j = (int(v) for v in np.argwhere(bad)[0])
        raise SpecError(
            f"rate_effects: exposures[{k}, {j}] must be finite and >= 0, got {float(x[k, j])!r}"
        )
    shapes = [
        np.shape(a)
        for a in (death_kmax_per_day, death_ec50, death_hill, birth_imax, birth_ic50, birth_hill)
    ]
    n_types = max((s[0] for s in shapes if len(s) == 2), default=1)
    n_drugs = x.shape[1]
    kmax = _table("death_kmax_per_day", death_kmax_per_day, n_types, n_drugs)
    ec50 = _table("death_ec50", death_ec50, n_types, n_drugs)
    dh = _table("death_hill", death_hill, n_types, n_drugs)
    imax = _table("birth_imax", birth_imax, n_types, n_drugs)
    ic50 = _table("birth_ic50", birth_ic50, n_types, n_drugs)
    bh = _table("birth_hill", birth_hill, n_types, n_drugs)
    _check("death_kmax_per_day", kmax, kmax >= 0, ">= 0 per day")
    _check("death_ec50", ec50, ec50 > 0, "> 0")
    _check("death_hill", dh, dh > 0, "> 0")
    _check("birth_imax", imax, (imax >= 0) & (imax <= 1), "in [0, 1]")
    _check("birth_ic50", ic50, ic50 > 0, "> 0")
    _check("birth_hill", bh, bh > 0, "> 0")
    xt = x[:, None, :]  # [n_times, 1, n_drugs] against [n_types, n_drugs]
    added_death = emax_effect(xt, kmax, ec50, dh).sum(axis=2)
    birth_multiplier = 1.0 - bliss_independence(emax_effect(xt, imax, ic50, bh), axis=2)
    return added_death, birth_multiplier
