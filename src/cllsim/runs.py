"""``cllsim run``: one patient from scenario to the four result files.

simulate (engine) -> observables and iwCLL progression (clinic) -> summary -> report.
Files are written to a temporary folder beside ``out`` and moved into place only when all
four exist, so an error never leaves a half-written result.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cllsim.clinic import MRD_ASSAYS, VAF_ASSAYS, observables, progression
from cllsim.engine.patient import PatientResult, simulate
from cllsim.model import Scenario
from cllsim.outputs import write_folder
from cllsim.report import write_patient_report
from cllsim.seeding import (
    RngLike,
    child_generator,
    child_sequence,
    root_sequence,
    seed_provenance,
)

__all__ = ["OUTPUT_FILES", "PatientRun", "clinic_view", "run_patient", "write_patient_run"]

OUTPUT_FILES = ("counts.parquet", "observables.parquet", "summary.json", "report.html")


class PatientRun:
    """A simulated patient with what the clinic sees: tables and summary."""

    def __init__(self, result: PatientResult, observed: pd.DataFrame, summary: dict[str, Any]):
        self.result = result
        self.observables = observed
        self.summary = summary


def clinic_view(result: PatientResult, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    """Observables at every visit and the summary of one simulated patient."""
    sc = result.scenario
    visits = np.unique(result.counts["time_days"].to_numpy())
    obs = observables(
        result.counts,
        visits_days=visits,
        treatment_periods=result.treatment_periods,
        assay=sc.assay.mrd,
        vaf_assay=sc.assay.vaf,
        rng=rng,
        resistance_genotypes=[g for g in result.day0_subclones if g != "WT"],
    )
    if result.treatment_periods:
        event = progression(obs, treatment_periods=result.treatment_periods)
        day, reason = event.day, event.reason
    else:
        day, reason = None, None
    dominant = None
    if day is not None:
        at = result.counts[np.isclose(result.counts["time_days"], day)]
        dominant = str(at.groupby("genotype")["cells"].sum().idxmax())
    end = max((p[1] for p in result.treatment_periods), default=None)
    summary = {
        "scenario": sc.name,
        "seed": result.provenance["seed"]["entropy"],
        "progression_day": None if day is None else float(day),
        "progression_reason": reason,
        "dominant_genotype_at_progression": dominant,
        "treatment_end_day": None if end is None or math.isinf(end) else float(end),
        "cllsim_version": result.provenance["cllsim_version"],
        "day0_subclones": result.day0_subclones,
        "burden_limit_day": result.burden_limit_day,
        "history_years": None if math.isnan(result.history_days) else result.history_days / 365.25,
        "mrd_assay": sc.assay.mrd,
        "vaf_assay": sc.assay.vaf,
        "provenance": result.provenance,
    }
    return obs, summary


def run_patient(scenario: Scenario, *, rng: RngLike = None) -> PatientRun:
    """Simulate one patient and compute what the clinic sees (stream 0: the patient, 1: the
    measurement noise)."""
    root = root_sequence(rng)
    result = simulate(scenario, rng=child_sequence(root, 0))
    obs, summary = clinic_view(result, child_generator(root, 1))
    summary["seed"] = seed_provenance(root)["entropy"]
    return PatientRun(result, obs, summary)


def write_patient_run(run: PatientRun, out: Path) -> Path:
    """Write the four files into ``out`` (created if missing) all at once."""
    sc = run.result.scenario

    def write(tmp: Path) -> None:
        run.result.counts.to_parquet(tmp / "counts.parquet", index=False)
        run.observables.to_parquet(tmp / "observables.parquet", index=False)
        (tmp / "summary.json").write_text(json.dumps(run.summary, indent=2, default=_json) + "\n")
        write_patient_report(
            tmp / "report.html",
            title=f"cllsim: {sc.name}",
            counts=run.result.counts,
            observables=run.observables,
            summary={k: v for k, v in run.summary.items() if k != "provenance"},
            doses=run.result.doses,
            assay_limits={
                "mrd_blood": MRD_ASSAYS[sc.assay.mrd].detection_limit,
                "mrd_marrow": MRD_ASSAYS[sc.assay.mrd].detection_limit,
                "vaf": VAF_ASSAYS[sc.assay.vaf].detection_limit,
            },
        )

    return write_folder(out, OUTPUT_FILES, write)


def _json(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
