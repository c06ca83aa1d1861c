"""Calibration targets: published endpoints a trial simulation is fitted to.

A target file (YAML) names the trial and, per arm, the endpoint's published value with its
uncertainty (a 95% CI, or the number of patients of a binomial proportion).  Only the
targets that ``shared/reference/cll.md`` names as calibration targets ship here; every other
published outcome is a prediction to check, never a target.
"""

from __future__ import annotations

import math
import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cllsim.errors import InputFileError
from cllsim.model.scenario import validation_message

__all__ = ["Target", "TargetSet", "builtin_targets", "load_targets"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")
_ENDPOINT = re.compile(r"^(pfs_\d+|umrd_blood_eot3|umrd_marrow_eot3)$")


class Target(BaseModel):
    """One published endpoint of one arm."""

    model_config = _FROZEN

    arm: str = Field(min_length=1)
    endpoint: str = Field(
        description="pfs_<months> (Kaplan-Meier PFS at that month), umrd_blood_eot3 or "
        "umrd_marrow_eot3 (fraction with undetectable MRD 3 months after end of treatment)"
    )
    value: float = Field(ge=0, le=1, description="fraction")
    ci95: tuple[float, float] | None = Field(None, description="published 95% CI")
    n: int | None = Field(None, ge=1, description="patients of a binomial proportion")

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, v: str) -> str:
        if not _ENDPOINT.match(v):
            raise ValueError(
                f"unknown endpoint {v!r}; expected pfs_<months>, umrd_blood_eot3 or "
                "umrd_marrow_eot3"
            )
        return v

    @model_validator(mode="after")
    def _uncertainty(self) -> Target:
        if (self.ci95 is None) == (self.n is None):
            raise ValueError("give exactly one of ci95 (a published interval) or n (patients)")
        if self.ci95 is not None and not self.ci95[0] <= self.value <= self.ci95[1]:
            raise ValueError(f"value {self.value} lies outside its ci95 {list(self.ci95)}")
        return self

    @property
    def key(self) -> str:
        """``arm/endpoint``."""
        return f"{self.arm}/{self.endpoint}"

    @property
    def se(self) -> float:
        """Standard error of the published value: CI width / 3.92, or binomial."""
        if self.ci95 is not None:
            return (self.ci95[1] - self.ci95[0]) / (2 * 1.959964)
        assert self.n is not None
        return math.sqrt(max(self.value * (1 - self.value), 1e-4) / self.n)


class TargetSet(BaseModel):
    """The targets of one calibration."""

    model_config = _FROZEN

    name: str = Field(min_length=1)
    trial: str = Field(min_length=1, description="trial file or built-in trial they belong to")
    source: str = Field(min_length=1, description="paper the values come from")
    targets: tuple[Target, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> TargetSet:
        keys = [t.key for t in self.targets]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise ValueError(f"targets repeat {dup}")
        return self

    @property
    def horizon_months(self) -> float:
        """Latest month a target needs (MRD at end of treatment + 3 months counts as 18)."""
        months = [
            float(t.endpoint.split("_")[1]) if t.endpoint.startswith("pfs_") else 18.0
            for t in self.targets
        ]
        return max(months)


def _package() -> Any:
    return resources.files("cllsim.calibrate").joinpath("targets")


def builtin_targets() -> dict[str, str]:
    """Built-in target sets and their sources."""
    out = {}
    for entry in sorted(_package().iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            out[entry.name.removesuffix(".yaml")] = str(yaml.safe_load(entry.read_text())["source"])
    return out


def load_targets(name_or_path: str | Path) -> TargetSet:
    """Load a target set from a YAML file or by built-in name (``cll14``).

    Raises
    ------
    InputFileError
        Missing file, bad YAML or a bad field; the message names file, field and value.
    """
    path = Path(name_or_path)
    if not path.exists() and str(name_or_path) in builtin_targets():
        text = _package().joinpath(f"{name_or_path}.yaml").read_text()
        source = f"built-in targets {name_or_path!r}"
    else:
        if not path.exists():
            known = ", ".join(builtin_targets())
            raise InputFileError(f"{path}: no such file, and not a built-in target set ({known})")
        text, source = path.read_text(), str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise InputFileError(f"{source}: not valid YAML: {err}".replace("\n", " ")) from err
    if not isinstance(data, dict):
        raise InputFileError(f"{source}: a target file must be a mapping of keys")
    try:
        return TargetSet.model_validate(data)
    except ValidationError as err:
        raise InputFileError(validation_message(source, err)) from err
