"""Synthetic patients with known parameters: simulate, keep what a clinic measures.

Used by the verification of the forecast (does it recover a known parameter; do its 90%
intervals cover the true outcome?) and to make the built-in example patients.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cllsim.clinic import MRD_ASSAYS, VAF_ASSAYS
from cllsim.model import Scenario, compile_model
from cllsim.navigate.forecast_sim import Layout, simulate_reference
from cllsim.navigate.observe import CHANNELS, MUTATIONS, Observer
from cllsim.navigate.pathway import PatientModel
from cllsim.navigate.patient_file import PatientFile, patient_from_dict
from cllsim.navigate.regimens import Course
from cllsim.navigate.strategies import StrategySpec

__all__ = ["SyntheticPatient", "synthetic_patient"]

_DAY0 = dt.date(2020, 1, 6)
#: Relative measurement noise of ALC (counter) and lymph-node volume (imaging) [A].
ALC_CV, LN_CV = 0.05, 0.10


class SyntheticPatient:
    """A patient file and the truth behind it (outcomes in days after the last visit)."""

    def __init__(self, patient: PatientFile, truth: dict[str, float], values: NDArray):
        self.patient, self.truth, self.values = patient, truth, values


def synthetic_patient(
    scenario: Scenario,
    *,
    name: str,
    visit_days: Sequence[float],
    treatments: Sequence[tuple[str, float, float | None]] = (),
    plan: StrategySpec | None = None,
    years: float = 5.0,
    mrd_assay: str = "aso-pcr",
    measure_mrd_from_day: float | None = None,
    rng: np.random.Generator,
) -> SyntheticPatient:
    """Simulate a patient of ``scenario`` and write down what the clinic would have seen.

    Parameters
    ----------
    scenario : Scenario
        The true parameters (its burden and split at day 0 are the truth).
    name : str
    visit_days : sequence of float
        Visit days from the first visit (day 0), days.
    treatments : sequence of (regimen, start_day, stop_day or None)
    plan : StrategySpec or None
        What happens after the last visit (the truth's future).
    years : float
        Years simulated after the last visit.
    mrd_assay : str
        MRD assay at every visit from ``measure_mrd_from_day`` (default: visits on treatment).
    rng : numpy.random.Generator
        Seeds the simulation and the measurement noise.

    Returns
    -------
    SyntheticPatient
        ``truth``: ``progression_day``, ``indication_day``, ``resistance_day`` (NaN: not
        within ``years``).
    """
    days = np.asarray(visit_days, dtype=np.float64)
    t0 = float(days[-1])
    sc = scenario.model_copy(update={"horizon_days": t0 + years * 365.25})
    cm = compile_model(sc)
    history = tuple(Course(r, a, b) for r, a, b in treatments)
    pm = PatientModel(sc, cm, Observer(cm), history, days, t0, sc.horizon_days, mrd_assay, "ngs")
    layout = Layout.for_model(pm, 84.0)
    row = simulate_reference(pm, plan, layout, int(rng.integers(2**52)))[None, :]
    vals = layout.visit_values(row)[0]
    out = layout.outcomes(row)[0]
    start = min((a for _, a, _ in treatments), default=math.inf)
    mrd_from = start if measure_mrd_from_day is None else measure_mrd_from_day
    visits: list[dict[str, Any]] = []
    for i, d in enumerate(days):
        v = vals[i]
        rec: dict[str, Any] = {
            "date": _DAY0 + dt.timedelta(days=int(d)),
            "alc_1e9_per_l": float(v[0] * math.exp(ALC_CV * rng.standard_normal())),
            "ln_volume_ml": float(v[1] * math.exp(LN_CV * rng.standard_normal())),
        }
        if d >= mrd_from:
            m = float(MRD_ASSAYS[mrd_assay].measure(np.array([v[2]]), rng=rng)[0])
            rec["mrd_blood"] = "undetectable" if math.isnan(m) else min(m, 0.99)
            rec["mrd_assay"] = mrd_assay
            f = VAF_ASSAYS["ngs"].measure(v[4:], rng=rng)
            rec["vaf"] = {
                g: ("undetectable" if math.isnan(x) else float(x))
                for g, x in zip(MUTATIONS, f, strict=True)
                if g != "TP53"
            }
        visits.append(rec)
    p = sc.patient
    data = {
        "name": name,
        "description": f"synthetic patient ({scenario.name})",
        "traits": {"age_years": p.age_years, "ighv": p.ighv, "tp53": p.tp53,
                   "body_weight_kg": p.body_weight_kg},
        "treatments": [
            {"regimen": r, "start": _DAY0 + dt.timedelta(days=int(a)),
             **({"stop": _DAY0 + dt.timedelta(days=int(b))} if b is not None else {})}
            for r, a, b in treatments
        ],
        "visits": visits,
    }  # fmt: skip
    truth = {k: float(out[i]) for i, k in enumerate(Layout.OUTCOMES)}
    return SyntheticPatient(patient_from_dict(data, source=name), truth, vals)


_ = CHANNELS
