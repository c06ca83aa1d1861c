"""``report.html`` of ``cllsim forecast`` and ``cllsim navigate``: a pure renderer of tables.

One self-contained page (figures as base64 PNG, inline styles, no scripts): the forecast
fan charts with the patient's visits, how each visit moved the risk, and for a navigation
the strategy ranking with intervals, the trade-off between PFS and drug exposure, and why
the first strategy ranks first.  Written atomically (temporary file, then ``os.replace``).
"""

from __future__ import annotations

import base64
import io
import os
import tempfile
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["FAN_CHANNELS", "fan_chart_png", "write_navigator_report"]

FAN_CHANNELS = {
    "alc_1e9_per_l": ("ALC (10^9/L)", True),
    "ln_volume_ml": ("lymph-node volume (mL)", True),
    "mrd_blood": ("blood MRD (fraction)", True),
    "max_resistance_vaf": ("highest resistance VAF", True),
}
_DPI = 100

_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
 body { font-family: system-ui, sans-serif; color: #1a1a1a; margin: 0; line-height: 1.45; }
 main { max-width: 1050px; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
 h2 { font-size: 1.2rem; border-bottom: 1px solid #ddd; margin-top: 2rem; }
 p.reading { background: #f6f6f6; border-left: 4px solid #6a3d9a; padding: .7rem .9rem; }
 table { border-collapse: collapse; font-size: .88rem; margin: .5rem 0 1rem; }
 th, td { text-align: left; padding: .2rem .7rem .2rem 0; border-bottom: 1px solid #eee; }
 img { width: 100%; height: auto; } footer { font-size: .8rem; color: #666; margin-top: 2rem; }
</style></head><body><main>
<h1>{{ title }}</h1>
{% for r in readings %}<p class="reading">{{ r }}</p>{% endfor %}
{% for section in sections %}
<h2>{{ section.heading }}</h2>
{% if section.text %}<p>{{ section.text }}</p>{% endif %}
{% if section.png %}<figure><img alt="{{ section.heading }}"
 src="data:image/png;base64,{{ section.png }}"></figure>{% endif %}
{% if section.table is not none %}{{ section.table }}{% endif %}
{% endfor %}
<footer>cllsim {{ version }} · seed {{ seed }} · every number is a simulation of the model,
not a clinical recommendation</footer>
</main></body></html>
"""


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def fan_chart_png(predictive: pd.DataFrame, visits: pd.DataFrame) -> str:
    """Fan charts (5-95%, 25-75%, median) of the posterior-predictive trajectories, with the
    patient's measurements (open markers: undetectable, drawn at the assay's limit)."""
    fig = Figure(figsize=(10, 6.5))
    axes = fig.subplots(2, 2, sharex=True).ravel()
    for ax, (channel, (label, log)) in zip(axes, FAN_CHANNELS.items(), strict=True):
        p = predictive[predictive["channel"] == channel]
        if len(p):
            wide = p.pivot_table(index="date", columns="draw", values="value", dropna=False)
            x = pd.to_datetime(wide.index)
            q = np.nanquantile(wide.to_numpy(dtype=float), [0.05, 0.25, 0.5, 0.75, 0.95], axis=1)
            ax.fill_between(x, q[0], q[4], color="#6a3d9a", alpha=0.18, lw=0, label="5-95%")
            ax.fill_between(x, q[1], q[3], color="#6a3d9a", alpha=0.35, lw=0, label="25-75%")
            ax.plot(x, q[2], color="#6a3d9a", lw=1.5, label="median")
        if channel in visits.columns:
            v = visits[["date", channel]].dropna()
            ax.plot(pd.to_datetime(v["date"]), v[channel], "ko", ms=4, label="measured")
        lim = f"{channel}_limit"
        if lim in visits.columns:
            u = visits[["date", lim]].dropna()
            ax.plot(pd.to_datetime(u["date"]), u[lim], "kv", mfc="none", ms=5,
                    label="undetectable")  # fmt: skip
        if log:
            ax.set_yscale("log")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="best")
    fig.autofmt_xdate()
    fig.tight_layout()
    return _png(fig)


def _dynamic_png(dynamic: pd.DataFrame) -> str:
    fig = Figure(figsize=(10, 3.6))
    ax = fig.subplots()
    for (risk, years), g in dynamic.groupby(["risk", "years"]):
        if years not in (1, 3, 5):
            continue
        x = g["visits_used"].to_numpy()
        ax.errorbar(x + 0.03 * years, g["probability"],
                    yerr=[g["probability"] - g["low_90"], g["high_90"] - g["probability"]],
                    marker="o", capsize=3, label=f"{risk} {years}y")  # fmt: skip
    ax.set_xticks(sorted(dynamic["visits_used"].unique()))
    ax.set_xticklabels(
        [f"{k}\n{d}" for k, d in dynamic.groupby("visits_used")["visit_date"].first().items()]
    )
    ax.set_xlabel("visits used (and the last one's date)")
    ax.set_ylabel("probability (90% interval)")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=8, ncols=3)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _png(fig)


def _ranking_png(ranking: pd.DataFrame) -> str:
    fig = Figure(figsize=(10, 4.2))
    ax1, ax2 = fig.subplots(1, 2)
    y = np.arange(len(ranking))[::-1]
    for off, key, colour in ((0.15, "pfs_3y", "#1f78b4"), (-0.15, "pfs_5y", "#6a3d9a")):
        v = ranking[key].to_numpy()
        ax1.errorbar(v, y + off, xerr=[v - ranking[f"{key}_low_90"], ranking[f"{key}_high_90"] - v],
                     fmt="o", color=colour, capsize=3, label=key)  # fmt: skip
    ax1.set_yticks(y)
    ax1.set_yticklabels(ranking["strategy"])
    ax1.set_xlabel("P(no strategy failure), 90% interval")
    ax1.set_xlim(-0.02, 1.02)
    ax1.legend(fontsize=8)
    ax1.grid(alpha=0.3)
    ax2.scatter(ranking["drug_years"], ranking["pfs_5y"], color="#6a3d9a")
    for _, r in ranking.iterrows():
        ax2.annotate(r["strategy"], (r["drug_years"], r["pfs_5y"]), fontsize=7,
                     xytext=(3, 3), textcoords="offset points")  # fmt: skip
    ax2.set_xlabel("mean drug-years (exposure)")
    ax2.set_ylabel("P(no failure at 5 years)")
    ax2.set_title("trade-off", fontsize=10)
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    return _png(fig)


def _html_table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, float_format=lambda x: f"{x:.3g}", border=0, na_rep="")


def _interval_section(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The forecast's 90% prediction intervals of event days, if the summary has them."""
    rows = summary.get("predictive_intervals_90")
    if rows is None:
        rows = summary.get("forecast", {}).get("predictive_intervals_90")
    if not rows:
        return []
    table = pd.DataFrame(rows).fillna("beyond the horizon")
    text = ("Days after the last visit; the k-th smallest futures, covering an exchangeable "
            "true value with the probability in the last column.")  # fmt: skip
    return [{"heading": "90% prediction intervals", "png": None, "text": text,
             "table": _html_table(table)}]  # fmt: skip


def write_navigator_report(
    path: Path,
    *,
    title: str,
    summary: dict[str, Any],
    predictive: pd.DataFrame,
    visits: pd.DataFrame,
    risks: pd.DataFrame,
    dynamic: pd.DataFrame,
    posterior_summary: pd.DataFrame,
    ranking: pd.DataFrame | None = None,
    optimisation: pd.DataFrame | None = None,
) -> Path:
    """Render the forecast (and navigation, when ``ranking`` is given) page to ``path``.

    Parameters
    ----------
    path : Path
    title : str
    summary : dict
        ``summary.json``'s content (``seed``, ``cllsim_version``, ``reading`` lines ...).
    predictive : DataFrame
        ``draw, date, channel, value`` (posterior-predictive trajectories).
    visits : DataFrame
        ``date`` and measured channels (``<channel>_limit`` for undetectable results).
    risks, dynamic, posterior_summary : DataFrame
    ranking, optimisation : DataFrame, optional
    """
    sections: list[dict[str, Any]] = []
    if ranking is not None:
        sections.append({"heading": "Strategies ranked", "text": summary.get("why", ""),
                         "png": _ranking_png(ranking),
                         "table": _html_table(ranking.drop(columns=["description"],
                                                           errors="ignore"))})  # fmt: skip
        sections.append({"heading": "Strategies", "text": "", "png": None,
                         "table": _html_table(ranking[["rank", "strategy", "description"]])
                         if "description" in ranking else None})  # fmt: skip
        if optimisation is not None and len(optimisation):
            sections.append({"heading": "Optimising the MRD-guided family", "png": None,
                             "text": "scikit-optimize gp_minimize on common random numbers; "
                             "objective: mean failure-free years minus the exposure weight "
                             "times drug-years (higher is better).",
                             "table": _html_table(optimisation)})  # fmt: skip
    sections += [
        {"heading": "Forecast under the plan", "text": summary.get("plan_text", ""),
         "png": fan_chart_png(predictive, visits), "table": _html_table(risks)},
        *_interval_section(summary),
        {"heading": "How each visit moved the risk", "png": _dynamic_png(dynamic),
         "text": "ABC posterior conditioned on the first k visits, k = 1..K (same pooled "
         "simulations); intervals: 90% Jeffreys.", "table": None},
        {"heading": "Posterior of the patient's parameters", "png": None, "text": "",
         "table": _html_table(posterior_summary)},
    ]  # fmt: skip
    env = jinja2.Environment(autoescape=True)
    env.filters["safe_table"] = lambda s: s
    template = env.from_string(_TEMPLATE.replace("{{ section.table }}", "{{ section.table|safe }}"))
    html = template.render(
        title=title, readings=summary.get("reading", []), sections=sections,
        version=summary.get("cllsim_version", ""), seed=summary.get("seed", ""),
    )  # fmt: skip
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".report-", suffix=".html")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(html)
    os.replace(tmp, path)
    return path
