"""Trial files: population, arms, assessment schedule, follow-up, endpoints, randomisation.

A trial file (YAML) is loaded by :func:`load_trial` into a frozen :class:`TrialSpec`; an
unknown key is an error, and every error names the file, the field, the bad value and what is
allowed, in one line (as :func:`cllsim.model.load_scenario` does).  ``docs/trials.md``
documents the format with a worked example.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cllsim.model import AssaySpec, Scenario, TreatmentSpec
from cllsim.model.files import builtin_files, load_spec_file, validate_spec
from cllsim.trials.endpoints import DAYS_PER_MONTH, PFS_MONTHS
from cllsim.trials.population import PopulationSpec, builtin_population

__all__ = [
    "ArmSpec",
    "AssessmentBlock",
    "AssessmentSpec",
    "EndpointSpec",
    "FollowUpSpec",
    "MrdEndpointSpec",
    "RandomisationSpec",
    "TrialSpec",
    "builtin_trials",
    "load_trial",
    "trial_from_dict",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")
_DAYS_PER_YEAR = 365.25
#: Planned treatment length of fixed-duration regimens (days from C1D1): CLL14 gives 12
#: cycles of 28 days (Fischer 2019).  Continuous regimens have no planned end.
PLANNED_DURATION_DAYS = {"cll14-ven-obi": 12 * 28.0, "cll14-clb-obi": 12 * 28.0}
#: Scenario sections a trial sets itself (the rest may be given in ``scenario:``).
_TRIAL_OWNED = ("name", "horizon_days", "treatment", "visits", "assay")

Regimen = TreatmentSpec.model_fields["regimen"].annotation
MrdAssayName = AssaySpec.model_fields["mrd"].annotation
VafAssayName = AssaySpec.model_fields["vaf"].annotation


class ArmSpec(BaseModel):
    """One arm: a regimen of :class:`cllsim.model.TreatmentSpec` and when it starts."""

    model_config = _FROZEN

    regimen: Regimen = Field(description="the arm's regimen")  # type: ignore[valid-type]
    description: str = ""
    start_day: float = Field(0.0, ge=0, description="day of C1D1 / first dose, days")
    stop_day: float | None = Field(
        None, gt=0, description="continuous regimens stop before this day (default: never)"
    )
    end_of_treatment_day: float | None = Field(
        None,
        gt=0,
        description="planned end of treatment, days (default: start + 336 for the CLL14 "
        "regimens, stop_day for a stopped continuous one, else none)",
    )

    def planned_end_day(self) -> float | None:
        """The planned end of treatment (days), or None for open-ended treatment."""
        if self.end_of_treatment_day is not None:
            return self.end_of_treatment_day
        if self.regimen in PLANNED_DURATION_DAYS:
            return self.start_day + PLANNED_DURATION_DAYS[self.regimen]
        return self.stop_day


class AssessmentBlock(BaseModel):
    """Visits every ``every_days`` from the end of the previous block up to ``until_day``."""

    model_config = _FROZEN

    every_days: float = Field(gt=0, description="days between assessments")
    until_day: float | None = Field(
        None, gt=0, description="last day of this block, days (None: the end of follow-up)"
    )


class AssessmentSpec(BaseModel):
    """The assessment (visit) schedule: explicit ``days`` or a ``schedule`` of blocks."""

    model_config = _FROZEN

    days: tuple[float, ...] | None = Field(None, description="explicit assessment days")
    schedule: tuple[AssessmentBlock, ...] | None = Field(None, description="blocks, in order")

    @model_validator(mode="after")
    def _one(self) -> AssessmentSpec:
        if (self.days is None) == (self.schedule is None):
            raise ValueError("give exactly one of 'days' (explicit) and 'schedule' (blocks)")
        if self.days is not None:
            if not self.days or self.days[0] <= 0 or np.any(np.diff(self.days) <= 0):
                raise ValueError(f"days must be > 0 and increasing, got {list(self.days)}")
        if self.schedule is not None:
            if not self.schedule:
                raise ValueError("schedule must hold at least one block")
            ends = [b.until_day for b in self.schedule]
            if any(e is None for e in ends[:-1]):
                raise ValueError("only the last block may omit until_day")
            fixed = [e for e in ends if e is not None]
            if np.any(np.diff(fixed) <= 0):
                raise ValueError(f"blocks' until_day must increase, got {fixed}")
        return self

    def days_until(self, horizon_days: float) -> NDArray[np.float64]:
        """Assessment days in ``(0, horizon]``."""
        if self.days is not None:
            d = np.asarray(self.days, dtype=np.float64)
            return d[d <= horizon_days]
        out: list[float] = []
        start = 0.0
        for block in self.schedule or ():
            end = horizon_days if block.until_day is None else min(block.until_day, horizon_days)
            n = int(np.floor((end - start) / block.every_days + 1e-9))
            out += [start + k * block.every_days for k in range(1, n + 1)]
            start = block.until_day if block.until_day is not None else horizon_days
            if start >= horizon_days:
                break
        return np.asarray(out, dtype=np.float64)


class FollowUpSpec(BaseModel):
    """How long patients are followed from day 0 (C1D1)."""

    model_config = _FROZEN

    years: float = Field(6.0, gt=0, le=100, description="follow-up, years (365.25 days)")

    @property
    def days(self) -> float:
        """Follow-up in days."""
        return self.years * _DAYS_PER_YEAR


class MrdEndpointSpec(BaseModel):
    """Undetectable MRD in blood and marrow, measured once per patient."""

    model_config = _FROZEN

    assay: MrdAssayName = Field("aso-pcr", description="MRD assay")  # type: ignore[valid-type]
    after_end_of_treatment_days: float = Field(
        3 * DAYS_PER_MONTH, gt=0, description="days after the planned end of treatment"
    )
    day: float | None = Field(
        None,
        gt=0,
        description="fixed day of the MRD assessment for arms without a planned end of "
        "treatment (continuous therapy); None: not assessed in such arms",
    )


class EndpointSpec(BaseModel):
    """What is reported."""

    model_config = _FROZEN

    pfs_months: tuple[int, ...] = Field(PFS_MONTHS, description="months of the PFS landmarks")
    mrd: MrdEndpointSpec = Field(default_factory=MrdEndpointSpec)
    vaf_assay: VafAssayName = Field(  # type: ignore[valid-type]
        "ngs", description="assay of the resistance-mutation VAF (detection limit)"
    )

    @field_validator("pfs_months")
    @classmethod
    def _months(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if not v or any(m <= 0 for m in v) or np.any(np.diff(v) <= 0):
            raise ValueError(f"pfs_months must be > 0 and increasing, got {list(v)}")
        return v


class RandomisationSpec(BaseModel):
    """Arm assignment: each patient's arm is drawn from its own random stream."""

    model_config = _FROZEN

    method: Literal["simple"] = Field(
        "simple", description="simple randomisation (independent draws with the ratio)"
    )
    ratio: dict[str, float] | None = Field(
        None, description="{arm: weight}; None: equal weights (1:1)"
    )

    @field_validator("ratio")
    @classmethod
    def _positive(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is not None and any(not w > 0 for w in v.values()):
            raise ValueError(f"ratio weights must be > 0, got {v}")
        return v


class TrialSpec(BaseModel):
    """A virtual trial."""

    model_config = _FROZEN

    name: str = Field(min_length=1)
    description: str = ""
    population: PopulationSpec = Field(
        description="a built-in population name, or a mapping (optionally 'extends: NAME' "
        "with parameters added or replaced)"
    )
    arms: dict[str, ArmSpec] = Field(min_length=1)
    reference_arm: str | None = Field(None, description="the arm others are compared with")
    randomisation: RandomisationSpec = Field(default_factory=RandomisationSpec)
    assessments: AssessmentSpec
    follow_up: FollowUpSpec = Field(default_factory=FollowUpSpec)
    endpoints: EndpointSpec = Field(default_factory=EndpointSpec)
    scenario: dict[str, Any] = Field(
        default_factory=dict,
        description="scenario sections common to every arm (patient, genotypes, persisters, "
        "history); treatment, visits, assay and horizon are set by the trial",
    )

    @field_validator("population", mode="before")
    @classmethod
    def _population(cls, v: Any) -> Any:
        if isinstance(v, str):
            return builtin_population(v)
        if isinstance(v, dict) and "extends" in v:
            base = builtin_population(str(v["extends"]))
            rest = {k: x for k, x in v.items() if k != "extends"}
            params = {k: p.model_dump(exclude_none=True) for k, p in base.parameters.items()}
            params.update(rest.pop("parameters", {}) or {})
            return {**base.model_dump(exclude={"parameters"}), **rest, "parameters": params}
        return v

    @model_validator(mode="after")
    def _consistent(self) -> TrialSpec:
        arms = list(self.arms)
        if self.reference_arm is not None and self.reference_arm not in arms:
            raise ValueError(
                f"reference_arm {self.reference_arm!r} is not an arm; expected one of {arms}"
            )
        if self.reference_arm is None and len(arms) > 1:
            raise ValueError(f"a trial with {len(arms)} arms needs a reference_arm, one of {arms}")
        ratio = self.randomisation.ratio
        if ratio is not None and set(ratio) != set(arms):
            raise ValueError(
                f"randomisation.ratio must name every arm exactly ({arms}), got {sorted(ratio)}"
            )
        owned = sorted(set(self.scenario) & set(_TRIAL_OWNED))
        if owned:
            raise ValueError(
                f"scenario.{owned[0]} is set by the trial (arms, assessments, follow_up, "
                "endpoints); remove it"
            )
        for arm in arms:
            self.base_scenario(arm)  # every arm must make a valid scenario
        return self

    @property
    def follow_up_days(self) -> float:
        """Follow-up, days."""
        return self.follow_up.days

    def arm_probabilities(self) -> dict[str, float]:
        """Probability of each arm (declaration order)."""
        w = self.randomisation.ratio or {a: 1.0 for a in self.arms}
        total = sum(w[a] for a in self.arms)
        return {a: w[a] / total for a in self.arms}

    def end_of_treatment_day(self, arm: str) -> float | None:
        """Planned end of treatment of ``arm`` (days) or None."""
        return self.arms[arm].planned_end_day()

    def mrd_day(self, arm: str) -> float | None:
        """Day of the MRD assessment in ``arm``, or None (not assessed)."""
        eot = self.end_of_treatment_day(arm)
        if eot is None:
            return self.endpoints.mrd.day
        return eot + self.endpoints.mrd.after_end_of_treatment_days

    def visit_days(self, arm: str) -> tuple[float, ...]:
        """Assessment days of ``arm`` within follow-up, with the MRD day."""
        days = self.assessments.days_until(self.follow_up_days)
        mrd = self.mrd_day(arm)
        if mrd is not None and mrd <= self.follow_up_days:
            days = np.append(days, mrd)
        days = np.unique(np.round(days, 9))
        return tuple(float(d) for d in days if d > 0)

    def base_scenario(self, arm: str) -> Scenario:
        """The scenario of ``arm`` before the patient's own parameters are applied."""
        a = self.arms[arm]
        treatment: dict[str, Any] = {"regimen": a.regimen, "start_day": a.start_day}
        if a.stop_day is not None:
            treatment["stop_day"] = a.stop_day
        return Scenario.model_validate(
            {
                **self.scenario,
                "name": f"{self.name}:{arm}",
                "description": a.description,
                "horizon_days": self.follow_up_days,
                "treatment": treatment,
                "visits": {"days": self.visit_days(arm)},
                "assay": {"mrd": self.endpoints.mrd.assay, "vaf": self.endpoints.vaf_assay},
            }
        )


_WHERE = {"package": "cllsim.trials", "folder": "builtin"}
_DOCS = "docs/trials.md"


def builtin_trials() -> dict[str, str]:
    """Built-in trial names and their one-line descriptions."""
    return builtin_files(**_WHERE)


def trial_from_dict(data: Any, *, source: str = "<trial>") -> TrialSpec:
    """Validate a mapping into a :class:`TrialSpec`; errors name ``source`` and the field."""
    return validate_spec(TrialSpec, data, source=source, kind="trial", docs=_DOCS)


def load_trial(name_or_path: str | Path) -> TrialSpec:
    """Load a trial from a YAML file or by built-in name (``cllsim list`` shows them).

    Raises
    ------
    InputFileError
        The file is missing or unreadable, is not YAML, or a field is invalid; the message
        names the file, the field, the value and what is allowed.
    """
    return load_spec_file(name_or_path, TrialSpec, kind="trial", docs=_DOCS, **_WHERE)
