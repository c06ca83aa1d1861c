"""Knot grids on which linear interpolation of drug exposures (and so of rates) is accurate.

The engine takes rates at knots and interpolates linearly between them; a knot repeated
twice is a jump (first copy: value just before; second: just after).  :func:`exposure_grid`
places knots at every dose time (twice at IV boluses, where the concentration jumps), at
every infusion end, at least every ``max_step_days``, and then halves every interval whose
quarter, middle or three-quarter point is off the chord by more than ``rtol`` of the local
exposure (or of ``floor_fraction`` times the drug's peak, so that the vanishing tails of a
drug do not ask for endless knots).  :func:`exposure_table` gives the exposures at those knots.

Rates are interpolated too, and a rate is a nonlinear function of exposure, so the grid
also bounds the change of ``ln(exposure)`` across each interval by ``max_log_step``.  For a
Hill map ``E(x)`` with coefficient ``h`` (``d ln E / d ln x <= h``) the relative error of a
linearly interpolated rate is then about ``h * rtol + (h * max_log_step)**2 / 8``: 1.5% for
``h = 2`` with the defaults (``rtol`` = 0.5%, ``max_log_step`` = 0.1).

Measured with the defaults (``tests/pkpd/test_grid.py``, exact curve on a one-minute grid):
venetoclax ramp-up then 400 mg daily, largest relative interpolation error of the
concentration 0.47% (asserted < 0.6%); of a Hill rate with ``h = 2``, 0.85% (asserted
< 1.5%).  About 40 knots per day on venetoclax; a handful per day on ibrutinib (BTK
occupancy is nearly flat).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

from cllsim.errors import SpecError
from cllsim.pkpd.dosing import Dose, DoseColumns, dose_columns
from cllsim.pkpd.exposure import exposure_evaluator, exposure_matrix
from cllsim.pkpd.parameters import DrugParameters

__all__ = [
    "DEFAULT_MAX_LOG_STEP",
    "DEFAULT_MAX_STEP_DAYS",
    "DEFAULT_RTOL",
    "exposure_grid",
    "exposure_table",
]

DEFAULT_RTOL = 0.005  # relative deviation from the chord allowed at the checked points
DEFAULT_MAX_STEP_DAYS = 1.0  # at least one knot per day
DEFAULT_FLOOR_FRACTION = 1e-3  # errors below 0.1% of a drug's peak are ignored
DEFAULT_MIN_STEP_DAYS = 1.0 / 86400.0  # never refine below one second (a guard only)
DEFAULT_MAX_LOG_STEP = 0.1  # largest |ln(x_end / x_start)| over an interval (see module doc)


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise SpecError(f"exposure_grid: {name} must be a number > 0, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise SpecError(f"exposure_grid: {name} must be a finite number > 0, got {float(value)!r}")
    return float(value)


def _check_drugs(doses: DoseColumns, drugs: Sequence[DrugParameters]) -> None:
    names = [d.name for d in drugs]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise SpecError(f"exposure_grid: drug {dup!r} appears more than once in drugs")
    known = np.zeros(doses.drug.size, dtype=bool)
    for name in names:
        known |= doses.drug == name
    if not known.all():
        i = int(np.argmin(known))
        raise SpecError(
            f"exposure_grid: doses[{i}] is of {doses.drug[i]!r}, which has no parameters; "
            f"expected one of {', '.join(map(repr, names))}"
        )


def exposure_grid(
    doses: Iterable[Dose],
    drugs: Sequence[DrugParameters],
    t_end_days: float,
    *,
    t_start_days: float = 0.0,
    rtol: float = DEFAULT_RTOL,
    max_step_days: float = DEFAULT_MAX_STEP_DAYS,
    occupancy_dose_knots: bool = True,
    floor_fraction: float = DEFAULT_FLOOR_FRACTION,
    min_step_days: float = DEFAULT_MIN_STEP_DAYS,
    max_log_step: float = DEFAULT_MAX_LOG_STEP,
) -> NDArray[np.float64]:
    """Knot times for piecewise-linear exposures (and rates) over ``[t_start, t_end]``.

    Parameters
    ----------
    doses : iterable of Dose
        Every dose given; each must be of a drug in ``drugs``.
    drugs : sequence of DrugParameters
        The drugs whose exposures must be interpolated accurately.
    t_end_days, t_start_days : float
        The time span, days; ``t_start_days < t_end_days``.
    rtol : float
        Allowed deviation of the exposure at an interval's midpoint from the chord, relative
        to the local exposure; in (0, 1).
    max_step_days : float
        Largest knot spacing, days.
    occupancy_dose_knots : bool
        Whether the oral dose times of occupancy-driven drugs are knots.  Covalent occupancy
        has no jump or kink at an oral dose (the concentration rises from zero absorption);
        without these knots the refinement alone places them, which for a coarse ``rtol``
        and a long ``max_step_days`` gives far fewer knots (see
        :func:`cllsim.engine.patient.patient_network`).  The interpolation may then miss the
        daily swing of occupancy between troughs by up to its size, even when that exceeds
        ``rtol``.
    floor_fraction : float
        Deviations below ``floor_fraction`` times a drug's largest exposure on the span are
        accepted whatever the local exposure; in [0, 1).
    min_step_days : float
        Intervals are not halved below this length, days.
    max_log_step : float
        Largest change of ``ln(exposure)`` across an interval (both ends above the floor), so
        that rates that are steep functions of exposure stay accurate (see module doc).

    Returns
    -------
    float64[n_knots]
        Non-decreasing and read-only; a time appears twice where an exposure jumps (IV bolus).

    Raises
    ------
    SpecError
        For a bad span or option (naming it and its value) or a dose of an unknown drug.
    """
    doses = tuple(doses)
    t0, t1 = float(t_start_days), float(t_end_days)
    if not (math.isfinite(t0) and math.isfinite(t1) and t0 < t1):
        raise SpecError(
            f"exposure_grid: need finite t_start_days < t_end_days, got {t0!r} and {t1!r}"
        )
    rtol = _positive("rtol", rtol)
    if rtol >= 1:
        raise SpecError(f"exposure_grid: rtol must be in (0, 1), got {rtol!r}")
    step = _positive("max_step_days", max_step_days)
    min_step = _positive("min_step_days", min_step_days)
    max_log_step = _positive("max_log_step", max_log_step)
    if not 0 <= floor_fraction < 1:
        raise SpecError(f"exposure_grid: floor_fraction must be in [0, 1), got {floor_fraction!r}")
    columns = dose_columns(doses)
    _check_drugs(columns, drugs)

    times = columns.time_days
    knotted = np.ones(times.size, dtype=bool)
    if not occupancy_dose_knots:
        for drug in drugs:
            if drug.effect_driver != "concentration":
                knotted &= ~((columns.drug == drug.name) & (columns.route == "oral"))
    base = np.concatenate(
        [np.arange(t0, t1, step), [t1], times[knotted], (times + columns.duration_days)[knotted]]
    )
    knots = np.unique(base[(base >= t0) & (base <= t1)])
    if not drugs:
        return _readonly(knots)
    jumping = np.zeros(times.size, dtype=bool)  # IV boluses of concentration-driven drugs
    for drug in drugs:
        if drug.effect_driver == "concentration":
            jumping |= columns.drug == drug.name
    jumping &= (columns.route == "iv_bolus") & (t0 <= times) & (times <= t1)
    jumps = np.unique(times[jumping])
    f = [exposure_evaluator(doses, drug, t1) for drug in drugs]

    def values(t: NDArray, left: bool = False, batch_starts: Sequence[int] = ()) -> NDArray:
        return np.vstack([g(t, left_limit=left, batch_starts=batch_starts) for g in f])

    v_right = values(knots)
    v_left = v_right.copy()
    at_jump = np.isin(knots, jumps)
    if np.any(at_jump):
        v_left[:, at_jump] = values(knots[at_jump], left=True)
    peak = np.abs(v_right).max(axis=1)
    lo, hi = knots[:-1], knots[1:]
    y_lo, y_hi = v_right[:, :-1], v_left[:, 1:]
    added = []
    while lo.size:
        mid = (lo + hi) / 2.0
        n = lo.size  # one call for the three points, each asked as its own batch
        y_all = values(np.concatenate([mid, (lo + mid) / 2.0, (mid + hi) / 2.0]), False, (n, 2 * n))
        y_mid, y_q1, y_q3 = y_all[:, :n], y_all[:, n : 2 * n], y_all[:, 2 * n :]
        for y in (y_mid, y_q1, y_q3):
            peak = np.maximum(peak, np.abs(y).max(axis=1))
        floor = (floor_fraction * peak)[:, None]
        bad = np.zeros(lo.size, dtype=bool)
        for w, y in ((0.25, y_q1), (0.5, y_mid), (0.75, y_q3)):
            chord = (1.0 - w) * y_lo + w * y_hi
            bad |= np.any(np.abs(y - chord) > rtol * np.maximum(np.abs(y), floor), axis=0)
        above = (np.abs(y_lo) > floor) & (np.abs(y_hi) > floor)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_step = np.abs(np.log(np.abs(y_hi)) - np.log(np.abs(y_lo)))
        bad |= np.any(above & (log_step > max_log_step), axis=0)
        bad &= (hi - lo) > 2.0 * min_step
        added.append(mid[bad])
        lo, hi = np.concatenate([lo[bad], mid[bad]]), np.concatenate([mid[bad], hi[bad]])
        y_lo = np.concatenate([y_lo[:, bad], y_mid[:, bad]], axis=1)
        y_hi = np.concatenate([y_mid[:, bad], y_hi[:, bad]], axis=1)
    knots = np.unique(np.concatenate([knots, *added]))
    return _readonly(np.sort(np.concatenate([knots, jumps[np.isin(jumps, knots)]])))


def _readonly(a: NDArray) -> NDArray:
    a = np.ascontiguousarray(a, dtype=np.float64)
    a.setflags(write=False)
    return a


def exposure_table(
    doses: Iterable[Dose], drugs: Sequence[DrugParameters], knots_days: NDArray
) -> NDArray[np.float64]:
    """Exposures at knots: float64[n_knots, n_drugs], ready for a piecewise-linear rate table.

    At a repeated knot the first copy holds the value just before the time and the second the
    value just after (the engine's jump convention).

    Raises
    ------
    SpecError
        For knots that are not non-decreasing, or a time repeated more than twice.
    """
    k = np.asarray(knots_days, dtype=np.float64).reshape(-1)
    if k.size and (not np.all(np.isfinite(k)) or np.any(np.diff(k) < 0)):
        raise SpecError("exposure_table: knots_days must be finite and non-decreasing")
    first_copy = np.zeros(k.size, dtype=bool)
    if k.size > 1:
        first_copy[:-1] = k[:-1] == k[1:]
        if k.size > 2 and np.any(first_copy[:-1] & first_copy[1:]):
            raise SpecError("exposure_table: a time may appear at most twice in knots_days")
    out = exposure_matrix(doses, drugs, k, left_limit=first_copy)
    out.setflags(write=False)
    return out
