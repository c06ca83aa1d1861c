"""Calibration targets: published endpoints a trial simulation is fitted to.

A target file (YAML) names the trial and, per arm, the endpoint's published value with its
uncertainty (a 95% CI, or the number of patients of a binomial proportion).  Only the
targets that ``shared/reference/cll.md`` names as calibration targets ship here; every other
published outcome is a prediction to check, never a target.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cllsim.model.files import builtin_files, load_spec_file

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


_WHERE = {"package": "cllsim.calibrate", "folder": "targets"}
_DOCS = "docs/calibration.md"


def builtin_targets() -> dict[str, str]:
    """Built-in target sets and their sources."""
    return builtin_files(**_WHERE)


def load_targets(name_or_path: str | Path) -> TargetSet:
    """Load a target set from a YAML file or by built-in name (``cll14``).

    Raises
    ------
    InputFileError
        Missing file, bad YAML or a bad field; the message names file, field and value.
    """
    return load_spec_file(name_or_path, TargetSet, kind="target set", docs=_DOCS, **_WHERE)
