"""Tests of cllsim.sbml.reader: the suite's models and hand-written ones into a Network."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import libsbml
import numpy as np
import pytest
from sbml_helpers import CASES, case_files, reaction, sbml_text, times

from cllsim.engine import CountEvent
from cllsim.errors import InputFileError
from cllsim.sbml import read_sbml

BIRTH_DEATH = {"birth": 0.1, "death": 0.11, "initial": 100}

# What each case's network must hold (per day rates of X; inflow events per day).
EXPECTED = {
    "00001": BIRTH_DEATH,
    "00003": {"birth": 1.0, "death": 1.1, "initial": 100},
    "00005": {"birth": 0.1, "death": 0.11, "initial": 10000},
    "00007": {"birth": 0.1, "death": 0.0, "initial": 100},  # death is a move to Sink
    "00009": BIRTH_DEATH,  # size 2, amounts in rate laws: volume must not change rates
    "00011": {"birth": 0.05, "death": 0.055, "initial": 100},  # concentration: rates halve
    "00013": BIRTH_DEATH,  # Lambda = 0.2, law Lambda * X * 0.5
    "00015": BIRTH_DEATH,  # law Lambda * (X / 2) / 0.5
    "00017": BIRTH_DEATH,  # Cell * Lambda * X with Cell = 1
    "00019": BIRTH_DEATH,
    "00020": {"death": 0.1, "inflow": 1.0, "size": 1, "initial": 0},
    "00022": {"death": 0.1, "inflow": 5.0, "size": 1, "initial": 0},  # local Alpha = 5
    "00024": {"death": 0.1, "inflow": 10.0, "size": 1, "initial": 0},
    "00028": {"death": 0.1, "inflow": 1.0, "size": 1, "initial": 0},
    "00037": {"death": 0.2, "inflow": 1.0, "size": 5, "initial": 0},
    "00039": {"death": 4.0, "inflow": 1.0, "size": 100, "initial": 0},
}


@pytest.mark.parametrize("level", ["l3v1", "l3v2"])
@pytest.mark.parametrize("case", CASES)
def test_suite_case_rates(suite: Path, case: str, level: str) -> None:
    """X's birth, death and inflow rates, inflow size and initial count, per case."""
    model = read_sbml(case_files(suite, case, level)[0])
    net = model.network
    x = net.type_index("X")
    want = EXPECTED[case]
    assert net.initial[x] == want["initial"]
    assert net.birth[0, x] == pytest.approx(want.get("birth", 0.0), rel=1e-12)
    assert net.death[0, x] == pytest.approx(want.get("death", 0.0), rel=1e-12)
    assert net.inflow[0, x] == pytest.approx(want.get("inflow", 0.0), rel=1e-12)
    assert net.inflow_size[x] == want.get("size", 1)
    assert net.knots_days.tolist() == [0.0]


def test_sink_is_an_ordinary_type(suite: Path) -> None:
    """00007: X -> Sink is a move edge; Sink has no rates of its own."""
    net = read_sbml(case_files(suite, "00007")[0]).network
    assert net.types == ("X", "Sink")
    assert net.moves == (("X", "Sink"),)
    assert net.move_rate[0].tolist() == [pytest.approx(0.11)]
    assert net.initial.tolist() == [100, 0]
    assert net.birth[0, 1] == net.death[0, 1] == 0.0


def test_boundary_species_are_not_types(suite: Path) -> None:
    """00024: Source -> X and X -> Sink with both boundary species: X is the only type."""
    model = read_sbml(case_files(suite, "00024")[0])
    assert model.network.types == ("X",)
    counts = {"X": np.ones((3, 2))}
    report = model.report("Source", counts, np.array([0.0, 1.0]), n_runs=3)
    np.testing.assert_array_equal(report, np.zeros((3, 2)))


def test_assignment_rule_is_reported_from_counts(suite: Path) -> None:
    """00019: y = 2 * X is not simulated; it is evaluated on every run's counts."""
    model = read_sbml(case_files(suite, "00019")[0])
    assert model.network.types == ("X",)
    counts = {"X": np.array([[100.0, 97.0], [100.0, 104.0]])}
    y = model.report("y", counts, np.array([0.0, 1.0]), n_runs=2)
    np.testing.assert_array_equal(y, 2 * counts["X"])


def test_time_triggered_event(suite: Path) -> None:
    """00028: trigger t >= 25 setting X = 50 becomes a 'set' count event at day 25."""
    model = read_sbml(case_files(suite, "00028")[0])
    assert model.events == (CountEvent(time_days=25.0, type="X", action="set", value=50.0),)


# -- hand-written models: features ---------------------------------------------------------


def test_initial_assignment_and_concentration(write_model: Callable[..., Path]) -> None:
    """X starts at n0 = 2 * 30 (initial assignment); Y at 4 (concentration) * 2.5 (size)."""
    species = (
        '<species id="X" compartment="C" initialAmount="1" hasOnlySubstanceUnits="true" '
        'boundaryCondition="false" constant="false"/>'
        '<species id="Y" compartment="C" initialConcentration="4" hasOnlySubstanceUnits="false" '
        'boundaryCondition="false" constant="false"/>'
    )
    extra = (
        '<listOfInitialAssignments><initialAssignment symbol="X">'
        '<math xmlns="http://www.w3.org/1998/Math/MathML">'
        "<apply><times/><cn>2</cn><ci>n0</ci></apply></math></initialAssignment>"
        "</listOfInitialAssignments>"
    )
    params = (
        '<parameter id="k" value="0.1" constant="true"/>'
        '<parameter id="n0" value="30" constant="true"/>'
    )
    path = write_model(
        reaction("D", "Y", "", times("k", "Y")),
        species=species,
        parameters=params,
        extra=extra,
        compartment_size="2.5",
    )
    net = read_sbml(path).network
    assert net.types == ("X", "Y")
    assert net.initial.tolist() == [60, 10]
    assert net.death[0].tolist() == [0.0, pytest.approx(0.1 / 2.5)]


def test_spawn_move_and_catalysed_birth(write_model: Callable[..., Path]) -> None:
    """X -> X + Y is a spawn, X -> Y a move, 0 -> Y at rate k*X (X a modifier) a spawn."""
    species = "".join(
        f'<species id="{s}" compartment="C" initialAmount="10" hasOnlySubstanceUnits="true" '
        'boundaryCondition="false" constant="false"/>'
        for s in ("X", "Y")
    )
    reactions = (
        reaction("Mutate", "X", "X Y", times("k", "X"))
        + reaction("Switch", "X", "Y", times("k", "X"))
        + reaction("Shed", "", "Y", times("k", "X"))
    )
    net = read_sbml(write_model(reactions, species=species)).network
    assert net.spawns == (("X", "Y"),)
    assert net.spawn_rate[0].tolist() == [pytest.approx(0.2)]
    assert net.moves == (("X", "Y"),)
    assert net.move_rate[0].tolist() == [pytest.approx(0.1)]


def test_function_definitions_are_expanded(tmp_path: Path) -> None:
    """A kinetic law calling a function definition mass(k, X) = k * X is a death rate k."""
    fun = (
        '<listOfFunctionDefinitions><functionDefinition id="mass">'
        '<math xmlns="http://www.w3.org/1998/Math/MathML"><lambda><bvar><ci>a</ci></bvar>'
        "<bvar><ci>b</ci></bvar><apply><times/><ci>a</ci><ci>b</ci></apply></lambda></math>"
        "</functionDefinition></listOfFunctionDefinitions>"
    )
    doc = sbml_text(
        reaction("Death", "X", "", "<apply><ci>mass</ci><ci>k</ci><ci>X</ci></apply>")
    ).replace("<listOfCompartments>", fun + "<listOfCompartments>")
    path = tmp_path / "fun.xml"
    path.write_text(doc, encoding="utf-8")
    assert read_sbml(path).network.death[0].tolist() == [pytest.approx(0.1)]


# -- bad files ------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"absent.xml: no such file"):
        read_sbml(tmp_path / "absent.xml")


def test_unreadable_sbml(tmp_path: Path) -> None:
    path = tmp_path / "broken.xml"
    path.write_text("<sbml><model", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"broken.xml: not valid SBML: line \d+: ") as info:
        read_sbml(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("case", ["00011", "00022", "00028"])
def test_level_2_versions_read_the_same(suite: Path, tmp_path: Path, case: str) -> None:
    """The case converted to SBML Level 2 Version 4 by libsbml gives the same network."""
    doc = libsbml.readSBMLFromFile(str(case_files(suite, case)[0]))
    assert doc.setLevelAndVersion(2, 4, False)
    path = tmp_path / f"{case}-l2v4.xml"
    assert libsbml.writeSBMLToFile(doc, str(path))
    l2, l3 = read_sbml(path), read_sbml(case_files(suite, case)[0])
    for field in ("initial", "birth", "death", "inflow", "inflow_size"):
        np.testing.assert_allclose(getattr(l2.network, field), getattr(l3.network, field))
    assert l2.events == l3.events
