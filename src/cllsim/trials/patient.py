"""One virtual trial patient: arm, parameters, simulation, and the trial's endpoints.

Patient *i* of a trial with root ``SeedSequence(seed)`` owns the stream
``s = child_sequence(root, i)`` and nothing else, so its row depends only on (seed, i):

==========  ===============================================================================
stream      draws
==========  ===============================================================================
s / 0       the arm (randomisation), then the population parameters, in draw order
s / 1       the simulation (:func:`cllsim.engine.patient.simulate`: history, therapy)
s / 2       measurement noise of the assays (MRD, VAF) at every visit
s / 3       the time of death from other causes (life table)
==========  ===============================================================================

Endpoints (:func:`patient_endpoints`):

- progression by iwCLL 2018 at the assessment visits (:func:`cllsim.clinic.progression`);
  a simulation ended by the burden limit before any visit showed progression counts as
  progression on that day;
- PFS: the first of progression and death from other causes (any cause), censored at the last
  assessment within follow-up (the data cut-off: a death after it is censored there too);
  the cause is the class of the dominant genotype (most cells)
  at progression: ``BTK/PLCG2``, ``BCL2``, ``TP53``, ``none`` (the founding clone dominates),
  or ``death`` when death from other causes came first;
- MRD in blood and marrow at the MRD visit (planned end of treatment + 3 months): the true
  fraction, the assay's report (NaN when undetectable) and uMRD = undetectable *and* no PFS
  event before the visit (intention to treat: a patient who progressed or died before the
  sample counts as not uMRD);
- the first visit at which any resistance mutation's measured VAF reaches the assay limit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cllsim.clinic import VAF_ASSAYS, CountTotals, count_totals, observables, progression_of
from cllsim.engine.patient import PatientResult, simulate
from cllsim.model import Scenario
from cllsim.seeding import child_generator, child_sequence
from cllsim.trials.mortality import other_cause_death_days
from cllsim.trials.population import apply_parameters, draw_patient
from cllsim.trials.spec import TrialSpec

__all__ = [
    "CAUSES",
    "GENOTYPE_CAUSE",
    "OUTCOME_COLUMNS",
    "clone_sizes",
    "patient_endpoints",
    "simulate_trial_patient",
]

#: Causes of a PFS event, in report order.
CAUSES = ("BTK/PLCG2", "BCL2", "TP53", "none", "death")
#: Resistance genotype -> cause of progression.
GENOTYPE_CAUSE = {"BTK_C481S": "BTK/PLCG2", "PLCG2": "BTK/PLCG2", "BCL2_G101V": "BCL2",
                  "TP53": "TP53", "WT": "none"}  # fmt: skip
#: Outcome columns of ``patients.parquet`` and their dtypes (after id, arm and parameters).
OUTCOME_COLUMNS: dict[str, str] = {
    "other_cause_death_day": "float64",
    "end_of_treatment_day": "float64",
    "progression_day": "float64",
    "progression_reason": "object",
    "genotype_at_progression": "object",
    "pfs_days": "float64",
    "pfs_event": "bool",
    "pfs_cause": "object",
    "mrd_day": "float64",
    "mrd_blood_eot3": "float64",
    "mrd_marrow_eot3": "float64",
    "mrd_blood_eot3_measured": "float64",
    "mrd_marrow_eot3_measured": "float64",
    "umrd_blood_eot3": "bool",
    "umrd_marrow_eot3": "bool",
    "resistance_detected_day": "float64",
    "resistance_detected_genotype": "object",
    "last_visit_day": "float64",
    "history_years": "float64",
    "day0_resistant_cells": "int64",
}
_NAN = float("nan")


def _first_visit_at_or_after(times: np.ndarray, day: float) -> int | None:
    i = int(np.searchsorted(times, day - 1e-9))
    return i if i < times.size and abs(times[i] - day) < 1e-6 else None


def patient_endpoints(
    counts: pd.DataFrame | CountTotals,
    *,
    treatment_periods: Iterable[Any],
    death_day: float,
    follow_up_days: float,
    mrd_day: float | None,
    mrd_assay: str,
    vaf_assay: str,
    rng: np.random.Generator,
    burden_limit_day: float | None = None,
    resistance_genotypes: Sequence[str] = ("BTK_C481S", "PLCG2", "BCL2_G101V", "TP53"),
    last_assessment_day: float | None = None,
) -> dict[str, Any]:
    """The trial endpoints of one patient from its counts at the visits.

    Parameters
    ----------
    counts : DataFrame or CountTotals
        Tidy counts at the visits (``time_days, compartment, genotype, phenotype, cells``),
        or their :class:`cllsim.clinic.CountTotals` (:func:`count_totals_of`);
        day 0 must be among the times.
    treatment_periods : iterable
        As for :func:`cllsim.clinic.progression`.
    death_day : float
        Day of death from other causes (inf: none), days.
    follow_up_days : float
        End of follow-up, days.
    mrd_day : float or None
        Day of the MRD visit (must be a time of ``counts`` if it is before the last one).
    mrd_assay, vaf_assay : str
        Assay names (:data:`cllsim.clinic.MRD_ASSAYS`, :data:`cllsim.clinic.VAF_ASSAYS`).
    rng : numpy.random.Generator
        Measurement noise.
    burden_limit_day : float or None
        Day the simulation stopped at the burden limit, if it did.
    resistance_genotypes : sequence of str
        Mutations whose VAF is measured.
    last_assessment_day : float or None
        The trial's last scheduled assessment within follow-up (days), the data cut-off: a
        death after it is censored there, as every event-free patient is.  Counting it
        would put deaths after the last censoring time, where the Kaplan-Meier curve then
        falls to 0 (CLL14's 72-month PFS came out 0.0).  None: ``follow_up_days``.

    Returns
    -------
    dict
        The :data:`OUTCOME_COLUMNS` other than ``other_cause_death_day``,
        ``end_of_treatment_day``, ``history_years`` and ``day0_resistant_cells``.
    """
    periods = tuple(treatment_periods)
    totals = counts if isinstance(counts, CountTotals) else count_totals(counts)
    obs = observables(
        totals,
        visits_days=None,
        treatment_periods=periods,
        assay=mrd_assay,
        vaf_assay=vaf_assay,
        rng=rng,
        resistance_genotypes=resistance_genotypes,
        as_frame=False,
    )
    times = obs["time_days"]
    prog_day, reason = (
        progression_of(times, obs["alc_1e9_per_l"], obs["ln_volume_ml"], treatment_periods=periods)
        if periods
        else (None, None)
    )
    if prog_day is None and burden_limit_day is not None:
        prog_day, reason = float(burden_limit_day), "burden limit"
    dominant = None
    if prog_day is not None:
        at = np.flatnonzero(np.abs(totals.times - prog_day) < 1e-6)
        # the burden limit fell between visits: the last recorded visit
        row = at[0] if at.size else totals.times.size - 1
        # the most cells; a tie goes to the first genotype by name
        dominant = totals.genotypes[int(np.argmax(totals.genotype_cells[row]))]
    in_follow_up = times[times <= follow_up_days]
    last_visit = float(in_follow_up.max()) if in_follow_up.size else 0.0
    if prog_day is not None and prog_day <= min(death_day, follow_up_days):
        pfs, event, cause = prog_day, True, GENOTYPE_CAUSE.get(dominant, dominant)
    elif death_day <= min(
        follow_up_days, math.inf if last_assessment_day is None else last_assessment_day
    ):
        pfs, event, cause = death_day, True, "death"
    else:
        pfs, event, cause = last_visit, False, None

    out: dict[str, Any] = {
        "progression_day": _NAN if prog_day is None else float(prog_day),
        "progression_reason": reason,
        "genotype_at_progression": dominant,
        "pfs_days": float(pfs),
        "pfs_event": bool(event),
        "pfs_cause": cause,
        "mrd_day": _NAN if mrd_day is None else float(mrd_day),
        "last_visit_day": float(times.max()),
    }
    k = None if mrd_day is None else _first_visit_at_or_after(times, mrd_day)
    evaluable = k is not None and not (event and pfs < mrd_day)  # type: ignore[operator]
    for site in ("blood", "marrow"):
        true = float(obs[f"mrd_{site}"][k]) if k is not None else _NAN
        measured = float(obs[f"mrd_{site}_measured"][k]) if k is not None else _NAN
        out[f"mrd_{site}_eot3"] = true
        out[f"mrd_{site}_eot3_measured"] = measured
        out[f"umrd_{site}_eot3"] = bool(evaluable and math.isnan(measured))
    limit = VAF_ASSAYS[vaf_assay].detection_limit
    first_day, first_g = math.inf, None
    for g in resistance_genotypes:
        col = obs.get(f"vaf_{g}")
        if col is None:
            continue
        hit = np.flatnonzero(col >= limit)
        if hit.size and times[hit[0]] < first_day:
            first_day, first_g = float(times[hit[0]]), g
    out["resistance_detected_day"] = first_day if first_g is not None else _NAN
    out["resistance_detected_genotype"] = first_g
    return out


def simulate_trial_patient(
    trial: TrialSpec,
    index: int,
    root: np.random.SeedSequence,
    *,
    bases: dict[str, Scenario] | None = None,
    keep_clones: bool = False,
) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """Simulate patient ``index`` of ``trial`` on its own streams of ``root``.

    Parameters
    ----------
    trial : TrialSpec
    index : int
        Patient number (>= 0).
    root : numpy.random.SeedSequence
        The trial's root; the patient uses ``child_sequence(root, index)`` only.
    bases : dict, optional
        ``trial.base_scenario(arm)`` per arm, if already built (saves time).
    keep_clones : bool
        Also return the patient's cells per genotype at every visit (for the swimmer plot).

    Returns
    -------
    row : dict
        ``patient_id``, ``arm``, the drawn parameters (dotted names) and
        :data:`OUTCOME_COLUMNS`.
    clones : DataFrame or None
        ``patient_id, time_days, genotype, cells`` when ``keep_clones``.
    """
    s = child_sequence(root, index)
    draw = child_generator(s, 0)
    probs = trial.arm_probabilities()
    arm = list(probs)[int(draw.choice(len(probs), p=np.array(list(probs.values()))))]
    params = draw_patient(trial.population, draw)
    base = bases[arm] if bases is not None else trial.base_scenario(arm)
    sc = apply_parameters(base, params)
    follow_up = trial.follow_up_days
    death = math.inf
    if trial.population.mortality.enabled:
        death = other_cause_death_days(
            age_years=sc.patient.age_years,
            sex=str(params["mortality.sex"]),
            hazard_ratio=float(params.get("mortality.hazard_ratio", 1.0)),
            rng=child_generator(s, 3),
            table=trial.population.mortality.table,
        )
    if death < follow_up:  # nothing after death is observed: simulate up to it only
        horizon = max(death, sc.treatment.start_day + 1e-3)
        sc = sc.model_copy(update={"horizon_days": horizon})
    try:
        result = simulate(sc, rng=child_sequence(s, 1))
    except Exception as err:
        raise RuntimeError(f"trial {trial.name!r}, patient {index} ({arm}): {err}") from err
    eot = trial.end_of_treatment_day(arm)
    row: dict[str, Any] = {"patient_id": int(index), "arm": arm, **params}
    row.update(
        patient_endpoints(
            count_totals_of(result),
            treatment_periods=result.treatment_periods,
            death_day=death,
            follow_up_days=follow_up,
            mrd_day=trial.mrd_day(arm),
            mrd_assay=sc.assay.mrd,
            vaf_assay=sc.assay.vaf,
            rng=child_generator(s, 2),
            burden_limit_day=result.burden_limit_day,
            resistance_genotypes=[g.name for g in sc.genotypes[1:]],
            last_assessment_day=max(trial.visit_days(arm), default=None),
        )
    )
    row["other_cause_death_day"] = death
    row["end_of_treatment_day"] = _NAN if eot is None else eot
    row["history_years"] = result.history_days / 365.25
    row["day0_resistant_cells"] = int(sum(v for g, v in result.day0_subclones.items() if g != "WT"))
    clones = clone_sizes(result.counts, int(index)) if keep_clones else None
    return row, clones


def count_totals_of(result: PatientResult) -> CountTotals:
    """What the clinic reads of a simulated patient's counts (:class:`cllsim.clinic.CountTotals`),
    summed from its per-type counts without building its tidy table (``result.counts``): the
    same integers as ``count_totals(result.counts)``, 2 ms sooner."""
    cm = result.model
    return CountTotals.from_columns(
        result.visit_days,
        result.type_counts,
        cm.reported_compartment,
        [cm.genotypes[g] for g in cm.type_genotype],
    )


def clone_sizes(counts: pd.DataFrame, patient_id: int) -> pd.DataFrame:
    """Cells of each genotype at each time (all compartments and phenotypes summed).

    Parameters
    ----------
    counts : DataFrame
        Tidy counts (``time_days, compartment, genotype, phenotype, cells``).
    patient_id : int

    Returns
    -------
    DataFrame
        ``patient_id, time_days, genotype, cells``, sorted by time then genotype: the table of
        ``counts.groupby(["time_days", "genotype"])["cells"].sum()``, summed in one numpy pass.
    """
    times, at = np.unique(counts["time_days"].to_numpy(), return_inverse=True)
    genotypes, which = np.unique(counts["genotype"].to_numpy(), return_inverse=True)
    key = at * genotypes.size + which
    cells = np.zeros(times.size * genotypes.size, dtype=np.int64)
    np.add.at(cells, key, counts["cells"].to_numpy())
    kept = np.unique(key)  # (time, genotype) pairs that have rows
    return pd.DataFrame(
        {
            "patient_id": np.full(kept.size, patient_id, dtype=np.int64),
            "time_days": times[kept // genotypes.size],
            "genotype": genotypes[kept % genotypes.size],
            "cells": cells[kept],
        }
    )
