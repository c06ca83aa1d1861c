"""Scenario files: one loader from YAML (or a built-in name) into :class:`Scenario`.

An unknown key is an error, never a warning.  Every error names the file, the field path,
the bad value and what is allowed, in one line.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cllsim.errors import InputFileError
from cllsim.model.specs import Scenario

__all__ = ["builtin_scenarios", "load_scenario", "scenario_from_dict", "validation_message"]

_BUILTIN = "scenarios"


def builtin_scenarios() -> dict[str, str]:
    """Built-in scenario names and their one-line descriptions."""
    out = {}
    for entry in sorted(
        resources.files("cllsim.model").joinpath(_BUILTIN).iterdir(), key=lambda p: p.name
    ):
        if entry.name.endswith(".yaml"):
            data = yaml.safe_load(entry.read_text())
            out[entry.name.removesuffix(".yaml")] = (
                str(data.get("description", "")).strip().splitlines()[0]
            )
    return out


def validation_message(source: str, err: ValidationError) -> str:
    """One line: ``source: field.path: what is wrong, got value; ...``."""
    parts = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"]) or "(top level)"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see the documented scenario format)"
        elif e["type"] == "literal_error":
            msg = msg.replace("Input should be", "expected")
        bad = e.get("input")
        shown = "" if isinstance(bad, dict) else f", got {bad!r}"
        parts.append(f"{loc}: {msg}{shown}")
    return f"{source}: " + "; ".join(parts)


def scenario_from_dict(data: Any, *, source: str = "<scenario>") -> Scenario:
    """Validate a mapping into a :class:`Scenario`; errors name ``source`` and the field."""
    if not isinstance(data, dict):
        raise InputFileError(
            f"{source}: a scenario must be a mapping of keys, got {type(data).__name__}"
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise InputFileError(validation_message(source, err)) from err


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a scenario from a YAML file or by built-in name (``cllsim list`` shows them).

    Raises
    ------
    InputFileError
        The file is missing or unreadable, is not YAML, or a field is invalid; the message
        names the file, the field, the value and what is allowed.
    """
    path = Path(name_or_path)
    if not path.exists() and str(name_or_path) in builtin_scenarios():
        ref = resources.files("cllsim.model").joinpath(_BUILTIN).joinpath(f"{name_or_path}.yaml")
        text, source = ref.read_text(), f"built-in scenario {name_or_path!r}"
    else:
        if not path.exists():
            known = ", ".join(builtin_scenarios())
            raise InputFileError(f"{path}: no such file, and not a built-in scenario ({known})")
        try:
            text, source = path.read_text(), str(path)
        except OSError as err:
            raise InputFileError(f"{path}: cannot read: {err.strerror}") from err
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise InputFileError(f"{source}: not valid YAML: {err}".replace("\n", " ")) from err
    return scenario_from_dict(data, source=source)
