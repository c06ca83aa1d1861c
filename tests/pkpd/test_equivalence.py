"""The fast PK/occupancy paths give the numbers of the plain formulas.

``evaluate`` and ``integrate_pieces`` were rewritten for speed (infusions found by one
search instead of a loop over infusions, no masks when every time follows a dose).  The
references below are the previous, straightforward implementations, copied verbatim;
every elementwise operation is the same, so the results must be *identical* (not merely
close): knots of the rate tables are chosen by comparisons with thresholds, and the
engine's random draws read the rates, so a change of the last bit could change a patient
unnoticed.

The occupancy kernel is the exception: it is a compiled loop (``occupancy._step_kernel``)
whose exponentials are not NumPy's and whose integrals over the quadrature sub-pieces are
differences of decays, so it equals the plain NumPy formula to rounding (``KERNEL_RTOL``),
not bit for bit.  Its values do not depend on the batch they are asked in, bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from cllsim.engine.patient import patient_doses
from cllsim.model import load_scenario
from cllsim.pkpd import occupancy
from cllsim.pkpd.dosing import Dose, dose_arrays, dose_columns, merge_doses, sort_doses
from cllsim.pkpd.exposure import exposure_evaluator, superposition_for
from cllsim.pkpd.grid import exposure_grid, exposure_table
from cllsim.pkpd.parameters import DRUGS, IBRUTINIB, OBINUTUZUMAB, VENETOCLAX
from cllsim.pkpd.pk import (
    Superposition,
    _phi,
    _psi,
    evaluate,
    integrate_pieces,
)

#: The compiled occupancy kernel against the plain formula: relative, on A, B and the free
#: fraction.  Differences of decays lose about ``eps / (rate * width)`` relative on a
#: sub-piece's integral; the free fraction measured 4e-14 at most here.
KERNEL_RTOL = 1e-12

OCC = IBRUTINIB.btk_occupancy
assert OCC is not None
KAPPA, KSYN = OCC.inactivation_rate_per_ng_ml_day, OCC.resynthesis_rate_per_day


# --- the previous implementations (references) -------------------------------------------


def _ref_decayed_states(sp: Superposition, t: NDArray, side: str) -> NDArray:
    idx = np.searchsorted(sp.starts, t, side=side) - 1
    out = np.zeros((t.size, sp.mode_rates.size))
    ok = idx >= 0
    if np.any(ok):
        dt = t[ok] - sp.starts[idx[ok]]
        out[ok] = sp.states[idx[ok]] * np.exp(-dt[:, None] * sp.mode_rates)
    return out


def _ref_evaluate(sp: Superposition, times: NDArray, *, left_limit: bool = False) -> NDArray:
    t = np.asarray(times, dtype=np.float64)
    flat = t.reshape(-1)
    out = _ref_decayed_states(sp, flat, "left" if left_limit else "right").sum(axis=1)
    for t0, t1, rate in zip(sp.infusion_start, sp.infusion_end, sp.infusion_rate, strict=True):
        running = (flat > t0) & (flat <= t1) if left_limit else (flat >= t0) & (flat < t1)
        if np.any(running):
            s = flat[running, None] - t0
            out[running] += rate * (_phi(sp.rates, s) @ sp.coef)
    return np.maximum(out, 0.0).reshape(t.shape)


def _ref_integrate_pieces(sp: Superposition, lo: NDArray, hi: NDArray) -> NDArray:
    a = np.asarray(lo, dtype=np.float64)
    shape = a.shape
    a = a.reshape(-1)
    h = np.asarray(hi, dtype=np.float64).reshape(-1) - a
    out = (_ref_decayed_states(sp, a, "right") * _phi(sp.mode_rates, h[:, None])).sum(axis=1)
    for t0, t1, rate in zip(sp.infusion_start, sp.infusion_end, sp.infusion_rate, strict=True):
        running = (a >= t0) & (a < t1)
        if np.any(running):
            x, hr = a[running, None] - t0, h[running, None]
            per_mode = hr * _phi(sp.rates, x) + np.exp(-sp.rates * x) * _psi(sp.rates, hr)
            out[running] += rate * (per_mode @ sp.coef)
    return out.reshape(shape)


def _ref_step(
    sp: Superposition, a: NDArray, h: NDArray, present: NDArray, kappa: float, ksyn: float
) -> tuple[NDArray, NDArray]:
    nodes = a[:, None] + h[:, None] * (1.0 + occupancy._GL_NODES) / 2.0
    ends = a + h
    rows = np.column_stack([a, nodes, ends])
    parts = kappa * _ref_integrate_pieces(sp, rows[:, :-1], rows[:, 1:])
    tail = np.cumsum(parts[:, ::-1], axis=1)[:, ::-1]
    big_a = np.exp(-(ksyn * h + tail[:, 0]))
    integrand = np.exp(-(ksyn * (ends[:, None] - nodes) + tail[:, 1:]))
    b_quad = ksyn * h / 2.0 * (integrand @ occupancy._GL_WEIGHTS)
    return big_a, np.where(present, b_quad, -np.expm1(-ksyn * h))


def _ref_free_fraction_at(
    table: occupancy.OccupancyTable, sp: Superposition, q: NDArray
) -> NDArray:
    """Free fraction at sorted times ``q``: one kernel call on every time after the first dose."""
    piece = np.searchsorted(table.edges, q, side="right") - 1
    piece = np.minimum(piece, table.present.size - 1)
    inside = q > table.edges[0]
    p = piece[inside]
    a = table.edges[p]
    big_a, big_b = _ref_step(sp, a, q[inside] - a, table.present[p], KAPPA, KSYN)
    out = np.ones(q.size)
    out[inside] = big_a * table.free[p] + big_b
    return np.clip(out, 0.0, 1.0)


def _same(x: NDArray, y: NDArray) -> bool:
    """Equal shapes and equal bits (so -0.0 and 0.0 differ, and NaN equals NaN)."""
    x, y = np.ascontiguousarray(x), np.ascontiguousarray(y)
    return x.shape == y.shape and x.dtype == y.dtype and x.tobytes() == y.tobytes()


# --- dose lists ----------------------------------------------------------------------------


def _random_doses(seed: int) -> tuple[Dose, ...]:
    """Oral, bolus and infusion doses at random times, with back-to-back and overlapping
    infusions for some seeds and doses at identical times."""
    rng = np.random.default_rng(seed)
    out = []
    for drug, route, dur in (
        ("venetoclax", "oral", 0.0),
        ("obinutuzumab", "iv_infusion", 0.15),
        ("chlorambucil", "oral", 0.0),
        ("ibrutinib", "oral", 0.0),
    ):
        ts = np.sort(rng.uniform(0.0, 60.0, int(rng.integers(1, 25)))).round(3)
        if route == "iv_infusion":
            extra = [ts[-1] + dur]  # back to back
            if seed % 2:
                extra += [ts[0] + dur / 2]  # overlapping
            ts = np.concatenate([ts, extra])
        for t in ts:
            out.append(Dose(float(t), drug, float(rng.uniform(10.0, 500.0)), route, dur))
    out += [Dose(20.0, "obinutuzumab", 100.0, "iv_bolus"), Dose(20.0, "venetoclax", 50.0)]
    return merge_doses(out)


SEEDS = [0, 1, 2, 3]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("left_limit", [False, True])
def test_evaluate_is_the_plain_formula(seed: int, left_limit: bool) -> None:
    """Concentrations at random times, at every dose time, infusion end and before the first
    dose, in one batch and in small batches."""
    doses = _random_doses(seed)
    rng = np.random.default_rng(seed + 100)
    for drug in (VENETOCLAX, OBINUTUZUMAB, IBRUTINIB):
        sp = superposition_for(doses, drug)
        t = np.concatenate(
            [
                rng.uniform(-2.0, 70.0, 500),
                sp.starts,
                sp.infusion_start,
                sp.infusion_end,
                [-1.0, 0.0],
            ]
        )
        assert _same(
            evaluate(sp, t, left_limit=left_limit), _ref_evaluate(sp, t, left_limit=left_limit)
        )
        for part in np.array_split(t, 7):
            assert _same(
                evaluate(sp, part, left_limit=left_limit),
                _ref_evaluate(sp, part, left_limit=left_limit),
            )


@pytest.mark.parametrize("seed", SEEDS)
def test_integrals_are_the_plain_formula(seed: int) -> None:
    """Integrals over pieces between dose inputs, as rows of pieces and as runs."""
    doses = _random_doses(seed)
    for drug in (VENETOCLAX, OBINUTUZUMAB, IBRUTINIB):
        sp = superposition_for(doses, drug)
        inputs = np.unique(np.concatenate([[-5.0, 80.0], sp.starts, sp.infusion_start]))
        frac = np.linspace(0.0, 1.0, 6)
        edges = inputs[:-1, None] + np.diff(inputs)[:, None] * frac  # [n_runs, 6]
        edges[:, -1] = inputs[1:]
        lo, hi = edges[:, :-1], edges[:, 1:]
        ref = _ref_integrate_pieces(sp, lo, hi)
        assert _same(integrate_pieces(sp, lo, hi), ref)


@pytest.mark.parametrize(
    "doses",
    [
        merge_doses(
            [Dose(0.0, "ibrutinib", 420.0), Dose(1.0, "ibrutinib", 140.0)],
            [Dose(1.4, "ibrutinib", 280.0), Dose(3.0, "ibrutinib", 420.0)],
            [Dose(3.0, "ibrutinib", 140.0)],
        ),
        tuple(Dose(float(k), "ibrutinib", 420.0 * 1.3) for k in range(60)),
    ],
    ids=["irregular", "daily"],
)
def test_occupancy_table_is_the_plain_formula(doses: tuple[Dose, ...]) -> None:
    """The compiled kernel, the table and queries equal the plain formula to rounding."""
    sp = superposition_for(doses, IBRUTINIB)
    horizon = float(doses[-1].time_days) + 10.0
    table = occupancy.occupancy_table(
        sp, horizon, inactivation_rate=KAPPA, resynthesis_rate_per_day=KSYN
    )
    a, h = table.edges[:-1], np.diff(table.edges)
    ref_a, ref_b = _ref_step(sp, a, h, table.present, KAPPA, KSYN)
    new_a, new_b = occupancy._step(sp, a, h, table.present, KAPPA, KSYN)
    np.testing.assert_allclose(new_a, ref_a, rtol=KERNEL_RTOL, atol=0)
    np.testing.assert_allclose(new_b, ref_b, rtol=KERNEL_RTOL, atol=0)
    np.testing.assert_allclose(
        table.free, occupancy._scan(ref_a, ref_b, 1.0), rtol=KERNEL_RTOL, atol=0
    )
    q = np.sort(np.random.default_rng(0).uniform(-1.0, horizon, 3000))
    np.testing.assert_allclose(
        occupancy.free_fraction_at(table, sp, q),
        _ref_free_fraction_at(table, sp, q),
        rtol=KERNEL_RTOL,
        atol=0,
    )


@pytest.mark.parametrize(
    ("name", "horizon"),
    [("ven-obi", None), ("clb-obi", None), ("ibrutinib-continuous", 400.0)],
)
def test_scenario_knots_and_exposures_are_the_plain_formula(
    name: str, horizon: float | None
) -> None:
    """The exposure tables of the built-in regimens on their knot grids: each column equals
    the plain formula evaluated on all knots at once (as the table asks), and the knots do
    not depend on whether the dose columns were already kept."""
    sc = load_scenario(name)
    if horizon is not None:
        sc = sc.model_copy(update={"horizon_days": horizon})
    doses = patient_doses(sc)
    drugs = [DRUGS[d] for d in sorted({d.drug for d in doses})]
    knots = exposure_grid(doses, drugs, sc.horizon_days, rtol=0.05, max_log_step=0.5)
    again = exposure_grid(list(doses), drugs, sc.horizon_days, rtol=0.05, max_log_step=0.5)
    assert _same(knots, again)
    table = exposure_table(doses, drugs, knots)
    left = np.zeros(knots.size, dtype=bool)
    left[:-1] = knots[:-1] == knots[1:]
    for j, drug in enumerate(drugs):
        sp = superposition_for(doses, drug)
        if drug.effect_driver == "btk_occupancy":
            f = exposure_evaluator(doses, drug, float(knots.max()))
            tab = occupancy.occupancy_table(
                sp, float(knots.max()), inactivation_rate=KAPPA, resynthesis_rate_per_day=KSYN
            )
            expected = 1.0 - _ref_free_fraction_at(tab, sp, knots)
            # occupancy is 1 - free: the free fraction's rounding is absolute on it
            np.testing.assert_allclose(f(knots), expected, rtol=KERNEL_RTOL, atol=1e-14)
            expected = f(knots)  # the table holds the kernel's values as asked on all knots
        else:
            expected = _ref_evaluate(sp, knots)
            if left.any():
                expected[left] = _ref_evaluate(sp, knots[left], left_limit=True)
        assert _same(table[:, j], expected)


def test_dose_columns_and_arrays_are_the_fields() -> None:
    """Columns follow the schedule's order; per-drug arrays select in that order."""
    doses = _random_doses(1)
    cols = dose_columns(doses)
    assert cols.time_days.tolist() == [d.time_days for d in doses]
    assert cols.duration_days.tolist() == [d.duration_days for d in doses]
    assert cols.route.tolist() == [d.route for d in doses]
    assert not cols.time_days.flags.writeable
    t, amount, dur, oral = dose_arrays(iter(doses), "obinutuzumab")
    mine = [d for d in doses if d.drug == "obinutuzumab"]
    assert t.tolist() == [d.time_days for d in mine]
    assert amount.tolist() == [d.amount_mg for d in mine]
    assert dur.tolist() == [d.duration_days for d in mine]
    assert oral.dtype == bool and oral.tolist() == [d.route == "oral" for d in mine]
    assert [a.size for a in dose_arrays((), "x")] == [0, 0, 0, 0]


def test_sort_doses_is_the_dataclass_order() -> None:
    """The key sort gives the order of Dose's own comparisons (time, drug, amount, ...)."""
    rng = np.random.default_rng(5)
    doses = [
        Dose(float(rng.integers(0, 5)), str(rng.choice(["a", "b"])), float(rng.integers(1, 4)))
        for _ in range(200)
    ]
    assert sort_doses(doses) == tuple(sorted(doses))


@pytest.mark.parametrize("seed", SEEDS)
def test_batches_give_the_values_of_separate_calls(seed: int) -> None:
    """One call over several batches (as the knot grid asks its three points per interval)
    equals one call per batch, bit for bit, for concentrations and for occupancy (whose
    values are computed one time at a time)."""
    rng = np.random.default_rng(seed + 200)
    parts = [np.sort(rng.uniform(-1.0, 65.0, n)) for n in (37, 1, 250, 0, 63, 1001, 6)]
    joined = np.concatenate(parts)
    starts = np.cumsum([p.size for p in parts])[:-1].tolist()
    doses = _random_doses(seed)
    for drug in (VENETOCLAX, OBINUTUZUMAB):
        sp = superposition_for(doses, drug)
        for left in (False, True):
            separate = np.concatenate([_ref_evaluate(sp, p, left_limit=left) for p in parts])
            assert _same(evaluate(sp, joined, left_limit=left, batch_starts=starts), separate)
    ibr = tuple(Dose(float(k) + 0.25 * (k % 3), "ibrutinib", 420.0) for k in range(40))
    sp = superposition_for(ibr, IBRUTINIB)
    table = occupancy.occupancy_table(
        sp, 70.0, inactivation_rate=KAPPA, resynthesis_rate_per_day=KSYN
    )
    separate = np.concatenate([occupancy.free_fraction_at(table, sp, p) for p in parts])
    assert _same(occupancy.free_fraction_at(table, sp, joined), separate)
    np.testing.assert_allclose(
        separate,
        np.concatenate([_ref_free_fraction_at(table, sp, p) for p in parts]),
        rtol=KERNEL_RTOL,
        atol=0,
    )
