"""Clinical schedules as sorted tuples of :class:`~cllsim.pkpd.dosing.Dose`.

Schedules follow reference/cll.md (Regimens).  Day 1 of cycle 1 is ``start_day``: study day
*d* is given at ``time_days = start_day + d - 1`` (so with ``start_day = 0`` the CLL14
venetoclax start, C1D22, is at time 21.0).  Cycles may be delayed by passing
``cycle_starts_days``; they must be in order and may not overlap.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

from cllsim.errors import SpecError
from cllsim.pkpd.dosing import (
    Dose,
    cycle_starts,
    daily_doses,
    merge_doses,
    validate_cycle_starts,
)
from cllsim.pkpd.parameters import REGIMEN_DEFAULTS, RegimenDefaults

__all__ = [
    "cll14_chlorambucil_obinutuzumab",
    "cll14_venetoclax_obinutuzumab",
    "ibrutinib_continuous",
    "obinutuzumab_cll14",
    "venetoclax_continuous",
    "venetoclax_daily_with_ramp_up",
]

_HOURS_PER_DAY = 24.0


def _finite(owner: str, name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise SpecError(f"{owner}: {name} must be a finite number of days, got {value!r}")
    return float(value)


def _n_days(owner: str, start_day: float, stop_day: float) -> int:
    start = _finite(owner, "start_day", start_day)
    stop = _finite(owner, "stop_day", stop_day)
    if stop <= start:
        raise SpecError(
            f"{owner}: stop_day must be after start_day = {start!r}, got {stop!r} "
            "(the last dose is the last whole day before stop_day)"
        )
    return math.ceil(stop - start)


def venetoclax_daily_with_ramp_up(
    first_day: float, n_days: int, *, defaults: RegimenDefaults = REGIMEN_DEFAULTS
) -> tuple[Dose, ...]:
    """Daily venetoclax for ``n_days`` days from ``first_day``, starting with the ramp-up.

    Ramp-up: 20, 50, 100, 200 mg daily for 7 days each, then 400 mg daily (VENCLEXTA label;
    reference/cll.md).  A course shorter than the ramp-up stops inside it.
    """
    steps = defaults.venetoclax_ramp_step_days
    amounts = [mg for mg in defaults.venetoclax_ramp_mg for _ in range(steps)]
    amounts += [defaults.venetoclax_target_mg] * max(0, n_days - len(amounts))
    return tuple(Dose(first_day + k, "venetoclax", amounts[k]) for k in range(max(0, int(n_days))))


def ibrutinib_continuous(
    *,
    stop_day: float,
    start_day: float = 0.0,
    dose_mg: float | None = None,
    defaults: RegimenDefaults = REGIMEN_DEFAULTS,
) -> tuple[Dose, ...]:
    """Ibrutinib once daily (420 mg) from ``start_day`` until the last day before ``stop_day``.

    Parameters
    ----------
    stop_day : float
        Treatment stops before this time (progression, toxicity, or the simulation horizon),
        days; doses are at ``start_day + k`` for every whole ``k`` with ``start_day + k <
        stop_day``.
    start_day : float
        Day of the first dose, days.
    dose_mg : float, optional
        Daily dose, mg; default 420 mg (IMBRUVICA label).

    Raises
    ------
    SpecError
        For a non-finite day, ``stop_day <= start_day`` or a dose <= 0.

    Examples
    --------
    >>> len(ibrutinib_continuous(stop_day=28.0))
    28
    """
    n = _n_days("ibrutinib_continuous", start_day, stop_day)
    mg = defaults.ibrutinib_daily_mg if dose_mg is None else dose_mg
    return daily_doses("ibrutinib", mg, float(start_day), n)


def venetoclax_continuous(
    *, stop_day: float, start_day: float = 0.0, defaults: RegimenDefaults = REGIMEN_DEFAULTS
) -> tuple[Dose, ...]:
    """Venetoclax ramp-up (5 weeks to 400 mg) then 400 mg daily until before ``stop_day``.

    Raises
    ------
    SpecError
        For a non-finite day or ``stop_day <= start_day``.
    """
    n = _n_days("venetoclax_continuous", start_day, stop_day)
    return venetoclax_daily_with_ramp_up(float(start_day), n, defaults=defaults)


def _cycles(
    owner: str,
    start_day: float | None,
    cycle_starts_days: Sequence[float] | None,
    defaults: RegimenDefaults,
) -> tuple[float, ...]:
    n, length = defaults.cll14_n_cycles, defaults.cycle_length_days
    if cycle_starts_days is None:
        return cycle_starts(
            _finite(owner, "start_day", 0.0 if start_day is None else start_day), n, length
        )
    if start_day is not None:
        raise SpecError(
            f"{owner}: give start_day or cycle_starts_days, not both "
            f"(got start_day = {start_day!r})"
        )
    starts = validate_cycle_starts(cycle_starts_days, length, owner=owner)
    if len(starts) != n:
        raise SpecError(f"{owner}: cycle_starts_days must hold {n} cycle starts, got {len(starts)}")
    return starts


def obinutuzumab_cll14(
    cycle_starts_days: Sequence[float], *, defaults: RegimenDefaults = REGIMEN_DEFAULTS
) -> tuple[Dose, ...]:
    """CLL14 obinutuzumab: C1 100 mg d1, 900 mg d2, 1000 mg d8 and d15; 1000 mg d1 of C2-C6.

    Nine infusions, 8000 mg in all (eight 1000-mg doses, the first split over days 1-2).
    Infusion durations follow the GAZYVA label rates (4 h, 4 h, then 3.25 h).
    """
    starts = tuple(cycle_starts_days)
    if len(starts) < defaults.obinutuzumab_n_cycles:
        raise SpecError(
            f"obinutuzumab_cll14: need at least {defaults.obinutuzumab_n_cycles} cycle starts, "
            f"got {len(starts)}"
        )
    hours = [
        defaults.obinutuzumab_first_infusion_hours,
        defaults.obinutuzumab_second_infusion_hours,
    ]
    doses = []
    for k, (day, mg) in enumerate(defaults.obinutuzumab_cycle1):
        h = hours[k] if k < len(hours) else defaults.obinutuzumab_infusion_hours
        doses.append(
            Dose(starts[0] + day - 1, "obinutuzumab", mg, "iv_infusion", h / _HOURS_PER_DAY)
        )
    for s in starts[1 : defaults.obinutuzumab_n_cycles]:
        doses.append(
            Dose(
                s,
                "obinutuzumab",
                defaults.obinutuzumab_later_mg,
                "iv_infusion",
                defaults.obinutuzumab_infusion_hours / _HOURS_PER_DAY,
            )
        )
    return merge_doses(doses)


def cll14_venetoclax_obinutuzumab(
    *,
    start_day: float | None = None,
    cycle_starts_days: Sequence[float] | None = None,
    defaults: RegimenDefaults = REGIMEN_DEFAULTS,
) -> tuple[Dose, ...]:
    """CLL14 Ven-Obi: 12 cycles of 28 days (Fischer et al., NEJM 2019;380:2225).

    Obinutuzumab as in :func:`obinutuzumab_cll14`; venetoclax daily from C1D22 with the weekly
    ramp-up 20 -> 50 -> 100 -> 200 -> 400 mg, then 400 mg daily to the last day of C12
    (study day 336 without delays): 315 daily doses, 400 mg from C1D22 + 28 days.

    Parameters
    ----------
    start_day : float, optional
        Time of C1D1, days (default 0).  Cycles then follow back to back.
    cycle_starts_days : sequence of 12 float, optional
        Times of each cycle's day 1, days, for delayed cycles; venetoclax continues daily
        through a delay.  Not together with ``start_day``.

    Raises
    ------
    SpecError
        For cycles out of order or overlapping, the wrong number of cycles, or both
        ``start_day`` and ``cycle_starts_days``.

    Examples
    --------
    >>> doses = cll14_venetoclax_obinutuzumab(start_day=0.0)
    >>> [d.time_days for d in doses if d.drug == "venetoclax"][:2]
    [21.0, 22.0]
    """
    owner = "cll14_venetoclax_obinutuzumab"
    starts = _cycles(owner, start_day, cycle_starts_days, defaults)
    first = starts[0] + defaults.cll14_venetoclax_first_day - 1
    last = starts[-1] + defaults.cycle_length_days - 1
    n_days = math.floor(last - first) + 1
    venetoclax = venetoclax_daily_with_ramp_up(first, n_days, defaults=defaults)
    return merge_doses(obinutuzumab_cll14(starts, defaults=defaults), venetoclax)


def cll14_chlorambucil_obinutuzumab(
    *,
    start_day: float | None = None,
    cycle_starts_days: Sequence[float] | None = None,
    body_weight_kg: float | None = None,
    defaults: RegimenDefaults = REGIMEN_DEFAULTS,
) -> tuple[Dose, ...]:
    """CLL14 Clb-Obi: obinutuzumab as in Ven-Obi; chlorambucil on days 1 and 15 of C1-C12.

    Parameters
    ----------
    start_day, cycle_starts_days
        As in :func:`cll14_venetoclax_obinutuzumab`.
    body_weight_kg : float, optional
        Patient weight, kg (default 70 kg, the reference adult of ``RegimenDefaults``);
        each chlorambucil dose is 0.5 mg/kg times this.

    Raises
    ------
    SpecError
        As for Ven-Obi, and for a body weight that is not a finite number > 0 kg.
    """
    owner = "cll14_chlorambucil_obinutuzumab"
    weight = defaults.body_weight_kg if body_weight_kg is None else body_weight_kg
    if (
        isinstance(weight, bool)
        or not isinstance(weight, numbers.Real)
        or not (math.isfinite(weight) and weight > 0)
    ):
        raise SpecError(f"{owner}: body_weight_kg must be a finite weight > 0 kg, got {weight!r}")
    starts = _cycles(owner, start_day, cycle_starts_days, defaults)
    mg = defaults.chlorambucil_mg_per_kg * weight
    chlorambucil = [
        Dose(s + day - 1, "chlorambucil", mg) for s in starts for day in defaults.chlorambucil_days
    ]
    return merge_doses(obinutuzumab_cll14(starts, defaults=defaults), chlorambucil)
