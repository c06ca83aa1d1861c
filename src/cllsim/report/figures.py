"""The figures of one patient's report, drawn on matplotlib's Agg canvas as PNG.

Every figure shares one time axis in days (years on a secondary axis), shades the visits on
treatment and marks the progression day.  Colours are fixed per genotype across figures; line
style encodes the phenotype.  No pyplot and no global backend switch: safe in worker processes.
"""

from __future__ import annotations

import base64
import io
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import matplotlib
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

__all__ = ["COMPARTMENTS", "ReportFigure", "draw_report_figures", "genotype_colours",
           "treatment_spans"]  # fmt: skip

COMPARTMENTS: tuple[str, ...] = ("blood", "lymph_node", "marrow")
_COMPARTMENT_TITLES = {"blood": "Peripheral blood", "lymph_node": "Lymph node", "marrow": "Marrow"}
_KNOWN_GENOTYPE_COLOURS = {"WT": "#525252", "BTK_C481S": "#d62728", "PLCG2": "#ff7f0e",
                           "BCL2_G101V": "#1f77b4", "TP53": "#9467bd"}  # fmt: skip
_SPARE_COLOURS = ("#2ca02c", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")
_PHENOTYPE_STYLES = {"sensitive": "-", "persister": "--"}
_SPARE_STYLES: tuple[str | tuple, ...] = (":", (0, (6, 2, 1, 2)))  # "-." marks progression
_DRUG_COLOURS = {"ibrutinib": "#1b9e77", "venetoclax": "#7570b3", "obinutuzumab": "#d95f02",
                 "chlorambucil": "#e7298a"}  # fmt: skip
_SPARE_DRUG_COLOURS = ("#66a61e", "#e6ab02", "#a6761d", "#666666")
_TREATMENT_SHADE = {"color": "#fee8c8", "alpha": 0.8, "lw": 0, "zorder": 0}
_PROGRESSION_LINE = {"color": "black", "ls": "-.", "lw": 1.3, "zorder": 5}
_DAYS_PER_YEAR = 365.25
_DETAIL_DAYS = 112.0  # width of the dosing-detail window: 16 weeks, covers CLL14's ramp-up
_WIDTH_IN = 10.0
# Fixed margins (inches) rather than a layout engine, so that every figure's time axis spans
# the same pixels and figures line up when scrolled; the legend sits in the right margin.
_LEFT_IN, _RIGHT_IN, _TOP_IN, _BOTTOM_IN = 1.3, 2.2, 0.75, 0.6
_DPI = 150
_RC = {"font.size": 10, "axes.labelsize": 10, "legend.fontsize": 9, "xtick.labelsize": 9,
       "ytick.labelsize": 9, "axes.spines.right": False}  # fmt: skip


@dataclass(frozen=True)
class ReportFigure:
    """One rendered figure: a heading (also its alt text), a caption and the PNG as base64."""

    heading: str
    caption: str
    png_base64: str


def genotype_colours(genotypes: Iterable[str]) -> dict[str, str]:
    """Give each genotype a fixed colour, the same in every figure.

    Parameters
    ----------
    genotypes : iterable of str
        Genotype names; repeats are ignored.

    Returns
    -------
    dict of str to str
        Genotype → hex colour.  Known genotypes (WT, BTK_C481S, PLCG2, BCL2_G101V, TP53) keep
        their own colour and come first, in that order; others follow sorted, in spare colours.
    """
    colours = {}
    spare = itertools.cycle(_SPARE_COLOURS)
    known = list(_KNOWN_GENOTYPE_COLOURS)
    for name in sorted(set(genotypes), key=lambda g: (known.index(g) if g in known else 99, g)):
        colours[name] = _KNOWN_GENOTYPE_COLOURS.get(name) or next(spare)
    return colours


def treatment_spans(times: np.ndarray, on: np.ndarray) -> list[tuple[float, float]]:
    """Join visits on treatment into ``(start_day, end_day)`` spans.

    Parameters
    ----------
    times : float64[n_visits]
        Visit days, sorted.
    on : bool[n_visits]
        Whether each visit is on treatment.

    Returns
    -------
    list of (float, float)
        Spans in days.  A visit on treatment stands for the interval up to the next visit;
        the last visit stands for itself.
    """
    ends = np.append(times[1:], times[-1:]).astype(float)
    spans: list[tuple[float, float]] = []
    for start, end in zip(times[on].astype(float), ends[on], strict=True):
        if spans and spans[-1][1] == start:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def draw_report_figures(counts: pd.DataFrame, observables: pd.DataFrame, doses: pd.DataFrame, *,
                        assay_limits: dict[str, float],
                        progression_day: float | None) -> list[ReportFigure]:  # fmt: skip
    """Draw every figure of the patient report.

    Parameters
    ----------
    counts, observables, doses : pandas.DataFrame
        The tables of :func:`cllsim.report.write_patient_report`, validated and sorted by time.
    assay_limits : dict of str to float
        ``mrd_blood``, ``mrd_marrow`` and ``vaf`` detection limits, fractions.
    progression_day : float or None
        Marked on every time axis, days.

    Returns
    -------
    list of ReportFigure
        Counts with the drug timeline, dosing detail (only when doses exist), ALC and lymph
        node volume, MRD, VAF; in that order.
    """
    vaf_genotypes = [c.removeprefix("vaf_") for c in observables.columns if c.startswith("vaf_")]
    colours = genotype_colours([*counts["genotype"].unique(), *vaf_genotypes])
    on = observables["on_treatment"].to_numpy(bool)
    spans = treatment_spans(observables["time_days"].to_numpy(float), on)
    context = _Context(_time_limits(counts, observables, doses), spans, progression_day)
    with matplotlib.rc_context(_RC):
        figures = [_counts_figure(counts, doses, colours, context)]
        if len(doses):
            figures.append(_dosing_detail_figure(doses))
        figures.append(_clinical_figure(observables, context))
        figures.append(_mrd_figure(observables, assay_limits, context))
        figures.append(_vaf_figure(observables, vaf_genotypes, colours, assay_limits, context))
    return figures


@dataclass(frozen=True)
class _Context:
    xlim: tuple[float, float]
    spans: list[tuple[float, float]]
    progression_day: float | None


def _time_limits(*tables: pd.DataFrame) -> tuple[float, float]:
    times = np.concatenate([t["time_days"].to_numpy(float) for t in tables])
    lo, hi = float(np.nanmin(times)), float(np.nanmax(times))
    pad = 0.01 * (hi - lo) if hi > lo else 1.0
    return lo - pad, hi + pad


def _new_figure(height_in: float) -> Figure:
    fig = Figure(figsize=(_WIDTH_IN, height_in))
    FigureCanvasAgg(fig)
    return fig


def _place_axes(fig: Figure, *, hspace: float = 0.12, top_in: float = _TOP_IN) -> None:
    height = fig.get_figheight()
    fig.subplots_adjust(left=_LEFT_IN / _WIDTH_IN, right=1.0 - _RIGHT_IN / _WIDTH_IN,
                        top=1.0 - top_in / height, bottom=_BOTTOM_IN / height,
                        hspace=hspace)  # fmt: skip


def _legend(fig: Figure, handles: list) -> None:
    """The legend in the right margin, level with the top of the plots: never over data."""
    if handles:
        anchor = (1.0 - (_RIGHT_IN - 0.1) / _WIDTH_IN, 1.0 - _TOP_IN / fig.get_figheight())
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=anchor, borderaxespad=0.0)


def _finish(fig: Figure, heading: str, caption: str) -> ReportFigure:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI)
    return ReportFigure(heading, caption, base64.b64encode(buffer.getvalue()).decode("ascii"))


def _decorate_time(axes: Sequence[Axes], context: _Context) -> None:
    """Place the axes; shade treatment, mark progression, set the shared limits and years."""
    _place_axes(axes[0].figure)
    for ax in axes:
        for start, end in context.spans:
            ax.axvspan(start, max(end, start + 0.5), **_TREATMENT_SHADE)
        if context.progression_day is not None:
            ax.axvline(context.progression_day, **_PROGRESSION_LINE)
        ax.grid(True, which="major", alpha=0.3, lw=0.6)
    axes[0].set_xlim(*context.xlim)
    to_years = (lambda d: d / _DAYS_PER_YEAR, lambda y: y * _DAYS_PER_YEAR)
    axes[0].secondary_xaxis("top", functions=to_years).set_xlabel("time (years)")
    axes[-1].set_xlabel("time (days)")


def _context_handles(context: _Context) -> list:
    day = context.progression_day
    handles: list = [Patch(facecolor=_TREATMENT_SHADE["color"], label="on treatment")]
    handles = handles if context.spans else []
    if day is not None:
        handles.append(Line2D([], [], **_PROGRESSION_LINE, label=f"progression (day {day:.0f})"))
    return handles


def _phenotype_style(phenotypes: list[str]) -> dict[str, str | tuple]:
    spare = itertools.cycle(_SPARE_STYLES)
    return {p: _PHENOTYPE_STYLES.get(p) or next(spare) for p in phenotypes}


def _counts_figure(
    counts: pd.DataFrame, doses: pd.DataFrame, colours: dict[str, str], context: _Context
) -> ReportFigure:
    present = set(counts["compartment"].unique())
    compartments = [c for c in COMPARTMENTS if c in present] + sorted(present - {*COMPARTMENTS})
    drugs = _drugs_in_order(doses)
    timeline_height = max(0.55 * len(drugs), 0.7)
    fig = _new_figure(2.3 * len(compartments) + timeline_height + 1.6)
    ratios = [2.3] * len(compartments) + [timeline_height]
    axes = fig.subplots(len(ratios), 1, sharex=True, gridspec_kw={"height_ratios": ratios})
    phenotypes = sorted(counts["phenotype"].unique(), key=lambda p: (p != "sensitive", p))
    styles = _phenotype_style(phenotypes)
    columns = ["compartment", "genotype", "phenotype"]
    table = counts.pivot_table(index="time_days", columns=columns, values="cells",
                               aggfunc="sum", fill_value=0).astype(float)  # fmt: skip
    top = max(float(table.to_numpy().max()), 10.0)
    for ax, compartment in zip(axes[:-1], compartments, strict=True):
        for (genotype, phenotype), series in table[compartment].items():
            cells = series.where(series > 0)  # zero counts are not drawn on a log axis
            ax.plot(cells.index, cells, color=colours[genotype], ls=styles[phenotype], lw=1.4)
        ax.set_yscale("log")
        ax.set_ylim(1.0, top * 5.0)
        ax.set_ylabel(f"{_COMPARTMENT_TITLES.get(compartment, compartment)}\n(cells)")
    _draw_timeline(axes[-1], doses, drugs, marker_size=2.5)
    _decorate_time(axes, context)
    present = table.columns.get_level_values("genotype").unique()
    handles = [Line2D([], [], color=colours[g], lw=2, label=g) for g in colours if g in present]
    handles += [Line2D([], [], color="black", ls=styles[p], label=p) for p in phenotypes]
    _legend(fig, handles + _context_handles(context))
    return _finish(fig, "Cells per genotype and phenotype in each compartment",
        "Cells of each genotype (colour) and phenotype (solid: sensitive; dashed: persister) "
        "per compartment, log scale from 1 cell; a type with zero cells is not drawn. Beneath, "
        "the drug timeline on the same time axis: one row per drug, one tick per dose, tick "
        "height proportional to the dose (the row label gives the range in mg).")  # fmt: skip


def _drugs_in_order(doses: pd.DataFrame) -> list[str]:
    first = doses.groupby("drug", sort=False)["time_days"].min().sort_values(kind="stable")
    return [str(d) for d in first.index]


def _draw_timeline(ax: Axes, doses: pd.DataFrame, drugs: list[str], *, marker_size: float) -> None:
    """One row per drug (first given on top); a tick per dose, its height ∝ the dose."""
    if not drugs:
        ax.text(0.5, 0.5, "no doses given", ha="center", va="center", transform=ax.transAxes)
        ax.set_yticks([])
        return
    labels = []
    spare = itertools.cycle(_SPARE_DRUG_COLOURS)
    for row, drug in enumerate(drugs):
        given = doses[doses["drug"] == drug]
        times = given["time_days"].to_numpy(float)
        amounts = given["amount_mg"].to_numpy(float)
        largest = float(amounts.max())
        heights = 0.8 * (amounts / largest if largest > 0 else np.ones_like(amounts))
        base = len(drugs) - 1 - row - 0.4
        colour = _DRUG_COLOURS.get(drug) or next(spare)
        ax.vlines(times, base, base + heights, colors=colour, lw=1.0)
        ax.plot(times, base + heights, "o", color=colour, ms=marker_size, mew=0)
        low = float(amounts.min())
        amount = f"{largest:g} mg" if low == largest else f"{low:g}–{largest:g} mg"
        labels.append(f"{drug}\n{amount}")
    ax.set_yticks(range(len(drugs) - 1, -1, -1), labels)
    ax.set_ylim(-0.55, len(drugs) - 0.45)


def _dosing_detail_figure(doses: pd.DataFrame) -> ReportFigure:
    drugs = _drugs_in_order(doses)
    start = float(doses["time_days"].min())
    fig = _new_figure(max(0.55 * len(drugs), 0.7) + 0.2 + _BOTTOM_IN)
    ax = fig.subplots()
    _draw_timeline(ax, doses, drugs, marker_size=4.0)
    _place_axes(fig, top_in=0.2)
    ax.set_xlim(start - 2.0, start + _DETAIL_DAYS + 2.0)
    ax.set_xlabel("time (days)")
    ax.grid(True, axis="x", alpha=0.3, lw=0.6)
    ax.xaxis.set_major_locator(matplotlib.ticker.MultipleLocator(7.0))
    return _finish(fig, "Dosing detail: the first 16 weeks",
        "The first 16 weeks from the first dose, to show ramp-up and split doses: one tick per "
        "dose, tick height proportional to the dose within each drug's row.")  # fmt: skip


def _clinical_figure(observables: pd.DataFrame, context: _Context) -> ReportFigure:
    fig = _new_figure(5.4)
    axes = fig.subplots(2, 1, sharex=True)
    times = observables["time_days"]
    for ax, column, label, colour in (
        (axes[0], "alc_1e9_per_l", "ALC (×10⁹/L)", "#08519c"),
        (axes[1], "ln_volume_ml", "lymph node volume (mL)", "#a63603"),
    ):
        ax.plot(times, observables[column], "o-", color=colour, ms=3, lw=1.2)
        ax.set_ylabel(label)
        ax.set_ylim(bottom=0.0)
    _decorate_time(axes, context)
    _legend(fig, _context_handles(context))
    return _finish(fig, "Absolute lymphocyte count and lymph node volume",
        "Values at each visit; shaded: visits on treatment (a visit on treatment shades the "
        "interval up to the next visit); dash-dot line: progression.")  # fmt: skip


def _limit_line(ax: Axes, limit: float, label: str) -> None:
    """A dashed line at ``limit`` labelled ``label m×10^e`` just below it, at the left."""
    exponent = int(np.floor(np.log10(limit)))
    mantissa, power = limit / 10.0**exponent, f"$10^{{{exponent}}}$"
    value = power if np.isclose(mantissa, 1.0) else f"{mantissa:.3g}×{power}"
    ax.axhline(limit, color="#636363", ls="--", lw=1.0, zorder=4)
    ax.text(0.005, limit, f"{label} {value}", transform=ax.get_yaxis_transform(), ha="left",
            va="top", fontsize=8.5, color="#404040", zorder=6)  # fmt: skip


def _mrd_figure(observables: pd.DataFrame, limits: dict[str, float],
                context: _Context) -> ReportFigure:  # fmt: skip
    fig = _new_figure(6.0)
    axes = fig.subplots(2, 1, sharex=True)
    times = observables["time_days"].to_numpy(float)
    colour = "#6a3d9a"
    for ax, site in zip(axes, ("blood", "marrow"), strict=True):
        limit = float(limits[f"mrd_{site}"])
        true = observables[f"mrd_{site}"].to_numpy(float)
        measured = observables[f"mrd_{site}_measured"].to_numpy(float)
        undetectable = np.isnan(measured)
        ax.plot(times, np.where(true > 0, true, np.nan), "-", color=colour, lw=1.3, zorder=3)
        ax.plot(times[~undetectable], measured[~undetectable], "o", color=colour, ms=5, zorder=5)
        ax.plot(
            times[undetectable], np.full(undetectable.sum(), limit), "o", ms=5, zorder=5,
            markerfacecolor="white", markeredgecolor=colour,
        )  # fmt: skip
        _limit_line(ax, limit, "assay limit")
        positive = true[true > 0]
        floor = min(float(positive.min()) if positive.size else limit, limit)
        ax.set_yscale("log")
        ax.set_ylim(max(floor / 5.0, 1e-12), 2.0)
        ax.set_ylabel(f"MRD in {site}\n(fraction)")
    _decorate_time(axes, context)
    handles = [
        Line2D([], [], color=colour, lw=1.3, label="true fraction"),
        Line2D([], [], color=colour, ls="", marker="o", label="measured"),
        Line2D([], [], color=colour, ls="", marker="o", markerfacecolor="white",
               label="undetectable\n(drawn at limit)"),
        Line2D([], [], color="#636363", ls="--", label="assay limit"),
    ]  # fmt: skip
    _legend(fig, handles + _context_handles(context))
    return _finish(fig, "Minimal residual disease in blood and marrow",
        "Line: the true leukaemic fraction. Filled markers: what the assay reports. Open "
        "markers: visits where the assay reported undetectable, drawn at its limit (dashed "
        "line). Log scale.")  # fmt: skip


def _vaf_figure(observables: pd.DataFrame, genotypes: list[str], colours: dict[str, str],
                limits: dict[str, float], context: _Context) -> ReportFigure:  # fmt: skip
    fig = _new_figure(3.8)
    ax = fig.subplots()
    limit = float(limits["vaf"])
    times = observables["time_days"].to_numpy(float)
    handles = []
    for genotype in sorted(genotypes, key=list(colours).index):
        vaf = observables[f"vaf_{genotype}"].to_numpy(float)
        detected = bool(np.any(vaf > 0))
        ax.plot(times, np.where(vaf > 0, vaf, np.nan), "o-", color=colours[genotype], ms=4, lw=1.2)
        label = genotype if detected else f"{genotype} (not detected)"
        handles.append(Line2D([], [], color=colours[genotype], marker="o", label=label))
    if not genotypes:
        ax.text(0.5, 0.5, "no resistance genotype tracked", ha="center", transform=ax.transAxes)
    _limit_line(ax, limit, "VAF limit")
    ax.set_yscale("log")
    ax.set_ylim(limit / 4.0, 1.0)
    ax.set_ylabel("VAF (fraction)")
    _decorate_time([ax], context)
    handles += [Line2D([], [], color="#636363", ls="--", label="VAF limit")]
    _legend(fig, handles + _context_handles(context))
    return _finish(fig, "Variant allele fractions",
        "Measured variant allele fraction per resistance genotype (colours as above); visits "
        "below the assay's VAF limit (dashed line) are not drawn. Log scale.")  # fmt: skip
