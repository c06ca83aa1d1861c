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
