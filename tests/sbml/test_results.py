"""Tests of cllsim.sbml.results: summaries, the CSV layout, atomic writes, the suite's rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cllsim.errors import InputFileError
from cllsim.sbml import check_results, read_results, summarise, to_csv_text, write_files
from cllsim.sbml.results import describe_check


def test_summarise_layout_and_ddof() -> None:
    """Columns time, X-mean, y-mean, X-sd, y-sd; sd is the sample sd (ddof = 1)."""
    x = np.array([[1.0, 10.0], [3.0, 10.0], [8.0, 10.0]])
    table = summarise({"X": x, "y": 2 * x}, np.array([0.0, 1.0]))
    assert list(table.columns) == ["time", "X-mean", "y-mean", "X-sd", "y-sd"]
    assert table["X-mean"].tolist() == [4.0, 10.0]
    assert table["X-sd"].tolist() == [pytest.approx(np.sqrt(13.0)), 0.0]
    assert table["y-sd"].tolist() == [pytest.approx(2 * np.sqrt(13.0)), 0.0]


def test_csv_round_trips_exactly(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {"time": [0.0, 0.5, 1.0], "X-mean": [1 / 3, 2e-17, 123456.789], "X-sd": [0.0, 0.1, 7.0]}
    )
    text = to_csv_text(table)
    assert text.splitlines()[0] == "time,X-mean,X-sd"
    assert text.splitlines()[1].startswith("0,")
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8")
    pd.testing.assert_frame_equal(read_results(path), table)


def test_write_files_is_atomic(tmp_path: Path) -> None:
    out = tmp_path / "new" / "dir"
    written = write_files(out, {"results.csv": "a\n", "summary.json": "{}\n"})
    assert written == [out / "results.csv", out / "summary.json"]
    assert sorted(p.name for p in out.iterdir()) == ["results.csv", "summary.json"]
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(InputFileError, match="not a directory"):
        write_files(blocker, {"results.csv": "a\n"})


def expected_frame(sigma: list[float]) -> pd.DataFrame:
    n_t = len(sigma)
    return pd.DataFrame(
        {"time": np.arange(n_t, dtype=float), "X-mean": np.full(n_t, 100.0), "X-sd": sigma}
    )


def test_rule_statistics_and_thresholds() -> None:
    """Z = sqrt(n)(mean - mu)/sigma and Y = sqrt(n/2)(S2/sigma^2 - 1), built to known values."""
    n = 10_000
    expected = expected_frame([0.0, 10.0, 10.0, 10.0])
    z = np.array([0.0, 2.9, -3.1, 0.0])
    y = np.array([0.0, 4.9, 0.0, -5.2])
    simulated = expected.copy()
    simulated["X-mean"] = 100.0 + z * expected["X-sd"] / np.sqrt(n)
    simulated["X-sd"] = expected["X-sd"] * np.sqrt(1 + y / np.sqrt(n / 2))
    report = check_results(simulated, expected, n_runs=n)
    assert report.failures() == {"X-mean": 1, "X-sd": 1}
    assert report.worst("X-mean") == pytest.approx(3.1)
    assert report.worst("X-sd") == pytest.approx(5.2)
    assert report.n_failures == 2 and not report.passed
    assert check_results(simulated, expected, n_runs=n, max_failures=2).passed
    lines = describe_check(report)
    assert lines[-1].startswith("case FAILS: 2 failing point(s), at most 1 allowed")
    assert "X-mean at t=2" in lines[-1] and "X-sd at t=3" in lines[-1]


def test_rule_where_sigma_is_zero_needs_exact_values() -> None:
    expected = expected_frame([0.0, 0.0])
    simulated = expected.copy()
    assert check_results(simulated, expected, n_runs=10).n_failures == 0
    simulated.loc[1, "X-mean"] = 100.000001
    simulated.loc[0, "X-sd"] = 1e-9
    report = check_results(simulated, expected, n_runs=10)
    assert report.failures() == {"X-mean": 1, "X-sd": 1}


def test_rule_needs_matching_times_and_columns() -> None:
    expected = expected_frame([1.0, 1.0])
    with pytest.raises(InputFileError, match=r"exp\.csv: record times differ"):
        check_results(expected.iloc[:1], expected, n_runs=10, source="exp.csv")
    with pytest.raises(InputFileError, match=r"exp\.csv: no column 'Y-mean'"):
        check_results(expected, expected, n_runs=10, columns=["Y-sd"], source="exp.csv")


def test_read_results_errors(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        read_results(tmp_path / "absent.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("t,X-mean\n0,1\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="no 'time' column"):
        read_results(bad)
    bad.write_text("time,X-mean\n0,abc\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="column 'X-mean' holds values that are not numbers"):
        read_results(bad)
