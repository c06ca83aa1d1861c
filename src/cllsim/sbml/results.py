"""Means and standard deviations over runs, the suite's CSV layout, and its acceptance rule.

The rule of the SBML stochastic test suite (Evans, Gillespie & Wilkinson 2008), applied per
variable and record time *t* with *n* runs, sample mean ``Xbar_t``, sample variance ``S2_t``
(ddof = 1) and the expected ``mu_t``, ``sigma_t``:

* mean: ``Z_t = sqrt(n) (Xbar_t - mu_t) / sigma_t`` must lie in ``meanRange`` (-3, 3);
* variance: ``Y_t = sqrt(n / 2) (S2_t / sigma_t**2 - 1)`` must lie in ``sdRange`` (-5, 5);
* where ``sigma_t = 0`` the statistics are undefined and every run must equal ``mu_t``
  exactly (sample mean ``mu_t``, sample variance 0).

A correct simulator still fails about 0.3 % of the mean points by chance, so a case passes
with at most ``max_failures = 1`` failing point over all its columns.

References
----------
Evans TW, Gillespie CS, Wilkinson DJ (2008) The SBML discrete stochastic models test suite.
Bioinformatics 24:285-286, doi:10.1093/bioinformatics/btm566.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cllsim.errors import InputFileError

__all__ = [
    "CheckReport",
    "check_results",
    "describe_check",
    "read_results",
    "summarise",
    "to_csv_text",
    "write_files",
]


def summarise(
    values: Mapping[str, NDArray[np.float64]], times_days: NDArray[np.float64]
) -> pd.DataFrame:
    """Per-time means and standard deviations over runs, in the suite's column order.

    Parameters
    ----------
    values : mapping of variable name to float64[n_runs, n_times]
    times_days : float64[n_times]

    Returns
    -------
    DataFrame
        Columns ``time``, then ``X-mean`` for every variable, then ``X-sd`` for every
        variable (sample standard deviation, ddof = 1; NaN for a single run).
    """
    frame = {"time": np.asarray(times_days, dtype=np.float64)}
    for name, v in values.items():
        frame[f"{name}-mean"] = v.mean(axis=0)
    for name, v in values.items():
        single = np.full(v.shape[1], np.nan)
        frame[f"{name}-sd"] = v.std(axis=0, ddof=1) if v.shape[0] > 1 else single
    return pd.DataFrame(frame)


def to_csv_text(frame: pd.DataFrame) -> str:
    """The frame as CSV text: times with 15 significant digits, values as exact floats."""
    lines = [",".join(frame.columns)]
    columns = [frame[c].to_numpy(dtype=np.float64) for c in frame.columns]
    for i in range(len(frame)):
        cells = [f"{columns[0][i]:.15g}", *(repr(float(c[i])) for c in columns[1:])]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def write_files(out_dir: str | Path, files: Mapping[str, str]) -> list[Path]:
    """Write text ``files`` (name -> content) into ``out_dir`` atomically.

    Every file is first written in full to a temporary file in ``out_dir`` and then renamed,
    so a failure never leaves a half-written file.  ``out_dir`` is created when missing.

    Raises
    ------
    InputFileError
        When ``out_dir`` cannot be created or written.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as err:
        raise InputFileError(f"{out}: not a directory; --out must name a directory") from err
    except OSError as err:
        raise InputFileError(f"{out}: cannot create the output directory ({err})") from err
    umask = os.umask(0)
    os.umask(umask)
    staged: list[tuple[str, Path]] = []
    try:
        for name, text in files.items():
            fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".tmp")
            staged.append((tmp, out / name))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        for tmp, final in staged:
            os.replace(tmp, final)
    except OSError as err:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise InputFileError(f"{out}: cannot write the results ({err})") from err
    return [final for _, final in staged]


def read_results(path: str | Path) -> pd.DataFrame:
    """Read a results CSV (the suite's ``NNNNN-results.csv`` or cllsim's ``results.csv``).

    Raises
    ------
    InputFileError
        When the file is missing, not CSV, lacks a ``time`` column or holds non-numbers.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InputFileError(f"{path}: not a results CSV file ({err})") from err
    frame.columns = [str(c).strip() for c in frame.columns]
    if "time" not in frame.columns:
        raise InputFileError(f"{path}: no 'time' column; expected columns time,X-mean,...,X-sd")
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            raise InputFileError(f"{path}: column {column!r} holds values that are not numbers")
    return frame.astype(np.float64)


@dataclass(frozen=True, eq=False)
class CheckReport:
    """The suite's rule applied to one case.

    Attributes
    ----------
    n_runs : int
    source : str
        Where the expected values came from (for messages).
    table : DataFrame
        One row per (column, time): ``column``, ``time``, ``statistic`` (``"Z"`` for a mean,
        ``"Y"`` for a standard deviation, ``"exact"`` where sigma = 0), ``value`` (the
        statistic; for ``"exact"`` 0 when equal and inf otherwise) and ``failed``.
    max_failures : int
        Failing points allowed over the whole case.
    mean_range, sd_range : (low, high)
        The allowed Z and Y.
    """

    n_runs: int
    source: str
    table: pd.DataFrame
    max_failures: int
    mean_range: tuple[float, float]
    sd_range: tuple[float, float]

    @property
    def n_failures(self) -> int:
        """Failing points over all columns."""
        return int(self.table["failed"].sum())

    @property
    def passed(self) -> bool:
        """True when at most ``max_failures`` points fail."""
        return self.n_failures <= self.max_failures

    def failures(self) -> dict[str, int]:
        """Failing points per column, in table order."""
        grouped = self.table.groupby("column", sort=False)["failed"].sum()
        return {str(k): int(v) for k, v in grouped.items()}

    def worst(self, column: str) -> float:
        """Largest |statistic| of ``column`` over the points where sigma > 0 (0 if none)."""
        rows = self.table[(self.table["column"] == column) & (self.table["statistic"] != "exact")]
        return float(rows["value"].abs().max()) if len(rows) else 0.0


def check_results(
    simulated: pd.DataFrame,
    expected: pd.DataFrame,
    *,
    n_runs: int,
    columns: Sequence[str] | None = None,
    mean_range: tuple[float, float] = (-3.0, 3.0),
    sd_range: tuple[float, float] = (-5.0, 5.0),
    max_failures: int = 1,
    source: str = "expected results",
) -> CheckReport:
    """Apply the suite's acceptance rule (module docstring) to simulated means and sds.

    Parameters
    ----------
    simulated, expected : DataFrame
        Columns ``time``, ``X-mean``, ``X-sd``; ``expected`` holds mu_t and sigma_t.
    n_runs : int
        Runs behind ``simulated`` (n in the statistics), >= 2.
    columns : sequence of str, optional
        The ``X-mean``/``X-sd`` columns to test; default every such column of ``expected``.
    mean_range, sd_range : (low, high)
        Allowed Z and Y.
    max_failures : int
        Failing points allowed over the case.
    source : str
        Name of the expected results (the file path) for messages.

    Returns
    -------
    CheckReport

    Raises
    ------
    InputFileError
        When the record times differ or a needed column is missing.
    """
    if len(simulated) != len(expected) or not np.allclose(
        simulated["time"], expected["time"], rtol=1e-9, atol=1e-12
    ):
        raise InputFileError(
            f"{source}: record times differ from the simulated ones "
            f"({len(expected)} vs {len(simulated)} times); use the case's own settings file"
        )
    if columns is None:
        columns = [c for c in expected.columns if c.endswith(("-mean", "-sd"))]
    n = float(n_runs)
    pieces = []
    for column in columns:
        variable, _, stat = column.rpartition("-")
        for frame, label, need in (
            (expected, source, (f"{variable}-mean", f"{variable}-sd")),
            (simulated, "simulated results", (column,)),
        ):
            missing = [c for c in need if c not in frame.columns]
            if missing:
                raise InputFileError(f"{label}: no column {missing[0]!r}")
        sigma = expected[f"{variable}-sd"].to_numpy()
        exact = sigma == 0
        safe = np.where(exact, 1.0, sigma)
        sim = simulated[column].to_numpy()
        if stat == "mean":
            mu = expected[column].to_numpy()
            value = np.sqrt(n) * (sim - mu) / safe
            equal = np.isclose(sim, mu, rtol=1e-12, atol=1e-12)
            low, high = mean_range
        else:
            value = np.sqrt(n / 2.0) * (sim**2 / safe**2 - 1.0)
            equal = sim == 0
            low, high = sd_range
        value = np.where(exact, np.where(equal, 0.0, np.inf), value)
        failed = np.where(exact, ~equal, ~((value >= low) & (value <= high)))
        pieces.append(
            pd.DataFrame(
                {
                    "column": column,
                    "time": simulated["time"].to_numpy(),
                    "statistic": np.where(exact, "exact", "Z" if stat == "mean" else "Y"),
                    "value": value,
                    "failed": failed,
                }
            )
        )
    table = (
        pd.concat(pieces, ignore_index=True)
        if pieces
        else pd.DataFrame(columns=["column", "time", "statistic", "value", "failed"])
    )
    return CheckReport(
        n_runs=int(n_runs),
        source=source,
        table=table,
        max_failures=int(max_failures),
        mean_range=(float(mean_range[0]), float(mean_range[1])),
        sd_range=(float(sd_range[0]), float(sd_range[1])),
    )


def describe_check(report: CheckReport) -> list[str]:
    """Lines for people: failing points per variable, the worst statistics, the verdict."""
    (zl, zh), (yl, yh) = report.mean_range, report.sd_range
    lines = [
        f"check against {report.source} (n = {report.n_runs}, Z in [{zl:g}, {zh:g}], "
        f"Y in [{yl:g}, {yh:g}], sigma = 0 must match exactly):"
    ]
    failures = report.failures()
    for column, count in failures.items():
        n_points = int((report.table["column"] == column).sum())
        stat = "Z" if column.endswith("-mean") else "Y"
        lines.append(
            f"  {column}: {count} of {n_points} points fail, max |{stat}| = "
            f"{report.worst(column):.2f}"
        )
    failed = report.table[report.table["failed"]]
    where = ", ".join(f"{r.column} at t={r.time:g}" for r in failed.itertuples())
    verdict = "passes" if report.passed else "FAILS"
    lines.append(
        f"case {verdict}: {report.n_failures} failing point(s), at most "
        f"{report.max_failures} allowed" + (f" ({where})" if where else "")
    )
    return lines
