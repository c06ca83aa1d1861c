"""Exposure front functions (cllsim.pkpd.exposure): dispatch, limits and input checks."""

from __future__ import annotations

import numpy as np
import pytest

from cllsim.errors import SpecError
from cllsim.pkpd.dosing import Dose
from cllsim.pkpd.exposure import (
    btk_occupancy,
    concentration,
    concentration_integral,
    exposure,
    exposure_evaluator,
    exposure_matrix,
)
from cllsim.pkpd.parameters import IBRUTINIB, OBINUTUZUMAB, VENETOCLAX, DrugParameters


def test_exposure_matrix_columns_follow_drugs() -> None:
    doses = [Dose(0.0, "venetoclax", 400.0), Dose(0.0, "ibrutinib", 420.0)]
    t = np.array([0.5, 1.0, 2.0])
    m = exposure_matrix(doses, [VENETOCLAX, IBRUTINIB], t)
    assert m.shape == (3, 2)
    assert m[:, 0] == pytest.approx(concentration(doses, VENETOCLAX, t), rel=1e-15)
    assert m[:, 1] == pytest.approx(btk_occupancy(doses, IBRUTINIB, t), rel=1e-15)
    assert np.all((m[:, 1] > 0) & (m[:, 1] < 1))


def test_left_limit_only_where_asked() -> None:
    bolus = DrugParameters(name="x", pk=OBINUTUZUMAB.pk)
    doses = [Dose(1.0, "x", 100.0, "iv_bolus")]
    m = exposure_matrix(doses, [bolus], [1.0, 1.0], left_limit=[True, False])
    assert m[0, 0] == 0.0 and m[1, 0] > 0.0
    f = exposure_evaluator(doses, bolus, 2.0)
    assert f(np.array([1.0]), left_limit=True)[0] == 0.0


def test_exposure_dispatch() -> None:
    doses = [Dose(0.0, "ibrutinib", 420.0)]
    assert exposure(doses, IBRUTINIB, 1.0) < 1.0  # occupancy, a fraction
    plasma = IBRUTINIB.model_copy(update={"effect_driver": "concentration"})
    assert exposure(doses, plasma, 2.0 / 24) > 10.0  # ng/mL near Tmax


def test_bad_inputs() -> None:
    no_ka = DrugParameters(name="venetoclax", pk=OBINUTUZUMAB.pk)
    with pytest.raises(SpecError, match=r"'venetoclax': has oral doses but pk.absorption_rate"):
        concentration([Dose(0.0, "venetoclax", 400.0)], no_ka, 1.0)
    with pytest.raises(SpecError, match=r"times_days must be finite times in days, got nan"):
        concentration([], VENETOCLAX, [1.0, float("nan")])
    with pytest.raises(SpecError, match=r"edges_days\[1\] = 0\.5 comes before edges_days\[0\]"):
        concentration_integral([], VENETOCLAX, [1.0, 0.5])
    with pytest.raises(SpecError, match=r"'venetoclax': btk_occupancy parameters are None"):
        btk_occupancy([], VENETOCLAX, [1.0])


def test_forget_evaluators_makes_the_next_call_compute_afresh() -> None:
    """Evaluators are kept per schedule; after ``forget_evaluators`` the next call builds a
    new one (the patient benchmark times new patients this way) with the same values."""
    from cllsim.pkpd.exposure import exposure_evaluator, forget_evaluators
    from cllsim.pkpd.parameters import IBRUTINIB
    from cllsim.pkpd.regimens import ibrutinib_continuous

    doses = ibrutinib_continuous(stop_day=10.0)
    first = exposure_evaluator(doses, IBRUTINIB, 12.0)
    assert exposure_evaluator(doses, IBRUTINIB, 12.0) is first
    forget_evaluators()
    again = exposure_evaluator(doses, IBRUTINIB, 12.0)
    assert again is not first
    t = np.linspace(0.0, 12.0, 50)
    assert np.array_equal(again(t), first(t))


def test_plasma_evaluators_serve_every_horizon_occupancy_ones_their_own() -> None:
    """A plasma evaluator does not depend on the horizon, so one schedule's is kept for every
    horizon asked (a patient's rate tables cut at an other-cause death ask for one more
    time); a BTK occupancy evaluator's table reaches to its horizon, so each horizon gets its
    own, and a later horizon's values agree with the earlier one's where both reach."""
    from cllsim.pkpd.regimens import ibrutinib_continuous

    doses = [Dose(float(k), "venetoclax", 400.0) for k in range(20)]
    near = exposure_evaluator(doses, VENETOCLAX, 30.0)
    assert exposure_evaluator(doses, VENETOCLAX, 365.0) is near
    ibr = ibrutinib_continuous(stop_day=20.0)
    short = exposure_evaluator(ibr, IBRUTINIB, 30.0)
    long = exposure_evaluator(ibr, IBRUTINIB, 365.0)
    assert long is not short
    t = np.linspace(0.0, 30.0, 61)
    assert long(t) == pytest.approx(short(t), rel=1e-12)
    assert np.all(long(np.array([300.0])) >= 0.0)
