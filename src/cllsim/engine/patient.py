"""One virtual CLL patient: disease history, then therapy on its schedule (orchestration).

``simulate(scenario)`` compiles the scenario, draws the resistant subclones present at day 0
from the mutation–selection history (the founding clone grown exactly from one cell to the
burden, with mutation at division), turns the regimen's exposures into rate tables on the
pharmacokinetic knot grid, and runs the engine.  It loops over knots and drugs, never over
cells.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cllsim.engine.algorithms import Algorithm, KendallLeap
from cllsim.engine.network import Network, StopCondition
from cllsim.engine.rates import _varies, averaged_tables, growth_corrections
from cllsim.engine.simulate import first_stop, simulate_network
from cllsim.model import COMPARTMENTS, CompiledModel, Scenario, TreatmentSpec, compile_model
from cllsim.model.compile import EGRESS, HOMING, PERSISTER_ENTRY, PHENOTYPES
from cllsim.pkpd import (
    DRUGS,
    Dose,
    checked_factors,
    exposure_grid,
    exposure_table,
    merge_doses,
    scale_doses,
    unit_doses,
)
from cllsim.pkpd import regimens as rx
from cllsim.pkpd.dosing import dose_columns
from cllsim.pkpd.exposure import forget_evaluators
from cllsim.seeding import RngLike, child_generator, child_sequence, root_sequence, seed_provenance

__all__ = [
    "DRUG_CLASSES",
    "HISTORY_ALGORITHM",
    "PATIENT_ALGORITHM",
    "PatientResult",
    "day_zero",
    "history_network",
    "patient_doses",
    "patient_network",
    "simulate",
]

DRUG_CLASSES = {
    "ibrutinib": "BTKi",
    "venetoclax": "BCL2i",
    "obinutuzumab": "antiCD20",
    "chlorambucil": "chemo",
}
_HISTORY_YEARS_MAX = 200.0
# Knots of the rate tables: exposures between knots deviate from the chord by at most 5% (and
# ln-exposure changes by at most 0.5 per interval); rates still change exactly at dose times
# and follow the exposure between.  Measured on 10 years of Ven-Obi from 1e12 cells (mean
# log10 total of 20 runs at days 180, 365, 456, 730, 1460, 3650): 5,895 knots give the same
# values within 0.004 (1%) as the pkpd default's 11,309 (0.5%, ln step 0.25) and as 8,153
# (2%, ln step 0.25), far below the precision of any PD parameter, in 75% of the time of the
# latter.
_KNOT_RTOL = 0.05
_KNOT_LOG_STEP = 0.5
# The rate tables are then averaged over pieces (engine.rates.averaged_tables): each rate keeps
# its integral over every piece, its running integral stays within 0.02 of its average's
# inside a piece (every cell's hazards within a factor exp(0.02) anywhere inside), and a piece
# is at most 7 days long, since blood, which cells leave within about a day, follows the rate
# of the moment rather than its running integral.  The engine then steps across a piece
# instead of stopping at every exposure knot.  Measured against the tables on every exposure
# knot with 1-day steps (20 runs, 10 years from 1e12 cells, mean log10 cells per compartment
# at every visit): largest difference 0.0025 (0.6%, Clb-Obi, blood at day 252), 0.0007
# (Ven-Obi), 0.0002 (continuous ibrutinib); 28-day pieces gave 0.0093 for Clb-Obi.  The
# mutant genotypes' sizes agree within Monte Carlo error (largest |z| 2.7 of 524).  Pieces
# instead of knot intervals: Ven-Obi 2,085 (5,894), Clb-Obi 547 (4,424), ibrutinib 522 (3,678).
_AVERAGE_TOL = 0.02
_AVERAGE_MAX_DAYS = 7.0
# simulate() reads a patient's counts at the visits (and the day the burden limit is reached,
# where rates between visits set the day within a piece): the tables are held to _AVERAGE_TOL
# in the day before each visit (blood follows the rate of the moment; a day covers its cells'
# stay) and to _UNOBSERVED_TOL between, where only the cells' accumulated fate is read later.
# What that bound leaves is the order of the averaged rates within a piece (they do not
# commute with the moves): averaging the daily venetoclax swing overstates the killing (in
# the swing, blood's cells are spared the peaks), steadily, so each genotype's mean growth on
# each piece is corrected to the fine tables' (_growth_corrections: a death rate per piece,
# from both tables' mean paths, each from its own composition; engine.rates
# .growth_corrections).  Against the fine tables as above (400 days from 1e12 cells, visits
# every 28 days), largest difference: Ven-Obi 0.0015 corrected at 0.5 (uncorrected 0.0099;
# at 0.1, where this bound was before the correction, 0.0018 uncorrected and 0.0003
# corrected; 0.0015 over 6 years), Clb-Obi 0.0022 (0.0029 uncorrected).  Ven-Obi's pieces
# in 400 days: 984 at 0.1, 124 at 0.5.  CLL14 patients (one process, 200 of seed 7): engine
# Ven-Obi 22.5 -> 7.7 ms; the corrections cost 3.5 ms (Ven-Obi) and 1.7 ms (Clb-Obi).
_OBSERVED_WINDOW_DAYS = 1.0
_UNOBSERVED_TOL = 0.5
# The 7-day bound is for rates that change: where no rate's values on a piece span more than
# 1e-4 per day (a cell's hazard over its day in blood then within 1e-4 of that of the rate
# of the moment, every running integral within 0.0028), a piece grows up to the therapy
# algorithm's 28-day step (spawn rates, births x mutation probabilities, vary as births).
# After treatment a drug's effect fades for a year or more (obinutuzumab's by less than 1e-4
# a day from about day 500 of CLL14) and kept the tables in 7-day pieces to the end of
# follow-up.  Against 7-day pieces, 6 years of Clb-Obi from 1e12 cells: 0.00003 log10
# (tests/engine/test_patient.py).  CLL14 patients (one process): engine Clb-Obi 7.4 -> 6.6
# ms, Ven-Obi 24.2 -> 23.0 ms.
_FLAT_RATE_PER_DAY = 1e-4
_FLAT_MAX_DAYS = 28.0
# When every drug given is occupancy-driven (a BTK inhibitor alone), oral dose times are not
# knots of the exposure grid and its knots are at least a longest averaged piece apart: on
# treatment BTK occupancy swings by about 1% within a day, under the grid's 5%, so with daily
# knots the refinement added nothing and the tables were averaged back to week-long pieces
# anyway.  Ten years of continuous ibrutinib: 3,679 exposure knots -> 553, the same 523
# averaged pieces; the patient's counts agree with the daily knots' (test_patient.py).
_OCCUPANCY_STEP_DAYS = _AVERAGE_MAX_DAYS
# The exposure grid has a knot at least every day (pkpd.DEFAULT_MAX_STEP_DAYS), so that its
# refinement, which tests points within an interval, finds the spike of a short-lived drug
# (chlorambucil's, hours after an oral dose).  From _WASHED_OUT_DAYS after the last dose
# (or infusion's end) on, every exposure only decays (sums of exponentials, which the
# refinement's chord tests follow), and the knots are at most _WASHED_OUT_STEP_DAYS apart
# instead: a week, the longest averaged piece whose rates vary.  After CLL14's last dose
# obinutuzumab fades for a year and more, so 6 years of Ven-Obi took 4,437 knots (1,800 of
# them daily after treatment) and Clb-Obi 2,967; the averaging and the growth corrections
# walk every knot.  With weekly knots there: 2,875 and 1,399; 6 years from 1e12 cells
# against the daily knots (tests/engine/test_patient.py): the compartments' mean log10 cells
# within 0.00025 (Ven-Obi) and 0.00013 (Clb-Obi).  CLL14 patients (one process): 20.4 ->
# 18.6 ms.  (Weekly knots before the last dose miss chlorambucil's spikes: 0.98 log10.)
_WASHED_OUT_DAYS = 7.0
_WASHED_OUT_STEP_DAYS = _AVERAGE_MAX_DAYS
_HISTORY_TRIES = 1000
# Knot grids kept by _knots: one per arm of a trial (and its few horizons cut short by an
# other-cause death), a handful of schedules in a session; each is ~50 kB.  The schedules
# (_regimen_doses), unit schedules (_unit_schedule) and unit tables (_unit_tables) those
# grids come from are kept as many times.
_KNOTS_KEPT = 64
# Tables from day 0 take their knots from a grid computed to a whole number of years and cut
# at the horizon, so that a trial's patients who die of other causes before its follow-up ends
# (a third in CLL14) share a few grids per arm instead of computing one each (5 ms each);
# those who die during treatment too, since their tables are cut from the whole schedule's
# (_rates' schedule).  Such a grid passes the same tests (pkpd.grid.exposure_grid) over a
# longer span: its intervals are as accurate relative to the exposure, but its floor, a
# fraction of the largest exposure on the span, can be higher where exposures are small, and
# the interval cut at the horizon is part of one that passed.  Grids that are never shared
# keep theirs to the horizon: those of a BTK inhibitor (built from each patient's own doses;
# cutting them also recomputed its occupancy, 3 ms) and of runs continued from a later day
# (the navigator's segments).
_GRID_YEAR_DAYS = 365.25
#: The therapy phase's algorithm.  Every type of the patient network migrates (about one move
#: per cell per day), so a clone of a few hundred cells simulated event by event costs more
#: than the rest of the patient; leaping it is as accurate as leaping a large one (the
#: splitting's error is relative, not a function of the count).  Clones below 100 cells, where
#: extinction and establishment are decided, stay event by event.  Measured on a 10-year
#: patient: 2.6x faster untreated, 2.2x on ibrutinib, 1.4x on Ven-Obi; resistant-clone sizes
#: under ibrutinib agree with exact_below=1000 (tests/engine/test_patient.py).
#: Steps of up to 28 days where the rate tables allow, and mean-corrected steps up to
#: h^2 x commutator = 0.5 instead of the splitting's own 0.005 (about 17 days instead of 1.7
#: for the move from blood to the dividing lymph node; the 7-day rate pieces bind first under
#: treatment), as long as no spawn edge is expected to emit more than max_exact_arrivals
#: cells per step (while the founding clone is large, every new mutant is still followed from
#: its own time).  The mean is exact at any step; the splitting touches only the spread
#: (+2.9% in standard deviation at 0.3 on the engine's fast-migrating test network).
#: Engine time for 10 years with the history's subclones (seed 1): continuous ibrutinib
#: 18.8 -> 5.6 ms, Ven-Obi 51 -> 37 ms, Clb-Obi 36 -> 28 ms.  Against the splitting in short
#: uncorrected steps (200 runs of 10 years each scenario, 159 comparisons of compartment and
#: genotype totals at 7 visits): compartments above 1e6 cells within 0.1%, genotype totals
#: |z| <= 2.75, standard deviations' ratio median 0.98-1.01 (tests/engine/test_patient.py).
PATIENT_ALGORITHM = KendallLeap(exact_below=100, max_step_days=28.0, max_commutator=0.5)
#: The history's algorithm.  The founding clone grows for decades at constant rates with no
#: moves, where each leap is exact at any length and spawns follow the geometric bridge of a
#: large, near-deterministic population: 30-day steps instead of 1-day ones (15x faster; the
#: subclones at diagnosis keep their law, tests/engine/test_patient.py).
HISTORY_ALGORITHM = KendallLeap(max_step_days=30.0)


@dataclass(frozen=True, eq=False)
class PatientResult:
    """One simulated patient.

    Attributes
    ----------
    counts : DataFrame
        Tidy: ``time_days, compartment, genotype, phenotype, cells`` at every visit (built
        from ``type_counts`` when first read).
    doses : DataFrame
        ``time_days, drug, amount_mg``, one row per dose (built from ``dose_schedule`` when
        first read).
    dose_schedule : tuple of Dose
        The doses given.
    treatment_periods : tuple of (start_day, end_day, frozenset of drug classes)
    day0_subclones : dict
        Cells of each genotype at day 0 (from the history or given).
    history_days : float
        Time the founding clone took to grow from one cell to the burden (NaN if explicit).
    burden_limit_day : float or None
        When the total reached ``patient.max_burden_cells`` and the simulation ended.
    provenance : dict
    visit_days : float64[n_visits]
        The recorded visits (those up to the burden limit).
    type_counts : int64[n_visits, n_types]
        Cells of each of the compiled model's types at each visit.
    model : CompiledModel
        The scenario's compiled model (the types' compartments, genotypes and phenotypes).
    """

    scenario: Scenario
    dose_schedule: tuple[Dose, ...]
    treatment_periods: tuple[tuple[float, float, frozenset[str]], ...]
    day0_subclones: dict[str, int]
    history_days: float
    burden_limit_day: float | None
    provenance: dict[str, Any]
    visit_days: NDArray[np.float64]
    type_counts: NDArray[np.int64]
    model: CompiledModel

    @functools.cached_property
    def counts(self) -> pd.DataFrame:
        return _tidy(self.model, self.visit_days, self.type_counts)

    @functools.cached_property
    def doses(self) -> pd.DataFrame:
        columns = dose_columns(self.dose_schedule)
        return pd.DataFrame(
            {"time_days": columns.time_days, "drug": columns.drug, "amount_mg": columns.amount_mg}
        )


def patient_doses(scenario: Scenario) -> tuple[Dose, ...]:
    """Every dose of the scenario's regimen (plus extra doses) before its horizon, sorted."""
    return _scenario_doses(scenario, scenario.horizon_days)


def _whole_schedule(scenario: Scenario) -> tuple[Dose, ...]:
    """:func:`patient_doses` before no horizon: a fixed-duration regimen's every dose
    (those of a regimen given until the horizon still stop there)."""
    return _scenario_doses(scenario, _until(scenario.treatment, scenario.horizon_days))


def _until(tr: TreatmentSpec, horizon_days: float) -> float:
    """The day a regimen's schedule runs to: the horizon for a continuous regimen without a
    stop day, else no day (inf): the schedule does not depend on the horizon."""
    return horizon_days if tr.stop_day is None and tr.regimen in _CONTINUOUS else math.inf


def _scenario_doses(scenario: Scenario, horizon_days: float) -> tuple[Dose, ...]:
    """The scenario's doses before ``horizon_days`` (:func:`_regimen_doses`)."""
    tr = scenario.treatment
    weight = scenario.patient.body_weight_kg if tr.regimen == "cll14-clb-obi" else None
    return _regimen_doses(tr, horizon_days, weight)


@functools.lru_cache(maxsize=_KNOTS_KEPT)
def _regimen_doses(
    tr: TreatmentSpec, horizon_days: float, body_weight_kg: float | None
) -> tuple[Dose, ...]:
    """:func:`patient_doses` from what they depend on (the treatment is frozen, so hashable):
    the regimen's schedule (:func:`_regimen_schedule`, built once for every horizon) cut at
    the horizon, plus the extra doses.  A trial arm's patients with one horizon share one
    tuple (chlorambucil's, dosed by weight, is each patient's)."""
    doses = _regimen_schedule(tr, _until(tr, horizon_days), body_weight_kg)
    extra = tuple(
        Dose(
            time_days=d.day,
            drug=d.drug,
            amount_mg=d.amount_mg,
            route="iv_infusion" if d.drug == "obinutuzumab" else "oral",
            duration_days=4 / 24 if d.drug == "obinutuzumab" else 0.0,
        )
        for d in tr.extra_doses
    )
    kept = doses
    if doses and doses[-1].time_days >= horizon_days:  # every regimen comes sorted
        kept = tuple(d for d in doses if d.time_days < horizon_days)
    return merge_doses(kept, extra) if extra else kept


#: Regimens given until the treatment's stop day, or else the horizon.
_CONTINUOUS = frozenset({"ibrutinib-continuous", "venetoclax-continuous"})


@functools.lru_cache(maxsize=_KNOTS_KEPT)
def _regimen_schedule(
    tr: TreatmentSpec, until_days: float, body_weight_kg: float | None
) -> tuple[Dose, ...]:
    """The regimen's doses, sorted, before any horizon: a fixed-duration regimen's do not
    depend on it (``until_days`` is then inf), so patients whose horizons differ (those who
    die of other causes during follow-up, a third in CLL14) share one schedule, which
    :func:`_regimen_doses` cuts instead of building it again (1.3 ms for Ven-Obi's)."""
    stop = tr.stop_day if tr.stop_day is not None else until_days
    start = tr.start_day
    if tr.regimen == "none":
        return ()
    if tr.regimen == "ibrutinib-continuous":
        return rx.ibrutinib_continuous(start_day=start, stop_day=stop)
    if tr.regimen == "venetoclax-continuous":
        return rx.venetoclax_continuous(start_day=start, stop_day=stop)
    # the CLL14 regimens: 12 cycles from day `start`, or from the days given
    kw = (
        {"cycle_starts_days": tr.cycle_starts_days}
        if tr.cycle_starts_days
        else {"start_day": start}
    )
    if tr.regimen == "cll14-ven-obi":
        return rx.cll14_venetoclax_obinutuzumab(**kw)
    return rx.cll14_chlorambucil_obinutuzumab(body_weight_kg=body_weight_kg, **kw)


def _periods(doses: tuple[Dose, ...]) -> tuple[tuple[float, float, frozenset[str]], ...]:
    """One period from the first to one day after the last dose, with the drug classes given."""
    if not doses:
        return ()
    days = np.array([d.time_days for d in doses])
    return (
        (
            float(days.min()),
            float(days.max()) + 1.0,
            frozenset(DRUG_CLASSES[d.drug] for d in doses),
        ),
    )


def history_network(cm: CompiledModel) -> Network:
    """The founding clone's growth before day 0, whole body: one type per genotype.

    Each genotype divides and dies at its whole-body rates (compartment rates weighted by the
    diagnosis split, untreated, sensitive phenotype); the founder's divisions give a mutant
    daughter of genotype g with probability ``u * sites_g``.
    """
    n_g = len(cm.genotypes)
    birth = np.empty(n_g)
    for g in range(n_g):
        mask = cm.type_genotype == g
        birth[g] = float(np.sum(cm.initial_fraction[mask] * cm.birth[mask]))
    probs = cm.mutation_rate * cm.genotype_sites[1:]
    spawn = birth[0] * probs
    birth[0] *= 1 - probs.sum()
    return Network(
        types=cm.genotypes,
        initial=np.eye(n_g, dtype=np.int64)[0],
        birth=birth,
        death=float(cm.death[0]),
        spawns=[(0, g) for g in range(1, n_g)],
        spawn_rate=spawn,
    )


def _history(
    cm: CompiledModel, scenario: Scenario, rng: np.random.Generator
) -> tuple[NDArray, float]:
    """Cells of each genotype at day 0 and the time the history took (days)."""
    burden = round(scenario.patient.burden_cells)
    if scenario.history.mode == "explicit":
        sub = np.array(
            [0] + [scenario.history.subclones.get(g, 0) for g in cm.genotypes[1:]], dtype=np.int64
        )
        sub[0] = max(burden - int(sub.sum()), 0)
        return sub, float("nan")
    found = first_stop(  # condition on the clone surviving to diagnosis
        history_network(cm),
        times_days=[0.0, _HISTORY_YEARS_MAX * 365.25],
        stop=StopCondition(total_at_least=burden),
        rng=rng,
        tries=_HISTORY_TRIES,
        algorithm=HISTORY_ALGORITHM,
    )
    if found is not None:
        return found
    raise RuntimeError(
        f"the founding clone went extinct {_HISTORY_TRIES} times; check birth > death"
    )


def day_zero(
    cm: CompiledModel, scenario: Scenario, rng: RngLike
) -> tuple[NDArray[np.int64], NDArray[np.int64], float]:
    """The patient at day 0 that :func:`simulate` with the same ``rng`` starts from (drawn on
    stream 0 of its seed): cells per type (each genotype's cells split over compartments and
    phenotypes as the diagnosis split has them), cells per genotype, and the days the history
    took (NaN if explicit)."""
    draw = child_generator(root_sequence(rng), 0)
    sub, history_days = _history(cm, scenario, draw)
    x0 = np.zeros(cm.n_types, dtype=np.int64)
    for g in range(len(cm.genotypes)):
        types = np.flatnonzero(cm.type_genotype == g)
        x0[types] = draw.multinomial(sub[g], cm.initial_fraction[types])
    return x0, sub, history_days


def _unique_rows(a: NDArray) -> tuple[NDArray, NDArray[np.int64]]:
    """Distinct rows of ``a`` (sorted lexicographically) and, for every row, the index of
    its distinct row: ``np.unique(a, axis=0, return_inverse=True)`` by a lexsort, 5x faster
    at these sizes (16 instead of 81 us for 110 rows)."""
    order = np.lexsort(a.T[::-1])
    ranked = a[order]
    new = np.empty(order.size, dtype=bool)
    new[:1] = True
    new[1:] = np.any(ranked[1:] != ranked[:-1], axis=1)
    inverse = np.empty(order.size, dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ranked[new], inverse


@functools.lru_cache(maxsize=_KNOTS_KEPT)
def _knots(doses: tuple[Dose, ...], horizon: float, start: float) -> NDArray:
    """The exposure knots of ``doses`` from ``start`` to ``horizon`` (days), read-only.

    Kept for the last :data:`_KNOTS_KEPT` schedules: for drugs whose effect follows their
    concentration the grid does not depend on the patient's exposure factors, so every
    patient of a trial arm with the same horizon shares one (see :func:`_rates`).  Knots are
    at most a day apart up to :data:`_WASHED_OUT_DAYS` after the last dose and a week apart
    from then on (a BTK inhibitor alone: a week everywhere, :data:`_OCCUPANCY_STEP_DAYS`)."""
    drugs = [DRUGS[name] for name in sorted({d.drug for d in doses})]
    occupancy_only = all(d.effect_driver == "btk_occupancy" for d in drugs)
    kw = {"rtol": _KNOT_RTOL, "max_log_step": _KNOT_LOG_STEP}
    if occupancy_only:  # see _OCCUPANCY_STEP_DAYS
        return exposure_grid(
            doses, drugs, horizon, t_start_days=start, max_step_days=_OCCUPANCY_STEP_DAYS,
            occupancy_dose_knots=False, **kw,
        )  # fmt: skip
    # daily knots up to a week after the last dose, weekly after: see _WASHED_OUT_DAYS
    split = max(d.time_days + d.duration_days for d in doses) + _WASHED_OUT_DAYS
    parts = []
    if split > start:
        parts.append(exposure_grid(doses, drugs, min(split, horizon), t_start_days=start, **kw))
    if split < horizon:
        after = exposure_grid(
            doses, drugs, horizon, t_start_days=max(split, start),
            max_step_days=_WASHED_OUT_STEP_DAYS, **kw,
        )  # fmt: skip
        parts.append(after[1:] if parts else after)
    if len(parts) == 1:
        return parts[0]
    out = np.concatenate(parts)
    out.setflags(write=False)
    return out


@functools.lru_cache(maxsize=_KNOTS_KEPT)
def _unit_schedule(doses: tuple[Dose, ...]) -> tuple[tuple[Dose, ...], Mapping[str, float]]:
    """:func:`cllsim.pkpd.unit_doses` of a schedule, kept (each drug's largest amount
    read-only): the patients who share a schedule (:func:`patient_doses`) share its unit
    schedule, instead of dividing every dose again for each (0.14 ms for Ven-Obi's 324).
    Equal unit schedules are one object (:func:`_one_of_equals`): Clb-Obi's patients, dosed
    by weight, have schedules of their own but one unit schedule, whose dose columns
    (:func:`cllsim.pkpd.dose_columns`, kept by identity) are then built once."""
    unit, peak = unit_doses(doses)
    return _one_of_equals(unit), MappingProxyType(peak)


@functools.lru_cache(maxsize=_KNOTS_KEPT)
def _one_of_equals(unit: tuple[Dose, ...]) -> tuple[Dose, ...]:
    """The first of the (recent) tuples equal to ``unit``."""
    return unit


@functools.lru_cache(maxsize=_KNOTS_KEPT)
def _unit_tables(unit: tuple[Dose, ...], span_end: float, start: float) -> tuple[NDArray, NDArray]:
    """The :func:`_knots` of a unit schedule (:func:`cllsim.pkpd.unit_doses`) and its
    exposures there, read-only: with linear pharmacokinetics a patient's exposures are these
    times each drug's largest amount and exposure factor, so an arm's patients share them as
    they share the grid."""
    drugs = [DRUGS[name] for name in sorted({d.drug for d in unit})]
    knots = _knots(unit, span_end, start)
    return np.asarray(knots), np.asarray(exposure_table(unit, drugs, knots))


def forget_kept_tables() -> None:
    """Drop the kept dose schedules, knot grids and PK evaluators, so that the next patient
    computes them afresh, as one whose doses were never seen (the patient benchmark times it
    so)."""
    _regimen_doses.cache_clear()
    _regimen_schedule.cache_clear()
    _unit_schedule.cache_clear()
    _one_of_equals.cache_clear()
    _knots.cache_clear()
    _unit_tables.cache_clear()
    forget_evaluators()


def _concentration_driven(doses: tuple[Dose, ...]) -> bool:
    """Whether every drug of ``doses`` acts through its concentration (its exposures are
    then linear in its doses: :func:`_rates`)."""
    return all(DRUGS[name].effect_driver == "concentration" for name in {d.drug for d in doses})


def _rates(
    cm: CompiledModel,
    doses: tuple[Dose, ...],
    horizon: float,
    start: float = 0.0,
    factors: dict[str, float] | None = None,
    observed_days: NDArray | None = None,
    schedule: tuple[Dose, ...] | None = None,
) -> dict[str, NDArray]:
    """Rate tables on the exposure knots from ``start`` to ``horizon`` (days) for ``doses``
    with each drug's amounts times ``factors[drug]`` (``patient.drug_exposure``).

    ``schedule``: the whole schedule ``doses`` were cut from at the horizon (the same doses
    before it).  Tables from day 0 of concentration-driven drugs are then those of the
    schedule, cut at the horizon: exposures before it are the same (no dose after the horizon
    counts before it), and a trial arm's patients who die during treatment share the arm's
    grid (:data:`_KNOTS_KEPT`) instead of refining one of their own (5 ms each, 0.2 ms a
    CLL14 patient on average).

    The knots of concentration-driven drugs are those of their doses scaled to a largest
    amount of 1 (:func:`cllsim.pkpd.unit_doses`): the grid's tests are relative (deviation from the
    chord against the local exposure or a fraction of the drug's peak, change of ln
    exposure), so a factor on every dose of a drug (body weight, exposure factor), which is
    a factor on its exposure (linear PK), leaves each test as it was.  Checked: the 200
    patients of a CLL14 draw (exposure factors with CV 30%, chlorambucil by body weight) get
    bit-identical grids either way (``tests/engine/test_patient.py``), and :func:`_knots`
    then computes the grid once per arm and horizon instead of once per patient; so does
    :func:`_unit_tables` the exposures, which a patient's are times each drug's largest
    amount and factor (within 1e-12 of its largest exposure of computing them from its own
    doses, ``tests/engine/test_patient.py``; 1 ms a CLL14 patient).  A BTK inhibitor's
    occupancy is not linear in the dose, so its grid and exposures are built from the doses
    the patient's plasma sees.
    """
    factor = checked_factors(factors or {}, "patient.drug_exposure")
    if start == 0.0 and schedule is not None and _concentration_driven(schedule):
        doses = schedule  # cut at the horizon below, like a grid to the end of the year
    used = sorted({d.drug for d in doses})
    if used:
        drugs = [DRUGS[name] for name in used]
        if _concentration_driven(doses):
            unit, peak = _unit_schedule(doses)
            span_end = horizon
            if start == 0.0:  # a grid the arm's patients share: see _GRID_YEAR_DAYS
                span_end = max(horizon, math.ceil(horizon / _GRID_YEAR_DAYS) * _GRID_YEAR_DAYS)
            knots, ex = _unit_tables(unit, span_end, start)
            if span_end > horizon:  # a jump at the horizon keeps both its knots
                kept = int(np.searchsorted(knots, horizon, side="right"))
                knots, ex = knots[:kept], ex[:kept]
                if knots[-1] < horizon:
                    knots = np.append(knots, horizon)
                    ex = np.vstack([ex, exposure_table(unit, drugs, knots[-1:])])
            # linear pharmacokinetics: amounts times a factor, exposures times the factor
            ex = ex * np.array([peak[u] * factor.get(u, 1.0) for u in used])
        else:
            # the doses as the patient's plasma sees them: amounts times patient.drug_exposure
            exposed = scale_doses(doses, factor)
            knots = np.asarray(_knots(exposed, horizon, start))
            ex = np.asarray(exposure_table(exposed, drugs, knots))
    else:
        knots, ex = np.zeros(1), np.zeros((1, 0))

    def col(name: str) -> NDArray | None:
        return ex[:, used.index(name)][:, None] if name in used else None

    # only the drugs given contribute (a drug not given adds exactly 0 to every rate)
    occ, cv, co, cc = col("ibrutinib"), col("venetoclax"), col("obinutuzumab"), col("chlorambucil")

    # Rates are computed once per distinct column: types (and edges) with the same
    # parameters share one, and the averaged tables are expanded to every type and edge at
    # the end.  Same arithmetic per column, so the same numbers as computing every column.
    # Columns that vary instead of 40 + 40 + 110 + 32: ibrutinib 16 + 8 + 12 + 16, Ven-Obi
    # 0 + 16 + 8 + 0, Clb-Obi 0 + 8 + 0 + 0; _rates for 10 years 19.9 -> 13.7 ms
    # (ibrutinib), 22.2 -> 13.7 ms (Ven-Obi), 12.2 -> 8.4 ms (Clb-Obi).  A column's key holds
    # the parameters of the drugs given that enter it.
    def given(x: NDArray | None, *params: NDArray) -> list[NDArray]:
        return [p if x is not None else np.zeros_like(p, dtype=np.float64) for p in params]

    gkind, type_g = _unique_rows(np.column_stack([cm.birth, *given(occ, cm.ibr_birth_inhibition)]))
    vkind, type_v = _unique_rows(np.column_stack(given(cv, cm.ven_kmax, cm.ven_ec50)))
    dkind, type_d = _unique_rows(
        np.column_stack(
            [cm.death, *given(occ, cm.ibr_death), *given(cv, type_v),
             *given(co, cm.obi_kmax, cm.obi_ec50), *given(cc, cm.clb_kmax, cm.clb_ec50)]
        )
    )  # fmt: skip
    g_birth, g_inh = gkind.T
    birth_total = np.broadcast_to(g_birth, (knots.size, g_birth.size)).copy()
    if occ is not None:
        birth_total *= 1 - g_inh * occ
    ven_kill = None
    if cv is not None:
        cvh = np.power(cv, cm.ven_hill)
        ven_kill = vkind[:, 0] * cvh / (np.power(vkind[:, 1], cm.ven_hill) + cvh)
    d0, ibr_d, d_v, o_kmax, o_ec50, c_kmax, c_ec50 = dkind.T
    death = np.broadcast_to(d0, (knots.size, d0.size)).copy()
    if occ is not None:
        death += ibr_d * occ
    if ven_kill is not None:
        death += ven_kill[:, d_v.astype(np.int64)]
    if co is not None:
        death += o_kmax * co / (o_ec50 + co)
    if cc is not None:
        death += c_kmax * cc / (c_ec50 + cc)
    lost = np.zeros(cm.n_types)
    np.add.at(lost, cm.spawn_src, cm.spawn_prob)
    birth_kind, birth_col = _unique_rows(np.column_stack([type_g, lost]))
    birth = birth_total[:, birth_kind[:, 0].astype(np.int64)] * (1 - birth_kind[:, 1])
    spawn_kind, spawn_col = _unique_rows(np.column_stack([type_g[cm.spawn_src], cm.spawn_prob]))
    spawn_rate = birth_total[:, spawn_kind[:, 0].astype(np.int64)] * spawn_kind[:, 1]
    # a move: its rate and kind, and what its kind reads of its source (BTKi effect for
    # egress and homing, venetoclax kill for persister entry)
    entry = cm.move_kind == PERSISTER_ENTRY
    edge_kind, move_col = _unique_rows(
        np.column_stack(
            [cm.move_rate, cm.move_kind,
             *given(occ, np.where(entry, 0.0, cm.btki_effect[cm.move_src])),
             *given(cv, np.where(entry, type_v[cm.move_src], -1))]
        )
    )  # fmt: skip
    rate, mkind, eff, src_v = edge_kind.T
    move = np.broadcast_to(rate, (knots.size, rate.size)).copy()
    if occ is not None:
        for k, factor in (
            (EGRESS, lambda e: 1 + cm.egress_gain * e),
            (HOMING, lambda e: np.clip(1 - cm.homing_block * e, 0, None)),
        ):
            edges = np.flatnonzero(mkind == k)
            move[:, edges] *= factor(eff[edges] * occ)
    edges = np.flatnonzero(mkind == PERSISTER_ENTRY)
    move[:, edges] = (
        cm.persister_entry_per_kill * ven_kill[:, src_v[edges].astype(np.int64)]
        if ven_kill is not None
        else 0.0
    )
    fine_knots, fine = knots, (birth, death, move)
    knots, (birth, death, move, spawn_rate) = averaged_tables(
        knots,
        (birth, death, move, spawn_rate),
        _tolerances(knots, observed_days),
        _AVERAGE_MAX_DAYS,
        _FLAT_RATE_PER_DAY,
        _FLAT_MAX_DAYS,
    )
    delta = _growth_corrections(
        cm, fine_knots, fine, knots, (birth, death, move), birth_col, type_d, move_col
    )
    # np.take along the columns writes C-ordered tables, which the Network keeps as they are
    # (fancy indexing gave Fortran-ordered ones, copied again there: 6.7 MB for Ven-Obi)
    birth, death = birth.take(birth_col, axis=1), death.take(type_d, axis=1)
    if delta is not None:
        # a piece's correction is a death rate; where it would take a type's death rate
        # below 0, the rest goes to its births (the same mean growth)
        death = death + np.repeat(delta, 2, axis=0)[:, cm.type_genotype]
        short = np.minimum(death, 0.0)
        death -= short
        birth = birth - short
    move, spawn_rate = move.take(move_col, axis=1), spawn_rate.take(spawn_col, axis=1)
    return {
        "knots_days": knots,
        "birth": birth,
        "death": death,
        "move_rate": move,
        "spawn_rate": spawn_rate,
    }


def _growth_corrections(
    cm: CompiledModel,
    fine_knots: NDArray,
    fine: tuple[NDArray, NDArray, NDArray],
    knots: NDArray,
    averaged: tuple[NDArray, NDArray, NDArray],
    birth_col: NDArray[np.int64],
    type_d: NDArray[np.int64],
    move_col: NDArray[np.int64],
) -> NDArray | None:
    """The death rate to add to each genotype's types on each averaged piece
    (:func:`cllsim.engine.rates.growth_corrections`, float64[pieces, genotypes]; None if the
    tables are constant), so that each genotype's mean cells from the diagnosis split follow
    the fine tables' at every piece's end (see :data:`_UNOBSERVED_TOL`).

    ``fine`` and ``averaged`` are the birth, death and move tables by distinct column, read
    through ``birth_col``, ``type_d`` (each type's) and ``move_col`` (each move's).
    Genotypes whose death and move columns are the same (and birth columns, where births
    vary) share one correction: births that differ by a constant factor (a mutation's
    fitness cost) change a correction by about 4e-4 of itself (a 1.5% lower birth rate:
    2e-6 ln over 400 days of Ven-Obi)."""
    if knots.size == 1:
        return None
    n_g = len(cm.genotypes)
    delta = np.empty((knots.size // 2, n_g))
    births_vary = bool(_varies(fine[0]).any())
    done: dict[tuple[bytes, bytes, bytes], NDArray] = {}
    for g in range(n_g):
        types = np.flatnonzero(cm.type_genotype == g)
        edges = np.flatnonzero(cm.type_genotype[cm.move_src] == g)
        key = (
            type_d[types].tobytes(),
            move_col[edges].tobytes(),
            birth_col[types].tobytes() if births_vary else b"",
        )
        if key not in done:
            local = np.full(cm.n_types, -1, dtype=np.int64)
            local[types] = np.arange(types.size)
            done[key] = growth_corrections(
                fine_knots, fine, knots, averaged, birth_col[types], type_d[types],
                move_col[edges], local[cm.move_src[edges]], local[cm.move_dst[edges]],
                np.asarray(cm.initial_fraction[types], dtype=np.float64), _FLAT_RATE_PER_DAY,
            )  # fmt: skip
        delta[:, g] = done[key]
    return delta


def _tolerances(knots: NDArray, observed_days: NDArray | None) -> float | NDArray:
    """The averaging tolerance of each interval of ``knots`` (:func:`averaged_tables`):
    :data:`_AVERAGE_TOL` on those that reach into the :data:`_OBSERVED_WINDOW_DAYS` before an
    observed day, :data:`_UNOBSERVED_TOL` on the others (None: :data:`_AVERAGE_TOL`
    everywhere)."""
    if observed_days is None or knots.size < 2:
        return _AVERAGE_TOL
    days = np.sort(np.asarray(observed_days, dtype=np.float64).ravel())
    if days.size == 0:
        return _UNOBSERVED_TOL
    # the first observed day after each interval's start: the interval is watched when it
    # ends after that day's window opens
    nxt = np.append(days, np.inf)[np.searchsorted(days, knots[:-1], side="right")]
    return np.where(knots[1:] > nxt - _OBSERVED_WINDOW_DAYS, _AVERAGE_TOL, _UNOBSERVED_TOL)


def patient_network(
    scenario: Scenario,
    initial: NDArray[np.int64],
    *,
    cm: CompiledModel | None = None,
    doses: tuple[Dose, ...] | None = None,
    start_day: float = 0.0,
    observed_days: NDArray | None = None,
) -> Network:
    """The engine's network of ``scenario``'s therapy phase from ``initial`` counts
    (int64[n_types] over :func:`cllsim.model.compile_model`'s types), with rate tables from
    ``start_day`` (a run continued with ``simulate_network(..., start_day=...)``; doses before
    it still count) to the scenario's horizon.  ``observed_days``: the only times at which
    the run's counts are read (its record times); the rate tables are then held to
    :data:`_AVERAGE_TOL` only in the :data:`_OBSERVED_WINDOW_DAYS` before each (default:
    everywhere).  ``doses``: those given (default: the scenario's regimen,
    :func:`patient_doses`, whose tables are cut from its whole schedule's at the horizon)."""
    cm = compile_model(scenario) if cm is None else cm
    schedule = None
    if doses is None:  # the scenario's regimen: its tables are cut from the whole schedule's
        doses, schedule = patient_doses(scenario), _whole_schedule(scenario)
    rates = _rates(
        cm,
        doses,
        scenario.horizon_days,
        start_day,
        scenario.patient.drug_exposure,
        observed_days,
        schedule,
    )
    return Network(
        types=cm.type_names,
        initial=initial,
        moves=list(zip(cm.move_src, cm.move_dst, strict=True)),
        spawns=list(zip(cm.spawn_src, cm.spawn_dst, strict=True)),
        **rates,
    )


def simulate(
    scenario: Scenario, *, algorithm: Algorithm | None = None, rng: RngLike = None
) -> PatientResult:
    """Simulate one patient of ``scenario`` from day 0 to its horizon.

    Parameters
    ----------
    scenario : Scenario
    algorithm : Algorithm
        Default :data:`PATIENT_ALGORITHM`.
    rng : int, SeedSequence, Generator or None
        Seed of the run; stream 0 draws the history, stream 1 the therapy phase.

    Returns
    -------
    PatientResult
    """
    from cllsim import __version__

    algorithm = PATIENT_ALGORITHM if algorithm is None else algorithm
    root = root_sequence(rng)
    cm = compile_model(scenario)
    x0, sub, history_days = day_zero(cm, scenario, root)
    doses = patient_doses(scenario)
    visits = scenario.visits.days_until(scenario.horizon_days)
    net = patient_network(scenario, x0, cm=cm, observed_days=visits)
    limit = StopCondition(total_at_least=round(scenario.patient.max_burden_cells))
    res = simulate_network(
        net, times_days=visits, rng=child_sequence(root, 1), algorithm=algorithm, stop=limit
    )
    ended = float(res.stop_time_days[0]) if res.status[0] == 2 else None
    kept = visits <= ended if ended is not None else np.ones(visits.size, dtype=bool)
    return PatientResult(
        scenario=scenario,
        dose_schedule=doses,
        treatment_periods=_periods(doses),
        day0_subclones={g: int(sub[i]) for i, g in enumerate(cm.genotypes)},
        history_days=history_days,
        burden_limit_day=ended,
        provenance={
            "cllsim_version": __version__,
            "seed": seed_provenance(root),
            "algorithm": type(algorithm).__name__,
            "algorithm_options": algorithm.options(),
            "n_knots": int(net.knots_days.size),
        },
        visit_days=visits[kept],
        type_counts=res.counts[0][kept],
        model=cm,
    )


def _tidy(cm: CompiledModel, times: NDArray, counts: NDArray) -> pd.DataFrame:
    """Sum internal states into (time, compartment, genotype, phenotype) rows."""
    n_c, n_p, n_g = len(COMPARTMENTS), len(PHENOTYPES), len(cm.genotypes)
    key = (cm.reported_compartment * n_g + cm.type_genotype) * n_p + cm.type_phenotype
    agg = np.zeros((times.size, n_c * n_g * n_p), dtype=np.int64)
    for j in range(cm.n_types):
        agg[:, key[j]] += counts[:, j]
    c_idx, rest = np.divmod(np.arange(agg.shape[1]), n_g * n_p)
    g_idx, p_idx = np.divmod(rest, n_p)
    return pd.DataFrame(
        {
            "time_days": np.repeat(times, agg.shape[1]),
            "compartment": np.tile(np.array(COMPARTMENTS)[c_idx], times.size),
            "genotype": np.tile(np.array(cm.genotypes)[g_idx], times.size),
            "phenotype": np.tile(np.array(PHENOTYPES)[p_idx], times.size),
            "cells": agg.reshape(-1),
        }
    )
