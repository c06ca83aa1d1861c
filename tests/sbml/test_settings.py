"""Tests of cllsim.sbml.settings: the suite's NNNNN-settings.txt."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sbml_helpers import CASES, SETTINGS_TEXT, case_files

from cllsim.errors import InputFileError
from cllsim.sbml import parse_settings


@pytest.mark.parametrize("case", CASES)
def test_suite_settings(suite: Path, case: str) -> None:
    """Every case records t = 0, 1, ..., 50 and the columns match its results.csv header."""
    _, settings_path, results_path = case_files(suite, case)
    settings = parse_settings(settings_path)
    np.testing.assert_array_equal(settings.times_days, np.arange(51.0))
    header = results_path.read_text().splitlines()[0].split(",")
    assert list(settings.columns) == header
    assert settings.mean_range == (-3.0, 3.0)
    assert settings.sd_range == (-5.0, 5.0)
    assert settings.concentration == ()
    assert set(settings.output) == {f"{v}-{s}" for v in settings.variables for s in ("mean", "sd")}


def test_times_and_lists(tmp_path: Path) -> None:
    path = tmp_path / "s.txt"
    path.write_text(
        "start: 2\nduration: 1\nsteps: 4\nvariables: X, Y\namount: X\nconcentration: Y\n",
        encoding="utf-8",
    )
    settings = parse_settings(path)
    np.testing.assert_allclose(settings.times_days, [2.0, 2.25, 2.5, 2.75, 3.0])
    assert settings.variables == ("X", "Y")
    assert settings.concentration == ("Y",)
    assert settings.columns == ("time", "X-mean", "Y-mean", "X-sd", "Y-sd")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("steps: 10", "steps: 0"), r"line 3: steps must be a whole number >= 1, got 0.0"),
        (("steps: 10", "steps: 2.5"), r"line 3: steps must be a whole number >= 1"),
        (("duration: 10", "duration: ten"), r"line 2: duration: expected a number, got 'ten'"),
        (("duration: 10", "duration: -1"), r"line 2: duration must be > 0"),
        (("start: 0", "start: -1"), r"line 1: start must be >= 0"),
        (("absolute:", "tolerance: 3"), r"line 5: unknown key 'tolerance'"),
        (("absolute:", "garbage line"), r"line 5: expected 'key: value', got 'garbage line'"),
        (("amount: X", "amount: Z"), r"line 7: amount: 'Z' is not one of the variables"),
        (("variables: X", "variables:"), r"variables: name at least one variable"),
        (("variables: X", "variables: X, X"), r"'X' is listed twice"),
        (("output: X-mean, X-sd", "output: X-var"), r"'X-var' is not a column"),
        (("meanRange: (-3, 3)", "meanRange: -3, 3"), r"meanRange: expected '\(low, high\)'"),
        (("sdRange: (-5, 5)", "sdRange: (5, -5)"), r"sdRange: low must be < high"),
        (("start: 0\n", ""), r"missing key\(s\) start"),
        (("relative:", "duration: 3"), r"line 6: key 'duration' appears twice"),
    ],
)
def test_bad_settings_name_file_line_and_value(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    path = tmp_path / "bad-settings.txt"
    assert edit[0] in SETTINGS_TEXT
    path.write_text(SETTINGS_TEXT.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(InputFileError, match=message) as info:
        parse_settings(path)
    assert str(info.value).startswith(f"{path}: ")
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        parse_settings(tmp_path / "absent.txt")
