"""The input of the clinic stage: a tidy table of one patient's cell counts, checked once.

The table has one row per (time_days, compartment, genotype, phenotype), as written by the
patient simulation to ``counts.parquet``.  Everything downstream trusts a table that passed
:func:`validate_counts` (STYLE §7: validate at the boundary).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cllsim.errors import SpecError

__all__ = [
    "COMPARTMENTS",
    "COUNT_COLUMNS",
    "PHENOTYPES",
    "WILD_TYPE",
    "compartment_totals",
    "genotype_totals",
    "validate_counts",
]

#: Columns of the counts table, in order.
COUNT_COLUMNS: tuple[str, ...] = ("time_days", "compartment", "genotype", "phenotype", "cells")
COMPARTMENTS: tuple[str, ...] = ("blood", "lymph_node", "marrow")
PHENOTYPES: tuple[str, ...] = ("sensitive", "persister")
#: Genotype name of cells without any resistance mutation.  A genotype carrying several
#: mutations is written with ``+`` between them, e.g. ``"BTK_C481S+PLCG2"``.
WILD_TYPE = "WT"


def _allowed(values: tuple[str, ...]) -> str:
    return ", ".join(repr(v) for v in values)


def _first_bad_row(counts: pd.DataFrame, mask: np.ndarray) -> str:
    row = counts.iloc[int(np.flatnonzero(mask)[0])]
    return (
        f"time_days={float(row['time_days'])!r}, compartment={row['compartment']!r}, "
        f"genotype={row['genotype']!r}, phenotype={row['phenotype']!r}"
    )


def validate_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """Check a counts table against the contract and return it with canonical dtypes.

    Parameters
    ----------
    counts : pandas.DataFrame
        Columns ``time_days`` (float, days, finite), ``compartment`` (one of
        :data:`COMPARTMENTS`), ``genotype`` (non-empty str), ``phenotype`` (one of
        :data:`PHENOTYPES`) and ``cells`` (integer dtype, cells, >= 0); one row per (time,
        compartment, genotype, phenotype).  Extra columns are ignored.

    Returns
    -------
    pandas.DataFrame
        The five contract columns only: ``time_days`` float64, ``cells`` int64, the others
        str; the caller's frame is not modified.

    Raises
    ------
    SpecError
        Naming the column, the bad value (and its row) and what is allowed: a missing column,
        an unknown compartment or phenotype, an empty genotype, non-integer or negative cells,
        a non-finite time or a repeated row.
    """
    if not isinstance(counts, pd.DataFrame):
        raise SpecError(f"counts must be a pandas DataFrame, got {type(counts).__name__}")
    missing = [c for c in COUNT_COLUMNS if c not in counts.columns]
    if missing:
        raise SpecError(
            f"counts: missing column(s) {', '.join(repr(c) for c in missing)}; expected "
            f"columns {_allowed(COUNT_COLUMNS)}"
        )
    # built column by column from numpy arrays (no pandas copy, isin or duplicated: the table
    # is checked once per simulated patient, and those cost 2 ms of a trial patient's 38)
    try:
        time_days = counts["time_days"].to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise SpecError(f"counts: time_days must be numbers of days, got {err}") from err
    bad = ~np.isfinite(time_days)
    if bad.any():
        raise SpecError(f"counts: time_days must be finite days, got {float(time_days[bad][0])!r}")
    codes = {}
    for column, allowed in (("compartment", COMPARTMENTS), ("phenotype", PHENOTYPES)):
        values = counts[column].to_numpy()
        found, seen = pd.factorize(values, use_na_sentinel=False)
        position = np.array([allowed.index(v) if v in allowed else -1 for v in seen], np.int64)
        codes[column] = position[found]
        unknown = codes[column] < 0
        if unknown.any():
            raise SpecError(
                f"counts: unknown {column} {values[unknown][0]!r}; expected one of "
                f"{_allowed(allowed)}"
            )
    genotype = counts["genotype"].to_numpy()
    codes["genotype"], names = pd.factorize(genotype, use_na_sentinel=False)
    bad_names = [g for g in names if not (isinstance(g, str) and g != "")]
    if bad_names:
        empty = np.isin(codes["genotype"], [list(names).index(g) for g in bad_names])
        raise SpecError(
            "counts: genotype must be a non-empty string, got "
            f"{genotype[np.flatnonzero(empty)[0]]!r} (at {_first_bad_row(counts, empty)})"
        )
    if not pd.api.types.is_integer_dtype(counts["cells"].dtype):
        raise SpecError(
            f"counts: cells must be integer counts (int64), got dtype {counts['cells'].dtype}"
        )
    cells = counts["cells"].to_numpy(dtype=np.int64)
    negative = cells < 0
    if negative.any():
        raise SpecError(
            f"counts: cells must be >= 0, got {int(cells[negative][0])} "
            f"(at {_first_bad_row(counts, negative)})"
        )
    # a repeated (time, compartment, genotype, phenotype): one integer key per row
    times, time_code = np.unique(time_days, return_inverse=True)
    key = np.ravel_multi_index(
        (time_code.reshape(-1), codes["compartment"], codes["phenotype"], codes["genotype"]),
        (max(times.size, 1), len(COMPARTMENTS), len(PHENOTYPES), max(len(names), 1)),
    )
    if np.unique(key).size < key.size:
        repeated = pd.Series(key).duplicated().to_numpy()
        raise SpecError(
            "counts: each (time_days, compartment, genotype, phenotype) must appear once; "
            f"repeated row at {_first_bad_row(counts, repeated)}"
        )
    table = pd.DataFrame(
        {
            "time_days": time_days,
            "compartment": counts["compartment"].to_numpy(dtype=object),
            "genotype": genotype.astype(object, copy=False),
            "phenotype": counts["phenotype"].to_numpy(dtype=object),
            "cells": cells,
        },
        index=counts.index,
    )
    return table


def compartment_totals(counts: pd.DataFrame) -> pd.DataFrame:
    """CLL cells per compartment at each time of a validated counts table.

    Parameters
    ----------
    counts : pandas.DataFrame
        A table that passed :func:`validate_counts`.

    Returns
    -------
    pandas.DataFrame
        Index ``time_days`` (sorted), one float64 column per compartment of
        :data:`COMPARTMENTS` (cells, summed over genotypes and phenotypes; 0 where absent).
    """
    totals = counts.groupby(["time_days", "compartment"])["cells"].sum().unstack(fill_value=0)
    return totals.reindex(columns=list(COMPARTMENTS), fill_value=0).astype(np.float64)


def genotype_totals(counts: pd.DataFrame, compartment: str) -> pd.DataFrame:
    """Cells per mutation in one compartment at each time of a validated counts table.

    A genotype ``"A+B"`` counts towards both ``A`` and ``B``; the wild type counts for none.

    Parameters
    ----------
    counts : pandas.DataFrame
        A table that passed :func:`validate_counts`.
    compartment : str
        One of :data:`COMPARTMENTS`.

    Returns
    -------
    pandas.DataFrame
        Index ``time_days`` (all times of ``counts``, sorted), one float64 column per mutation
        present (cells, summed over phenotypes), columns sorted.
    """
    times = np.sort(counts["time_days"].unique())
    part = counts.loc[counts["compartment"] == compartment]
    part = part.groupby(["time_days", "genotype"], as_index=False)["cells"].sum()
    mutations = {g: g.split("+") for g in pd.unique(part["genotype"])}
    part = part.assign(mutation=part["genotype"].map(mutations)).explode("mutation")
    part = part.loc[part["mutation"] != WILD_TYPE]
    totals = part.groupby(["time_days", "mutation"])["cells"].sum().unstack(fill_value=0)
    totals = totals.reindex(index=pd.Index(times, name="time_days"), fill_value=0)
    totals.columns.name = None
    return totals.sort_index(axis=1).astype(np.float64)
