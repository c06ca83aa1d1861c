"""Physiology defaults and their one cross-field rule."""

from __future__ import annotations

import pydantic
import pytest

from cllsim.clinic.physiology import DEFAULT_PHYSIOLOGY, Physiology


def test_defaults_are_the_documented_numbers():
    assert DEFAULT_PHYSIOLOGY.blood_volume_l == 5.0
    assert DEFAULT_PHYSIOLOGY.normal_lymphocytes_1e9_per_l == 1.5
    assert DEFAULT_PHYSIOLOGY.normal_leukocytes_1e9_per_l == 6.0
    assert DEFAULT_PHYSIOLOGY.normal_marrow_nucleated_cells == 7.3e11  # Harrison 1962 x 70 kg
    assert DEFAULT_PHYSIOLOGY.ln_cells_per_ml == 1e9
    assert DEFAULT_PHYSIOLOGY.hemizygous_genotypes == ()


def test_allele_fraction_heterozygous_unless_hemizygous():
    male = Physiology(hemizygous_genotypes=("BTK_C481S",))
    assert male.mutant_allele_fraction("BTK_C481S") == 1.0
    assert male.mutant_allele_fraction("PLCG2") == 0.5


def test_lymphocytes_cannot_exceed_leukocytes():
    with pytest.raises(pydantic.ValidationError, match="normal_lymphocytes_1e9_per_l must be <="):
        Physiology(normal_lymphocytes_1e9_per_l=7.0)


def test_frozen_and_no_unknown_keys():
    with pytest.raises(pydantic.ValidationError):
        Physiology(blood_volume=5.0)  # type: ignore[call-arg]
    with pytest.raises(pydantic.ValidationError):
        DEFAULT_PHYSIOLOGY.blood_volume_l = 4.0  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError, match="greater than 0"):
        Physiology(blood_volume_l=0.0)
