"""Treatment strategies: which regimen to give, decided at each visit from what is measured.

A strategy is a validated, immutable spec (users write them in YAML, see
``docs/navigate.md``).  Every strategy is a list of ``lines`` (regimens in order) and rules:

- progression (iwCLL 2018) on a line moves to the next line; on the last line it is the
  strategy's failure (sequencing on progression is ``lines: [A, B]``); after an MRD-guided
  stop, progression restarts the same line (while restarts are left);
- ``mrd_stop_below``: stop the line once blood MRD, as the assay reports it, is below this
  (undetectable counts as below) after at least ``mrd_min_days`` on it; ``mrd_restart_above``:
  restart the same line once MRD is at or above this again (MRD-guided stopping/restarting);
- ``switch_vaf_above``: switch to the next line once the allele fraction of a mutation that
  defeats the current line's drug class (BTK C481S / PLCG2 for a BTK inhibitor, BCL2 G101V for
  venetoclax) is at or above this (switching class on a rising resistance VAF).

The decision logic (:meth:`StrategySpec.decide`) is a pure function of the visit's
measurements and the strategy's state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cllsim.navigate.regimens import REGIMEN_CLASSES, RESISTANCE_BY_CLASS, Course

__all__ = ["BUILTIN_STRATEGIES", "StrategySpec", "StrategyState", "builtin_strategies"]

RegimenName = Literal["ibrutinib", "venetoclax", "ven-obi", "ibrutinib-venetoclax", "clb-obi"]


@dataclass(frozen=True)
class StrategyState:
    """Where a strategy stands: current line, its course, restarts, why it ended."""

    line: int = 0
    course: Course | None = None
    courses: tuple[Course, ...] = ()  # every course given (incl. the current one)
    restarts: int = 0
    failed: str | None = None
    events: tuple[tuple[float, str], ...] = field(default=())


class StrategySpec(BaseModel):
    """One strategy: lines of regimens and the rules that move between them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, description="shown in the ranking")
    description: str = ""
    lines: tuple[RegimenName, ...] = Field(
        min_length=1, description="regimens in order; progression moves to the next one"
    )
    mrd_stop_below: float | None = Field(
        None, gt=0, lt=1, description="stop when measured blood MRD is below this (fraction)"
    )
    mrd_min_days: float = Field(
        0.0, ge=0, le=3650, description="days on the line before an MRD-guided stop, days"
    )
    mrd_restart_above: float | None = Field(
        None, gt=0, lt=1, description="restart the line when measured blood MRD >= this"
    )
    max_restarts: int = Field(5, ge=0, le=50, description="MRD-guided restarts allowed")
    switch_vaf_above: float | None = Field(
        None, gt=0, le=1, description="switch line when a resistance VAF >= this (fraction)"
    )

    @model_validator(mode="after")
    def _rules(self) -> StrategySpec:
        if self.mrd_restart_above is not None and self.mrd_stop_below is None:
            raise ValueError("mrd_restart_above needs mrd_stop_below (restart after a stop)")
        if (
            self.mrd_restart_above is not None
            and self.mrd_stop_below is not None
            and self.mrd_restart_above < self.mrd_stop_below
        ):
            raise ValueError(
                f"mrd_restart_above ({self.mrd_restart_above}) must be >= mrd_stop_below "
                f"({self.mrd_stop_below})"
            )
        if self.switch_vaf_above is not None and len(self.lines) < 2:
            raise ValueError("switch_vaf_above needs a second line to switch to")
        return self

    @property
    def adaptive(self) -> bool:
        """True if the strategy reads MRD or VAF (not only progression)."""
        return self.mrd_stop_below is not None or self.switch_vaf_above is not None

    def _course(self, line: int, day: float) -> Course:
        return Course(self.lines[line], day, None, open_ended=self.mrd_stop_below is not None)

    def begin(self, day: float, ongoing: Course | None = None) -> StrategyState:
        """The state at the decision day: the first line starts, or the ``ongoing`` course
        (started before ``day``) continues if it is the first line's regimen."""
        if ongoing is not None and ongoing.regimen == self.lines[0]:
            c = replace(ongoing, open_ended=self.mrd_stop_below is not None or ongoing.open_ended)
            return StrategyState(0, c, (c,), 0, None, ((day, f"continue {c.regimen}"),))
        c = self._course(0, day)
        return StrategyState(0, c, (c,), 0, None, ((day, f"start {c.regimen}"),))

    def _next_line(self, state: StrategyState, day: float, why: str) -> StrategyState:
        courses = state.courses
        if state.course is not None:
            courses = (*courses[:-1], state.course.stopped(day))
        if state.line + 1 >= len(self.lines):
            return replace(state, course=None, courses=courses, failed=why,
                           events=(*state.events, (day, f"failure: {why}")))  # fmt: skip
        c = self._course(state.line + 1, day)
        return StrategyState(
            state.line + 1, c, (*courses, c), state.restarts, None,
            (*state.events, (day, f"{why}: switch to {c.regimen}")),
        )  # fmt: skip

    def decide(
        self,
        state: StrategyState,
        day: float,
        *,
        progressed: str | None,
        mrd_blood: float,
        vafs: dict[str, float],
    ) -> StrategyState:
        """The state after a visit on ``day`` with these measurements.

        Parameters
        ----------
        state : StrategyState
        day : float
            Visit day, days.
        progressed : str or None
            iwCLL progression reason at this visit, or None.
        mrd_blood : float
            Measured blood MRD (fraction; NaN when undetectable).
        vafs : dict
            Measured allele fraction per mutation (NaN when undetectable).
        """
        if state.failed is not None:
            return state
        if progressed is not None:
            off = state.course is not None and state.course.stop_day is not None
            if self.mrd_stop_below is not None and off and state.restarts < self.max_restarts:
                new = self._course(state.line, day)  # progression after an MRD-guided stop
                return replace(state, course=new, courses=(*state.courses, new),
                               restarts=state.restarts + 1,
                               events=(*state.events, (day, f"progression off treatment "
                                                       f"({progressed}): restart")))  # fmt: skip
            return self._next_line(state, day, f"progression ({progressed})")
        c = state.course
        if self.switch_vaf_above is not None and c is not None and day < c.end_day():
            for cls in REGIMEN_CLASSES[c.regimen]:
                for g in RESISTANCE_BY_CLASS[cls]:
                    v = vafs.get(g, math.nan)
                    if v >= self.switch_vaf_above:
                        return self._next_line(state, day, f"{g} VAF {v:.2g}")
        if self.mrd_stop_below is not None:
            below = math.isnan(mrd_blood) or mrd_blood < self.mrd_stop_below
            on = c is not None and c.stop_day is None
            if on and below and day - c.start_day >= self.mrd_min_days:  # type: ignore[union-attr]
                done = c.stopped(day)  # type: ignore[union-attr]
                return replace(state, course=done, courses=(*state.courses[:-1], done),
                               events=(*state.events, (day, "MRD-guided stop")))  # fmt: skip
            restart = self.mrd_restart_above
            if (
                not on
                and restart is not None
                and not math.isnan(mrd_blood)
                and mrd_blood >= restart
                and state.restarts < self.max_restarts
            ):
                new = self._course(state.line, day)
                why = f"MRD {mrd_blood:.2g}: restart"
                return replace(state, course=new, courses=(*state.courses, new),
                               restarts=state.restarts + 1,
                               events=(*state.events, (day, why)))  # fmt: skip
        return state


BUILTIN_STRATEGIES: tuple[StrategySpec, ...] = (
    StrategySpec(
        name="continuous-btki",
        description="ibrutinib 420 mg daily until progression",
        lines=("ibrutinib",),
    ),
    StrategySpec(
        name="ven-obi",
        description="CLL14 venetoclax-obinutuzumab, 12 cycles then stop",
        lines=("ven-obi",),
    ),
    StrategySpec(
        name="ibrutinib-venetoclax",
        description="3 cycles ibrutinib, then 12 cycles ibrutinib + venetoclax, then stop",
        lines=("ibrutinib-venetoclax",),
    ),
    StrategySpec(
        name="mrd-guided",
        description="ibrutinib + venetoclax; stop when blood MRD < 1e-4 after >= 1 year, "
        "restart when MRD >= 1e-2",
        lines=("ibrutinib-venetoclax",),
        mrd_stop_below=1e-4,
        mrd_min_days=365.0,
        mrd_restart_above=1e-2,
    ),
    StrategySpec(
        name="switch-on-vaf",
        description="ibrutinib; switch to venetoclax when BTK C481S / PLCG2 VAF >= 1%",
        lines=("ibrutinib", "venetoclax"),
        switch_vaf_above=0.01,
    ),
    StrategySpec(
        name="sequence",
        description="venetoclax-obinutuzumab, then ibrutinib at progression",
        lines=("ven-obi", "ibrutinib"),
    ),
)


def builtin_strategies() -> dict[str, StrategySpec]:
    """The six built-in strategies by name."""
    return {s.name: s for s in BUILTIN_STRATEGIES}
