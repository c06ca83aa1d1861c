"""Published trial outcomes: the calibration targets a simulation is fitted to, and the
validation outcomes it must predict untouched.

A target file (YAML) names the trial, its role and, per arm, each endpoint's published value
with its uncertainty (a 95% CI, or the number of patients of a binomial proportion).  Only
the targets that ``shared/reference/cll.md`` names as calibration targets ship with the
role ``calibration``; every other published outcome (later follow-up, other trials) ships
with the role ``validation``, which ``cllsim calibrate`` refuses to fit
(:mod:`cllsim.calibrate.validation` compares a trial's summary with them).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from cllsim.model.files import builtin_files, load_spec_file

__all__ = [
    "Z95",
    "Target",
    "TargetSet",
    "binomial_se",
    "builtin_targets",
    "load_targets",
    "se_from_ci95",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")
_FRACTION = re.compile(r"^(pfs_\d+|umrd_blood_eot3|umrd_marrow_eot3)$")
_ENDPOINT = re.compile(
    r"^(pfs_\d+|umrd_blood_eot3|umrd_marrow_eot3|median_pfs_months|hazard_ratio)$"
)
#: Normal quantile of a two-sided 95% interval.
Z95 = 1.959964


def se_from_ci95(lo: float | None, hi: float | None, *, log: bool = False) -> float | None:
    """Standard error behind a 95% interval: its width / (2 x 1.96), of the logs when
    ``log`` (a hazard ratio); None when a bound is missing (or not > 0 on the log scale)."""
    if lo is None or hi is None:
        return None
    if log:
        if lo <= 0 or hi <= 0:
            return None
        lo, hi = math.log(lo), math.log(hi)
    return (hi - lo) / (2 * Z95)


def binomial_se(p: float, n: int) -> float:
    """Standard error of a proportion ``p`` of ``n``, floored at that of one patient in
    ``n`` (so a rate of 0 or 1 keeps an uncertainty)."""
    return math.sqrt(max(p * (1 - p), 1.0 / n) / n)


class Target(BaseModel):
    """One published endpoint of one arm."""

    model_config = _FROZEN

    arm: str = Field(min_length=1)
    endpoint: str = Field(
        description="pfs_<months> (Kaplan-Meier PFS at that month), umrd_blood_eot3 or "
        "umrd_marrow_eot3 (fraction with undetectable MRD 3 months after end of treatment), "
        "median_pfs_months, or hazard_ratio (of PFS, against ``reference``)"
    )
    value: float = Field(ge=0, description="fraction, months (median) or ratio")
    ci95: tuple[float, float] | None = Field(None, description="published 95% CI")
    n: int | None = Field(None, ge=1, description="patients of a binomial proportion")
    reference: str | None = Field(
        None, min_length=1, description="reference arm of a hazard_ratio (Cox, PFS)"
    )
    source: str | None = Field(
        None, min_length=1, description="paper of this value, when not the set's source"
    )
    follow_up_months: float | None = Field(
        None,
        gt=0,
        description="follow-up a run needs before this outcome is compared (a median or a "
        "hazard ratio published over years); checked as the run reporting PFS at that month",
    )

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, v: str) -> str:
        if not _ENDPOINT.match(v):
            raise ValueError(
                f"unknown endpoint {v!r}; expected pfs_<months>, umrd_blood_eot3, "
                "umrd_marrow_eot3, median_pfs_months or hazard_ratio"
            )
        return v

    @field_validator("value")
    @classmethod
    def _value(cls, v: float, info: ValidationInfo) -> float:
        endpoint = info.data.get("endpoint")
        if endpoint is not None and _FRACTION.match(endpoint) and v > 1:
            raise ValueError(f"{endpoint} is a fraction (0 to 1), got {v}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        if self.endpoint == "hazard_ratio":
            if self.reference is None:
                raise ValueError("a hazard_ratio needs its reference arm (reference: ARM)")
            if self.value <= 0 or (self.ci95 is not None and self.ci95[0] <= 0):
                ci = "" if self.ci95 is None else f", ci95 {list(self.ci95)}"
                raise ValueError(
                    f"a hazard ratio and its ci95 must be > 0, got value {self.value}{ci}"
                )
        elif self.reference is not None:
            raise ValueError(
                f"reference names the comparator of a hazard_ratio, not {self.endpoint}"
            )
        if self.ci95 is not None and self.n is not None:
            raise ValueError("give at most one of ci95 (a published interval) or n (patients)")
        if self.n is not None and not self.is_fraction:
            raise ValueError(
                f"n (patients of a binomial proportion) does not apply to {self.endpoint}"
            )
        if self.ci95 is not None and not self.ci95[0] <= self.value <= self.ci95[1]:
            raise ValueError(f"value {self.value} lies outside its ci95 {list(self.ci95)}")
        return self

    @property
    def key(self) -> str:
        """``arm/endpoint``."""
        return f"{self.arm}/{self.endpoint}"

    @property
    def is_fraction(self) -> bool:
        """PFS at a month or a uMRD rate."""
        return bool(_FRACTION.match(self.endpoint))

    @property
    def log_scale(self) -> bool:
        """Compared on the log scale (a hazard ratio, whose CI is symmetric there)."""
        return self.endpoint == "hazard_ratio"

    @property
    def se(self) -> float | None:
        """Standard error of the published value: CI width / 3.92 (of the logs for a hazard
        ratio), or binomial; None when the paper gives neither."""
        if self.ci95 is not None:
            return se_from_ci95(*self.ci95, log=self.log_scale)
        if self.n is not None:
            return binomial_se(self.value, self.n)
        return None

    def residual(self, simulated: float | None, simulated_se: float | None) -> float | None:
        """How far a simulated value lies from the published one, in standard errors of the
        difference: ``(simulated - value) / sqrt(se**2 + simulated_se**2)``, of the logs for
        a hazard ratio.  None when an SE or the estimate is missing (or a hazard ratio is not
        > 0): the outcome cannot be tested."""
        if self.se is None or simulated_se is None or simulated is None:
            return None
        if self.log_scale:
            if simulated <= 0:
                return None
            diff = math.log(simulated) - math.log(self.value)
        else:
            diff = simulated - self.value
        return diff / math.sqrt(self.se**2 + simulated_se**2)


class TargetSet(BaseModel):
    """The targets of one calibration."""

    model_config = _FROZEN

    name: str = Field(min_length=1)
    trial: str = Field(min_length=1, description="trial file or built-in trial they belong to")
    source: str = Field(min_length=1, description="paper the values come from")
    role: Literal["calibration", "validation"] = Field(
        "calibration",
        description="calibration: targets to fit (shared/reference/cll.md names them); "
        "validation: published outcomes the model must predict, never fitted",
    )
    description: str | None = Field(None, description="what the set holds (`cllsim list`)")
    targets: tuple[Target, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> TargetSet:
        keys = [t.key for t in self.targets]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise ValueError(f"targets repeat {dup}")
        if self.role == "calibration":
            for t in self.targets:
                if not t.is_fraction:
                    raise ValueError(
                        f"{t.key}: a calibration target is PFS at a month or a uMRD rate; "
                        f"{t.endpoint} can only be a validation outcome (role: validation)"
                    )
                if t.se is None:
                    raise ValueError(
                        f"{t.key}: a calibration target needs its uncertainty: give ci95 "
                        "(a published interval) or n (patients)"
                    )
        return self

    @property
    def horizon_months(self) -> float:
        """Latest month a target needs (MRD at end of treatment + 3 months counts as 18)."""
        months = [
            float(t.endpoint.split("_")[1]) if t.endpoint.startswith("pfs_") else 18.0
            for t in self.targets
            if t.is_fraction
        ]
        return max(months, default=18.0)


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
