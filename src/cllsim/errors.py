"""Exceptions raised by cllsim.

Every message names the object, the field, the bad value and what is allowed, so that a
user can fix the input without reading the code.
"""

from __future__ import annotations

__all__ = ["AlgorithmError", "ConvergenceError", "InputFileError", "SpecError"]


class SpecError(ValueError):
    """A specification (network, scenario, regimen ...) holds an invalid value."""


class AlgorithmError(ValueError):
    """An algorithm cannot simulate the given problem (names the missing capability)."""


class ConvergenceError(RuntimeError):
    """A numerical procedure did not converge."""


class InputFileError(SpecError):
    """A file given by the user cannot be read or is not of the supported kind.

    The message starts with the file path so the user knows where to look.
    """
