"""Knot grids (cllsim.pkpd.grid): where knots go and how well interpolation does."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest

from cllsim.errors import SpecError
from cllsim.pkpd.dosing import Dose
from cllsim.pkpd.exposure import exposure_matrix
from cllsim.pkpd.grid import DEFAULT_MAX_LOG_STEP, DEFAULT_RTOL, exposure_grid, exposure_table
from cllsim.pkpd.parameters import (
    CHLORAMBUCIL,
    IBRUTINIB,
    OBINUTUZUMAB,
    VENETOCLAX,
    DrugParameters,
)
from cllsim.pkpd.pd import rate_effects
from cllsim.pkpd.regimens import (
    cll14_chlorambucil_obinutuzumab,
    cll14_venetoclax_obinutuzumab,
    venetoclax_continuous,
)

MINUTE = 1.0 / 1440.0


def _max_relative_error(
    doses: Sequence[Dose],
    drugs: list[DrugParameters],
    knots: np.ndarray,
    t_end: float,
    floor: float = 1e-3,
) -> float:
    """Largest |interpolated - exact| / max(|exact|, floor * peak) on a one-minute grid."""
    table = exposure_table(doses, drugs, knots)
    t = np.arange(0.0, t_end, MINUTE)
    exact = exposure_matrix(doses, drugs, t)
    worst = 0.0
    for j in range(len(drugs)):
        approx = np.interp(t, knots, table[:, j])
        scale = np.maximum(np.abs(exact[:, j]), floor * np.abs(exact[:, j]).max())
        worst = max(worst, float(np.max(np.abs(approx - exact[:, j]) / scale)))
    return worst


def test_venetoclax_daily_interpolation_error() -> None:
    """Venetoclax ramp-up then 400 mg daily, 60 days, default options: the largest relative
    error of linear interpolation on a one-minute grid (wherever C > 0.1% of its peak) is
    0.47%.  Assert < 1.2 x DEFAULT_RTOL (0.6%): the grid checks three points per interval,
    so between them the error may pass rtol slightly; 20% covers that and nothing more."""
    doses = venetoclax_continuous(stop_day=60.0)
    knots = exposure_grid(doses, [VENETOCLAX], 60.0)
    assert _max_relative_error(doses, [VENETOCLAX], knots, 60.0) < 1.2 * DEFAULT_RTOL
    assert 10 < knots.size / 60.0 < 60  # sub-daily, but not absurdly dense


@pytest.mark.parametrize(
    ("regimen", "drugs"),
    [
        (cll14_venetoclax_obinutuzumab, [VENETOCLAX, OBINUTUZUMAB]),
        (cll14_chlorambucil_obinutuzumab, [CHLORAMBUCIL, OBINUTUZUMAB]),
    ],
)
def test_cll14_grids(regimen: Callable[[], tuple[Dose, ...]], drugs: list[DrugParameters]) -> None:
    """Every dose time and infusion end is a knot; the 1-minute error bound holds for the
    short chlorambucil pulses and the infusions too (same 1.2 x rtol bound as above)."""
    doses = regimen()
    knots = exposure_grid(doses, drugs, 100.0)
    dose_times = [d.time_days for d in doses if d.time_days <= 100.0]
    ends = [d.time_days + d.duration_days for d in doses if d.time_days <= 100.0]
    assert np.isin(dose_times + ends, knots).all()
    assert np.all(np.diff(knots) > 0)  # no boluses: no repeated knots
    assert np.diff(knots).max() <= 1.0 + 1e-12
    assert not knots.flags.writeable
    early = [d for d in doses if d.time_days < 40.0]
    k40 = exposure_grid(early, drugs, 40.0)
    assert _max_relative_error(early, drugs, k40, 40.0) < 1.2 * DEFAULT_RTOL


def test_bolus_times_are_doubled_with_left_and_right_values() -> None:
    x = DrugParameters(name="x", pk=OBINUTUZUMAB.pk)
    doses = [Dose(2.0, "x", 100.0, "iv_bolus"), Dose(5.0, "x", 100.0, "iv_bolus")]
    knots = exposure_grid(doses, [x], 10.0)
    assert (knots == 2.0).sum() == 2 and (knots == 5.0).sum() == 2
    table = exposure_table(doses, [x], knots)
    i = int(np.flatnonzero(knots == 5.0)[0])
    assert table[i + 1, 0] - table[i, 0] == pytest.approx(100.0 / 2.75 * 1000, rel=1e-12)


def test_occupancy_grid_is_coarse_where_flat() -> None:
    """BTK occupancy is nearly flat on treatment: few knots per day, still within rtol."""
    doses = [Dose(float(k), "ibrutinib", 420.0) for k in range(20)]
    knots = exposure_grid(doses, [IBRUTINIB], 30.0)
    assert knots.size < 30 * 12
    assert _max_relative_error(doses, [IBRUTINIB], knots, 30.0) < 1.2 * DEFAULT_RTOL


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"t_end_days": 0.0}, r"need finite t_start_days < t_end_days, got 0\.0 and 0\.0"),
        ({"rtol": 0.0}, r"rtol must be a finite number > 0, got 0\.0"),
        ({"rtol": 2.0}, r"rtol must be in \(0, 1\), got 2\.0"),
        ({"max_step_days": -1.0}, r"max_step_days must be a finite number > 0, got -1\.0"),
        ({"floor_fraction": 1.0}, r"floor_fraction must be in \[0, 1\), got 1\.0"),
        ({"max_log_step": 0.0}, r"max_log_step must be a finite number > 0, got 0\.0"),
    ],
)
def test_bad_options(kwargs: dict, message: str) -> None:
    args = {"t_end_days": 10.0} | kwargs
    with pytest.raises(SpecError, match=message):
        exposure_grid([], [VENETOCLAX], **args)


def test_unknown_drug_and_bad_knots() -> None:
    with pytest.raises(SpecError, match=r"doses\[0\] is of 'ibrutinib', which has no param"):
        exposure_grid([Dose(0.0, "ibrutinib", 420.0)], [VENETOCLAX], 5.0)
    with pytest.raises(SpecError, match=r"drug 'venetoclax' appears more than once"):
        exposure_grid([], [VENETOCLAX, VENETOCLAX], 5.0)
    with pytest.raises(SpecError, match="at most twice"):
        exposure_table([], [VENETOCLAX], [1.0, 1.0, 1.0])
    with pytest.raises(SpecError, match="non-decreasing"):
        exposure_table([], [VENETOCLAX], [2.0, 1.0])


def test_rates_interpolate_within_the_stated_bound() -> None:
    """Rates from a Hill map (h = 2, EC50 = 1000 ng/mL, near venetoclax's range) interpolated
    between knots: relative error < h * rtol + (h * max_log_step)**2 / 8 = 1.5% (grid.py;
    measured 0.85%); rates below 0.1% of the peak rate are judged against that floor, as the
    grid judges exposures."""
    doses = venetoclax_continuous(stop_day=40.0)
    knots = exposure_grid(doses, [VENETOCLAX], 40.0)
    kw = {"death_kmax_per_day": 0.5, "death_ec50": 1000.0, "death_hill": 2.0,
          "birth_imax": 0.0, "birth_ic50": 1.0, "birth_hill": 1.0}  # fmt: skip
    at_knots, _ = rate_effects(exposure_table(doses, [VENETOCLAX], knots), **kw)
    t = np.arange(0.0, 40.0, MINUTE)
    exact, _ = rate_effects(exposure_matrix(doses, [VENETOCLAX], t), **kw)
    approx = np.interp(t, knots, at_knots[:, 0])
    scale = np.maximum(exact[:, 0], 1e-3 * exact[:, 0].max())
    bound = 2.0 * DEFAULT_RTOL + (2.0 * DEFAULT_MAX_LOG_STEP) ** 2 / 8.0
    assert np.max(np.abs(approx - exact[:, 0]) / scale) < bound


def test_occupancy_dose_times_may_be_left_to_the_refinement() -> None:
    """Without occupancy dose knots, ibrutinib's daily doses are not knots (the knots are the
    spacing's and the refinement's: a handful in the first days, where occupancy climbs),
    and a concentration-driven drug keeps its dose knots."""
    ibr = [Dose(float(k), "ibrutinib", 420.0) for k in range(60)]
    sparse = exposure_grid(ibr, [IBRUTINIB], 63.0, rtol=0.05, max_step_days=7.0,
                           occupancy_dose_knots=False)  # fmt: skip
    dense = exposure_grid(ibr, [IBRUTINIB], 63.0, rtol=0.05, max_step_days=7.0)
    assert np.isin(np.arange(60.0), dense).all()
    assert np.isin(np.arange(7.0, 60.0), sparse).sum() == 8  # days 7, 14, ..., 56 only
    assert sparse.size < 0.75 * dense.size  # 118 and 170: the first days climb alike
    ven = [Dose(float(k), "venetoclax", 400.0) for k in range(10)]
    both = exposure_grid([*ibr[:10], *ven], [IBRUTINIB, VENETOCLAX], 12.0,
                         occupancy_dose_knots=False)  # fmt: skip
    assert np.isin(np.arange(10.0), both).all()
