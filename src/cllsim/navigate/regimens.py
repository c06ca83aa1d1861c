"""Treatment courses and their doses: a regimen given from a start day until a stop day.

Built from the :mod:`cllsim.pkpd.regimens` building blocks.  Fixed-duration regimens
(``ven-obi``, ``clb-obi``: 12 cycles of 28 days; ``ibrutinib-venetoclax``: 3 cycles of
ibrutinib lead-in then 12 cycles of ibrutinib + venetoclax, as in GLOW and CAPTIVATE) stop
on their own unless the course is ``open_ended`` (then their daily oral drugs continue until
the course's stop: used by MRD-guided strategies).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cllsim.pkpd import Dose, daily_doses, merge_doses
from cllsim.pkpd import regimens as rx
from cllsim.pkpd.parameters import REGIMEN_DEFAULTS

__all__ = [
    "FIXED_DURATION_DAYS",
    "REGIMEN_CLASSES",
    "RESISTANCE_BY_CLASS",
    "Course",
    "course_doses",
    "plan_doses",
]

_CYCLE = REGIMEN_DEFAULTS.cycle_length_days
#: Natural length of the fixed-duration regimens, days.
FIXED_DURATION_DAYS = {
    "ven-obi": 12 * _CYCLE,
    "clb-obi": 12 * _CYCLE,
    "ibrutinib-venetoclax": 15 * _CYCLE,
}
#: Drug classes of each regimen (as in :data:`cllsim.clinic.DRUG_CLASSES`).
REGIMEN_CLASSES = {
    "ibrutinib": frozenset({"BTKi"}),
    "venetoclax": frozenset({"BCL2i"}),
    "ven-obi": frozenset({"BCL2i", "antiCD20"}),
    "clb-obi": frozenset({"chemo", "antiCD20"}),
    "ibrutinib-venetoclax": frozenset({"BTKi", "BCL2i"}),
}
#: Mutations that make a drug class fail (reference/cll.md, Resistance biology).
RESISTANCE_BY_CLASS = {
    "BTKi": ("BTK_C481S", "PLCG2"),
    "BCL2i": ("BCL2_G101V",),
    "chemo": ("TP53",),
    "antiCD20": (),
}
_IBRUTINIB_LEAD_IN_DAYS = 3 * _CYCLE


@dataclass(frozen=True)
class Course:
    """``regimen`` from ``start_day`` until ``stop_day`` (exclusive, days; None: no stop).

    ``open_ended``: a fixed-duration regimen continues its daily oral drugs past its natural
    end until ``stop_day``.
    """

    regimen: str
    start_day: float
    stop_day: float | None = None
    open_ended: bool = False

    def end_day(self) -> float:
        """First day off this course (inf if it never stops)."""
        stop = math.inf if self.stop_day is None else self.stop_day
        if self.regimen in FIXED_DURATION_DAYS and not self.open_ended:
            return min(stop, self.start_day + FIXED_DURATION_DAYS[self.regimen])
        return stop

    def stopped(self, day: float) -> Course:
        """This course stopped before ``day`` (no dose on or after it)."""
        return Course(self.regimen, self.start_day, min(day, self.end_day()), self.open_ended)


def course_doses(course: Course, horizon_days: float, body_weight_kg: float) -> tuple[Dose, ...]:
    """Every dose of ``course`` before ``min(end_day, horizon_days)``."""
    start, end = course.start_day, min(course.end_day(), horizon_days)
    if end <= start:
        return ()
    reg = course.regimen
    if reg == "ibrutinib":
        doses = rx.ibrutinib_continuous(start_day=start, stop_day=end)
    elif reg == "venetoclax":
        doses = rx.venetoclax_continuous(start_day=start, stop_day=end)
    elif reg == "ven-obi":
        doses = rx.cll14_venetoclax_obinutuzumab(start_day=start)
        natural = start + FIXED_DURATION_DAYS[reg]
        if course.open_ended and end > natural:  # venetoclax 400 mg daily continues
            mg = REGIMEN_DEFAULTS.venetoclax_target_mg
            doses = merge_doses(
                doses, daily_doses("venetoclax", mg, natural, math.ceil(end - natural))
            )
    elif reg == "clb-obi":
        doses = rx.cll14_chlorambucil_obinutuzumab(start_day=start, body_weight_kg=body_weight_kg)
    elif reg == "ibrutinib-venetoclax":
        ibr = rx.ibrutinib_continuous(start_day=start, stop_day=end)
        ven_start = start + _IBRUTINIB_LEAD_IN_DAYS
        ven = rx.venetoclax_continuous(start_day=ven_start, stop_day=end) if end > ven_start else ()
        doses = merge_doses(ibr, ven)
    else:
        raise ValueError(f"unknown regimen {reg!r}")
    return tuple(d for d in doses if d.time_days < end)


def plan_doses(
    courses: tuple[Course, ...], horizon_days: float, body_weight_kg: float
) -> tuple[Dose, ...]:
    """All doses of a plan (a sequence of courses), sorted."""
    return merge_doses(*(course_doses(c, horizon_days, body_weight_kg) for c in courses))
