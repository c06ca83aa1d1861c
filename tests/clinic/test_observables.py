"""The per-visit observables table: columns, exact true values, measured values, errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cllsim.clinic.assays import MRD_ASSAYS, VAF_ASSAYS
from cllsim.clinic.observables import observables
from cllsim.errors import SpecError
from tests.clinic.clinic_helpers import counts_table

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


def _run(**changes):
    arguments = dict(
        visits_days=[0.0, 30.0],
        treatment_periods=PERIODS,
        assay="clonoseq",
        vaf_assay="ngs",
        rng=np.random.default_rng(11),
    )
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
