"""SBML events triggered at a set time -> the engine's :class:`cllsim.engine.CountEvent`.

Supported: a trigger ``time >= T`` (or ``time > T``, ``T <= time``, ``T < time``) with ``T``
a constant expression, no delay, and assignments of constant values to species that the
network simulates.  The event fires once, at ``T``; the engine applies it before recording
the counts at ``T``, so a record at ``T`` shows the value after the event, as SBML does.
A trigger already true at time 0 fires at 0 only when its ``initialValue`` is false.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cllsim.engine import CountEvent
from cllsim.errors import SpecError
from cllsim.sbml.mathml import Apply, Expr, Time, evaluate
from cllsim.sbml.symbols import Symbols, whole_amount

__all__ = ["Event", "build_events"]


@dataclass(frozen=True)
class Event:
    """One SBML event as plain data.

    Attributes
    ----------
    id : str
    trigger : Expr or None
    initial_value : bool
        The trigger's ``initialValue`` (its value just before time 0).
    has_delay : bool
    assignments : tuple of (variable id, Expr)
    """

    id: str
    trigger: Expr | None
    initial_value: bool
    has_delay: bool
    assignments: tuple[tuple[str, Expr], ...]


def build_events(events: Sequence[Event], symbols: Symbols) -> list[CountEvent]:
    """Translate time-triggered ``events`` into count events (``"set"`` actions).

    Parameters
    ----------
    events : sequence of Event
    symbols : Symbols

    Returns
    -------
    list of CountEvent
        In document order; events whose trigger never fires are left out.

    Raises
    ------
    SpecError
        Naming the event and the unsupported feature.
    """
    types = symbols.dynamic_species()
    out: list[CountEvent] = []
    for event in events:
        where = f"event {event.id!r}" if event.id else "an event"
        if event.has_delay:
            raise SpecError(f"{where}: delayed events are not supported")
        at = _trigger_time(where, event, symbols, types)
        for variable, expr in event.assignments:
            if variable not in types:
                kind = symbols.kind(variable) or "unknown symbol"
                raise SpecError(
                    f"{where} assigns {kind} {variable!r}; cllsim supports events that set the "
                    "amount of a species that reactions change"
                )
            value = _constant(f"{where}: assignment to {variable!r}", expr, symbols, types)
            info = symbols.species[variable]
            amount = value if info.amount_units else value * symbols.initial(info.compartment)
            whole = whole_amount(amount)
            if whole is None:
                raise SpecError(
                    f"{where} sets {variable!r} to {amount!r}; an amount must be a whole "
                    "number >= 0"
                )
            if at is not None:
                out.append(CountEvent(time_days=at, type=variable, action="set", value=whole))
    return out


def _trigger_time(where: str, event: Event, symbols: Symbols, types: list[str]) -> float | None:
    """When the trigger fires (days), or None when it never does."""
    trig = event.trigger
    threshold = None
    if isinstance(trig, Apply) and len(trig.args) == 2:
        left, right = trig.args
        if trig.op in ("geq", "gt") and isinstance(left, Time):
            threshold = right
        elif trig.op in ("leq", "lt") and isinstance(right, Time):
            threshold = left
    if threshold is None:
        raise SpecError(
            f"{where}: only triggers of the form 'time >= T' are supported (an event at a set time)"
        )
    at = _constant(f"{where}: trigger time", threshold, symbols, types)
    if at > 0:
        return at
    return None if event.initial_value else 0.0


def _constant(where: str, expr: Expr, symbols: Symbols, types: list[str]) -> float:
    """Value of ``expr``, which must not depend on the dynamic species or on time."""

    def at(amount: float, time: float) -> float:
        amounts = dict.fromkeys(types, amount)
        try:
            return float(evaluate(expr, lambda n: symbols.value(n, amounts, time), time))
        except SpecError as err:
            raise SpecError(f"{where}: {err}") from err

    value = at(1.0, 0.0)
    if at(7.0, 0.0) != value or at(1.0, 3.0) != value:
        raise SpecError(
            f"{where} depends on species amounts or on time; cllsim supports constant values"
        )
    if not np.isfinite(value):
        raise SpecError(f"{where} evaluates to {value!r}; expected a finite number")
    return value
