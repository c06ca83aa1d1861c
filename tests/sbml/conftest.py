"""Fixtures for the SBML tests: the suite's cases and small hand-written models."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sbml_helpers import SETTINGS_TEXT, SUITE, sbml_text


@pytest.fixture
def suite() -> Path:
    """The suite folder; skips the test when the folder is not beside the repository."""
    if not SUITE.is_dir():
        pytest.skip(
            f"SBML stochastic suite not found at {SUITE.resolve()} (../shared/sbml-stochastic)"
        )
    return SUITE


@pytest.fixture
def write_model(tmp_path: Path) -> Callable[..., Path]:
    """Write :func:`sbml_helpers.sbml_text` (same arguments) to a file; return its path."""

    def write(reactions: str, name: str = "model.xml", **parts: str) -> Path:
        path = tmp_path / name
        path.write_text(sbml_text(reactions, **parts), encoding="utf-8")
        return path

    return write


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    """A settings file reporting X at t = 0, 1, ..., 10."""
    path = tmp_path / "settings.txt"
    path.write_text(SETTINGS_TEXT, encoding="utf-8")
    return path
