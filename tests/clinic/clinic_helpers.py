"""Hand-built inputs for the clinic tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def counts_table(rows: Sequence[tuple[float, str, str, str, int]]) -> pd.DataFrame:
    """A counts table from ``(time_days, compartment, genotype, phenotype, cells)`` rows."""
    table = pd.DataFrame(
        rows, columns=["time_days", "compartment", "genotype", "phenotype", "cells"]
    )
    table["time_days"] = table["time_days"].astype(np.float64)
    table["cells"] = table["cells"].astype(np.int64)
    return table


def assert_same_totals(a, b) -> None:
    """Two :class:`cllsim.clinic.CountTotals` hold the same times, names and integers."""
    for name in type(a)._fields:
        x, y = getattr(a, name), getattr(b, name)
        assert x == y if isinstance(x, list) else np.array_equal(x, y), name


def compartments_table(
    times: Sequence[float],
    *,
    blood: Sequence[int],
    lymph_node: Sequence[int],
    marrow: Sequence[int],
) -> pd.DataFrame:
    """Wild-type sensitive cells only, one value per time and compartment."""
    rows = []
    for t, b, ln, m in zip(times, blood, lymph_node, marrow, strict=True):
        rows += [
            (t, "blood", "WT", "sensitive", b),
            (t, "lymph_node", "WT", "sensitive", ln),
            (t, "marrow", "WT", "sensitive", m),
        ]
    return counts_table(rows)


def observed(
    times: Sequence[float],
    *,
    alc: Sequence[float],
    ln: Sequence[float],
    mrd_marrow: Sequence[float] | None = None,
) -> pd.DataFrame:
    """A minimal observables table for the iwCLL functions."""
    table = pd.DataFrame(
        {
            "time_days": np.asarray(times, dtype=np.float64),
            "alc_1e9_per_l": np.asarray(alc, dtype=np.float64),
            "ln_volume_ml": np.asarray(ln, dtype=np.float64),
        }
    )
    if mrd_marrow is not None:
        table["mrd_marrow"] = np.asarray(mrd_marrow, dtype=np.float64)
    return table
