"""The SBML Test Suite's ``NNNNN-settings.txt``: what to simulate and what to report.

A settings file holds one ``key: value`` per line::

    start: 0
    duration: 50
    steps: 50
    variables: X, Sink
    absolute:
    relative:
    amount: X, Sink
    concentration:
    output: X-mean, X-sd, Sink-mean, Sink-sd
    meanRange: (-3, 3)
    sdRange: (-5, 5)

Record times are ``start + duration * k / steps`` for ``k = 0 .. steps``.  ``variables`` are
reported as amounts unless listed under ``concentration``.  ``absolute`` and ``relative``
(tolerances of the deterministic suite) are read and not used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from cllsim.errors import InputFileError

__all__ = ["SuiteSettings", "parse_settings"]

_KEYS = (
    "start",
    "duration",
    "steps",
    "variables",
    "absolute",
    "relative",
    "amount",
    "concentration",
    "output",
    "meanRange",
    "sdRange",
)
_REQUIRED = ("start", "duration", "steps", "variables")


@dataclass(frozen=True)
class SuiteSettings:
    """A parsed settings file.

    Attributes
    ----------
    path : Path
    start_days, duration_days : float
        First record time (>= 0) and the span of the records (> 0), in model time units
        (read as days).
    steps : int
        Record intervals (>= 1); ``steps + 1`` record times.
    variables : tuple of str
        Symbols to report, in order.
    concentration : tuple of str
        The variables reported as concentrations (amount / compartment size); the rest are
        reported as amounts.
    output : tuple of str
        The columns the suite tests (``X-mean``, ``X-sd``).
    mean_range, sd_range : tuple of float
        The suite's acceptance ranges for the Z (mean) and Y (variance) statistics.
    """

    path: Path
    start_days: float
    duration_days: float
    steps: int
    variables: tuple[str, ...]
    concentration: tuple[str, ...] = ()
    output: tuple[str, ...] = ()
    mean_range: tuple[float, float] = (-3.0, 3.0)
    sd_range: tuple[float, float] = (-5.0, 5.0)

    @property
    def times_days(self) -> NDArray[np.float64]:
        """float64[steps + 1]: the record times ``start + duration * k / steps``."""
        k = np.arange(self.steps + 1, dtype=np.float64)
        return self.start_days + self.duration_days * k / self.steps

    @property
    def columns(self) -> tuple[str, ...]:
        """Result columns in the suite's order: ``time``, every ``X-mean``, every ``X-sd``."""
        return (
            "time",
            *(f"{v}-mean" for v in self.variables),
            *(f"{v}-sd" for v in self.variables),
        )


def parse_settings(path: str | Path) -> SuiteSettings:
    """Read a suite settings file.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    SuiteSettings

    Raises
    ------
    InputFileError
        One line starting with ``path`` (and the line number where there is one) naming the
        key, the bad value and what is allowed.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise InputFileError(f"{path}: no such file") from err
    except (OSError, UnicodeDecodeError) as err:
        raise InputFileError(f"{path}: cannot read the settings file ({err})") from err

    raw: dict[str, tuple[int, str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        where = f"{path}: line {number}"
        if not sep:
            raise InputFileError(f"{where}: expected 'key: value', got {line.strip()!r}")
        if key not in _KEYS:
            raise InputFileError(
                f"{where}: unknown key {key!r}; expected one of {', '.join(_KEYS)}"
            )
        if key in raw:
            raise InputFileError(
                f"{where}: key {key!r} appears twice (first on line {raw[key][0]})"
            )
        raw[key] = (number, value.strip())
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise InputFileError(f"{path}: missing key(s) {', '.join(missing)}")

    def where(key: str) -> str:
        return f"{path}: line {raw[key][0]}: {key}"

    start = _number(where("start"), raw["start"][1])
    duration = _number(where("duration"), raw["duration"][1])
    steps_f = _number(where("steps"), raw["steps"][1])
    if start < 0:
        raise InputFileError(f"{where('start')} must be >= 0, got {start!r}")
    if duration <= 0:
        raise InputFileError(f"{where('duration')} must be > 0, got {duration!r}")
    if steps_f < 1 or steps_f != round(steps_f):
        raise InputFileError(f"{where('steps')} must be a whole number >= 1, got {steps_f!r}")

    variables = _names(where("variables"), raw["variables"][1])
    if not variables:
        raise InputFileError(f"{where('variables')}: name at least one variable to report")
    lists = {}
    for key in ("amount", "concentration"):
        lists[key] = _names(where(key), raw[key][1]) if key in raw else ()
        for name in lists[key]:
            if name not in variables:
                raise InputFileError(
                    f"{where(key)}: {name!r} is not one of the variables ({', '.join(variables)})"
                )
    both = set(lists["amount"]) & set(lists["concentration"])
    if both:
        raise InputFileError(
            f"{path}: {', '.join(sorted(both))} listed under both amount and concentration"
        )
    output = _names(where("output"), raw["output"][1]) if "output" in raw else ()
    allowed = {f"{v}-{s}" for v in variables for s in ("mean", "sd")}
    for column in output:
        if column not in allowed:
            raise InputFileError(
                f"{where('output')}: {column!r} is not a column of the variables; expected "
                "'X-mean' or 'X-sd' for a listed variable X"
            )
    ranges = {
        key: _range(where(key), raw[key][1]) if key in raw else default
        for key, default in (("meanRange", (-3.0, 3.0)), ("sdRange", (-5.0, 5.0)))
    }
    return SuiteSettings(
        path=path,
        start_days=start,
        duration_days=duration,
        steps=round(steps_f),
        variables=variables,
        concentration=lists["concentration"],
        output=output,
        mean_range=ranges["meanRange"],
        sd_range=ranges["sdRange"],
    )


def _number(where: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError as err:
        raise InputFileError(f"{where}: expected a number, got {text!r}") from err
    if not np.isfinite(value):
        raise InputFileError(f"{where}: expected a finite number, got {text!r}")
    return value


def _names(where: str, text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",")) if text.strip() else ()
    if any(not n for n in names):
        raise InputFileError(f"{where}: empty name in {text!r}; separate names with ', '")
    seen = [n for i, n in enumerate(names) if n in names[:i]]
    if seen:
        raise InputFileError(f"{where}: {seen[0]!r} is listed twice")
    return names


def _range(where: str, text: str) -> tuple[float, float]:
    inner = text.strip()
    if not (inner.startswith("(") and inner.endswith(")")):
        raise InputFileError(f"{where}: expected '(low, high)', got {text!r}")
    parts = inner[1:-1].split(",")
    if len(parts) != 2:
        raise InputFileError(f"{where}: expected '(low, high)', got {text!r}")
    low, high = (_number(where, p.strip()) for p in parts)
    if not low < high:
        raise InputFileError(f"{where}: low must be < high, got {text!r}")
    return low, high
