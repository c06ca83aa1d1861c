"""Tests of `cllsim sbml run`: outputs, seeds, --check, and bad inputs (exit 2, one line)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sbml_helpers import SETTINGS_TEXT, case_files, reaction, times

from cllsim import cli


def run(*args: str | Path) -> int:
    return cli.main(["sbml", "run", *(str(a) for a in args)])


def test_writes_the_suite_layout(suite: Path, tmp_path: Path, capsys) -> None:
    model, settings, expected = case_files(suite, "00007")
    out = tmp_path / "out"
    assert run(model, "--settings", settings, "--runs", 200, "--seed", 5, "--out", out) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"cllsim: wrote {out / 'results.csv'}: 200 runs")
    written = (out / "results.csv").read_text().splitlines()
    header = "time,X-mean,Sink-mean,X-sd,Sink-sd"
    assert written[0] == expected.read_text().splitlines()[0] == header
    assert len(written) == 52
    assert written[1] == "0,100.0,0.0,0.0,0.0"
    assert sorted(p.name for p in out.iterdir()) == ["results.csv", "summary.json"]


def test_same_seed_same_numbers(suite: Path, tmp_path: Path) -> None:
    model, settings, _ = case_files(suite, "00001")
    texts = []
    for seed, name in ((7, "a"), (7, "b"), (8, "c")):
        out = tmp_path / name
        assert run(model, "--settings", settings, "--runs", 300, "--seed", seed, "--out", out) == 0
        texts.append((out / "results.csv").read_text())
    assert texts[0] == texts[1]
    assert texts[0] != texts[2]


def test_check_fails_against_another_case(suite: Path, tmp_path: Path, capsys) -> None:
    """Case 00001 judged against 00003's expected values fails: exit 1 and the counts."""
    model, settings, _ = case_files(suite, "00001")
    other = case_files(suite, "00003")[2]
    args = ("--settings", settings, "--runs", 1000, "--seed", 1, "--out", tmp_path / "o")
    assert run(model, *args, "--check", other) == 1
    out = capsys.readouterr().out
    assert "X-mean: 50 of 51 points fail" in out
    assert "case FAILS" in out


def test_event_refills_an_extinct_species(
    write_model: Callable[..., Path], settings_file: Path, tmp_path: Path
) -> None:
    """X -> 0 at rate 5 X from 3 cells, then X = 7 at t = 5: every run shows 7 at t = 5."""
    extra = (
        '<listOfEvents><event id="E" useValuesFromTriggerTime="true">'
        '<trigger initialValue="false" persistent="true">'
        '<math xmlns="http://www.w3.org/1998/Math/MathML"><apply><geq/>'
        "<csymbol encoding='text' definitionURL='http://www.sbml.org/sbml/symbols/time'>t"
        "</csymbol><cn>5</cn></apply></math></trigger><listOfEventAssignments>"
        '<eventAssignment variable="X"><math xmlns="http://www.w3.org/1998/Math/MathML">'
        "<cn>7</cn></math></eventAssignment></listOfEventAssignments></event></listOfEvents>"
    )
    species = (
        '<species id="X" compartment="C" initialAmount="3" hasOnlySubstanceUnits="true" '
        'boundaryCondition="false" constant="false"/>'
    )
    model = write_model(
        reaction("D", "X", "", times("k", "X")),
        species=species,
        parameters='<parameter id="k" value="5" constant="true"/>',
        extra=extra,
    )
    out = tmp_path / "o"
    assert run(model, "--settings", settings_file, "--runs", 50, "--seed", 2, "--out", out) == 0
    table = pd.read_csv(out / "results.csv")
    assert table.loc[4, "X-mean"] == 0.0
    assert table.loc[5, "X-mean"] == 7.0 and table.loc[5, "X-sd"] == 0.0
    assert np.all(table.loc[6:, "X-mean"] < 7.0)


SECOND_ORDER = reaction("Dimerisation", "X", "", times("k", "X", "X"))
NEGATIVE = reaction("Death", "X", "", "<apply><times/><cn>-1</cn><ci>k</ci><ci>X</ci></apply>")


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing model", "{model}: no such file"),
        ("unreadable model", "{model}: not valid SBML: line "),
        ("second order", "{model}: reaction 'Dimerisation': rate law is second order in X"),
        ("negative rate", "{model}: reaction 'Death': rate law is negative"),
        ("unknown variable", "{settings}: variable 'Z' is not a species"),
        ("bad settings line", "{settings}: line 3: steps: expected a number, got 'many'"),
        ("missing settings", "{settings}: no such file"),
        ("missing expected", "{expected}: no such file"),
        ("runs 0", "--runs must be a whole number >= 1, got 0"),
        ("runs not a number", "Invalid value for '--runs'"),
        ("negative seed", "--seed must be a whole number >= 0, got -4"),
    ],
)
def test_bad_input_exit_2_one_line_nothing_written(
    write_model: Callable[..., Path], tmp_path: Path, capsys, case: str, message: str
) -> None:
    """Each bad input: exit code 2, one stderr line 'cllsim: error: ...', no results.csv."""
    model = write_model(reaction("D", "X", "", times("k", "X")))
    settings = tmp_path / "settings.txt"
    settings.write_text(SETTINGS_TEXT, encoding="utf-8")
    expected = tmp_path / "expected.csv"
    runs, seed, extra = "10", "1", []
    if case == "missing model":
        model = tmp_path / "absent.xml"
    elif case == "unreadable model":
        model.write_text("<sbml><model id='x'>", encoding="utf-8")
    elif case == "second order":
        model = write_model(SECOND_ORDER, name="second.xml")
    elif case == "negative rate":
        model = write_model(NEGATIVE, name="negative.xml")
    elif case == "unknown variable":
        settings.write_text(SETTINGS_TEXT.replace("variables: X", "variables: X, Z"))
    elif case == "bad settings line":
        settings.write_text(SETTINGS_TEXT.replace("steps: 10", "steps: many"))
    elif case == "missing settings":
        settings = tmp_path / "absent-settings.txt"
    elif case == "missing expected":
        extra = ["--check", expected]
    elif case == "runs 0":
        runs = "0"
    elif case == "runs not a number":
        runs = "lots"
    elif case == "negative seed":
        seed = "-4"
    out = tmp_path / "out"
    code = run(model, "--settings", settings, "--runs", runs, "--seed", seed, "--out", out, *extra)
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    text = message.format(model=model, settings=settings, expected=expected)
    assert lines[0].startswith("cllsim: error: ")
    assert text in lines[0]
    assert "Traceback" not in captured.err
    assert not (out / "results.csv").exists()
    assert not out.exists() or not any(out.iterdir())
