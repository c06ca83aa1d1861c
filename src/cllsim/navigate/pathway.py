"""One patient's path: day-0 state from the first visit, the treated history up to the
forecast day, then a strategy decided visit by visit (orchestration; loops over visits).

Day 0 is the first visit.  Its measurements fix the compartment sizes (blood from the ALC,
lymph node from the measured volume, marrow from marrow MRD when measured, else from the
scenario's split), so that inference spends its simulations on the kinetics; the resistant
subclones at day 0 come from the exact mutation-selection history of the founding clone
(:func:`cllsim.engine.patient.history_network`).  After the forecast day ``t0`` the current
plan is simulated to the horizon in one engine call, recording every decision visit; the
strategy reads the visits in order, and at the first visit where it changes the plan the
rest is dropped and a new network is built from the whole dose history (so drug carry-over
is kept) and continued from that visit's counts with ``simulate_network(..., start_day=t)``.
Decisions depend only on the visits up to the decision, so this has the law of a visit-by-
visit simulation at a fraction of the engine calls.  The *r*-th plan segment draws from
stream *r* of the path's simulation root and visit *j*'s measurements from stream *j* of its
measurement root, for every strategy: strategies compared on the same root share their
random numbers (common random numbers), and two strategies follow the very same path until
their plans first differ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cllsim.clinic import MRD_ASSAYS, VAF_ASSAYS, treatment_indication
from cllsim.clinic.physiology import DEFAULT_PHYSIOLOGY
from cllsim.engine import StopCondition, simulate_network
from cllsim.engine.patient import (
    HISTORY_ALGORITHM,
    PATIENT_ALGORITHM,
    history_network,
    patient_network,
)
from cllsim.model import CompiledModel, Scenario, compile_model
from cllsim.navigate.observe import CHANNELS, Observer, ProgressionTracker
from cllsim.navigate.patient_file import PatientFile
from cllsim.navigate.regimens import REGIMEN_CLASSES, Course, plan_doses
from cllsim.navigate.strategies import StrategySpec
from cllsim.seeding import child_generator, child_sequence

__all__ = [
    "RESISTANCE_MUTATIONS",
    "PathResult",
    "PatientModel",
    "anchor_scenario",
    "day0_counts",
    "history_courses",
    "patient_model",
    "run_path",
    "simulate_prefix",
]

#: Mutations whose detection counts as "a detectable resistance mutation".
RESISTANCE_MUTATIONS = ("BTK_C481S", "PLCG2", "BCL2_G101V")
_HISTORY_TRIES = 200


def history_courses(patient: PatientFile) -> tuple[Course, ...]:
    """The patient file's treatments as courses (model days)."""
    return tuple(
        Course(c.regimen, patient.day(c.start), None if c.stop is None else patient.day(c.stop))
        for c in patient.treatments
    )


def anchor_scenario(base: Scenario, patient: PatientFile) -> Scenario:
    """``base`` with the patient's traits and the day-0 burden and split of the first visit.

    Blood CLL cells = (ALC - normal lymphocytes) x blood volume; lymph-node cells = volume x
    cells per mL (else the scenario's split relative to blood); marrow cells from marrow MRD
    (else the scenario's split relative to blood).
    """
    p = DEFAULT_PHYSIOLOGY
    v = patient.visits[0]
    split = base.patient.split
    blood = max(v.alc_1e9_per_l - p.normal_lymphocytes_1e9_per_l, 0.05) * 1e9 * p.blood_volume_l  # type: ignore[operator]
    ln = (
        v.ln_volume_ml * p.ln_cells_per_ml
        if v.ln_volume_ml is not None
        else blood * split["lymph_node"] / split["blood"]
    )
    if isinstance(v.mrd_marrow, float):
        marrow = v.mrd_marrow / (1 - v.mrd_marrow) * p.normal_marrow_nucleated_cells
    else:
        marrow = blood * split["marrow"] / split["blood"]
    total = blood + ln + marrow
    t = patient.traits
    pat = base.patient.model_copy(
        update={
            "burden_cells": float(np.clip(total, 1e3, 1e13)),
            "split": {"blood": blood / total, "lymph_node": ln / total, "marrow": marrow / total},
            "age_years": t.age_years,
            "ighv": t.ighv,
            "tp53": t.tp53,
            **({"body_weight_kg": t.body_weight_kg} if t.body_weight_kg else {}),
        }
    )
    return base.model_copy(update={"patient": pat})


@dataclass(frozen=True, eq=False)
class PatientModel:
    """One parameter set of one patient, compiled: everything a path needs."""

    scenario: Scenario
    cm: CompiledModel
    observer: Observer
    history: tuple[Course, ...]
    visit_days: NDArray[np.float64]
    t0: float
    horizon_day: float
    mrd_assay: str
    vaf_assay: str


def patient_model(scenario: Scenario, patient: PatientFile, *, years: float) -> PatientModel:
    """Compile ``scenario`` (already anchored) for ``patient``, ``years`` after the last visit."""
    days = np.asarray(patient.visit_days, dtype=np.float64)
    t0 = float(days[-1])
    horizon = t0 + years * 365.25
    sc = scenario.model_copy(update={"horizon_days": horizon})
    cm = compile_model(sc)
    last = patient.visits[-1]
    return PatientModel(
        sc, cm, Observer(cm), history_courses(patient), days, t0, horizon,
        last.mrd_assay, last.vaf_assay,
    )  # fmt: skip


def day0_counts(pm: PatientModel, rng: np.random.Generator) -> NDArray[np.int64]:
    """int64[n_types] at day 0: subclones from the founding clone's history (or as given in
    an explicit history), split as anchored."""
    cm = pm.cm
    burden = round(pm.scenario.patient.burden_cells)
    net = history_network(cm)
    stop = StopCondition(total_at_least=burden)
    sub = np.zeros(len(cm.genotypes), dtype=np.int64)
    sub[0] = burden  # a clone that does not grow at the anchored split: no history to draw
    if pm.scenario.history.mode == "explicit":
        given = pm.scenario.history.subclones
        sub[1:] = [given.get(g, 0) for g in cm.genotypes[1:]]
        sub[0] = max(burden - int(sub[1:].sum()), 0)
    elif float(net.birth[0, 0]) > float(net.death[0, 0]):
        for _ in range(_HISTORY_TRIES):
            res = simulate_network(
                net,
                times_days=[0.0, 200 * 365.25],
                rng=rng,
                stop=stop,
                algorithm=HISTORY_ALGORITHM,
            )
            if res.status[0] == 2:
                sub = res.stop_counts[0]
                break
    x0 = np.zeros(cm.n_types, dtype=np.int64)
    for g in range(len(cm.genotypes)):
        types = np.flatnonzero(cm.type_genotype == g)
        frac = cm.initial_fraction[types]
        x0[types] = rng.multinomial(int(sub[g]), frac / frac.sum())
    return x0


def _limit(pm: PatientModel) -> StopCondition:
    return StopCondition(total_at_least=round(pm.scenario.patient.max_burden_cells))


def simulate_prefix(
    pm: PatientModel, x0: NDArray[np.int64], root: np.random.SeedSequence
) -> tuple[NDArray[np.float64], NDArray[np.int64], bool]:
    """Day 0 to the last visit under the treatment history.

    Returns
    -------
    values : float64[n_visits, 8]
        True :data:`~cllsim.navigate.observe.CHANNELS` at each visit.
    x_t0 : int64[n_types]
        Counts at the last visit.
    ok : bool
        False if the burden limit was reached before the last visit.
    """
    days = pm.visit_days
    if days.size == 1:
        return pm.observer.values(x0)[None, :], x0, True
    doses = plan_doses(pm.history, pm.t0 + 1.0, pm.scenario.patient.body_weight_kg)
    net = patient_network(pm.scenario, x0, cm=pm.cm, doses=doses)
    res = simulate_network(
        net, times_days=days, rng=root, stop=_limit(pm), algorithm=PATIENT_ALGORITHM
    )
    counts = res.counts[0].copy()
    ok = bool(res.status[0] != 2)
    if not ok:
        counts[days > res.stop_time_days[0]] = res.stop_counts[0]
    return pm.observer.values(counts), counts[-1].copy(), ok


@dataclass(frozen=True)
class PathResult:
    """One simulated path from the forecast day.

    Days are days after ``t0`` (the last visit); NaN: did not happen before the horizon.
    ``values``: true channels at the grid (NaN after the path ended).
    """

    grid_days: NDArray[np.float64]
    values: NDArray[np.float64]
    progression_day: float
    failure_day: float
    resistance_day: float
    indication_day: float
    drug_days: float
    end_day: float
    events: tuple[tuple[float, str], ...]


def _on_class(courses: tuple[Course, ...], day: float, cls: str) -> bool:
    return any(
        c.start_day <= day < c.end_day() and cls in REGIMEN_CLASSES[c.regimen] for c in courses
    )


def _drug_days(courses: tuple[Course, ...], t0: float, end: float) -> float:
    days = np.zeros(max(math.ceil(end - t0), 0), dtype=bool)
    for c in courses:
        a, b = max(c.start_day, t0), min(c.end_day(), end)
        if b > a:
            days[int(a - t0) : math.ceil(b - t0)] = True
    return float(days.sum())


def run_path(
    pm: PatientModel,
    x_t0: NDArray[np.int64],
    strategy: StrategySpec | None,
    root: np.random.SeedSequence,
    *,
    visit_every_days: float = 84.0,
    prefix_values: NDArray[np.float64] | None = None,
) -> PathResult:
    """Simulate from the last visit to the horizon under ``strategy`` (None: no treatment,
    watch and wait; the treatment indication is then tracked instead of progression).

    Parameters
    ----------
    pm : PatientModel
    x_t0 : int64[n_types]
        Counts at the last visit (from :func:`simulate_prefix`).
    strategy : StrategySpec or None
    root : SeedSequence
        Segment *j* uses ``child(child(root, 0), j)``, its measurements ``child(child(root,
        1), j)``: the same for every strategy (common random numbers).
    visit_every_days : float
        Days between decision visits, days.
    prefix_values : float64[n_visits, 8], optional
        True values at the patient's visits (baseline and nadir of an ongoing course).
    """
    t0, horizon = pm.t0, pm.horizon_day
    grid = np.arange(t0, horizon + 1e-9, visit_every_days)
    values = np.full((grid.size, len(CHANNELS)), np.nan)
    sim_root, meas_root = child_sequence(root, 0), child_sequence(root, 1)
    mrd_assay, vaf_assay = MRD_ASSAYS[pm.mrd_assay], VAF_ASSAYS[pm.vaf_assay]
    weight = pm.scenario.patient.body_weight_kg
    ongoing = next((c for c in pm.history if c.end_day() > t0), None)
    past = tuple(c for c in pm.history if c is not ongoing)
    tracker = ProgressionTracker()
    state = None
    if strategy is not None:
        state = strategy.begin(t0, ongoing)
        if ongoing is not None and state.courses[0].start_day >= t0:  # replaced at t0
            past = (*past, ongoing.stopped(t0))
    elif ongoing is not None:
        past = (*past, ongoing)
    x = np.asarray(x_t0, dtype=np.int64)
    values[0] = pm.observer.values(x)
    if state is not None and state.course is not None:
        base = values[0]
        if prefix_values is not None and state.course.start_day < t0:
            since = pm.visit_days >= state.course.start_day
            rows = prefix_values[since] if since.any() else values[:1]
            base = np.array([rows[:, 0].min(), rows[:, 1].min(), *values[0][2:]])
        tracker.start(base)
    prog = fail = res_day = math.nan
    end = horizon
    courses = past + (state.courses if state is not None else ())
    t, seg, done = t0, 0, False
    while not done:
        ahead = np.flatnonzero(grid > t + 1e-9)
        if ahead.size == 0:
            break
        doses = plan_doses(courses, horizon, weight)
        net = patient_network(pm.scenario, x, cm=pm.cm, doses=doses, start_day=t)
        r = simulate_network(net, times_days=grid[ahead], start_day=t,
                             rng=child_sequence(sim_root, seg), stop=_limit(pm),
                             algorithm=PATIENT_ALGORITHM)  # fmt: skip
        stop_day = float(r.stop_time_days[0]) if r.status[0] == 2 else math.inf
        done = True
        for row, j in enumerate(ahead):
            t_next = grid[j]
            if t_next > stop_day:  # the burden limit: the disease has overrun the strategy
                end = stop_day
                values[j] = pm.observer.values(r.stop_counts[0])
                if strategy is not None:
                    fail = end - t0
                    prog = fail if math.isnan(prog) else prog
                break
            v = pm.observer.values(r.counts[0, row])
            values[j] = v
            rng = child_generator(meas_root, j)
            mrd = float(mrd_assay.measure(np.array([v[2]]), rng=rng)[0])
            vaf = vaf_assay.measure(v[4:], rng=rng)
            vafs = {
                c.removeprefix("vaf_"): float(f) for c, f in zip(CHANNELS[4:], vaf, strict=True)
            }
            if math.isnan(res_day) and any(not math.isnan(vafs[g]) for g in RESISTANCE_MUTATIONS):
                res_day = t_next - t0
            if state is None:
                continue
            why = tracker.update(v, on_btki=_on_class(courses, t_next, "BTKi"))
            if why is not None and math.isnan(prog):
                prog = t_next - t0
            new = strategy.decide(state, t_next, progressed=why, mrd_blood=mrd, vafs=vafs)  # type: ignore[union-attr]
            if new.failed is not None:
                fail, end, state = t_next - t0, t_next, new
                break
            if new.line != state.line:
                tracker = ProgressionTracker()
                tracker.start(v)
            changed = new.courses != state.courses
            state = new
            if changed:  # the plan changes here: continue from this visit's counts
                courses = past + new.courses
                x, t, seg, done = r.counts[0, row].copy(), t_next, seg + 1, False
                break
    ind = math.nan
    if strategy is None:
        keep = ~np.isnan(values[:, 0])
        table = pd.DataFrame(
            {"time_days": grid[keep], "alc_1e9_per_l": values[keep, 0],
             "ln_volume_ml": values[keep, 1]}
        )  # fmt: skip
        day, _ = treatment_indication(table)
        ind = math.nan if day is None else day - t0
    values[grid > end + 1e-9] = np.nan
    return PathResult(
        grid_days=grid - t0,
        values=values,
        progression_day=prog,
        failure_day=fail,
        resistance_day=res_day,
        indication_day=ind,
        drug_days=_drug_days(courses, t0, end),
        end_day=end - t0,
        events=state.events if state is not None else (),
    )
