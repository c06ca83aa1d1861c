"""``report.html`` for one simulated patient: a pure renderer of the result tables.

The report is one self-contained HTML file: figures are embedded as base64 PNG, styles are
inline, and nothing is loaded from the network (no JavaScript at all).  It is written
atomically: rendered in memory, written to a temporary file in the target folder, then moved
into place with :func:`os.replace`, so a failed run never leaves a half-written report and
never damages an existing one.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from cllsim.errors import SpecError
from cllsim.outputs import write_file
from cllsim.report.figures import draw_report_figures

__all__ = [
    "ASSAY_LIMIT_KEYS",
    "COUNTS_COLUMNS",
    "DOSES_COLUMNS",
    "OBSERVABLES_COLUMNS",
    "SUMMARY_KEYS",
    "write_patient_report",
]

COUNTS_COLUMNS: tuple[str, ...] = ("time_days", "compartment", "genotype", "phenotype", "cells")
OBSERVABLES_COLUMNS: tuple[str, ...] = (
    "time_days",
    "alc_1e9_per_l",
    "ln_volume_ml",
    "mrd_blood",
    "mrd_marrow",
    "mrd_blood_measured",
    "mrd_marrow_measured",
    "on_treatment",
)
DOSES_COLUMNS: tuple[str, ...] = ("time_days", "drug", "amount_mg")
SUMMARY_KEYS: tuple[str, ...] = (
    "seed",
    "progression_day",
    "progression_reason",
    "dominant_genotype_at_progression",
    "treatment_end_day",
    "cllsim_version",
)
ASSAY_LIMIT_KEYS: tuple[str, ...] = ("mrd_blood", "mrd_marrow", "vaf")
_NUMERIC = {
    "counts": ("time_days", "cells"),
    "observables": OBSERVABLES_COLUMNS[:-1],
    "doses": ("time_days", "amount_mg"),
}
_DAYS_PER_YEAR = 365.25


def write_patient_report(
    path: str | os.PathLike[str],
    *,
    title: str,
    counts: pd.DataFrame,
    observables: pd.DataFrame,
    summary: Mapping[str, Any],
    doses: pd.DataFrame,
    assay_limits: Mapping[str, float],
) -> Path:
    """Write a self-contained ``report.html`` for one simulated patient.

    Parameters
    ----------
    path : str or os.PathLike
        The HTML file to write; its folder must exist.  An existing file is replaced
        atomically, and only once the whole report has been rendered.
    title : str
        Shown as the page title and heading (HTML-escaped).
    counts : pandas.DataFrame
        Long table, one row per (time, compartment, genotype, phenotype): ``time_days``
        (days), ``compartment`` (``"blood"``, ``"lymph_node"``, ``"marrow"``), ``genotype``,
        ``phenotype`` (``"sensitive"``, ``"persister"``), ``cells`` (count, >= 0).  Missing
        combinations count as zero.  Must not be empty.
    observables : pandas.DataFrame
        One row per visit: ``time_days`` (days), ``alc_1e9_per_l`` (10^9/L), ``ln_volume_ml``
        (mL), ``mrd_blood`` and ``mrd_marrow`` (true leukaemic fraction), ``mrd_blood_measured``
        and ``mrd_marrow_measured`` (fraction reported by the assay; NaN = undetectable),
        ``on_treatment`` (bool), and optionally ``vaf_<genotype>`` (fraction; NaN = below the
        limit) per resistance genotype.  Must not be empty.
    summary : mapping
        At least the keys of :data:`SUMMARY_KEYS`: ``progression_day`` (days, or None when
        there was none), ``progression_reason``, ``dominant_genotype_at_progression``,
        ``treatment_end_day`` (days or None), ``seed``, ``cllsim_version``.  Every key is
        shown in the summary table.
    doses : pandas.DataFrame
        One row per dose: ``time_days`` (days), ``drug``, ``amount_mg`` (mg).  May be empty
        (an untreated patient) but must have the columns.
    assay_limits : mapping
        Detection limits as fractions in (0, 1): ``mrd_blood``, ``mrd_marrow``, ``vaf``.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    SpecError
        If a table is not a DataFrame, is empty (``doses`` may be), lacks a required column
        (the message names the table and every missing column), has a non-numeric value
        column or a missing time; if ``summary`` lacks a key; or if an assay limit is missing
        or outside (0, 1).

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> counts = pd.DataFrame({"time_days": [0.0, 10.0], "compartment": "blood",
    ...                        "genotype": "WT", "phenotype": "sensitive", "cells": [100, 90]})
    >>> obs = pd.DataFrame({"time_days": [0.0, 10.0], "alc_1e9_per_l": [50.0, 45.0],
    ...     "ln_volume_ml": [30.0, 29.0], "mrd_blood": [0.9, 0.9], "mrd_marrow": [0.8, 0.8],
    ...     "mrd_blood_measured": [0.9, 0.9], "mrd_marrow_measured": [0.8, 0.8],
    ...     "on_treatment": [False, False]})
    >>> doses = pd.DataFrame({"time_days": [], "drug": [], "amount_mg": []})
    >>> summary = {"seed": 1, "progression_day": None, "progression_reason": None,
    ...     "dominant_genotype_at_progression": None, "treatment_end_day": None,
    ...     "cllsim_version": "0.1.0"}
    >>> limits = {"mrd_blood": 1e-4, "mrd_marrow": 1e-4, "vaf": 1e-3}
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report.html"
    >>> write_patient_report(out, title="Untreated", counts=counts, observables=obs,
    ...     summary=summary, doses=doses, assay_limits=limits).name
    'report.html'
    """
    path = Path(path)
    _check_table("counts", counts, COUNTS_COLUMNS, allow_empty=False)
    _check_table("observables", observables, OBSERVABLES_COLUMNS, allow_empty=False)
    _check_table("doses", doses, DOSES_COLUMNS, allow_empty=True)
    _check_on_treatment(observables["on_treatment"])
    _check_summary(summary)
    limits = _check_limits(assay_limits)
    if not isinstance(title, str):
        raise SpecError(f"report: title must be a string, got {type(title).__name__}")

    counts = counts.sort_values("time_days", kind="stable")
    observables = observables.sort_values("time_days", kind="stable").reset_index(drop=True)
    doses = doses.sort_values("time_days", kind="stable")
    progression_day = _day_or_none(summary["progression_day"])
    figures = draw_report_figures(
        counts, observables, doses, assay_limits=limits, progression_day=progression_day
    )
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("cllsim.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    html = environment.get_template("patient.html.j2").render(
        title=title,
        reading=_plain_reading(summary, observables, doses, limits),
        summary_rows=[(str(key), _format_value(value)) for key, value in summary.items()],
        limit_rows=[(key, _format_sci(value)) for key, value in limits.items()],
        figures=figures,
        version=_format_value(summary["cllsim_version"]),
    )
    write_file(Path(path), lambda p: p.write_text(html, encoding="utf-8"))
    return path


def _check_table(name: str, table: object, columns: Sequence[str], *, allow_empty: bool) -> None:
    if not isinstance(table, pd.DataFrame):
        raise SpecError(f"report: {name} must be a pandas DataFrame, got {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise SpecError(
            f"report: table '{name}' lacks required column(s) {', '.join(map(repr, missing))}; "
            f"expected columns {', '.join(map(repr, columns))}"
        )
    if table.empty and not allow_empty:
        raise SpecError(f"report: table '{name}' is empty; it needs at least one row")
    value_columns = [*_NUMERIC[name]]
    if name == "observables":
        value_columns += [c for c in table.columns if str(c).startswith("vaf_")]
    for column in value_columns:
        if len(table) and not pd.api.types.is_numeric_dtype(table[column]):
            raise SpecError(
                f"report: table '{name}' column '{column}' must be numeric, "
                f"got dtype {table[column].dtype}"
            )
    if table["time_days"].isna().any():
        row = int(np.flatnonzero(table["time_days"].isna().to_numpy())[0])
        raise SpecError(f"report: table '{name}' column 'time_days' is missing at row {row}")


def _check_on_treatment(column: pd.Series) -> None:
    if pd.api.types.is_bool_dtype(column):
        return
    bad = [v for v in column.unique() if v not in (0, 1)]
    if bad:
        raise SpecError(
            f"report: table 'observables' column 'on_treatment' must be bool, got {bad[0]!r}"
        )


def _check_summary(summary: object) -> None:
    if not isinstance(summary, Mapping):
        raise SpecError(f"report: summary must be a mapping, got {type(summary).__name__}")
    missing = [k for k in SUMMARY_KEYS if k not in summary]
    if missing:
        raise SpecError(
            f"report: summary lacks key(s) {', '.join(map(repr, missing))}; "
            f"expected at least {', '.join(map(repr, SUMMARY_KEYS))}"
        )
    day = summary["progression_day"]
    if day is not None and not isinstance(day, numbers.Real):
        raise SpecError(f"report: summary progression_day must be days or None, got {day!r}")


def _check_limits(limits: object) -> dict[str, float]:
    if not isinstance(limits, Mapping):
        raise SpecError(f"report: assay_limits must be a mapping, got {type(limits).__name__}")
    missing = [k for k in ASSAY_LIMIT_KEYS if k not in limits]
    if missing:
        raise SpecError(
            f"report: assay_limits lacks key(s) {', '.join(map(repr, missing))}; "
            f"expected {', '.join(map(repr, ASSAY_LIMIT_KEYS))} (fractions in (0, 1))"
        )
    checked = {}
    for key in ASSAY_LIMIT_KEYS:
        value = limits[key]
        if not isinstance(value, numbers.Real) or not 0.0 < float(value) < 1.0:
            raise SpecError(
                f"report: assay_limits {key} must be a fraction in (0, 1), got {value!r}"
            )
        checked[key] = float(value)
    return checked


def _day_or_none(value: object) -> float | None:
    if value is None or not isinstance(value, numbers.Real) or math.isnan(float(value)):
        return None
    return float(value)


def _format_value(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return "none" if math.isnan(float(value)) else f"{float(value):g}"
    return str(value)


def _format_sci(value: float) -> str:
    """``1e-4`` rather than ``1e-04`` or ``0.0001``."""
    mantissa, exponent = f"{value:.2e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def _day(value: float) -> str:
    return f"day {value:.0f}"


def _plain_reading(
    summary: Mapping[str, Any],
    observables: pd.DataFrame,
    doses: pd.DataFrame,
    limits: Mapping[str, float],
) -> str:
    """One paragraph a clinician can read before looking at the figures."""
    times = observables["time_days"].to_numpy(float)
    sentences = [_progression_sentence(summary, float(times[-1]))]
    sentences.append(_treatment_sentence(doses, _day_or_none(summary["treatment_end_day"])))
    for site in ("blood", "marrow"):
        sentences.append(_mrd_sentence(observables, site, limits[f"mrd_{site}"]))
    sentences.append(
        _vaf_sentence(observables, limits["vaf"], _day_or_none(summary["progression_day"]))
    )
    return " ".join(sentences)


def _progression_sentence(summary: Mapping[str, Any], last_day: float) -> str:
    day = _day_or_none(summary["progression_day"])
    if day is None:
        years = last_day / _DAYS_PER_YEAR
        return f"No progression up to the last visit on {_day(last_day)} ({years:.1f} years)."
    sentence = f"Progression on {_day(day)} ({day / _DAYS_PER_YEAR:.1f} years)"
    reason = summary["progression_reason"]
    if reason:
        sentence += f" by {str(reason).replace('_', ' ')}"
    genotype = summary["dominant_genotype_at_progression"]
    if genotype:
        sentence += f"; dominant genotype at progression {genotype}"
    return sentence + "."


def _treatment_sentence(doses: pd.DataFrame, end_day: float | None) -> str:
    if doses.empty:
        return "No drug was given."
    parts = []
    for drug, given in doses.groupby("drug", sort=False):
        amounts = given["amount_mg"].to_numpy(float)
        low, high = amounts.min(), amounts.max()
        amount = f"{high:g} mg" if low == high else f"{low:g}–{high:g} mg"
        first, last = given["time_days"].min(), given["time_days"].max()
        parts.append(f"{drug} from {_day(first)} to {_day(last)} ({len(given)} doses, {amount})")
    sentence = "Treatment: " + "; ".join(parts)
    if end_day is not None:
        sentence += f"; treatment ended on {_day(end_day)}"
    return sentence + "."


def _mrd_sentence(observables: pd.DataFrame, site: str, limit: float) -> str:
    measured = observables[f"mrd_{site}_measured"].to_numpy(float)
    true = observables[f"mrd_{site}"].to_numpy(float)
    times = observables["time_days"].to_numpy(float)
    undetectable = np.isnan(measured)
    name = site.capitalize()
    if undetectable.any():
        first = times[np.flatnonzero(undetectable)[0]]
        sentence = (
            f"{name} MRD was undetectable (< {_format_sci(limit)}) at {int(undetectable.sum())} "
            f"of {len(times)} visits, first on {_day(first)}"
        )
    else:
        sentence = f"{name} MRD stayed detectable (≥ {_format_sci(limit)}) at every visit"
    lowest = int(np.nanargmin(true)) if np.isfinite(true).any() else None
    if lowest is not None:
        sentence += (
            f"; the lowest true fraction was {_format_sci(true[lowest])} on {_day(times[lowest])}"
        )
    return sentence + "."


def _vaf_sentence(observables: pd.DataFrame, limit: float, progression_day: float | None) -> str:
    times = observables["time_days"].to_numpy(float)
    found = []
    for column in (c for c in observables.columns if c.startswith("vaf_")):
        detected = np.flatnonzero(observables[column].to_numpy(float) >= limit)
        if detected.size == 0:
            continue
        first = times[detected[0]]
        text = f"{column.removeprefix('vaf_')} on {_day(first)}"
        if progression_day is not None and first <= progression_day:
            text += f" ({progression_day - first:.0f} days before progression)"
        found.append(text)
    limit_text = _format_sci(limit)
    if not found:
        return f"No resistance mutation was measured at or above the VAF limit ({limit_text})."
    return f"First measured at or above the VAF limit ({limit_text}): " + "; ".join(found) + "."
