"""Treatment periods as the clinic sees them: when the patient is on which class of drug.

A period ``[start_day, end_day)`` is half-open: the patient is on treatment from the first day
of the period up to, but not including, ``end_day`` (the first day off treatment).  Continuous
therapy until progression has ``end_day = inf``.  Periods may overlap (a patient is on
treatment when any period covers the day).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cllsim.errors import SpecError

__all__ = [
    "DRUG_CLASSES",
    "TreatmentPeriod",
    "as_treatment_periods",
    "first_treatment_day",
    "on_drug_class",
    "on_treatment",
]

#: Drug classes a period may hold: Bruton tyrosine kinase inhibitors, BCL2 inhibitors
#: (venetoclax), anti-CD20 antibodies, chemotherapy (chlorambucil).
DRUG_CLASSES: tuple[str, ...] = ("BTKi", "BCL2i", "antiCD20", "chemo")


class TreatmentPeriod(BaseModel):
    """One period of treatment with a fixed set of drug classes.

    Examples
    --------
    >>> TreatmentPeriod(start_day=0, end_day=336, drug_classes={"BCL2i", "antiCD20"}).end_day
    336.0
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start_day: float = Field(description="first day on treatment, days")
    end_day: float = Field(description="first day off treatment, days; inf if continuous")
    drug_classes: frozenset[str] = Field(
        min_length=1, description="drug classes given in the period (see DRUG_CLASSES)"
    )

    @model_validator(mode="after")
    def _check(self) -> TreatmentPeriod:
        if not math.isfinite(self.start_day):
            raise ValueError(f"start_day must be finite days, got {self.start_day}")
        if not self.end_day > self.start_day:
            raise ValueError(f"end_day must be > start_day ({self.start_day}), got {self.end_day}")
        unknown = sorted(self.drug_classes - set(DRUG_CLASSES))
        if unknown:
            raise ValueError(
                f"unknown drug class {unknown[0]!r}; expected one of "
                f"{', '.join(repr(c) for c in DRUG_CLASSES)}"
            )
        return self

    def covers(self, days: np.ndarray) -> np.ndarray:
        """Whether each day lies in ``[start_day, end_day)``."""
        return (days >= self.start_day) & (days < self.end_day)


def as_treatment_periods(periods: Iterable[Any]) -> tuple[TreatmentPeriod, ...]:
    """Coerce periods given as :class:`TreatmentPeriod`, mappings or ``(start, end, classes)``.

    Parameters
    ----------
    periods : iterable
        Each item a :class:`TreatmentPeriod`, a mapping with its fields, or a 3-tuple
        ``(start_day, end_day, drug_classes)`` (days, days, iterable of str).

    Returns
    -------
    tuple of TreatmentPeriod
        Sorted by start day.

    Raises
    ------
    SpecError
        Naming the period's index, the field and the bad value.
    """
    if isinstance(periods, TreatmentPeriod | Mapping | str):
        raise SpecError(
            f"treatment_periods must be a list of periods, got a single "
            f"{type(periods).__name__}; wrap it in a list"
        )
    result = []
    for i, item in enumerate(periods):
        if isinstance(item, TreatmentPeriod):
            result.append(item)
            continue
        if isinstance(item, Mapping):
            fields = dict(item)
        elif isinstance(item, tuple | list) and len(item) == 3:
            fields = {"start_day": item[0], "end_day": item[1], "drug_classes": item[2]}
        else:
            raise SpecError(
                f"treatment_periods[{i}]: expected a TreatmentPeriod, a mapping or "
                f"(start_day, end_day, drug_classes), got {item!r}"
            )
        if isinstance(fields.get("drug_classes"), str):
            fields["drug_classes"] = {fields["drug_classes"]}
        try:
            result.append(TreatmentPeriod(**fields))
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            where = f".{where}" if where else ""
            raise SpecError(f"treatment_periods[{i}]{where}: {first['msg']}") from err
    return tuple(sorted(result, key=lambda p: p.start_day))


def on_treatment(days: Any, periods: Iterable[TreatmentPeriod]) -> np.ndarray:
    """Whether any period covers each day.

    Parameters
    ----------
    days : array_like of float
        Days.
    periods : iterable of TreatmentPeriod

    Returns
    -------
    numpy.ndarray of bool
        Same shape as ``days``.
    """
    t = np.asarray(days, dtype=np.float64)
    covered = np.zeros(t.shape, dtype=bool)
    for period in periods:
        covered |= period.covers(t)
    return covered


def on_drug_class(days: Any, periods: Iterable[TreatmentPeriod], drug_class: str) -> np.ndarray:
    """Whether a period holding ``drug_class`` covers each day.

    Parameters
    ----------
    days : array_like of float
        Days.
    periods : iterable of TreatmentPeriod
    drug_class : str
        One of :data:`DRUG_CLASSES`.

    Returns
    -------
    numpy.ndarray of bool
        Same shape as ``days``.

    Raises
    ------
    SpecError
        If ``drug_class`` is unknown.
    """
    if drug_class not in DRUG_CLASSES:
        raise SpecError(
            f"unknown drug class {drug_class!r}; expected one of "
            f"{', '.join(repr(c) for c in DRUG_CLASSES)}"
        )
    return on_treatment(days, [p for p in periods if drug_class in p.drug_classes])


def first_treatment_day(periods: Iterable[TreatmentPeriod]) -> float | None:
    """The earliest start day of any period (days), or None without treatment."""
    starts = [p.start_day for p in periods]
    return min(starts) if starts else None
