"""The forecast's simulator: one parameter set -> one row of the ABC reference table.

A row holds the true values at the patient's visits (for the distance), the counts at the
last visit (where the future and every navigated strategy branch off) and the row's seed
entropy; the outcome and trajectory columns are filled in for accepted rows only, whose
futures are simulated after the ABC step.  :class:`Layout` names the columns.
:func:`simulate_reference` simulates a whole path (past and future under a single-regimen
plan) in one engine call; synthetic patients use it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cllsim.clinic import MRD_ASSAYS, VAF_ASSAYS, treatment_indication
from cllsim.engine import StopCondition, simulate_network
from cllsim.engine.patient import PATIENT_ALGORITHM, patient_network
from cllsim.model import Scenario
from cllsim.navigate.observe import CHANNELS, ProgressionTracker
from cllsim.navigate.pathway import (
    RESISTANCE_MUTATIONS,
    PatientModel,
    anchor_scenario,
    day0_counts,
    patient_model,
    simulate_prefix,
)
from cllsim.navigate.patient_file import PatientFile
from cllsim.navigate.prior import ParameterPrior
from cllsim.navigate.regimens import REGIMEN_CLASSES, Course, plan_doses
from cllsim.navigate.strategies import StrategySpec
from cllsim.seeding import child_generator, child_sequence

__all__ = [
    "GRID_CHANNELS",
    "Layout",
    "PriorDistribution",
    "ReferenceSimulator",
    "simulate_prefix_row",
    "simulate_reference",
]

#: Channels kept at forecast visits: ALC, LN volume, blood MRD, highest resistance VAF.
GRID_CHANNELS = ("alc_1e9_per_l", "ln_volume_ml", "mrd_blood", "max_resistance_vaf")
_RES_COLS = [CHANNELS.index(f"vaf_{g}") for g in RESISTANCE_MUTATIONS]


@dataclass(frozen=True)
class Layout:
    """Columns of a reference-table row."""

    n_visits: int
    grid_days: NDArray[np.float64]  # days after the last visit
    n_types: int
    t0: float
    OUTCOMES = (
        "progression_day", "failure_day", "resistance_day", "indication_day", "drug_days",
        "end_day",
    )  # fmt: skip

    @classmethod
    def for_model(cls, pm: PatientModel, every: float) -> Layout:
        grid = np.arange(0.0, pm.horizon_day - pm.t0 + 1e-9, every)
        return cls(int(pm.visit_days.size), grid, int(pm.cm.n_types), pm.t0)

    @property
    def _v(self) -> int:
        return self.n_visits * len(CHANNELS)

    @property
    def _g(self) -> int:
        return self.grid_days.size * len(GRID_CHANNELS)

    @property
    def width(self) -> int:
        return self._v + len(self.OUTCOMES) + self._g + self.n_types + 2

    def visit_values(self, y: NDArray) -> NDArray:
        return y[:, : self._v].reshape(len(y), self.n_visits, len(CHANNELS))

    def outcomes(self, y: NDArray) -> NDArray:
        a = self._v
        return y[:, a : a + len(self.OUTCOMES)]

    def grid_values(self, y: NDArray) -> NDArray:
        a = self._v + len(self.OUTCOMES)
        return y[:, a : a + self._g].reshape(len(y), self.grid_days.size, len(GRID_CHANNELS))

    def x_t0(self, y: NDArray) -> NDArray[np.int64]:
        a = self._v + len(self.OUTCOMES) + self._g
        return np.rint(y[:, a : a + self.n_types]).astype(np.int64)

    def entropy(self, y: NDArray) -> NDArray:
        return y[:, -2]

    def ok(self, y: NDArray) -> NDArray[np.bool_]:
        return y[:, -1] > 0.5

    def row(self, visits: NDArray, outcomes: list[float], grid: NDArray, x_t0: NDArray,
            entropy: int, ok: bool) -> NDArray:  # fmt: skip
        return np.concatenate(
            [visits.ravel(), outcomes, grid.ravel(), x_t0.astype(np.float64),
             [float(entropy), 1.0 if ok else 0.0]]
        )  # fmt: skip

    def predictive(self, y: NDArray, patient: PatientFile) -> pd.DataFrame:
        """Tidy trajectories: ``draw, day_after_last_visit, date, channel, value``."""
        g = self.grid_values(y)
        n, m, c = g.shape
        last = pd.Timestamp(patient.visits[-1].date)
        days = np.tile(np.repeat(self.grid_days, c), n)
        return pd.DataFrame(
            {
                "draw": np.repeat(np.arange(n), m * c),
                "day_after_last_visit": days,
                "date": (last + pd.to_timedelta(days, unit="D")).date,
                "channel": np.tile(np.array(GRID_CHANNELS), n * m),
                "value": g.reshape(-1),
            }
        )


def simulate_reference(
    pm: PatientModel, plan: StrategySpec | None, layout: Layout, entropy: int
) -> NDArray:
    """One row: day 0 to the horizon under the history and then ``plan`` (single line)."""
    root = np.random.SeedSequence(entropy)
    x0 = day0_counts(pm, child_generator(root, 0))
    t0 = pm.t0
    ongoing = next((c for c in pm.history if c.end_day() > t0), None)
    past = tuple(c for c in pm.history if c is not ongoing)
    course: Course | None = None
    if plan is not None:
        state = plan.begin(t0, ongoing)
        course = state.course
        if ongoing is not None and course is not None and course.start_day >= t0:
            past = (*past, ongoing.stopped(t0))
        courses = (*past, course) if course is not None else past
    else:
        courses = (*past, ongoing) if ongoing is not None else past
    grid = t0 + layout.grid_days
    times = np.unique(np.concatenate([pm.visit_days, grid]))
    doses = plan_doses(courses, pm.horizon_day, pm.scenario.patient.body_weight_kg)
    net = patient_network(pm.scenario, x0, cm=pm.cm, doses=doses)
    stop = StopCondition(total_at_least=round(pm.scenario.patient.max_burden_cells))
    res = simulate_network(
        net, times_days=times, rng=child_sequence(root, 1), stop=stop, algorithm=PATIENT_ALGORITHM
    )
    counts = res.counts[0].copy()
    ok = True
    end = pm.horizon_day
    if res.status[0] == 2:
        end = float(res.stop_time_days[0])
        counts[times > end] = res.stop_counts[0]
        ok = end > t0
    vals = pm.observer.values(counts)
    visit_vals = vals[np.searchsorted(times, pm.visit_days)]
    gv = vals[np.searchsorted(times, grid)]
    rng = child_generator(root, 2)
    vaf = VAF_ASSAYS[pm.vaf_assay].measure(gv[:, _RES_COLS].ravel(), rng=rng)
    detected = ~np.isnan(vaf.reshape(gv.shape[0], -1)).all(axis=1)
    prog = ind = math.nan
    if course is not None:
        tracker = ProgressionTracker()
        base = gv[0]
        if course.start_day < t0:
            since = pm.visit_days >= course.start_day
            rows = visit_vals[since] if since.any() else gv[:1]
            base = np.array([rows[:, 0].min(), rows[:, 1].min(), *gv[0][2:]])
        tracker.start(base)
        btki = "BTKi" in REGIMEN_CLASSES[course.regimen]
        for j in range(1, grid.size):
            if grid[j] > end:
                prog = end - t0
                break
            on = btki and course.start_day <= grid[j] < course.end_day()
            if tracker.update(gv[j], on_btki=on) is not None:
                prog = grid[j] - t0
                break
    else:
        # the last decision visit read: at the burden limit, the first one after the last
        # visit at or after the stop, which holds the stopped counts (counts[times > end]
        # above) and dates the indication, as the forecast's futures date it (pathway)
        stopped = end < pm.horizon_day
        if stopped:
            at = min(max(int(np.searchsorted(grid, end, side="left")), 1), grid.size - 1)
        else:  # the last at or before the end
            at = int(np.searchsorted(grid, end, side="right")) - 1
        keep = slice(0, at + 1)
        table = pd.DataFrame(
            {"time_days": grid[keep], "alc_1e9_per_l": gv[keep, 0], "ln_volume_ml": gv[keep, 1]}
        )
        day, _ = treatment_indication(table)
        ind = math.nan if day is None else day - t0
        if stopped and math.isnan(ind):
            ind = grid[at] - t0
    stop_day = t0 + prog if not math.isnan(prog) else end
    res_days = (grid - t0)[detected & (grid <= stop_day)]
    drug = 0.0
    if course is not None:
        drug = max(0.0, min(course.end_day(), stop_day) - max(course.start_day, t0))
    grid_out = np.column_stack([gv[:, 0], gv[:, 1], gv[:, 2], gv[:, _RES_COLS].max(axis=1)])
    grid_out[grid > stop_day + 1e-9] = np.nan
    outcomes = [prog, prog, res_days[0] if res_days.size else math.nan, ind, drug,
                stop_day - t0]  # fmt: skip
    return layout.row(
        visit_vals, outcomes, grid_out, counts[np.searchsorted(times, t0)], entropy, ok
    )


def simulate_prefix_row(pm: PatientModel, layout: Layout, entropy: int) -> NDArray:
    """One ABC row with the past only: day 0 to the last visit under the treatment history
    (outcomes and forecast columns NaN); the future is simulated later for accepted rows."""
    root = np.random.SeedSequence(entropy)
    x0 = day0_counts(pm, child_generator(root, 0))
    vals, x_t0, ok = simulate_prefix(pm, x0, child_sequence(root, 1))
    nan_out = [math.nan] * len(layout.OUTCOMES)
    grid = np.full((layout.grid_days.size, len(GRID_CHANNELS)), np.nan)
    return layout.row(vals, nan_out, grid, x_t0, entropy, ok)


class PriorDistribution:
    """ELFI prior node: ``rvs(size, random_state)`` -> float64[size, d] from the population."""

    def __deepcopy__(self, memo: dict) -> object:  # immutable: ELFI copies nodes per batch
        return self

    def __init__(self, prior: ParameterPrior, names: tuple[str, ...]):
        self.prior, self.names = prior, names

    def rvs(self, size: int | tuple[int, ...] = 1, random_state: object = None) -> NDArray:
        n = size[0] if isinstance(size, tuple) else int(size)
        seed = random_state.randint(0, 2**31, size=4)  # type: ignore[attr-defined]
        rng = np.random.default_rng(seed.tolist())
        return self.prior.sample(n, rng)[list(self.names)].to_numpy(dtype=np.float64)


class ReferenceSimulator:
    """ELFI simulator node: ``(theta, batch_size, random_state)`` -> float64[batch, width]."""

    def __deepcopy__(self, memo: dict) -> object:  # immutable: ELFI copies nodes per batch
        return self

    def __init__(self, patient: PatientFile, prior: ParameterPrior, names: tuple[str, ...],
                 base: Scenario, plan: StrategySpec | None, settings: object,
                 layout: Layout):  # fmt: skip
        self.patient, self.prior, self.names = patient, prior, names
        self.base, self.plan, self.layout = base, plan, layout
        self.years = float(settings.years)  # type: ignore[attr-defined]

    def __call__(self, theta: NDArray, batch_size: int = 1, random_state: object = None) -> NDArray:
        theta = np.atleast_2d(theta)
        ent = random_state.randint(0, 2**26, size=(len(theta), 2))  # type: ignore[attr-defined]
        out = np.empty((len(theta), self.layout.width))
        for i, th in enumerate(theta):
            sc = anchor_scenario(self.prior.scenario(self.base, self.names, th), self.patient)
            pm = patient_model(sc, self.patient, years=self.years)
            entropy = int(ent[i, 0]) * 2**26 + int(ent[i, 1])
            out[i] = simulate_prefix_row(pm, self.layout, entropy)
        return out


_ = MRD_ASSAYS
