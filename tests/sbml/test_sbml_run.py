"""Tests of cllsim.sbml.run.simulate_sbml: what is reported, in which units."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from sbml_helpers import SETTINGS_TEXT, reaction, times

from cllsim.errors import InputFileError, SpecError
from cllsim.sbml import parse_settings, read_sbml, simulate_sbml

CONSTANTS = (
    '<species id="X" compartment="C" initialAmount="6" hasOnlySubstanceUnits="false" '
    'boundaryCondition="false" constant="false"/>'
    '<species id="B" compartment="C" initialAmount="4" hasOnlySubstanceUnits="true" '
    'boundaryCondition="true" constant="false"/>'
)


def settings_for(tmp_path: Path, variables: str, concentration: str = "") -> Path:
    path = tmp_path / "s.txt"
    text = SETTINGS_TEXT.replace("variables: X", f"variables: {variables}")
    text = text.replace("amount: X", "amount:").replace("output: X-mean, X-sd", "output:")
    path.write_text(text.replace("concentration:", f"concentration: {concentration}"))
    return path


def test_amounts_concentrations_and_constants(
    write_model: Callable[..., Path], tmp_path: Path
) -> None:
    """X (6 molecules in size 2) as concentration is 3; B (boundary) stays 4; k is 0.1."""
    model = read_sbml(
        write_model(reaction("In", "B", "X", "<cn>0</cn>"), species=CONSTANTS, compartment_size="2")
    )
    settings = parse_settings(settings_for(tmp_path, "X, B, k, C", concentration="X"))
    table = simulate_sbml(model, settings, n_runs=5, rng=1).table
    assert list(table.columns) == [
        "time", "X-mean", "B-mean", "k-mean", "C-mean", "X-sd", "B-sd", "k-sd", "C-sd",
    ]  # fmt: skip
    assert np.all(table["X-mean"] == 3.0)
    assert np.all(table["B-mean"] == 4.0) and np.all(table["B-sd"] == 0.0)
    assert np.all(table["k-mean"] == 0.1)
    assert np.all(table["C-mean"] == 2.0)


def test_model_without_dynamic_species(write_model: Callable[..., Path], tmp_path: Path) -> None:
    species = (
        '<species id="B" compartment="C" initialAmount="4" hasOnlySubstanceUnits="true" '
        'boundaryCondition="true" constant="false"/>'
    )
    model = read_sbml(write_model("", species=species))
    assert model.network is None
    run = simulate_sbml(model, parse_settings(settings_for(tmp_path, "B")), n_runs=3, rng=1)
    assert run.table["B-mean"].tolist() == [4.0] * 11
    assert run.provenance["seed"]["entropy"] == 1


def test_unknown_variable_and_bad_runs(write_model: Callable[..., Path], tmp_path: Path) -> None:
    model = read_sbml(write_model(reaction("D", "X", "", times("k", "X"))))
    path = settings_for(tmp_path, "X, Q")
    with pytest.raises(InputFileError, match=rf"{path}: variable 'Q' is not a species"):
        simulate_sbml(model, parse_settings(path), n_runs=3, rng=1)
    with pytest.raises(SpecError, match="--runs must be a whole number >= 1, got 0"):
        simulate_sbml(model, parse_settings(settings_for(tmp_path, "X")), n_runs=0)
