"""Shared test helper: a numerical ODE reference for the closed-form PK and occupancy.

The reference integrates the compartment equations (amounts in mg) with scipy's DOP853 at
rtol 1e-12 and atol 1e-14, restarting at every dose, infusion start/end and asked time, so
that no discontinuity lies inside an integration step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy.integrate import solve_ivp

from cllsim.pkpd.dosing import Dose
from cllsim.pkpd.parameters import DrugParameters

ODE_RTOL = 1e-12
ODE_ATOL = 1e-14  # absolute, per state (mg, ng/mL*day, fraction)


def ode_reference(
    doses: Sequence[Dose],
    drug: DrugParameters,
    times: NDArray[np.float64],
    *,
    kappa: float = 0.0,
    ksyn: float = 0.0,
) -> tuple[NDArray, NDArray, NDArray]:
    """Concentration (ng/mL), AUC from the first dose (ng/mL*day) and free BTK fraction.

    Values at each asked time are right limits (doses at that time included).
    """
    pk = drug.pk
    vc, vp = pk.central_volume_l, pk.peripheral_volume_l
    k10 = pk.clearance_l_per_day / vc
    k12 = pk.intercompartmental_clearance_l_per_day / vc
    k21 = pk.intercompartmental_clearance_l_per_day / vp if vp > 0 else 0.0
    ka = pk.absorption_rate_per_day or 0.0
    f_oral = pk.bioavailability
    mine = [d for d in doses if d.drug == drug.name]
    infusions = [
        (d.time_days, d.time_days + d.duration_days, d.amount_mg / d.duration_days)
        for d in mine
        if d.route == "iv_infusion"
    ]

    def rhs(t: float, y: NDArray, rate: float) -> list[float]:
        depot, central, periph, _, free = y
        conc = 1000.0 * central / vc
        return [
            -ka * depot,
            f_oral * ka * depot - (k10 + k12) * central + k21 * periph + rate,
            k12 * central - k21 * periph,
            conc,
            ksyn * (1.0 - free) - kappa * conc * free,
        ]

    events = sorted({d.time_days for d in mine} | {e for _, e, _ in infusions} | set(times))
    y = np.array([0.0, 0.0, 0.0, 0.0, 1.0])
    out = {}
    t_prev = events[0]
    for t in events:
        if t > t_prev:
            rate = sum(r for s, e, r in infusions if s <= t_prev < e)
            sol = solve_ivp(
                rhs, (t_prev, t), y, args=(rate,), method="DOP853", rtol=ODE_RTOL, atol=ODE_ATOL
            )
            y = sol.y[:, -1].copy()
        for d in mine:
            if d.time_days == t and d.route == "oral":
                y[0] += d.amount_mg
            elif d.time_days == t and d.route == "iv_bolus":
                y[1] += d.amount_mg
        out[t] = y.copy()
        t_prev = t
    rows = np.array([out[t] for t in times])
    return 1000.0 * rows[:, 1] / vc, rows[:, 3], rows[:, 4]


@pytest.fixture
def ode() -> Callable[..., tuple[NDArray, NDArray, NDArray]]:
    """The ODE reference integrator (see module docstring)."""
    return ode_reference
