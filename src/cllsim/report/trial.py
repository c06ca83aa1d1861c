"""``report.html`` of a virtual trial: one self-contained page (figures as base64 PNG, inline
styles, no JavaScript), written atomically like the patient report."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
import numpy as np

from cllsim.clinic import VAF_ASSAYS
from cllsim.outputs import write_file
from cllsim.report.trial_figures import draw_trial_figures
from cllsim.trials.run import TrialResult

__all__ = ["write_trial_report"]


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _ci(ci: list[float] | None) -> str:
    return "" if not ci or ci[0] is None else f" ({100 * ci[0]:.1f}–{100 * ci[1]:.1f})"


def _num(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def _hr(c: dict[str, Any]) -> str:
    """Hazard ratio with its 95% interval, dashes where lifelines gave none."""
    if c["hazard_ratio"] is None:
        return "–"
    lo, hi = c["ci95"]
    return f"{c['hazard_ratio']:.2f} (95% CI {_num(lo)}–{_num(hi)})"


def _dist_text(d: Any) -> str:
    fields = d.model_dump(exclude_none=True, exclude={"source", "tag", "dist"})
    parts = []
    for k, v in fields.items():
        if isinstance(v, float) and not np.isfinite(v):
            continue
        if isinstance(v, dict) and not v:
            continue
        parts.append(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}")
    return f"{d.dist}({', '.join(parts)})"


def _arm_rows(result: TrialResult) -> list[tuple[str, list[str]]]:
    s, trial, patients = result.summary, result.trial, result.patients
    arms = list(trial.arms)
    rows: list[tuple[str, list[str]]] = [("patients", [str(s["arms"][a]["n"]) for a in arms])]
    for m in trial.endpoints.pfs_months:
        rows.append(
            (
                f"PFS at {m} months (95% CI)",
                [_pct(s["arms"][a]["pfs"][str(m)]) + _ci(s["arms"][a]["pfs_ci95"][str(m)])
                 for a in arms],
            )
        )  # fmt: skip
    med = [s["arms"][a]["median_pfs_months"] for a in arms]
    rows.append(("median PFS", ["not reached" if m is None else f"{m:.1f} months" for m in med]))
    rows.append(
        ("uMRD blood, EOT + 3 months", [_pct(s["arms"][a]["umrd_blood_eot3"]) for a in arms])
    )
    rows.append(
        ("uMRD marrow, EOT + 3 months", [_pct(s["arms"][a]["umrd_marrow_eot3"]) for a in arms])
    )
    for cause in next(iter(s["arms"].values()))["progression_cause"]:
        rows.append((f"PFS event: {cause}",
                     [_pct(s["arms"][a]["progression_cause"][cause]) for a in arms]))  # fmt: skip
    det, med_det = [], []
    for a in arms:
        rows_a = patients[patients["arm"] == a]
        d = rows_a["resistance_detected_day"].dropna()
        det.append(_pct(len(d) / len(rows_a)) if len(rows_a) else "–")
        med_det.append("–" if d.empty else f"{d.median() / 30.4375:.1f} months")
    rows.append(("resistance mutation detected (VAF ≥ limit)", det))
    rows.append(("median time to first detection (those detected)", med_det))
    return rows


def _reading(result: TrialResult) -> str:
    s = result.summary
    parts = [f"{s['n_patients']} virtual patients of trial {s['trial']!r}, "
             f"{result.trial.follow_up.years:g} years of follow-up."]  # fmt: skip
    for c in s["comparisons"]:
        if c["hazard_ratio"] is None:
            continue
        p = "" if c["logrank_p"] is None else f", log-rank p = {c['logrank_p']:.2g}"
        parts.append(f"PFS hazard ratio {c['arm']} vs {c['reference']}: {_hr(c)}{p}.")
    for arm, a in s["arms"].items():
        p24 = a["pfs"].get("24")
        if p24 is not None:
            parts.append(
                f"{arm}: PFS at 24 months {_pct(p24)}, uMRD {_pct(a['umrd_blood_eot3'])} in blood "
                f"and {_pct(a['umrd_marrow_eot3'])} in marrow."
            )
    return " ".join(parts)


def write_trial_report(
    path: str | os.PathLike[str],
    result: TrialResult,
    *,
    published: Sequence[Mapping[str, Any]] = (),
) -> Path:
    """Write the trial's self-contained ``report.html``.

    Parameters
    ----------
    path : str or os.PathLike
        The file; its folder must exist.  Replaced atomically.
    result : TrialResult
        The finished trial (patients, clones of the sampled patients, summary).
    published : sequence of mapping, optional
        What the trial published, set beside the run: per target set a ``caption``, its
        ``rows`` (outcome, published, simulated, z, agrees, source; as text) and the
        ``skipped`` outcomes' reasons (``cllsim.calibrate.validation.report_tables``).

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    trial = result.trial
    arms = list(trial.arms)
    figures = draw_trial_figures(
        result.patients,
        result.clones,
        result.summary,
        arms=arms,
        follow_up_days=trial.follow_up_days,
        vaf_limit=VAF_ASSAYS[trial.endpoints.vaf_assay].detection_limit,
    )
    comparisons = [
        (c["arm"], c["reference"], _hr(c),
         "–" if c["logrank_p"] is None else f"{c['logrank_p']:.2g}")
        for c in result.summary["comparisons"]
    ]  # fmt: skip
    design = [("trial", f"{trial.name}: {trial.description}")]
    for a, spec in trial.arms.items():
        eot = trial.end_of_treatment_day(a)
        design.append((f"arm {a}", f"{spec.regimen}; end of treatment "
                       f"{'none (continuous)' if eot is None else f'day {eot:g}'}; "
                       f"{len(trial.visit_days(a))} assessment visits; "
                       f"randomisation weight {trial.arm_probabilities()[a]:.2f}"))  # fmt: skip
    design += [
        ("reference arm", str(trial.reference_arm)),
        ("follow-up", f"{trial.follow_up.years:g} years ({trial.follow_up_days:g} days)"),
        ("MRD", f"{trial.endpoints.mrd.assay}, blood and marrow, "
                f"{trial.endpoints.mrd.after_end_of_treatment_days:g} days after the end of "
                "treatment"),
        ("resistance VAF assay", trial.endpoints.vaf_assay),
        ("other-cause mortality", f"life table {trial.population.mortality.table} x "
                                  "comorbidity hazard ratio" if trial.population.mortality.enabled
         else "none"),
    ]  # fmt: skip
    population = [
        (n, _dist_text(d), d.tag, d.source) for n, d in trial.population.parameters.items()
    ]
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cllsim.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    html = env.get_template("trial.html.j2").render(
        title=f"cllsim trial: {trial.name}",
        reading=_reading(result),
        arms=arms,
        arm_rows=_arm_rows(result),
        comparison_rows=comparisons,
        figures=figures,
        design_rows=design,
        population_name=trial.population.name,
        population_rows=population,
        published=list(published),
        seed=result.summary["seed"],
        version=result.summary["cllsim_version"],
    )
    write_file(Path(path), lambda p: p.write_text(html, encoding="utf-8"))
    return path
