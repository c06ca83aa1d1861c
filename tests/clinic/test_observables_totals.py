"""``observables`` sums the counts in one numpy pass (``count_totals``): the same numbers as
the pandas group-bys of :mod:`cllsim.clinic.counts`, exactly (integer sums, then float64); a
count matrix with a column per part (``CountTotals.from_columns``, what the engine gives)
sums to the same."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cllsim.clinic.counts import COMPARTMENTS, compartment_totals, genotype_totals, validate_counts
from cllsim.clinic.observables import CountTotals, count_totals

from .clinic_helpers import assert_same_totals, counts_table


def _random_counts(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    genotypes = ["WT", "BTK_C481S", "PLCG2", "BTK_C481S+PLCG2", "TP53", "A+A"]
    rows = []
    for t in np.sort(rng.choice(np.arange(0.0, 500.0, 0.5), 12, replace=False)):
        for c in ("marrow", "blood", "lymph_node"):
            for g in rng.permutation(genotypes)[: int(rng.integers(1, 6))]:
                for p in ("sensitive", "persister"):
                    if rng.random() < 0.8:
                        rows.append((t, c, g, p, int(rng.integers(0, 10**12))))
    rows = [rows[i] for i in rng.permutation(len(rows))]  # any row order
    return counts_table(rows)


def test_totals_equal_the_group_bys() -> None:
    for seed in range(5):
        table = validate_counts(_random_counts(seed))
        times, compartments, mutations, mutant = count_totals(table)[:4]
        by_compartment = compartment_totals(table)
        by_mutation = genotype_totals(table, "blood")
        assert times.tobytes() == by_compartment.index.to_numpy().tobytes()
        assert compartments.tobytes() == by_compartment.to_numpy().tobytes()
        assert mutations == list(by_mutation.columns)
        assert mutant.tobytes() == by_mutation.to_numpy().tobytes()


def test_totals_without_mutations_or_blood() -> None:
    table = validate_counts(counts_table([(0.0, "marrow", "WT", "sensitive", 5)]))
    times, compartments, mutations, mutant = count_totals(table)[:4]
    assert times.tolist() == [0.0]
    assert compartments.tolist() == [[0.0, 0.0, 5.0]]
    assert mutations == [] and mutant.shape == (1, 0)


def test_totals_of_a_count_matrix_equal_those_of_its_table() -> None:
    """The random tables as a matrix (a column per compartment, genotype and phenotype found,
    0 where a row is missing): CountTotals.from_columns gives every field of count_totals."""
    for seed in range(5):
        table = validate_counts(_random_counts(seed))
        wide = table.pivot_table(
            index="time_days", columns=["compartment", "genotype", "phenotype"],
            values="cells", aggfunc="sum", fill_value=0,
        )  # fmt: skip
        parts = wide.columns.to_frame(index=False)
        got = CountTotals.from_columns(
            wide.index.to_numpy(),
            wide.to_numpy(dtype=np.int64),
            np.array([COMPARTMENTS.index(c) for c in parts["compartment"]]),
            list(parts["genotype"]),
        )
        assert_same_totals(got, count_totals(table))


def test_many_genotypes_in_marrow() -> None:
    """70 genotypes in marrow (the part key compartment x genotype passes 127, where int8
    compartment codes would wrap): every genotype's cells and the marrow total are right."""
    rows = [(0.0, "marrow", f"M{k:02d}", "sensitive", k + 1) for k in range(70)]
    rows.append((0.0, "blood", "WT", "sensitive", 5))
    totals = count_totals(counts_table(rows))
    assert totals.genotypes == [*(f"M{k:02d}" for k in range(70)), "WT"]
    assert totals.genotype_cells[0].tolist() == [*range(1, 71), 5]
    assert totals.compartments[0].tolist() == [5.0, 0.0, float(sum(range(1, 71)))]
