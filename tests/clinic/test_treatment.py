"""Treatment periods: half-open coverage, coercion and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cllsim.clinic.treatment import (
    TreatmentPeriod,
    as_treatment_periods,
    first_treatment_day,
    on_drug_class,
    on_treatment,
)
from cllsim.errors import SpecError


def test_periods_are_half_open_and_may_be_continuous():
    periods = as_treatment_periods(
        [
            (400, math.inf, {"BTKi"}),
            {"start_day": 0, "end_day": 336, "drug_classes": ["BCL2i", "antiCD20"]},
        ]
    )
    assert [p.start_day for p in periods] == [0.0, 400.0]
    days = np.array([-1.0, 0.0, 335.9, 336.0, 399.0, 400.0, 1e5])
    assert on_treatment(days, periods).tolist() == [False, True, True, False, False, True, True]
    assert on_drug_class(days, periods, "BTKi").tolist() == [
        False, False, False, False, False, True, True
    ]  # fmt: skip
    assert first_treatment_day(periods) == 0.0
    assert first_treatment_day(()) is None


def test_a_single_class_may_be_a_string():
    (period,) = as_treatment_periods([(0, 10, "chemo")])
    assert period.drug_classes == frozenset({"chemo"})


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            (0, 10, {"btki"}),
            r"treatment_periods\[0\].*unknown drug class 'btki'; expected one of 'BTKi'",
        ),
        (
            (10, 10, {"BTKi"}),
            r"treatment_periods\[0\].*end_day must be > start_day \(10.0\), got 10.0",
        ),
        ((0, 10, set()), r"treatment_periods\[0\]\.drug_classes"),
        ((0, 10), r"treatment_periods\[0\]: expected a TreatmentPeriod"),
        ({"start_day": 0, "end_day": 5, "drugs": {"BTKi"}}, r"treatment_periods\[0\]"),
    ],
)
def test_bad_periods_are_named(item, message):
    with pytest.raises(SpecError, match=message):
        as_treatment_periods([item])


def test_a_single_period_must_be_wrapped():
    with pytest.raises(SpecError, match="wrap it in a list"):
        as_treatment_periods(TreatmentPeriod(start_day=0, end_day=1, drug_classes={"BTKi"}))


def test_unknown_class_in_query():
    with pytest.raises(SpecError, match="unknown drug class 'PI3Ki'"):
        on_drug_class([0.0], (), "PI3Ki")
