"""Patient files (YAML): one real patient's traits, treatment history and visits.

A patient file is what a clinic knows: traits at diagnosis (age, IGHV, TP53, serum
beta2-microglobulin, stage), the regimens given with their dates, and visits with whatever
was measured (ALC, lymph-node volume, MRD with its assay, allele fractions of named
mutations).  ``cllsim forecast`` and ``cllsim navigate`` read it through
:func:`load_patient`; the format is documented in ``docs/navigate.md``.

Dates are calendar dates (``2024-03-01``); model day 0 is the first visit.  An unknown key
is an error, and every error names the file, the field, the bad value and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cllsim.model.files import builtin_files, load_spec_file, validate_spec

__all__ = [
    "REGIMENS",
    "MrdAssayName",
    "PatientFile",
    "ProposedSpec",
    "TraitsSpec",
    "TreatmentCourse",
    "VisitRecord",
    "builtin_patients",
    "load_patient",
    "patient_from_dict",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")
_BUILTIN = "patients"

#: Regimens a treatment course may name (dose builders in :mod:`cllsim.navigate.regimens`).
REGIMENS = (
    "ibrutinib",
    "venetoclax",
    "ven-obi",
    "ibrutinib-venetoclax",
    "clb-obi",
)
RegimenName = Literal["ibrutinib", "venetoclax", "ven-obi", "ibrutinib-venetoclax", "clb-obi"]
MrdAssayName = Literal["aso-pcr", "flow-4colour", "eric-flow", "ddpcr", "clonoseq"]
Undetectable = Literal["undetectable"]
Mutation = Literal["BTK_C481S", "PLCG2", "BCL2_G101V", "TP53"]
Stage = Literal[
    "binet-a", "binet-b", "binet-c", "rai-0", "rai-1", "rai-2", "rai-3", "rai-4"
]  # fmt: skip


class TraitsSpec(BaseModel):
    """What is known of the patient at diagnosis."""

    model_config = _FROZEN

    age_years: float = Field(ge=18, le=110, description="age at the first visit, years")
    ighv: Literal["mutated", "unmutated"] = Field(description="IGHV status")
    tp53: Literal["normal", "aberrant"] = Field(
        "normal", description="del(17p) and/or TP53 mutation"
    )
    b2m_mg_per_l: float | None = Field(
        None, gt=0, le=100, description="serum beta2-microglobulin, mg/L (CLL-IPI)"
    )
    stage: Stage | None = Field(None, description="Binet or Rai stage (CLL-IPI)")
    body_weight_kg: float | None = Field(None, gt=20, le=300, description="kg")


class TreatmentCourse(BaseModel):
    """One regimen given from ``start`` until ``stop`` (exclusive; None: still on it)."""

    model_config = _FROZEN

    regimen: RegimenName = Field(description="one of " + ", ".join(REGIMENS))
    start: dt.date = Field(description="first day of the regimen (C1D1)")
    stop: dt.date | None = Field(
        None, description="first day off the regimen; None while still on it (fixed-duration "
        "regimens stop on their own)",
    )  # fmt: skip

    @model_validator(mode="after")
    def _order(self) -> TreatmentCourse:
        if self.stop is not None and self.stop <= self.start:
            raise ValueError(f"stop ({self.stop}) must be after start ({self.start})")
        return self


class VisitRecord(BaseModel):
    """One visit: the date and whatever was measured (every measurement is optional)."""

    model_config = _FROZEN

    date: dt.date
    alc_1e9_per_l: float | None = Field(
        None, gt=0, le=2000, description="absolute lymphocyte count, 10^9/L"
    )
    # The bound only catches typing errors: iwCLL's massive lymphadenopathy (a largest node of
    # 10 cm, a tenth of the nodal disease: cllsim.clinic.iwcll) is already 5,236 mL of it,
    # and an untreated patient may pass that (the bound was 5,000 mL until 2026-11-24).
    ln_volume_ml: float | None = Field(
        None, ge=0, le=20000, description="total measured lymph-node volume, mL (a sphere of "
        "diameter d cm is pi/6 d^3 mL)",
    )  # fmt: skip
    mrd_blood: float | Undetectable | None = Field(
        None, description="CLL cells per leukocyte in blood, or 'undetectable'"
    )
    mrd_marrow: float | Undetectable | None = Field(
        None, description="CLL cells per nucleated marrow cell, or 'undetectable'"
    )
    mrd_assay: MrdAssayName = Field("aso-pcr", description="MRD assay (sets the detection limit)")
    vaf: dict[Mutation, float | Undetectable] = Field(
        default_factory=dict, description="allele fraction of named mutations in blood"
    )
    vaf_assay: Literal["ngs", "ddpcr"] = Field("ngs", description="mutation assay")

    @field_validator("mrd_blood", "mrd_marrow")
    @classmethod
    def _fraction(cls, v: Any) -> Any:
        if isinstance(v, float) and not (0 < v < 1):
            raise ValueError(f"must be a fraction in (0, 1) or 'undetectable', got {v}")
        return v

    @field_validator("vaf")
    @classmethod
    def _vafs(cls, v: dict[str, Any]) -> dict[str, Any]:
        for g, f in v.items():
            if isinstance(f, float) and not (0 < f <= 1):
                raise ValueError(f"vaf[{g!r}] must lie in (0, 1] or be 'undetectable', got {f}")
        return v


class ProposedSpec(BaseModel):
    """The regimen proposed from the forecast date on (what ``forecast`` predicts under)."""

    model_config = _FROZEN

    regimen: RegimenName | Literal["none"] = Field(
        description="one of " + ", ".join(REGIMENS) + ", or none (watch and wait)"
    )
    start: dt.date | None = Field(None, description="C1D1; default: the last visit")


class PatientFile(BaseModel):
    """One patient: traits, treatment history, visits, and optionally a proposed regimen."""

    model_config = _FROZEN

    name: str = Field(min_length=1)
    description: str = ""
    traits: TraitsSpec
    treatments: tuple[TreatmentCourse, ...] = Field((), description="regimens given, in order")
    visits: tuple[VisitRecord, ...] = Field(min_length=1, description="in date order")
    proposed: ProposedSpec | None = Field(
        None, description="regimen to forecast under (default: the current one, else none)"
    )

    @model_validator(mode="after")
    def _consistent(self) -> PatientFile:
        dates = [v.date for v in self.visits]
        for i, (a, b) in enumerate(itertools.pairwise(dates)):
            if b <= a:
                raise ValueError(f"visits.{i + 1}.date ({b}) must be after the visit before ({a})")
        if self.visits[0].alc_1e9_per_l is None:
            raise ValueError(
                "visits.0.alc_1e9_per_l: the first visit must report the ALC (it sets the "
                "blood burden at day 0)"
            )
        for i, c in enumerate(self.treatments):
            if c.start < dates[0]:
                raise ValueError(
                    f"treatments.{i}.start ({c.start}) is before the first visit ({dates[0]}); "
                    "the first visit is day 0: add a visit at or before the treatment start"
                )
        for i, (a, b) in enumerate(itertools.pairwise(self.treatments)):
            if a.stop is None or b.start < a.stop:
                raise ValueError(
                    f"treatments.{i + 1} starts on {b.start} before treatments.{i} stops "
                    f"({a.stop or 'ongoing'}); give the earlier course a stop date"
                )
        if self.proposed is not None and self.proposed.start is not None:
            if self.proposed.start < dates[-1]:
                raise ValueError(
                    f"proposed.start ({self.proposed.start}) is before the last visit "
                    f"({dates[-1]}); a proposal starts at or after the forecast date"
                )
        return self

    @property
    def first_date(self) -> dt.date:
        """Day 0 of the model."""
        return self.visits[0].date

    def day(self, date: dt.date) -> float:
        """Model day of a calendar date (days since the first visit)."""
        return float((date - self.first_date).days)

    @property
    def visit_days(self) -> tuple[float, ...]:
        """Model day of every visit."""
        return tuple(self.day(v.date) for v in self.visits)


_WHERE = {"package": "cllsim.navigate", "folder": _BUILTIN}
_DOCS = "docs/navigate.md"


def builtin_patients() -> dict[str, str]:
    """Built-in example patients and their one-line descriptions."""
    return builtin_files(**_WHERE)


def patient_from_dict(data: Any, *, source: str = "<patient>") -> PatientFile:
    """Validate a mapping into a :class:`PatientFile`; errors name ``source`` and the field.

    Raises
    ------
    InputFileError
        One line: ``source: field.path: what is wrong, got value``.
    """
    return validate_spec(PatientFile, data, source=source, kind="patient file", docs=_DOCS)


def load_patient(name_or_path: str | Path) -> PatientFile:
    """Load a patient from a YAML file or by built-in name (see :func:`builtin_patients`).

    Raises
    ------
    InputFileError
        The file is missing, unreadable or not YAML, or a field is invalid; the message names
        the file, the field, the value and what is allowed.
    """
    return load_spec_file(name_or_path, PatientFile, kind="patient", docs=_DOCS, **_WHERE)
