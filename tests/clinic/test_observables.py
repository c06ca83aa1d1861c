"""The per-visit observables table: columns, exact true values, measured values, errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cllsim.clinic.assays import MRD_ASSAYS, VAF_ASSAYS
from cllsim.clinic.counts import COMPARTMENTS
from cllsim.clinic.observables import CountTotals, count_totals, observables
from cllsim.errors import SpecError
from tests.clinic.clinic_helpers import assert_same_totals, counts_table

COUNTS = counts_table(
    [
        (0.0, "blood", "WT", "sensitive", 50_000_000_000),
        (0.0, "blood", "BTK_C481S", "sensitive", 20_000_000_000),
        (0.0, "lymph_node", "WT", "sensitive", 200_000_000_000),
        (0.0, "marrow", "WT", "sensitive", 730_000_000_000),
        (30.0, "blood", "WT", "sensitive", 0),
        (30.0, "blood", "BTK_T474I", "persister", 0),
        (30.0, "lymph_node", "WT", "persister", 1_000_000_000),
        (30.0, "marrow", "WT", "sensitive", 0),
        (60.0, "blood", "WT", "sensitive", 1000),
    ]
)
PERIODS = [(10.0, math.inf, {"BTKi"})]


_ARGUMENTS = dict(
    visits_days=[0.0, 30.0], treatment_periods=PERIODS, assay="clonoseq", vaf_assay="ngs"
)


def _run(**changes):
    arguments = dict(_ARGUMENTS, rng=np.random.default_rng(11))
    arguments.update(changes)
    return observables(COUNTS, **arguments)


def test_columns_exactly_and_in_order():
    table = _run()
    assert list(table.columns) == [
        "time_days", "alc_1e9_per_l", "ln_volume_ml", "mrd_blood", "mrd_marrow",
        "mrd_blood_measured", "mrd_marrow_measured", "vaf_BTK_C481S", "vaf_PLCG2",
        "vaf_BCL2_G101V", "vaf_TP53", "vaf_BTK_T474I", "on_treatment",
    ]  # fmt: skip
    assert table["on_treatment"].dtype == bool
    assert table["time_days"].tolist() == [0.0, 30.0]


def test_true_values_by_hand():
    table = _run()
    # blood 7e10 CLL: ALC 7e10 / 5 L / 1e9 + 1.5; MRD 7e10 / (7e10 + 3e10)
    assert table["alc_1e9_per_l"].tolist() == pytest.approx([15.5, 1.5], rel=1e-15)
    assert table["ln_volume_ml"].tolist() == pytest.approx([200.0, 1.0], rel=1e-15)
    assert table["mrd_blood"].tolist() == pytest.approx([0.7, 0.0], rel=1e-15)
    assert table["mrd_marrow"].tolist() == pytest.approx([0.5, 0.0], rel=1e-15)
    assert table["on_treatment"].tolist() == [False, True]


def test_measured_values_follow_the_assays():
    table = _run()
    # day 0: blood MRD 0.7 over 3e6 cells, SE 2.6e-4; marrow 0.5, SE 2.9e-4 (|error| < 5 SE)
    assert abs(table["mrd_blood_measured"][0] - 0.7) < 5 * math.sqrt(0.21 / 3e6)
    assert abs(table["mrd_marrow_measured"][0] - 0.5) < 5 * math.sqrt(0.25 / 3e6)
    # VAF 0.5 * 2e10 / 1e11 = 0.1 over 2e4 reads, SE 2.1e-3
    assert abs(table["vaf_BTK_C481S"][0] - 0.1) < 5 * math.sqrt(0.09 / 2e4)
    # no CLL cells: undetectable, reported as NaN
    assert table.loc[1, ["mrd_blood_measured", "mrd_marrow_measured"]].isna().all()
    assert table[["vaf_PLCG2", "vaf_BCL2_G101V", "vaf_TP53", "vaf_BTK_T474I"]].isna().all().all()


def test_assay_objects_and_names_are_equivalent_and_seeded():
    by_name = _run()
    by_object = _run(assay=MRD_ASSAYS["clonoseq"], vaf_assay=VAF_ASSAYS["ngs"])
    pd.testing.assert_frame_equal(by_name, by_object)
    other = _run(rng=np.random.default_rng(12))
    assert not other["mrd_blood_measured"].equals(by_name["mrd_blood_measured"])


def test_all_times_when_no_visits_given_and_float_noise_tolerated():
    assert _run(visits_days=None)["time_days"].tolist() == [0.0, 30.0, 60.0]
    assert _run(visits_days=[0.1 + 0.2 - 0.3, 60.0])["time_days"].tolist() == [0.0, 60.0]


def test_visits_not_in_counts_are_named():
    with pytest.raises(SpecError, match=r"visits_days: day\(s\) \[15.0, 90.0\] are not times"):
        _run(visits_days=[0.0, 15.0, 30.0, 90.0])


def test_visits_must_increase():
    with pytest.raises(SpecError, match="visits_days must be strictly increasing"):
        _run(visits_days=[30.0, 0.0])


def test_bad_inputs():
    with pytest.raises(SpecError, match="unknown MRD assay 'flow'"):
        _run(assay="flow")
    with pytest.raises(SpecError, match="vaf_assay must be a VafAssay"):
        _run(vaf_assay=MRD_ASSAYS["ddpcr"])
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator"):
        _run(rng=3)
    with pytest.raises(SpecError, match=r"treatment_periods\[0\].*unknown drug class"):
        _run(treatment_periods=[(0, 1, {"ibrutinib"})])
    bad = COUNTS.drop(columns=["genotype"])
    with pytest.raises(SpecError, match="missing column"):
        observables(
            bad, visits_days=None, treatment_periods=[], assay="ddpcr", vaf_assay="ddpcr",
            rng=np.random.default_rng(0),
        )  # fmt: skip


def test_totals_from_columns_are_those_of_the_table():
    """CountTotals.from_columns (the engine's per-type counts) gives the integers that
    count_totals gives for the same cells as a tidy table: a genotype carrying two mutations
    counts for both, one found only outside blood adds no mutation column but counts in the
    genotype totals."""
    parts = [("blood", "WT"), ("marrow", "WT"), ("blood", "BTK_C481S+PLCG2"),
             ("lymph_node", "BTK_C481S+PLCG2"), ("marrow", "TP53"), ("blood", "PLCG2")]  # fmt: skip
    cells = np.array([[5, 7, 11, 13, 17, 19], [0, 3, 2, 0, 1, 4], [9, 0, 0, 6, 0, 1]])
    times = np.array([0.0, 30.0, 60.0])
    rows = [(t, c, g, "sensitive", int(cells[i, k]))
            for i, t in enumerate(times) for k, (c, g) in enumerate(parts)]  # fmt: skip
    from_table = count_totals(counts_table(rows))
    code = [COMPARTMENTS.index(c) for c, _ in parts]
    from_columns = CountTotals.from_columns(times, cells, np.array(code), [g for _, g in parts])
    assert_same_totals(from_table, from_columns)
    assert from_table.mutations == ["BTK_C481S", "PLCG2"]  # TP53 is in marrow only
    assert from_table.mutant[:, 1].tolist() == [30.0, 6.0, 1.0]  # PLCG2 + BTK_C481S+PLCG2
    assert from_table.genotypes == ["BTK_C481S+PLCG2", "PLCG2", "TP53", "WT"]
    assert from_table.genotype_cells[0].tolist() == [24, 19, 17, 12]
    assert from_table.compartments[2].tolist() == [10.0, 6.0, 0.0]
    # the sums are kept per layout of columns: another layout of as many columns gets its own
    swap = {"blood": "marrow", "marrow": "blood", "lymph_node": "lymph_node"}
    moved = [(swap[c], g) for c, g in parts]
    rows = [(t, c, g, "sensitive", int(cells[i, k]))
            for i, t in enumerate(times) for k, (c, g) in enumerate(moved)]  # fmt: skip
    code = [COMPARTMENTS.index(c) for c, _ in moved]
    other = CountTotals.from_columns(times, cells, np.array(code), [g for _, g in moved])
    assert_same_totals(count_totals(counts_table(rows)), other)
    assert other.mutations == ["TP53"]  # the only mutant genotype now in blood
    again = CountTotals.from_columns(times, cells, np.array(code), [g for _, g in parts])
    assert again.compartments.tolist() != from_columns.compartments.tolist()


def test_observables_of_totals_equal_those_of_the_table():
    totals = count_totals(COUNTS)
    assert _run().equals(observables(totals, **{**_ARGUMENTS, "rng": np.random.default_rng(11)}))


def test_observables_as_arrays_are_the_table_s_columns_with_the_same_draws():
    columns = _run(as_frame=False)
    assert isinstance(columns, dict)
    table = _run()
    assert list(columns) == list(table.columns)
    for name, values in columns.items():
        assert np.array_equal(values, table[name].to_numpy(), equal_nan=True), name
