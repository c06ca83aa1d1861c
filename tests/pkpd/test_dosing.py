"""Dose records and schedule builders (cllsim.pkpd.dosing)."""

from __future__ import annotations

import numpy as np
import pytest

from cllsim.errors import SpecError
from cllsim.pkpd.dosing import (
    Dose,
    cycle_starts,
    daily_doses,
    dose_arrays,
    merge_doses,
    scale_doses,
    sort_doses,
    validate_cycle_starts,
)


def test_dose_is_immutable_and_orderable() -> None:
    d = Dose(2, "venetoclax", 20)
    assert d.time_days == 2.0 and isinstance(d.time_days, float)
    with pytest.raises(AttributeError):
        d.amount_mg = 3.0  # type: ignore[misc]
    assert Dose(1.0, "b", 1.0) < Dose(2.0, "a", 1.0)
    assert Dose(np.float64(1.5), "a", np.int64(3)).amount_mg == 3.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"amount_mg": -20.0}, r"amount_mg must be > 0 mg, got -20\.0"),
        ({"amount_mg": 0.0}, r"amount_mg must be > 0 mg, got 0\.0"),
        ({"time_days": float("nan")}, r"time_days must be finite, got nan"),
        ({"route": "sc"}, r"unknown route 'sc'"),
        ({"route": "iv_infusion"}, r"duration_days of an iv_infusion must be > 0 days, got 0\.0"),
        ({"duration_days": 0.1}, r"duration_days must be 0 for route 'oral', got 0\.1"),
        ({"drug": ""}, r"drug must be a non-empty name"),
        ({"amount_mg": "400"}, r"amount_mg must be a number, got '400'"),
    ],
)
def test_dose_validation_names_field_and_value(kwargs: dict, message: str) -> None:
    args = {"time_days": 1.0, "drug": "venetoclax", "amount_mg": 400.0} | kwargs
    with pytest.raises(SpecError, match=message):
        Dose(**args)


def test_sort_and_merge() -> None:
    a = (Dose(3.0, "x", 1.0), Dose(1.0, "x", 1.0))
    b = [Dose(2.0, "y", 1.0)]
    merged = merge_doses(a, b)
    assert isinstance(merged, tuple)
    assert [d.time_days for d in merged] == [1.0, 2.0, 3.0]
    with pytest.raises(SpecError, match=r"doses\[1\] must be a Dose, got tuple"):
        sort_doses([Dose(1.0, "x", 1.0), (2.0, "x", 1.0)])


def test_daily_doses() -> None:
    doses = daily_doses("ibrutinib", 420.0, 5.0, 3)
    assert [d.time_days for d in doses] == [5.0, 6.0, 7.0]
    assert daily_doses("ibrutinib", 420.0, 5.0, 0) == ()
    with pytest.raises(SpecError, match=r"n_days must be a whole number >= 0, got -1"):
        daily_doses("ibrutinib", 420.0, 0.0, -1)


def test_cycles() -> None:
    assert cycle_starts(1.0, 3, 28) == (1.0, 29.0, 57.0)
    assert validate_cycle_starts([0, 28, 60], 28, owner="t") == (0.0, 28.0, 60.0)
    with pytest.raises(SpecError, match=r"t: cycle_starts_days\[2\] = 50\.0 overlaps cycle 2"):
        validate_cycle_starts([0, 28, 50], 28, owner="t")
    with pytest.raises(SpecError, match=r"cycle_starts_days\[1\] = -5\.0 comes before cycle 1"):
        validate_cycle_starts([0, -5], 28, owner="t")
    with pytest.raises(SpecError, match=r"cycle_starts_days\[0\] must be finite, got inf"):
        validate_cycle_starts([float("inf")], 28, owner="t")


def test_dose_arrays_selects_one_drug() -> None:
    doses = [Dose(0.0, "a", 1.0), Dose(1.0, "b", 2.0, "iv_infusion", 0.5), Dose(2.0, "b", 3.0)]
    t, amount, duration, oral = dose_arrays(doses, "b")
    assert t.tolist() == [1.0, 2.0]
    assert amount.tolist() == [2.0, 3.0]
    assert duration.tolist() == [0.5, 0.0]
    assert oral.tolist() == [False, True]


def test_scaled_dose_keeps_every_field_but_the_amount() -> None:
    dose = Dose(3.0, "obinutuzumab", 1000.0, "iv_infusion", 4 / 24)
    assert dose.scaled(0.5) == Dose(3.0, "obinutuzumab", 500.0, "iv_infusion", 4 / 24)
    for bad in (0.0, -1.0, float("inf"), float("nan")):
        with pytest.raises(SpecError, match="factor must be a finite number > 0"):
            dose.scaled(bad)


def test_scale_doses_is_scaled_per_drug() -> None:
    """scale_doses gives each dose of a drug with a factor exactly Dose.scaled's result and
    leaves the other drugs' doses as they were; a bad factor is named with its drug."""
    doses = (
        Dose(0.0, "venetoclax", 20.0),
        Dose(3.0, "obinutuzumab", 1000.0, "iv_infusion", 4 / 24),
        Dose(1.0, "venetoclax", 400.0),
    )
    out = scale_doses(doses, {"venetoclax": 1.37})
    assert out == (doses[0].scaled(1.37), doses[1], doses[2].scaled(1.37))
    assert all(type(d) is Dose for d in out)
    assert scale_doses(doses, {}) == doses
    for bad in (0.0, -1.0, float("inf"), float("nan")):
        with pytest.raises(SpecError, match="'venetoclax' must be a finite number > 0"):
            scale_doses(doses, {"venetoclax": bad})


def test_unit_doses_divide_each_drug_by_its_largest_amount() -> None:
    """unit_doses: each amount over its drug's largest, with the largest amounts; two
    patients whose chlorambucil doses differ by body weight get the same unit schedule bit
    for bit (the engine shares one knot grid per arm on it)."""
    from cllsim.pkpd import unit_doses

    def schedule(kg: float) -> tuple[Dose, ...]:
        return (
            Dose(0.0, "chlorambucil", 0.5 * kg),
            Dose(1.0, "obinutuzumab", 100.0, "iv_infusion", 4 / 24),
            Dose(2.0, "obinutuzumab", 900.0, "iv_infusion", 4 / 24),
            Dose(14.0, "chlorambucil", 0.5 * kg),
        )

    unit, peak = unit_doses(schedule(71.3))
    assert peak == {"chlorambucil": 0.5 * 71.3, "obinutuzumab": 900.0}
    assert [d.amount_mg for d in unit] == [1.0, 100.0 / 900.0, 1.0, 1.0]
    assert [d[:2] + d[3:] for d in unit] == [d[:2] + d[3:] for d in schedule(71.3)]
    # 40.1 and 47.3 kg: x * (1 / x) != 1 for x = 0.5 * kg, so a product by the reciprocal fails
    for kg in (40.1, 47.3, 48.9, 63.7, 102.4, 131.1):
        assert unit_doses(schedule(kg))[0] == unit
