"""``cllsim forecast`` and ``cllsim navigate``: one patient file to result files.

population prior (trials) -> forecast and navigation (navigate) -> tables, summary.json,
report.html (report).  Files go to a temporary folder beside ``out`` and are moved into
place only when all exist, so an error never leaves a half-written result.
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cllsim.clinic import MRD_ASSAYS, VAF_ASSAYS
from cllsim.navigate import (
    BUILTIN_STRATEGIES,
    Forecast,
    ForecastSettings,
    NavigateSettings,
    Navigation,
    ParameterPrior,
    PatientFile,
    StrategySpec,
    forecast_patient,
    navigate_patient,
)
from cllsim.outputs import write_folder
from cllsim.report.navigator import fan_chart_png, write_navigator_report
from cllsim.seeding import RngLike, child_sequence, root_sequence
from cllsim.trials.mortality import other_cause_death_days
from cllsim.trials.population import apply_parameters, builtin_population, draw_parameters

__all__ = [
    "FORECAST_FILES",
    "NAVIGATE_FILES",
    "population_prior",
    "run_forecast",
    "run_navigation",
    "visits_table",
    "write_forecast",
    "write_navigation",
]

FORECAST_FILES = (
    "posterior.parquet", "predictive.parquet", "risks.parquet", "dynamic_risk.parquet",
    "fan_chart.png", "summary.json", "report.html",
)  # fmt: skip
NAVIGATE_FILES = (*FORECAST_FILES, "strategies.parquet", "ranking.parquet",
                  "optimisation.parquet")  # fmt: skip


def population_prior(patient: PatientFile, population: str = "cll14") -> ParameterPrior:
    """The built-in population's prior conditioned on the patient's IGHV and TP53."""
    pop = builtin_population(population)
    fixed = ("patient.body_weight_kg",) if patient.traits.body_weight_kg else ()
    return ParameterPrior(
        draw=functools.partial(draw_parameters, pop),
        apply=apply_parameters,
        conditions={"patient.ighv": patient.traits.ighv, "patient.tp53": patient.traits.tp53},
        fixed=fixed,
        other_cause_death=(
            functools.partial(_other_cause_death, pop.mortality.table)
            if pop.mortality.enabled
            else None
        ),
    )


def _other_cause_death(
    table: str, age_years: float, row: pd.Series, rng: np.random.Generator
) -> float:
    """Days to death from other causes: the population's life table at ``age_years``, its
    ``mortality.sex`` and comorbidity ``mortality.hazard_ratio`` from ``row``."""
    return other_cause_death_days(
        age_years=age_years,
        sex=str(row["mortality.sex"]),
        hazard_ratio=float(row.get("mortality.hazard_ratio", 1.0)),
        rng=rng,
        table=table,
    )


def visits_table(patient: PatientFile) -> pd.DataFrame:
    """The patient's measurements, one row per visit (``<channel>_limit`` when undetectable)."""
    rows = []
    for v in patient.visits:
        r: dict[str, Any] = {"date": v.date, "alc_1e9_per_l": v.alc_1e9_per_l,
                             "ln_volume_ml": v.ln_volume_ml}  # fmt: skip
        if v.mrd_blood == "undetectable":
            r["mrd_blood_limit"] = MRD_ASSAYS[v.mrd_assay].detection_limit
        elif v.mrd_blood is not None:
            r["mrd_blood"] = v.mrd_blood
        vafs = [f for f in v.vaf.values() if f != "undetectable"]
        if vafs:
            r["max_resistance_vaf"] = max(vafs)  # type: ignore[type-var]
        elif v.vaf:
            r["max_resistance_vaf_limit"] = VAF_ASSAYS[v.vaf_assay].detection_limit
        rows.append(r)
    return pd.DataFrame(rows)


def run_forecast(
    patient: PatientFile, *, settings: ForecastSettings, rng: RngLike = None
) -> tuple[Forecast, ParameterPrior]:
    """Forecast ``patient`` under the CLL14 population prior (stream 0 of the seed)."""
    prior = population_prior(patient)
    root = root_sequence(rng)
    fc = forecast_patient(patient, prior, settings=settings, rng=child_sequence(root, 0))
    fc.summary["seed"] = int(root.entropy)  # type: ignore[arg-type]
    return fc, prior


def run_navigation(
    patient: PatientFile,
    *,
    forecast_settings: ForecastSettings,
    settings: NavigateSettings,
    strategies: Sequence[StrategySpec] = BUILTIN_STRATEGIES,
    rng: RngLike = None,
) -> tuple[Forecast, Navigation]:
    """Forecast, then compare ``strategies`` (stream 1 of the seed seeds the optimiser)."""
    root = root_sequence(rng)
    fc, prior = run_forecast(patient, settings=forecast_settings, rng=root)
    nav = navigate_patient(fc, prior, strategies=strategies, settings=settings,
                           rng=child_sequence(root, 1))  # fmt: skip
    nav.summary["seed"] = int(root.entropy)  # type: ignore[arg-type]
    return fc, nav


def _posterior_summary(fc: Forecast) -> pd.DataFrame:
    rows = []
    for n in fc.names:
        x = fc.posterior[n].to_numpy()
        q = np.quantile(x, [0.05, 0.5, 0.95])
        rows.append({"parameter": n, "median": q[1], "low_90": q[0], "high_90": q[2]})
    return pd.DataFrame(rows)


def _reading(fc: Forecast) -> list[str]:
    r = fc.risks
    lines = []
    if fc.plan is None:
        p = r[(r.risk == "indication") & (r.years == 3)].iloc[0]
        lines.append(
            f"Untreated, the model gives a {p.probability:.0%} chance (90% interval "
            f"{p.low_90:.0%}-{p.high_90:.0%}) of meeting an iwCLL treatment indication within "
            "3 years of the last visit."
        )
    else:
        p = r[(r.risk == "pfs") & (r.years == 3)].iloc[0]
        lines.append(
            f"Under {fc.plan.name}, the model gives a {p.probability:.0%} chance (90% interval "
            f"{p.low_90:.0%}-{p.high_90:.0%}) of being progression-free 3 years after the "
            "last visit."
        )
    q = r[r.risk == "resistance"].iloc[0]
    lines.append(
        f"Chance of a detectable BTK C481S / PLCG2 / BCL2 G101V mutation within "
        f"{int(q.years)} years: {q.probability:.0%} ({q.low_90:.0%}-{q.high_90:.0%})."
    )
    return lines


def _json(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _clean(obj: Any) -> Any:
    if isinstance(obj, float) and math.isnan(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def _write(out: Path, writer: Any, names: Sequence[str]) -> Path:
    return write_folder(out, names, writer)


def _forecast_files(
    fc: Forecast, tmp: Path, summary: dict[str, Any], nav: Navigation | None
) -> None:
    from cllsim import __version__

    visits = visits_table(fc.patient)
    fc.posterior.to_parquet(tmp / "posterior.parquet", index=False)
    fc.predictive.to_parquet(tmp / "predictive.parquet", index=False)
    fc.risks.to_parquet(tmp / "risks.parquet", index=False)
    fc.dynamic.to_parquet(tmp / "dynamic_risk.parquet", index=False)
    (tmp / "fan_chart.png").write_bytes(
        __import__("base64").b64decode(fan_chart_png(fc.predictive, visits))
    )
    summary = {**summary, "cllsim_version": __version__, "reading": _reading(fc)}
    plan = "no treatment (watch and wait)" if fc.plan is None else fc.plan.name
    summary["plan_text"] = (
        f"Plan after the last visit: {plan}; {fc.summary['n_accepted']} of "
        f"{fc.summary['n_simulations']} prior simulations accepted."
    )
    (tmp / "summary.json").write_text(json.dumps(_clean(summary), indent=2, default=_json) + "\n")
    write_navigator_report(
        tmp / "report.html", title=f"cllsim {'navigate' if nav else 'forecast'}: {fc.patient.name}",
        summary=summary, predictive=fc.predictive, visits=visits, risks=fc.risks,
        dynamic=fc.dynamic, posterior_summary=_posterior_summary(fc),
        ranking=None if nav is None else nav.ranking,
        optimisation=None if nav is None else nav.optimisation,
    )  # fmt: skip


def write_forecast(fc: Forecast, out: Path, *, seconds: float | None = None) -> Path:
    """Write the forecast's files (:data:`FORECAST_FILES`) into ``out`` all at once."""
    summary = {**fc.summary, "dynamic_risk": fc.dynamic.to_dict(orient="records"),
               "seconds": seconds}  # fmt: skip
    return _write(out, lambda tmp: _forecast_files(fc, tmp, summary, None), FORECAST_FILES)


def write_navigation(
    fc: Forecast, nav: Navigation, out: Path, *, seconds: float | None = None
) -> Path:
    """Write forecast and navigation files (:data:`NAVIGATE_FILES`) into ``out`` at once."""
    summary = {**nav.summary, "forecast": fc.summary, "seconds": seconds}

    def writer(tmp: Path) -> None:
        _forecast_files(fc, tmp, summary, nav)
        nav.outcomes.to_parquet(tmp / "strategies.parquet", index=False)
        nav.ranking.to_parquet(tmp / "ranking.parquet", index=False)
        nav.optimisation.to_parquet(tmp / "optimisation.parquet", index=False)

    return _write(out, writer, NAVIGATE_FILES)


_ = time
