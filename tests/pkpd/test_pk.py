"""Closed-form PK (cllsim.pkpd.pk) against numerical integration of the compartment ODEs.

Tolerance: the ODE reference (conftest.py) runs DOP853 at rtol 1e-12, so its accumulated
error over these short histories stays below ~1e-10 of the peak; the closed forms are exact
to rounding.  We assert agreement to 1e-8 of the peak: 100x the reference's own error, and
far below any modelling tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest

from cllsim.pkpd.dosing import Dose, dose_arrays
from cllsim.pkpd.exposure import concentration, concentration_integral, superposition_for
from cllsim.pkpd.parameters import (
    CHLORAMBUCIL,
    IBRUTINIB,
    OBINUTUZUMAB,
    VENETOCLAX,
    DrugParameters,
    PKParameters,
)
from cllsim.pkpd.pk import disposition, evaluate, integrate, superpose

AGREE = 1e-8  # relative to the peak; see the module docstring

ONE_BOLUS = DrugParameters(
    name="x", pk=PKParameters(clearance_l_per_day=5.0, central_volume_l=10.0)
)
TWO_BOLUS = DrugParameters(
    name="x",
    pk=PKParameters(
        clearance_l_per_day=5.0,
        central_volume_l=10.0,
        peripheral_volume_l=20.0,
        intercompartmental_clearance_l_per_day=8.0,
        absorption_rate_per_day=3.0,
        bioavailability=0.6,
    ),
)

CASES = {
    "one-compartment oral (ibrutinib)": (
        IBRUTINIB,
        [
            Dose(0.0, "ibrutinib", 420.0),
            Dose(0.7, "ibrutinib", 140.0),
            Dose(1.7, "ibrutinib", 420.0),
            Dose(1.7, "ibrutinib", 280.0),
        ],
        3.0,
    ),
    "one-compartment oral, short half-life (chlorambucil)": (
        CHLORAMBUCIL,
        [Dose(0.0, "chlorambucil", 35.0), Dose(14.0, "chlorambucil", 35.0)],
        15.0,
    ),
    "two-compartment oral (venetoclax ramp-up)": (
        VENETOCLAX,
        [
            Dose(float(k), "venetoclax", mg)
            for k, mg in enumerate([20, 20, 50, 50, 100, 200, 400, 400])
        ],
        10.0,
    ),
    "two-compartment IV infusion (obinutuzumab cycle 1)": (
        OBINUTUZUMAB,
        [
            Dose(0.0, "obinutuzumab", 100.0, "iv_infusion", 4 / 24),
            Dose(1.0, "obinutuzumab", 900.0, "iv_infusion", 4 / 24),
            Dose(7.0, "obinutuzumab", 1000.0, "iv_infusion", 3.25 / 24),
            Dose(7.1, "obinutuzumab", 500.0, "iv_infusion", 0.2),
        ],  # overlapping infusions
        20.0,
    ),
    "one-compartment IV bolus": (
        ONE_BOLUS,
        [Dose(0.0, "x", 10.0, "iv_bolus"), Dose(1.5, "x", 5.0, "iv_bolus")],
        5.0,
    ),
    "two-compartment, all routes with F < 1": (
        TWO_BOLUS,
        [
            Dose(0.0, "x", 10.0, "iv_bolus"),
            Dose(0.5, "x", 20.0),
            Dose(1.0, "x", 30.0, "iv_infusion", 0.25),
            Dose(1.1, "x", 20.0),
        ],
        4.0,
    ),
}


def _times(doses: list[Dose], t_end: float) -> np.ndarray:
    rng = np.random.default_rng(1)
    dose_t = [d.time_days for d in doses] + [d.time_days + d.duration_days for d in doses]
    return np.unique(np.concatenate([rng.uniform(-0.5, t_end, 60), dose_t, [t_end]]))


@pytest.mark.parametrize("case", sorted(CASES))
def test_concentration_matches_ode(case: str, ode) -> None:
    """Closed form = ODE at random times and at every dose time (right limits)."""
    drug, doses, t_end = CASES[case]
    t = _times(doses, t_end)
    c_ode, _, _ = ode(doses, drug, t)
    c = concentration(doses, drug, t)
    assert np.max(np.abs(c - c_ode)) <= AGREE * c_ode.max()


@pytest.mark.parametrize("case", sorted(CASES))
def test_integral_matches_ode(case: str, ode) -> None:
    """Exact AUC between consecutive times = differences of the ODE's AUC state."""
    drug, doses, t_end = CASES[case]
    t = _times(doses, t_end)
    _, auc_ode, _ = ode(doses, drug, t)
    auc = concentration_integral(doses, drug, t)
    assert np.max(np.abs(auc - np.diff(auc_ode))) <= AGREE * auc_ode[-1]
    assert concentration_integral(doses, drug, [t[0], t[-1]])[0] == pytest.approx(
        auc.sum(),
        rel=1e-12,  # the same exact pieces summed in another order
    )


def test_bolus_jump_and_left_limit() -> None:
    """At a bolus time the right limit includes the dose (+ D/V) and the left limit does not."""
    doses = [Dose(0.0, "x", 10.0, "iv_bolus"), Dose(2.0, "x", 10.0, "iv_bolus")]
    before = concentration(doses, ONE_BOLUS, 2.0, left_limit=True)
    after = concentration(doses, ONE_BOLUS, 2.0)
    k = 5.0 / 10.0
    assert before == pytest.approx(1000.0 * np.exp(-2 * k), rel=1e-14)
    assert after - before == pytest.approx(1000.0, rel=1e-14)  # 10 mg / 10 L = 1000 ng/mL


def test_oral_is_continuous_at_dose_times() -> None:
    """An oral dose adds nothing at its own time: left and right limits agree."""
    doses = [Dose(float(k), "venetoclax", 400.0) for k in range(5)]
    t = np.arange(5.0)
    right = concentration(doses, VENETOCLAX, t)
    left = concentration(doses, VENETOCLAX, t, left_limit=True)
    assert np.allclose(right, left, rtol=1e-12, atol=1e-9)
    assert concentration(doses, VENETOCLAX, 0.0) == 0.0


def test_disposition_coefficients() -> None:
    """sum coef = 1000 / Vc (ng/mL per mg at t=0); rates solve the two-compartment system."""
    pk = VENETOCLAX.pk
    coef, rates = disposition(
        pk.clearance_l_per_day,
        pk.central_volume_l,
        pk.peripheral_volume_l,
        pk.intercompartmental_clearance_l_per_day,
    )
    assert coef.sum() == pytest.approx(1000.0 / pk.central_volume_l, rel=1e-14)
    k10 = pk.clearance_l_per_day / pk.central_volume_l
    k21 = pk.intercompartmental_clearance_l_per_day / pk.peripheral_volume_l
    assert rates.prod() == pytest.approx(k10 * k21, rel=1e-14)
    # AUC of a unit bolus = 1 / CL for a linear model (dose / clearance)
    assert (coef / rates).sum() == pytest.approx(1000.0 / pk.clearance_l_per_day, rel=1e-13)
    assert rates.tolist() == pytest.approx(list(pk.disposition_rates_per_day), rel=1e-14)


def test_integrate_edges() -> None:
    """Repeated edges integrate to 0; fewer than two edges give an empty result."""
    doses = [Dose(0.0, "ibrutinib", 420.0)]
    sp = superposition_for(doses, IBRUTINIB)
    out = integrate(sp, [0.0, 0.5, 0.5, 1.0])
    assert out[1] == 0.0 and out[0] > 0 and out[2] > 0
    assert integrate(sp, [1.0]).shape == (0,)


def test_kernel_shapes_and_no_doses() -> None:
    """evaluate keeps the shape of the times; no doses give zero everywhere."""
    coef, rates = disposition(10.0, 100.0)
    sp = superpose([], [], [], [], coef=coef, rates=rates)
    t = np.linspace(0, 1, 6).reshape(2, 3)
    assert evaluate(sp, t).shape == (2, 3)
    assert not evaluate(sp, t).any()
    times, amounts, durations, oral = dose_arrays([Dose(1.0, "a", 2.0)], "b")
    assert times.size == amounts.size == durations.size == oral.size == 0


def test_long_regimen_superposition_is_exact() -> None:
    """Two years of daily doses: the folded state equals the direct sum of every dose's term."""
    doses = [Dose(float(k), "ibrutinib", 420.0) for k in range(730)]
    t = np.array([0.0, 100.25, 729.0, 729.5, 740.0])
    pk = IBRUTINIB.pk
    coef, rates = disposition(pk.clearance_l_per_day, pk.central_volume_l)
    ka, lam = pk.absorption_rate_per_day, rates[0]
    dt = t[:, None] - np.arange(730.0)[None, :]
    pos = np.maximum(dt, 0.0)
    term = np.where(dt >= 0, (np.exp(-lam * pos) - np.exp(-ka * pos)) / (ka - lam), 0.0)
    direct = 420.0 * ka * coef[0] * term.sum(axis=1)
    assert concentration(doses, IBRUTINIB, t) == pytest.approx(direct, rel=1e-12, abs=1e-12)
