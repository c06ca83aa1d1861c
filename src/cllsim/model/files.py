"""Spec files: YAML read from a path or a built-in name, validated into a pydantic model.

One loader for every kind of file (scenarios, trials, calibration targets, patients): an
unknown key is an error, never a warning, and every error is one line naming the file, the
field path, the bad value and what is allowed.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from cllsim.errors import InputFileError

__all__ = ["builtin_files", "load_spec_file", "validate_spec", "validation_message"]

M = TypeVar("M", bound=BaseModel)


def validation_message(source: str, err: ValidationError, *, docs: str = "the docs") -> str:
    """One line: ``source: field.path: what is wrong, got value; ...``."""
    parts = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"]) or "(top level)"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = f"unknown key (check the spelling; see {docs})"
        elif e["type"] == "literal_error":
            msg = msg.replace("Input should be", "expected")
        elif e["type"] == "union_tag_invalid":
            msg = msg.replace("Input tag", "dist").replace(
                "found using 'dist' does not match any of the expected tags:", "is not one of"
            )
        bad = e.get("input")
        shown = (
            "" if isinstance(bad, dict) or e["type"] == "union_tag_invalid" else f", got {bad!r}"
        )
        parts.append(f"{loc}: {msg}{shown}")
    return f"{source}: " + "; ".join(parts)


def builtin_files(package: str, folder: str) -> dict[str, str]:
    """Built-in files of ``package``/``folder``: name -> first line of their description."""
    out = {}
    root = resources.files(package).joinpath(folder)
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            data = yaml.safe_load(entry.read_text()) or {}
            text = str(data.get("description", "") or data.get("source", "")).strip()
            out[entry.name.removesuffix(".yaml")] = " ".join(text.split()) or entry.name
    return out


def validate_spec(model: type[M], data: Any, *, source: str, kind: str, docs: str) -> M:
    """Validate a mapping into ``model``; errors name ``source`` and the field."""
    if not isinstance(data, dict):
        raise InputFileError(
            f"{source}: a {kind} must be a mapping of keys, got {type(data).__name__}"
        )
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise InputFileError(validation_message(source, err, docs=docs)) from err
    except ValueError as err:  # raised outside a validator, e.g. an unknown built-in name
        raise InputFileError(f"{source}: {err}") from err


def load_spec_file(
    name_or_path: str | Path,
    model: type[M],
    *,
    kind: str,
    docs: str,
    package: str | None = None,
    folder: str | None = None,
) -> M:
    """Load ``model`` from a YAML file, or by the name of a built-in file of
    ``package``/``folder`` (when given).

    Raises
    ------
    InputFileError
        The file is missing or unreadable, is not YAML, or a field is invalid; the message
        names the file, the field, the value and what is allowed.
    """
    path = Path(name_or_path)
    builtins = builtin_files(package, folder) if package and folder else {}
    if not path.exists() and str(name_or_path) in builtins:
        assert package and folder
        ref = resources.files(package).joinpath(folder).joinpath(f"{name_or_path}.yaml")
        text, source = ref.read_text(), f"built-in {kind} {name_or_path!r}"
    else:
        if not path.exists():
            if not builtins:
                raise InputFileError(f"{path}: no such file")
            known = ", ".join(builtins)
            raise InputFileError(f"{path}: no such file, and not a built-in {kind} ({known})")
        try:
            text, source = path.read_text(), str(path)
        except OSError as err:
            raise InputFileError(f"{path}: cannot read: {err.strerror}") from err
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise InputFileError(f"{source}: not valid YAML: {err}".replace("\n", " ")) from err
    return validate_spec(model, data, source=source, kind=kind, docs=docs)
