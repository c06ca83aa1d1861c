"""The counts contract: canonical dtypes, totals, and errors naming field, value and allowed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cllsim.clinic.counts import compartment_totals, genotype_totals, validate_counts
from cllsim.errors import SpecError
from tests.clinic.clinic_helpers import counts_table

ROWS = [
    (0.0, "blood", "WT", "sensitive", 10),
    (0.0, "blood", "WT", "persister", 5),
    (0.0, "lymph_node", "BTK_C481S", "sensitive", 7),
    (0.0, "blood", "BTK_C481S+PLCG2", "sensitive", 3),
    (2.5, "marrow", "WT", "sensitive", 4),
]


def test_totals_sum_over_genotypes_and_phenotypes_with_zero_for_absent():
    totals = compartment_totals(validate_counts(counts_table(ROWS)))
    assert list(totals.columns) == ["blood", "lymph_node", "marrow"]
    assert totals.index.tolist() == [0.0, 2.5]
    assert totals.loc[0.0].tolist() == [18.0, 7.0, 0.0]
    assert totals.loc[2.5].tolist() == [0.0, 0.0, 4.0]


def test_genotype_totals_split_compound_genotypes_and_skip_wild_type():
    mutant = genotype_totals(validate_counts(counts_table(ROWS)), "blood")
    assert list(mutant.columns) == ["BTK_C481S", "PLCG2"]
    assert mutant.loc[0.0].tolist() == [3.0, 3.0]
    assert mutant.loc[2.5].tolist() == [0.0, 0.0]


def test_genotype_totals_without_mutants_is_empty_but_indexed():
    table = validate_counts(counts_table([(0.0, "blood", "WT", "sensitive", 1)]))
    mutant = genotype_totals(table, "blood")
    assert mutant.shape == (1, 0)
    assert mutant.index.tolist() == [0.0]


def test_validate_keeps_caller_frame_and_drops_extra_columns():
    table = counts_table(ROWS).assign(note="x")
    checked = validate_counts(table)
    assert list(checked.columns) == ["time_days", "compartment", "genotype", "phenotype", "cells"]
    assert checked["cells"].dtype == np.int64
    assert "note" in table.columns


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("compartment", "spleen", ["compartment", "'spleen'", "'blood'", "'lymph_node'"]),
        ("phenotype", "dormant", ["phenotype", "'dormant'", "'sensitive'", "'persister'"]),
        ("genotype", "", ["genotype", "non-empty"]),
        ("time_days", np.nan, ["time_days", "finite", "nan"]),
    ],
)
def test_bad_values_are_named(column, value, expected):
    table = counts_table(ROWS)
    table[column] = table[column].astype(object)
    table.loc[1, column] = value
    with pytest.raises(SpecError) as info:
        validate_counts(table)
    for part in expected:
        assert part in str(info.value)


def test_negative_cells_name_value_row_and_bound():
    table = counts_table(ROWS)
    table.loc[2, "cells"] = -5
    with pytest.raises(SpecError, match=r"cells must be >= 0, got -5 .*lymph_node.*BTK_C481S"):
        validate_counts(table)


def test_missing_columns_are_listed():
    with pytest.raises(SpecError, match=r"missing column\(s\) 'phenotype', 'cells'"):
        validate_counts(counts_table(ROWS).drop(columns=["phenotype", "cells"]))


def test_float_cells_are_refused():
    table = counts_table(ROWS)
    table["cells"] = table["cells"].astype(float)
    with pytest.raises(SpecError, match=r"cells must be integer counts .*float64"):
        validate_counts(table)


def test_repeated_rows_are_refused():
    with pytest.raises(SpecError, match=r"repeated row at time_days=0.0, compartment='blood'"):
        validate_counts(counts_table([*ROWS, ROWS[0]]))


def test_not_a_dataframe():
    with pytest.raises(SpecError, match="pandas DataFrame, got dict"):
        validate_counts({"time_days": [0.0]})  # type: ignore[arg-type]


def test_empty_table_passes_with_no_times():
    table = validate_counts(counts_table([]))
    assert compartment_totals(table).shape == (0, 3)
    assert isinstance(table, pd.DataFrame)
