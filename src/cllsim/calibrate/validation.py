"""A trial's predictions against published outcomes it was never fitted to.

A validation set (a target file with ``role: validation``, e.g. the built-in
``cll14-followup``) holds published outcomes outside the calibration targets.  For each,
:func:`compare` reads the simulated value from the trial's ``summary.json`` and computes

    z = (simulated - published) / sqrt(se_published**2 + se_simulated**2)

on the log scale for a hazard ratio; the prediction agrees when ``|z| <= 1.96`` (the two
estimates' difference is within its 95% interval).  An outcome whose paper gives no
uncertainty (a median, here) is reported without a test.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from cllsim.calibrate.targets import Z95, TargetSet, builtin_targets, load_targets
from cllsim.calibrate.trial import read_outcome, read_outcomes
from cllsim.errors import SpecError

__all__ = [
    "AGREEMENT_Z",
    "compare",
    "display_rows",
    "markdown_table",
    "published_comparisons",
    "report_tables",
]

#: |z| at or below which a prediction agrees with the published value (two-sided 95%).
AGREEMENT_Z = Z95


def compare(summary: Mapping[str, Any], published: TargetSet) -> pd.DataFrame:
    """One row per published outcome: ``outcome`` (arm/endpoint, and the reference arm of a
    hazard ratio), ``endpoint``, ``published``, ``published_se``, ``simulated``,
    ``simulated_se``, ``z``, ``agrees`` (None when untested: no published or simulated
    uncertainty, or no estimate), ``source``.  SEs of a hazard ratio are of its log.

    Raises
    ------
    SpecError
        The summary cannot show an outcome (:func:`cllsim.calibrate.trial.read_outcome`).
    """
    return _table(published, read_outcomes(summary, published))


def _table(
    published: TargetSet, sim: Mapping[str, tuple[float | None, float | None]]
) -> pd.DataFrame:
    rows = []
    for t in published.targets:
        if t.key not in sim:
            continue
        est, se = sim[t.key]
        z = t.residual(est, se)
        rows.append(
            {
                "outcome": t.key if t.reference is None else f"{t.key} vs {t.reference}",
                "endpoint": t.endpoint,
                "published": t.value,
                "published_se": t.se,
                "simulated": est,
                "simulated_se": se,
                "z": z,
                "agrees": None if z is None else bool(abs(z) <= AGREEMENT_Z),
                "source": t.source or published.source,
            }
        )
    return pd.DataFrame(rows)


def published_comparisons(
    summary: Mapping[str, Any],
) -> list[tuple[TargetSet, pd.DataFrame, list[str]]]:
    """Every built-in target set of the summary's trial (calibration sets first), each
    with :func:`compare`'s table over the outcomes this trial can show and the reasons the
    others were left out (an empty arm, a month beyond its follow-up).  For the trial
    report: a run of ``cllsim trial cll14`` is set beside what CLL14 published."""
    out = []
    sets = [load_targets(name) for name in builtin_targets()]
    for published in sorted(sets, key=lambda ts: (ts.role != "calibration", ts.name)):
        if published.trial != summary["trial"]:
            continue
        sim, skipped = {}, []
        for t in published.targets:
            try:
                sim[t.key] = read_outcome(summary, t)
            except SpecError as err:
                skipped.append(str(err))
        out.append((published, _table(published, sim), skipped))
    return out


def report_tables(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """:func:`published_comparisons` as text for the trial report: per target set a
    ``caption``, its :func:`display_rows` and the ``skipped`` reasons."""
    return [
        {
            "caption": f"{ts.name}: "
            + ("calibration targets (fitted)" if ts.role == "calibration" else
               "validation (published, never fitted)"),
            "rows": display_rows(table),
            "skipped": skipped,
        }
        for ts, table, skipped in published_comparisons(summary)
    ]  # fmt: skip


def display_rows(table: pd.DataFrame) -> list[tuple[str, str, str, str, str, str]]:
    """``compare``'s rows as text: outcome, published, simulated, z, agrees, source."""
    rows = []
    for r in table.itertuples(index=False):
        agrees = "not tested" if _missing(r.agrees) else ("yes" if r.agrees else "no")
        z = "—" if _missing(r.z) else f"{r.z:+.1f}"
        if _missing(r.simulated):  # a median not reached; a hazard ratio without events
            sim = "not reached" if r.endpoint == "median_pfs_months" else "not estimable"
        else:
            sim = f"{r.simulated:.3g}"
        rows.append((r.outcome, f"{r.published:.3g}", sim, z, agrees, r.source))
    return rows


def markdown_table(table: pd.DataFrame) -> str:
    """``compare``'s rows as a Markdown table (values to 3 significant digits)."""
    lines = [
        "| outcome | published | simulated | z | agrees | source |",
        "|---|---|---|---|---|---|",
    ]
    for outcome, pub, sim, z, agrees, source in display_rows(table):
        agrees = "**no**" if agrees == "no" else agrees
        lines.append(f"| {outcome} | {pub} | {sim} | {z} | {agrees} | {source} |")
    return "\n".join(lines) + "\n"


def _missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))
