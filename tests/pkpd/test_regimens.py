"""Regimen builders reproduce the schedules of reference/cll.md (Regimens) exactly.

Convention under test: study day d of cycle 1 is at time ``start_day + d - 1``.
"""

from __future__ import annotations

import pytest

from cllsim.errors import SpecError
from cllsim.pkpd.dosing import Dose
from cllsim.pkpd.regimens import (
    cll14_chlorambucil_obinutuzumab,
    cll14_venetoclax_obinutuzumab,
    ibrutinib_continuous,
    obinutuzumab_cll14,
    venetoclax_continuous,
)


def _of(doses: tuple[Dose, ...], drug: str) -> list[Dose]:
    return [d for d in doses if d.drug == drug]


def test_cll14_ven_obi_exact_schedule() -> None:
    """With start_day = 1, time_days equals the study day."""
    doses = cll14_venetoclax_obinutuzumab(start_day=1.0)
    assert doses == tuple(sorted(doses))
    obi = _of(doses, "obinutuzumab")
    assert [(d.time_days, d.amount_mg) for d in obi] == [
        (1.0, 100.0),
        (2.0, 900.0),
        (8.0, 1000.0),
        (15.0, 1000.0),
        (29.0, 1000.0),
        (57.0, 1000.0),
        (85.0, 1000.0),
        (113.0, 1000.0),
        (141.0, 1000.0),
    ]
    # nine infusions carry eight 1000-mg doses (the first split 100 + 900 over days 1-2)
    assert len(obi) == 9 and sum(d.amount_mg for d in obi) == 8000.0
    assert all(d.route == "iv_infusion" and 0 < d.duration_days < 0.2 for d in obi)
    ven = _of(doses, "venetoclax")
    assert ven[0].time_days == 22.0 and ven[-1].time_days == 336.0  # C1D22 .. end of C12
    assert [d.time_days for d in ven] == [float(day) for day in range(22, 337)]
    ramp = [d.amount_mg for d in ven[:28]]
    assert ramp == [20.0] * 7 + [50.0] * 7 + [100.0] * 7 + [200.0] * 7
    full = [d for d in ven if d.amount_mg == 400.0]
    assert full[0].time_days == 22.0 + 28 and len(full) == 336 - 50 + 1
    assert all(d.route == "oral" for d in ven)


def test_cll14_start_day_zero() -> None:
    """start_day = 0: C1D22 is time 21, the last venetoclax dose time 335."""
    ven = _of(cll14_venetoclax_obinutuzumab(), "venetoclax")
    assert (ven[0].time_days, ven[-1].time_days, len(ven)) == (21.0, 335.0, 315)


def test_cll14_clb_obi_exact_schedule() -> None:
    doses = cll14_chlorambucil_obinutuzumab(start_day=1.0)
    clb = _of(doses, "chlorambucil")
    expected = [float(1 + 28 * c + day - 1) for c in range(12) for day in (1, 15)]
    assert [d.time_days for d in clb] == expected
    assert {d.amount_mg for d in clb} == {35.0}  # 0.5 mg/kg x 70 kg
    assert _of(doses, "obinutuzumab") == _of(
        cll14_venetoclax_obinutuzumab(start_day=1.0), "obinutuzumab"
    )
    heavy = _of(cll14_chlorambucil_obinutuzumab(body_weight_kg=90.0), "chlorambucil")
    assert {d.amount_mg for d in heavy} == {45.0}


def test_delayed_cycles() -> None:
    """A one-week delay before C2 shifts C2-C12; venetoclax continues daily through it."""
    starts = [0.0] + [28.0 * c + 7.0 for c in range(1, 12)]
    doses = cll14_venetoclax_obinutuzumab(cycle_starts_days=starts)
    obi = _of(doses, "obinutuzumab")
    assert obi[4].time_days == 35.0
    ven = _of(doses, "venetoclax")
    assert ven[-1].time_days == starts[-1] + 27 and len(ven) == 315 + 7


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"cycle_starts_days": [0.0, 20.0] + [56.0 + 28 * c for c in range(10)]},
            r"cycle_starts_days\[1\] = 20\.0 overlaps cycle 1",
        ),
        ({"cycle_starts_days": [0.0, 28.0]}, r"must hold 12 cycle starts, got 2"),
        ({"start_day": 0.0, "cycle_starts_days": [0.0] * 12}, r"not both"),
        ({"start_day": float("nan")}, r"start_day must be a finite number of days, got nan"),
    ],
)
def test_cll14_bad_cycles(kwargs: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        cll14_venetoclax_obinutuzumab(**kwargs)


def test_clb_obi_bad_weight() -> None:
    with pytest.raises(SpecError, match=r"body_weight_kg must be a finite weight > 0 kg, got -70"):
        cll14_chlorambucil_obinutuzumab(body_weight_kg=-70)


def test_ibrutinib_continuous() -> None:
    doses = ibrutinib_continuous(start_day=3.0, stop_day=10.0)
    assert [d.time_days for d in doses] == [3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    assert {d.amount_mg for d in doses} == {420.0}
    assert len(ibrutinib_continuous(stop_day=9.5)) == 10  # the last dose at 9.0 < 9.5
    with pytest.raises(SpecError, match=r"stop_day must be after start_day = 5\.0, got 5\.0"):
        ibrutinib_continuous(start_day=5.0, stop_day=5.0)
    with pytest.raises(SpecError, match=r"amount_mg must be > 0 mg, got -420"):
        ibrutinib_continuous(stop_day=2.0, dose_mg=-420.0)


def test_venetoclax_continuous() -> None:
    doses = venetoclax_continuous(start_day=0.0, stop_day=60.0)
    assert len(doses) == 60 and doses[0].amount_mg == 20.0
    assert doses[27].amount_mg == 200.0 and doses[28].amount_mg == 400.0
    assert [d.amount_mg for d in venetoclax_continuous(stop_day=10.0)] == [20.0] * 7 + [50.0] * 3


def test_obinutuzumab_needs_six_cycles() -> None:
    with pytest.raises(SpecError, match=r"need at least 6 cycle starts, got 2"):
        obinutuzumab_cll14([0.0, 28.0])
