"""Rate tables: the one-pass merge on the step grid equals evaluating every grid point; tables
averaged over pieces keep every integral and bound the deviation inside a piece."""

import itertools

import numpy as np
import pytest
from scipy.linalg import expm

from cllsim.engine.network import Network
from cllsim.engine.rates import (
    _generator,
    _grow,
    _grow_work,
    averaged_tables,
    rates_at,
    rates_on_grid,
)


def test_rates_on_grid_equals_pointwise_limits():
    """Random knots with jumps (repeated knots), a grid reaching beyond both ends: the start
    (right-limit) and end (left-limit) rows are bitwise those of ``rates_at``."""
    rng = np.random.default_rng(0)
    jumps = np.repeat(rng.uniform(0, 100, 20), 2)
    knots = np.sort(np.concatenate([rng.uniform(0, 100, 300), jumps]))
    values = rng.normal(size=(knots.size, 7))
    grid = np.unique(np.concatenate([knots, np.linspace(-5, 105, 400)]))
    start, end = rates_on_grid(knots, values, grid)
    assert np.array_equal(start, [rates_at(knots, values, t, True) for t in grid[:-1]])
    assert np.array_equal(end, [rates_at(knots, values, t, False) for t in grid[1:]])


def test_constant_rates_give_one_row():
    values = np.array([[0.5, 0.2]])
    start, end = rates_on_grid(np.zeros(1), values, np.linspace(0, 3, 4))
    assert start.shape == (1, 2) and np.array_equal(start, values) and np.array_equal(end, values)


def _fine_table():
    """A rate table like a dosing schedule's: daily oscillation, a jump, a sharp pulse."""
    knots = np.sort(np.concatenate([np.linspace(0, 60, 481), [20.0, 20.0]]))
    t = knots[:, None]
    values = np.hstack(
        [
            2.0 + 0.3 * np.sin(2 * np.pi * t),  # fast, oscillating
            0.004 + 0.002 * np.sin(2 * np.pi * t + 1),  # small
            0.01 * np.exp(-t / 30.0),  # slow decay
            np.where(np.abs(t - 40.0) < 0.2, 5.0, 0.0),  # a pulse of integral ~2
            np.full((knots.size, 1), 0.3),  # constant
        ]
    )
    first = np.flatnonzero(knots == 20.0)[0]
    values[first + 1 :, 0] += 0.5  # a jump at day 20 (second copy: value just after)
    return knots, values


def _integral(knots, values, a, b):
    """Exact integral over [a, b] of a piecewise-linear table (trapezoids on its knots)."""
    grid = np.unique(np.concatenate([knots[(knots > a) & (knots < b)], [a, b]]))
    out = np.zeros(values.shape[1])
    for lo, hi in itertools.pairwise(grid):
        right, left = rates_at(knots, values, lo, True), rates_at(knots, values, hi, False)
        out += 0.5 * (hi - lo) * (right + left)
    return out


def test_averaged_tables_keep_every_integral_and_bound_the_running_deviation():
    """Every rate's integral over every piece is the fine table's (to 1e-12); on averaged
    pieces the running integral of rate minus average stays within tol at every fine knot;
    pieces are at most max_len long; the pulse is not smeared (its pieces are short)."""
    knots, values = _fine_table()
    tol, max_len = 0.02, 7.0
    new_knots, (new,) = averaged_tables(knots, (values,), tol, max_len)
    Network(types=tuple("abcde"), initial=(1,) * 5, birth=new, death=0.0, knots_days=new_knots)
    assert new_knots.size / 2 < (knots.size - 1) / 3  # pieces vs fine intervals
    starts, ends = new_knots[::2], new_knots[1::2]
    assert np.all(ends > starts) and np.array_equal(starts[1:], ends[:-1])
    assert starts[0] == 0.0 and ends[-1] == 60.0 and np.all(ends - starts <= max_len)
    for q, (a, b) in enumerate(zip(starts, ends, strict=True)):
        lo, hi = new[2 * q], new[2 * q + 1]
        np.testing.assert_allclose(
            0.5 * (b - a) * (lo + hi), _integral(knots, values, a, b), rtol=1e-12, atol=1e-13
        )
        if np.array_equal(lo, hi):  # averaged: bounded running deviation inside
            inside = knots[(knots > a) & (knots < b)]
            for s in inside:
                dev = _integral(knots, values, a, s) - lo * (s - a)
                assert np.all(np.abs(dev) <= tol + 1e-12), (a, b, s, dev)
    pulse = (starts < 40.2) & (ends > 39.8)
    assert np.all(ends[pulse] - starts[pulse] < 0.5)


def test_averaged_tables_of_constant_rates_is_one_knot():
    knots = np.linspace(0, 10, 11)
    values = np.tile([[0.1, 0.2]], (11, 1))
    new_knots, (new,) = averaged_tables(knots, (values,), 0.02, 7.0)
    assert np.array_equal(new_knots, [0.0]) and np.array_equal(new, [[0.1, 0.2]])


def test_a_single_interval_that_fails_is_kept_linear():
    """A rate rising by 1/day over one day changes its running integral by 1/8 inside: more
    than tol = 0.02, so that interval is kept as it is (not averaged)."""
    knots = np.array([0.0, 1.0, 2.0])
    values = np.array([[0.0], [1.0], [1.0]])
    new_knots, (new,) = averaged_tables(knots, (values,), 0.02, 7.0)
    assert np.array_equal(new_knots, [0.0, 1.0, 1.0, 2.0])
    assert np.array_equal(new[:, 0], [0.0, 1.0, 1.0, 1.0])


def test_a_tolerance_per_interval_binds_every_piece_that_holds_the_interval():
    """Tolerance 0.02 on the intervals of days 25-30, 1.0 elsewhere: every piece that
    overlaps days 25-30 keeps its running deviation within 0.02 and every other within 1.0;
    every integral is kept; the loose intervals take fewer pieces than with 0.02 everywhere."""
    knots, values = _fine_table()
    tight = (knots[1:] > 25.0) & (knots[:-1] < 30.0)
    tol = np.where(tight, 0.02, 1.0)
    new_knots, (new,) = averaged_tables(knots, (values,), tol, 7.0)
    uniform, _ = averaged_tables(knots, (values,), 0.02, 7.0)
    starts, ends = new_knots[::2], new_knots[1::2]
    assert starts.size < uniform.size / 2
    for q, (a, b) in enumerate(zip(starts, ends, strict=True)):
        lo, hi = new[2 * q], new[2 * q + 1]
        np.testing.assert_allclose(
            0.5 * (b - a) * (lo + hi), _integral(knots, values, a, b), rtol=1e-12, atol=1e-13
        )
        bound = 0.02 if (b > 25.0 and a < 30.0) else 1.0
        if np.array_equal(lo, hi):
            for s in knots[(knots > a) & (knots < b)]:
                dev = _integral(knots, values, a, s) - lo * (s - a)
                assert np.all(np.abs(dev) <= bound + 1e-12), (a, b, s, dev)
    inside = (starts >= 25.0) & (ends <= 30.0)
    assert inside.sum() >= 4  # the tight days keep short pieces


def test_flat_rates_take_pieces_longer_than_max_len():
    """A rate that fades (a drug's effect after the last dose) beside one that oscillates
    until day 30: with flat_rate 1e-4 and flat_len 28, pieces grow past max_len = 7 days only
    where no rate spans more than 1e-4 on them; every integral is kept; without flat_rate no
    piece is longer than 7 days."""
    knots = np.linspace(0.0, 200.0, 801)
    t = knots[:, None]
    values = np.hstack(
        [
            0.2 + 0.05 * np.exp(-t / 15.0),  # fades: changes by 1e-4 over a week near day 100
            0.5 + np.where(t < 30.0, 0.1 * np.sin(2 * np.pi * t), 0.0),
        ]
    )
    plain_knots, _ = averaged_tables(knots, (values,), 0.02, 7.0)
    assert np.diff(plain_knots).max() <= 7.0
    new_knots, (new,) = averaged_tables(knots, (values,), 0.02, 7.0, 1e-4, 28.0)
    starts, ends = new_knots[::2], new_knots[1::2]
    assert np.array_equal(starts[1:], ends[:-1]) and ends[-1] == 200.0
    long = ends - starts > 7.0
    assert long.sum() >= 3 and np.all(ends - starts <= 28.0)
    for q, (a, b) in enumerate(zip(starts, ends, strict=True)):
        lo, hi = new[2 * q], new[2 * q + 1]
        np.testing.assert_allclose(
            0.5 * (b - a) * (lo + hi), _integral(knots, values, a, b), rtol=1e-12, atol=1e-13
        )
        inside = values[(knots >= a) & (knots <= b)]
        spread = (inside.max(axis=0) - inside.min(axis=0)).max()
        if long[q]:
            assert spread <= 1e-4, (a, b, spread)
    # the fading rate spans more than 1e-4 over 28 days until day ~85: no long piece before
    assert starts[long].min() > 60.0
    late, plain_late = (starts >= 100.0).sum(), (plain_knots[::2] >= 100.0).sum()
    assert late <= 0.5 * plain_late, (late, plain_late)


def test_flat_pieces_keep_the_running_deviation_within_tol():
    """A flat piece still keeps every running integral within tol: a rate rising by 0.9e-4
    per 28 days is flat enough for 28-day pieces, but its running deviation there (0.9e-4 x
    28 / 8 = 3.2e-4) is above tol = 5e-5, so its pieces stop near 11 days (past max_len,
    within tol at every fine knot)."""
    knots = np.linspace(0.0, 200.0, 801)
    values = 0.2 + (0.9e-4 / 28.0) * knots[:, None]
    tol = 5e-5
    new_knots, (new,) = averaged_tables(knots, (values,), tol, 7.0, 1e-4, 28.0)
    starts, ends = new_knots[::2], new_knots[1::2]
    assert (ends - starts > 7.0)[:-1].all() and (ends - starts < 14.0).all()  # last: the end
    for q, (a, b) in enumerate(zip(starts, ends, strict=True)):
        lo, hi = new[2 * q], new[2 * q + 1]
        if np.array_equal(lo, hi):
            for s in knots[(knots > a) & (knots < b)]:
                dev = _integral(knots, values, a, s) - lo * (s - a)
                assert np.all(np.abs(dev) <= tol + 1e-12), (a, b, s, dev)


@pytest.mark.parametrize("days", [0.05, 0.3, 7.0])
def test_grow_is_the_mean_generators_exponential(days):
    """rates._grow (growth_corrections' step): v expm(A h) normalised, and the log of its
    sum, for the generator of the rates midway between two rows, against scipy's expm: on
    the vector for a short step, by scaling and squaring for a week of fast moves."""
    rng = np.random.default_rng(5)
    n, src, dst = 4, np.array([0, 1, 1, 2, 3]), np.array([1, 0, 2, 3, 0])
    tables = (rng.uniform(0, 0.5, (2, 3)), rng.uniform(0, 0.5, (2, 2)), rng.uniform(0, 6, (2, 5)))
    b_col, d_col, m_col = np.array([0, 1, 2, 0]), np.array([1, 0, 0, 1]), np.arange(5)
    diag, rate = np.empty(n), np.empty(5)
    _generator(tables, 0, 1, b_col, d_col, m_col, src, diag, rate)
    mid = [t.mean(0) for t in tables]
    a = np.diag(mid[0][b_col] - mid[1][d_col])
    np.add.at(a, (src, src), -mid[2][m_col])
    np.add.at(a, (src, dst), mid[2][m_col])
    v = rng.uniform(0, 1, n)
    v /= v.sum()
    want = v @ expm(a * days)
    work = _grow_work(n)
    got = v.copy()
    log_sum = _grow(got, diag, rate, days, src, dst, work)
    # the series are summed until a term is below 1e-10 (v sums to 1)
    assert log_sum == pytest.approx(np.log(want.sum()), abs=1e-9)
    np.testing.assert_allclose(got, want / want.sum(), rtol=1e-9)


def test_growth_corrections_make_the_averaged_mean_grow_as_the_fine_one():
    """Two types exchanging cells at 2 a day, one killed on a daily swing, tables averaged
    over 7-day pieces: on each piece the correction is the difference of the two paths' log
    growths per day, so the averaged mean corrected (scipy's expm, piece by piece) ends each
    piece where the fine mean does (midpoint exponentials, interval by interval), within
    1e-8 in ln; uncorrected it drifts by more than 0.01 in 4 weeks.  A start with no cells
    is taken as evenly spread (finite corrections)."""
    from cllsim.engine.rates import growth_corrections

    fine_knots = np.linspace(0.0, 28.0, 28 * 8 + 1)
    kill = 1.5 * (1 + np.sin(2 * np.pi * fine_knots))[:, None]
    fine = (np.full((fine_knots.size, 1), 0.2), np.column_stack([kill, 0 * kill]),
            np.full((fine_knots.size, 1), 2.0))  # fmt: skip
    knots, averaged = averaged_tables(fine_knots, fine, 10.0, 7.0)
    args = (np.array([0, 0]), np.array([0, 1]), np.array([0, 0]), np.array([0, 1]),
            np.array([1, 0]))  # fmt: skip
    v0 = np.array([0.3, 0.7])
    delta = growth_corrections(fine_knots, fine, knots, tuple(averaged), *args, v0, 1e-4)
    assert knots.size == 8 and delta.shape == (4,)

    def gen(b, d, m):
        return np.array([[b[0] - d[0] - m[0], m[0]], [m[0], b[0] - d[1] - m[0]]])

    v_fine, ln_fine, v_plain, ln_plain, v_corr, ln_corr = v0, 0.0, v0, 0.0, v0, 0.0
    for p in range(4):
        t0, t1 = knots[2 * p], knots[2 * p + 1]
        for j in np.flatnonzero((fine_knots[:-1] >= t0) & (fine_knots[1:] <= t1)):
            a = gen(*[0.5 * (t[j] + t[j + 1]) for t in fine])
            v_fine = v_fine @ expm(a * (fine_knots[j + 1] - fine_knots[j]))
            ln_fine += np.log(v_fine.sum())
            v_fine = v_fine / v_fine.sum()
        a = gen(*[t[2 * p] for t in averaged])
        v_plain = v_plain @ expm(a * (t1 - t0))
        ln_plain += np.log(v_plain.sum())
        v_plain = v_plain / v_plain.sum()
        v_corr = v_corr @ expm((a - delta[p] * np.eye(2)) * (t1 - t0))
        ln_corr += np.log(v_corr.sum())
        v_corr = v_corr / v_corr.sum()
        assert ln_corr == pytest.approx(ln_fine, abs=1e-8)
    assert abs(ln_plain - ln_fine) > 0.01
    empty = growth_corrections(fine_knots, fine, knots, tuple(averaged), *args, 0 * v0, 1e-4)
    assert np.all(np.isfinite(empty))
