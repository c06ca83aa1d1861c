"""True clinical values from hand-built counts, checked against numbers worked out by hand.

Reference patient (DEFAULT_PHYSIOLOGY): blood 5 L, normal lymphocytes 1.5e9/L, normal
leukocytes 6e9/L (3e10 cells in blood), normal marrow 7.3e11 nucleated cells, 1e9 LN cells/mL.
"""

from __future__ import annotations

import pytest

from cllsim.clinic.measures import (
    alc_1e9_per_l,
    ln_volume_ml,
    mrd_blood,
    mrd_marrow,
    vaf_blood,
)
from cllsim.clinic.physiology import Physiology
from cllsim.errors import SpecError
from tests.clinic.clinic_helpers import compartments_table, counts_table

COUNTS = compartments_table(
    [0.0, 30.0],
    blood=[50_000_000_000, 0],
    lymph_node=[200_000_000_000, 2_500_000],
    marrow=[730_000_000_000, 73_000_000],
)


def test_alc_is_blood_cells_per_litre_plus_normal_lymphocytes():
    alc = alc_1e9_per_l(COUNTS)
    assert alc.name == "alc_1e9_per_l"
    assert alc.index.tolist() == [0.0, 30.0]
    assert alc.tolist() == pytest.approx([5e10 / 5 / 1e9 + 1.5, 1.5], rel=1e-15)


def test_alc_follows_physiology():
    body = Physiology(blood_volume_l=4.0, normal_lymphocytes_1e9_per_l=2.0)
    assert alc_1e9_per_l(COUNTS, physiology=body).tolist() == pytest.approx([14.5, 2.0])


def test_ln_volume_is_cells_over_density():
    assert ln_volume_ml(COUNTS).tolist() == pytest.approx([200.0, 0.0025], rel=1e-15)


def test_mrd_blood_is_cll_per_leukocyte():
    # 5e10 / (5e10 + 6e9/L * 5 L) = 5 / 8
    assert mrd_blood(COUNTS).tolist() == pytest.approx([0.625, 0.0], rel=1e-15)


def test_mrd_marrow_is_cll_per_nucleated_cell():
    # 7.3e11 / (7.3e11 + 7.3e11) = 1/2; 7.3e7 / (7.3e7 + 7.3e11) = 1 / 10001
    assert mrd_marrow(COUNTS).tolist() == pytest.approx([0.5, 1 / 10001], rel=1e-14)


def test_vaf_heterozygous_and_hemizygous_and_compound():
    counts = counts_table(
        [
            (0.0, "blood", "WT", "sensitive", 60_000_000_000),
            (0.0, "blood", "BTK_C481S", "persister", 6_000_000_000),
            (0.0, "blood", "BTK_C481S+PLCG2", "sensitive", 4_000_000_000),
            (0.0, "lymph_node", "PLCG2", "sensitive", 9_000_000_000),
        ]
    )
    # all blood DNA: 7e10 CLL + 3e10 normal = 1e11 cells
    vaf = vaf_blood(counts, genotypes=("BCL2_G101V", "PLCG2"))
    assert list(vaf.columns) == ["vaf_BCL2_G101V", "vaf_PLCG2", "vaf_BTK_C481S"]
    assert vaf.iloc[0].tolist() == pytest.approx([0.0, 0.5 * 0.04, 0.5 * 0.10], rel=1e-15)
    male = Physiology(hemizygous_genotypes=("BTK_C481S",))
    assert vaf_blood(counts, physiology=male)["vaf_BTK_C481S"].iloc[0] == pytest.approx(0.10)


def test_measures_validate_their_input():
    bad = COUNTS.copy()
    bad.loc[0, "compartment"] = "spleen"
    for measure in (alc_1e9_per_l, ln_volume_ml, mrd_blood, mrd_marrow, vaf_blood):
        with pytest.raises(SpecError, match="unknown compartment 'spleen'"):
            measure(bad)
