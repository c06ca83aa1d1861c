"""Figures of a virtual trial's report (matplotlib Agg canvas, PNG as base64; no pyplot).

Kaplan–Meier PFS per arm with 95% bands, uMRD rates with 95% intervals, causes of the PFS
events, and a swimmer plot of sampled patients coloured by their largest resistant clone.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from cllsim.report.figures import ReportFigure, genotype_colours

__all__ = ["draw_trial_figures"]

_DAYS_PER_MONTH = 30.4375
_ARM_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02")
_CAUSE_COLOURS = {"BTK/PLCG2": "#d62728", "BCL2": "#1f77b4", "TP53": "#9467bd",
                  "none": "#7f7f7f", "death": "#222222"}  # fmt: skip
_DPI = 130


def _finish(fig: Figure, heading: str, caption: str) -> ReportFigure:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI)
    return ReportFigure(heading, caption, base64.b64encode(buffer.getvalue()).decode("ascii"))


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _km_figure(patients: pd.DataFrame, arms: Sequence[str], follow_up_days: float) -> ReportFigure:
    from lifelines import KaplanMeierFitter

    fig = _figure(9.0, 4.6)
    ax = fig.add_subplot()
    for k, arm in enumerate(arms):
        rows = patients[patients["arm"] == arm]
        if rows.empty:
            continue
        colour = _ARM_COLOURS[k % len(_ARM_COLOURS)]
        kmf = KaplanMeierFitter().fit(rows["pfs_days"], rows["pfs_event"].astype(bool))
        t = kmf.survival_function_.index.to_numpy() / _DAYS_PER_MONTH
        ci = kmf.confidence_interval_survival_function_
        ax.step(t, kmf.survival_function_.iloc[:, 0], where="post", color=colour,
                label=f"{arm} (n = {len(rows)})")  # fmt: skip
        ax.fill_between(t, ci.iloc[:, 0], ci.iloc[:, 1], step="post", color=colour, alpha=0.2,
                        lw=0)  # fmt: skip
    ax.set_xlim(0, follow_up_days / _DAYS_PER_MONTH)
    ax.set_ylim(0, 1.02)
    ax.set_xticks(np.arange(0, follow_up_days / _DAYS_PER_MONTH + 1, 12))
    ax.set_xlabel("months from randomisation")
    ax.set_ylabel("progression-free survival")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")
    return _finish(
        fig,
        "Progression-free survival",
        "Kaplan–Meier estimate per arm with its 95% confidence band (log-log, lifelines). "
        "Events: iwCLL 2018 progression at an assessment visit, or death from any cause.",
    )


def _mrd_figure(patients: pd.DataFrame, arms: Sequence[str]) -> ReportFigure:
    from scipy.stats import binomtest

    fig = _figure(9.0, 3.6)
    ax = fig.add_subplot()
    width = 0.8 / max(len(arms), 1)
    for k, arm in enumerate(arms):
        rows = patients[patients["arm"] == arm]
        rates, lo, hi = [], [], []
        for site in ("blood", "marrow"):
            x = int(rows[f"umrd_{site}_eot3"].sum())
            n = len(rows)
            rate = x / n if n else 0.0
            ci = binomtest(x, n).proportion_ci() if n else None
            rates.append(rate)
            lo.append(rate - (ci.low if ci else 0.0))
            hi.append((ci.high if ci else 0.0) - rate)
        pos = np.arange(2) + (k - (len(arms) - 1) / 2) * width
        ax.bar(pos, rates, width, yerr=[lo, hi], capsize=4, label=arm,
               color=_ARM_COLOURS[k % len(_ARM_COLOURS)])  # fmt: skip
        for p, r in zip(pos, rates, strict=True):
            ax.text(p, r + 0.02, f"{r:.0%}", ha="center", va="bottom", fontsize=9)
    ax.set_xticks(np.arange(2), ["blood", "marrow"])
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("uMRD 3 months after end of treatment")
    ax.legend(loc="upper right")
    return _finish(
        fig,
        "Undetectable MRD",
        "Fraction of each arm's patients with undetectable MRD (below the assay's limit) in "
        "blood and marrow 3 months after the planned end of treatment, intention to treat "
        "(progression or death before the sample counts as detectable); 95% Clopper–Pearson "
        "intervals.",
    )


def _causes_figure(summary: dict, arms: Sequence[str]) -> ReportFigure:
    fig = _figure(9.0, 0.9 + 0.55 * len(arms))
    ax = fig.add_subplot()
    for k, arm in enumerate(arms):
        left = 0.0
        for cause, frac in summary["arms"][arm]["progression_cause"].items():
            ax.barh(k, frac, left=left, color=_CAUSE_COLOURS.get(cause, "#bbbbbb"),
                    label=cause if k == 0 else None)  # fmt: skip
            left += frac
        ax.barh(k, 1 - left, left=left, color="#eeeeee", label="no event" if k == 0 else None)
    ax.set_yticks(range(len(arms)), list(arms))
    ax.set_xlim(0, 1)
    ax.set_xlabel("fraction of the arm's patients")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.45), ncol=6, frameon=False)
    return _finish(
        fig,
        "Causes of progression",
        "PFS events within follow-up by cause: the dominant resistance genotype at progression "
        "(BTK/PLCG2, BCL2, TP53), none (the founding clone dominates), or death from other "
        "causes first.",
    )


def _swimmer_figure(
    patients: pd.DataFrame, clones: pd.DataFrame, arms: Sequence[str], follow_up_days: float,
    vaf_limit: float,
) -> ReportFigure | None:  # fmt: skip
    shown = patients[patients["patient_id"].isin(clones["patient_id"].unique())]
    if shown.empty:
        return None
    shown = shown.sort_values(["arm", "pfs_days"], key=lambda s: s.map(
        {a: i for i, a in enumerate(arms)}) if s.name == "arm" else s)  # fmt: skip
    colours = genotype_colours(clones["genotype"].unique())
    fig = _figure(9.0, 1.2 + 0.19 * len(shown))
    ax = fig.add_subplot()
    month = _DAYS_PER_MONTH
    for y, row in enumerate(shown.itertuples(index=False)):
        pid, end = row.patient_id, row.pfs_days
        c = clones[clones["patient_id"] == pid]
        wide = c.pivot_table(index="time_days", columns="genotype", values="cells", aggfunc="sum")
        total = wide.sum(axis=1).to_numpy()
        mutants = wide.drop(columns=["WT"], errors="ignore")
        times = wide.index.to_numpy()
        edges = np.append(times, max(times[-1], end))
        for j in range(times.size):
            if times[j] >= end:
                break
            colour = colours.get("WT", "#525252")
            if not mutants.empty:
                frac = mutants.iloc[j].to_numpy() / max(total[j], 1)
                g = int(np.argmax(frac))
                if frac[g] >= vaf_limit:
                    colour = colours[mutants.columns[g]]
            ax.barh(y, (min(edges[j + 1], end) - times[j]) / month, left=times[j] / month,
                    height=0.7, color=colour, lw=0)  # fmt: skip
        arm_colour = _ARM_COLOURS[list(arms).index(row.arm) % len(_ARM_COLOURS)]
        ax.plot(-1.5, y, "s", color=arm_colour, ms=5)
        if row.umrd_blood_eot3:
            ax.plot(row.mrd_day / month, y, "o", mfc="white", mec="#2ca02c", ms=5)
        if row.pfs_event:
            marker = "x" if row.pfs_cause == "death" else "D"
            ax.plot(end / month, y, marker, color=_CAUSE_COLOURS.get(row.pfs_cause, "k"), ms=5)
        else:
            ax.plot(end / month, y, ">", color="#555555", ms=4)
    ax.set_yticks(range(len(shown)), [f"#{p}" for p in shown["patient_id"]], fontsize=7)
    ax.set_xlim(-3, follow_up_days / month + 2)
    ax.set_xlabel("months from randomisation")
    ax.invert_yaxis()
    handles = [Patch(color=c, label=f"largest clone {g}" if g != "WT" else "no resistant clone "
                     "above the VAF limit") for g, c in colours.items()]  # fmt: skip
    handles += [
        *(Line2D([], [], ls="", marker="s", color=_ARM_COLOURS[k % len(_ARM_COLOURS)],
                 label=f"arm {a}") for k, a in enumerate(arms)),
        Line2D([], [], ls="", marker="o", mfc="white", mec="#2ca02c", label="blood uMRD"),
        Line2D([], [], ls="", marker="D", color="#7f7f7f", label="progression (cause colour)"),
        Line2D([], [], ls="", marker="x", color="#222222", label="death, other causes"),
        Line2D([], [], ls="", marker=">", color="#555555", label="censored"),
    ]  # fmt: skip
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    return _finish(
        fig,
        "Swimmer plot",
        f"The first {len(shown)} patients (by id): one lane per patient to its PFS event or "
        "censoring, coloured by its largest resistant clone when that clone's share of CLL "
        f"cells reaches the VAF assay limit ({vaf_limit:g}); markers: blood uMRD at the MRD "
        "visit, progression (coloured by cause), death, censoring.",
    )


def draw_trial_figures(
    patients: pd.DataFrame,
    clones: pd.DataFrame,
    summary: dict,
    *,
    arms: Sequence[str],
    follow_up_days: float,
    vaf_limit: float,
) -> list[ReportFigure]:
    """The report's figures, in order (the swimmer plot only when clones are given)."""
    figs = [
        _km_figure(patients, arms, follow_up_days),
        _mrd_figure(patients, arms),
        _causes_figure(summary, arms),
    ]
    swim = _swimmer_figure(patients, clones, arms, follow_up_days, vaf_limit)
    if swim is not None:
        figs.append(swim)
    return figs
