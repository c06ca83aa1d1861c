"""Dose records and the small builders regimens are made of.

A dose is ``(time_days, drug, amount_mg, route, duration_days)``.  Routes:

* ``"oral"``: first-order absorption from a depot (``duration_days`` = 0);
* ``"iv_bolus"``: the whole amount enters the central compartment at ``time_days``;
* ``"iv_infusion"``: zero-order input of ``amount_mg / duration_days`` mg/day over
  ``[time_days, time_days + duration_days)`` (``duration_days`` > 0).

Schedules are sorted tuples of doses (immutable).  Clinical day numbers map to model time by
the convention **study day 1 = ``start_day``**: day *d* of a cycle starting at time *s* is
given at ``time_days = s + d - 1``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from cllsim.errors import SpecError

__all__ = [
    "ROUTES",
    "Dose",
    "Route",
    "cycle_starts",
    "daily_doses",
    "dose_arrays",
    "merge_doses",
    "sort_doses",
    "validate_cycle_starts",
]

Route = Literal["oral", "iv_bolus", "iv_infusion"]
ROUTES: tuple[str, ...] = ("oral", "iv_bolus", "iv_infusion")


@dataclass(frozen=True, order=True, slots=True)
class Dose:
    """One administration of a drug.

    Parameters
    ----------
    time_days : float
        When the dose is given (start of an infusion), days; finite.
    drug : str
        Drug name, e.g. ``"venetoclax"``; non-empty.
    amount_mg : float
        Amount given, mg; finite and > 0.
    route : {"oral", "iv_bolus", "iv_infusion"}
    duration_days : float
        Infusion duration, days; > 0 for ``"iv_infusion"``, 0 otherwise.

    Raises
    ------
    SpecError
        Naming the field and the bad value.

    Examples
    --------
    >>> Dose(21.0, "venetoclax", 20.0)
    Dose(time_days=21.0, drug='venetoclax', amount_mg=20.0, route='oral', duration_days=0.0)
    """

    time_days: float
    drug: str
    amount_mg: float
    route: Route = "oral"
    duration_days: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.drug, str) or not self.drug:
            raise SpecError(f"Dose: drug must be a non-empty name, got {self.drug!r}")
        for name in ("time_days", "amount_mg", "duration_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise SpecError(f"Dose of {self.drug!r}: {name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise SpecError(
                    f"Dose of {self.drug!r}: {name} must be finite, got {float(value)!r}"
                )
            object.__setattr__(self, name, float(value))
        where = f"Dose of {self.drug!r} at day {self.time_days!r}"
        if self.amount_mg <= 0:
            raise SpecError(f"{where}: amount_mg must be > 0 mg, got {self.amount_mg!r}")
        if self.route not in ROUTES:
            raise SpecError(
                f"{where}: unknown route {self.route!r}; expected one of "
                f"{', '.join(map(repr, ROUTES))}"
            )
        if self.route == "iv_infusion" and self.duration_days <= 0:
            raise SpecError(
                f"{where}: duration_days of an iv_infusion must be > 0 days, got "
                f"{self.duration_days!r}. Suggestion: use route 'iv_bolus' for an instant dose."
            )
        if self.route != "iv_infusion" and self.duration_days != 0:
            raise SpecError(
                f"{where}: duration_days must be 0 for route {self.route!r}, got "
                f"{self.duration_days!r}"
            )


def sort_doses(doses: Iterable[Dose]) -> tuple[Dose, ...]:
    """Doses sorted by time (then drug, amount, route), as an immutable tuple.

    Raises
    ------
    SpecError
        If an element is not a :class:`Dose`.
    """
    out = tuple(doses)
    for i, d in enumerate(out):
        if not isinstance(d, Dose):
            raise SpecError(f"doses[{i}] must be a Dose, got {type(d).__name__} {d!r}")
    return tuple(sorted(out))


def merge_doses(*schedules: Iterable[Dose]) -> tuple[Dose, ...]:
    """All doses of several schedules in one sorted tuple."""
    return sort_doses(d for schedule in schedules for d in schedule)


def daily_doses(
    drug: str, amount_mg: float, first_day: float, n_days: int, *, route: Route = "oral"
) -> tuple[Dose, ...]:
    """``n_days`` once-daily doses of ``amount_mg`` mg at ``first_day``, ``first_day + 1``, ...

    Raises
    ------
    SpecError
        For a negative ``n_days`` or an invalid dose.
    """
    if isinstance(n_days, bool) or not isinstance(n_days, numbers.Integral) or n_days < 0:
        raise SpecError(f"daily_doses: n_days must be a whole number >= 0, got {n_days!r}")
    return tuple(Dose(float(first_day) + k, drug, amount_mg, route) for k in range(int(n_days)))


def validate_cycle_starts(
    cycle_starts_days: Sequence[float], cycle_length_days: float, *, owner: str
) -> tuple[float, ...]:
    """Check that cycles are finite, in order and do not overlap; return them as floats.

    Parameters
    ----------
    cycle_starts_days : sequence of float
        Start of each cycle (its day 1), days.
    cycle_length_days : float
        Length of a cycle, days; a cycle may start late (a delay) but never before the
        previous one ends.
    owner : str
        Name of the calling builder, for the message.

    Raises
    ------
    SpecError
        Naming ``cycle_starts_days[i]`` and its value.
    """
    starts = tuple(float(s) for s in cycle_starts_days)
    for i, s in enumerate(starts):
        if not math.isfinite(s):
            raise SpecError(f"{owner}: cycle_starts_days[{i}] must be finite, got {s!r}")
        if i and s < starts[i - 1] + cycle_length_days:
            kind = "comes before" if s < starts[i - 1] else "overlaps"
            raise SpecError(
                f"{owner}: cycle_starts_days[{i}] = {s!r} {kind} cycle {i} "
                f"(cycle_starts_days[{i - 1}] = {starts[i - 1]!r}, {cycle_length_days:g} days "
                f"long); cycles must be in order and start >= {starts[i - 1] + cycle_length_days!r}"
            )
    return starts


def cycle_starts(start_day: float, n_cycles: int, cycle_length_days: float) -> tuple[float, ...]:
    """Back-to-back cycle starts ``start_day + k * cycle_length_days``, k = 0 .. n_cycles-1."""
    if not math.isfinite(start_day):
        raise SpecError(f"cycle_starts: start_day must be finite, got {float(start_day)!r}")
    return tuple(float(start_day) + k * cycle_length_days for k in range(n_cycles))


def dose_arrays(
    doses: Iterable[Dose], drug: str
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """The doses of one drug as kernel inputs.

    Returns
    -------
    times_days : float64[n_doses]
    amounts_mg : float64[n_doses]
    durations_days : float64[n_doses]
        Infusion durations (0 for oral and bolus doses).
    oral : bool[n_doses]
        True for oral doses.
    """
    mine = [d for d in doses if d.drug == drug]
    return (
        np.array([d.time_days for d in mine], dtype=np.float64),
        np.array([d.amount_mg for d in mine], dtype=np.float64),
        np.array([d.duration_days for d in mine], dtype=np.float64),
        np.array([d.route == "oral" for d in mine], dtype=bool),
    )
