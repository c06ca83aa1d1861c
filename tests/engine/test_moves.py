"""The chain of moves and deaths: its matrix exponential against SciPy's."""

import numpy as np
import pytest
from scipy.linalg import expm

from cllsim.engine.moves import expm_transition


@pytest.mark.parametrize("scale", [1e-3, 0.3, 3.0, 30.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_expm_transition_matches_scipy(seed, scale):
    """Random 8-type generators (moves 0-0.05, deaths 0-0.7, times ``scale``) and a 3-type
    pure-move one: every entry within 1e-13 of ``scipy.linalg.expm`` (the Taylor truncation
    alone is 2e-14), rows sum to 1 minus the death probability."""
    rng = np.random.default_rng(seed)
    n = 8
    a = np.where(rng.random((n, n)) < 0.4, rng.uniform(0, 0.05, (n, n)), 0.0)
    np.fill_diagonal(a, 0.0)
    death = rng.uniform(0, 0.7, n)
    a[np.diag_indices(n)] = -a.sum(1) - death
    a *= scale
    out = np.zeros((10, 10))
    expm_transition(a, n, out, np.zeros((6, 10, 10)))
    ref = expm(a)
    assert np.abs(out[:n, :n] - ref).max() < 1e-13
    moves = np.array([[-0.5, 0.3, 0.2], [0.1, -0.1, 0.0], [0.0, 2.0, -2.0]]) * scale
    out3 = np.zeros((3, 3))
    expm_transition(moves, 3, out3, np.zeros((6, 3, 3)))
    assert np.abs(out3 - expm(moves)).max() < 1e-13
    assert np.allclose(out3.sum(1), 1.0, atol=1e-14)


def test_chain_types_keep_the_types_cells_can_reach_in_component_order() -> None:
    """_chain_types: the leapt movers with cells, and the types reachable from them by moves
    with a rate this step (through movers only; a type simulated event by event absorbs),
    numbered in component order; the rest -1.  Component 1..6 of 7 types (type 0 is another
    component's): 2 holds cells and moves to 4 (rate > 0 only at the step's end) and to 3
    (rate 0 this step); 4 moves to 6, which is not leapt (absorbing) and would move to 5."""
    from cllsim.engine.leap import _chain_types

    members = np.array([0, 1, 2, 3, 4, 5, 6])
    local = np.array([0, 0, 1, 2, 3, 4, 5])  # each type's place in its component
    mover = np.array([True, True, True, True, True, False, False])
    xl = np.array([5, 0, 7, 0, 0, 0, 0])
    src = np.array([2, 2, 4, 6])
    dst = np.array([4, 3, 6, 5])
    m0 = np.array([0.0, 0.0, 0.2, 0.3])
    m1 = np.array([0.1, 0.0, 0.2, 0.3])
    ptr = np.zeros(8, dtype=np.int64)
    np.add.at(ptr, src + 1, 1)
    ptr = np.cumsum(ptr)
    idx = np.argsort(src, kind="stable").astype(np.int64)
    pos = np.full(6, 99, dtype=np.int64)
    k = _chain_types(1, 7, members, local, mover, xl, ptr, idx, dst, m0, m1, pos)
    assert k == 3
    assert pos.tolist() == [-1, 0, -1, 1, -1, 2]  # types 1..6: 2, 4 and 6 in that order


def test_a_chain_left_without_its_unreachable_types_has_the_same_exponential() -> None:
    """Why _chain_types may leave types out: with no move into them from the types kept,
    the exponential of the kept block is the kept block of the whole exponential, and the
    whole one gives the types left out probability 0 (scipy; a CLL14 component with empty
    persister types and no venetoclax: 4 sensitive compartments out of 8)."""
    rng = np.random.default_rng(3)
    n, kept = 8, [0, 1, 2, 3]
    a = np.zeros((n, n))
    a[:4, :4] = rng.uniform(0.0, 1.5, (4, 4))  # sensitive compartments exchange
    a[4:, 4:] = rng.uniform(0.0, 1.5, (4, 4))  # so do the persisters
    a[4:, :4] = np.diag(rng.uniform(0.0, 0.1, 4))  # persisters revert; none enter
    np.fill_diagonal(a, 0.0)
    a[np.diag_indices(n)] = -a.sum(1) - rng.uniform(0.0, 0.05, n)
    a *= 14.0  # a two-week step
    full = expm(a)
    assert np.all(full[np.ix_(kept, [4, 5, 6, 7])] == 0.0)
    out = np.zeros((n, n))
    expm_transition(np.ascontiguousarray(a[np.ix_(kept, kept)]), 4, out, np.zeros((6, n, n)))
    assert np.abs(out[:4, :4] - full[np.ix_(kept, kept)]).max() < 1e-13
