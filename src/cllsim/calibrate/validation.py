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

from cllsim.calibrate.targets import TargetSet
from cllsim.calibrate.trial import read_outcomes

__all__ = ["AGREEMENT_Z", "compare", "markdown_table"]

#: |z| at or below which a prediction agrees with the published value (two-sided 95%).
AGREEMENT_Z = 1.959964


def compare(summary: Mapping[str, Any], published: TargetSet) -> pd.DataFrame:
    """One row per published outcome: ``outcome`` (arm/endpoint), ``published``,
    ``published_se``, ``simulated``, ``simulated_se``, ``z``, ``agrees`` (None when
    untested), ``source``.  SEs of a hazard ratio are of its log."""
    sim = read_outcomes(summary, published)
    rows = []
    for t in published.targets:
        est, se = sim[t.key]
        z = None
        if t.se is not None and est is not None:
            a, b = (math.log(est), math.log(t.value)) if t.log_scale else (est, t.value)
            z = (a - b) / math.sqrt(t.se**2 + (se or 0.0) ** 2)
        rows.append(
            {
                "outcome": t.key if t.reference is None else f"{t.key} vs {t.reference}",
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


def markdown_table(table: pd.DataFrame) -> str:
    """``compare``'s rows as a Markdown table (values to 3 significant digits)."""
    lines = [
        "| outcome | published | simulated | z | agrees | source |",
        "|---|---|---|---|---|---|",
    ]
    for r in table.itertuples(index=False):
        agrees = "not tested" if _missing(r.agrees) else ("yes" if r.agrees else "**no**")
        z = "—" if _missing(r.z) else f"{r.z:+.1f}"
        sim = "not reached" if _missing(r.simulated) else f"{r.simulated:.3g}"
        lines.append(f"| {r.outcome} | {r.published:.3g} | {sim} | {z} | {agrees} | {r.source} |")
    return "\n".join(lines) + "\n"


def _missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))
