"""Scenario files: one loader from YAML (or a built-in name) into :class:`Scenario`.

An unknown key is an error, never a warning.  Every error names the file, the field path,
the bad value and what is allowed, in one line (see :mod:`cllsim.model.files`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cllsim.model.files import builtin_files, load_spec_file, validate_spec
from cllsim.model.specs import Scenario

__all__ = ["builtin_scenarios", "load_scenario", "scenario_from_dict"]

_WHERE = {"package": "cllsim.model", "folder": "scenarios"}
_DOCS = "docs/scenarios.md"


def builtin_scenarios() -> dict[str, str]:
    """Built-in scenario names and their one-line descriptions."""
    return builtin_files(**_WHERE)


def scenario_from_dict(data: Any, *, source: str = "<scenario>") -> Scenario:
    """Validate a mapping into a :class:`Scenario`; errors name ``source`` and the field."""
    return validate_spec(Scenario, data, source=source, kind="scenario", docs=_DOCS)


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a scenario from a YAML file or by built-in name (``cllsim list`` shows them).

    Raises
    ------
    InputFileError
        The file is missing or unreadable, is not YAML, or a field is invalid; the message
        names the file, the field, the value and what is allowed.
    """
    return load_spec_file(name_or_path, Scenario, kind="scenario", docs=_DOCS, **_WHERE)
