"""The step grid of ``simulate_network``: every interval split as ``np.linspace`` splits it.

``_subdivide`` computes the points of all intervals at once; the engine's steps (and so its
random draws) depend on every bit of them, so it must give exactly the points of the
straightforward loop below (the previous implementation), for any spacing.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from cllsim.engine.simulate import _subdivide


def _reference(grid: np.ndarray, max_step: float) -> np.ndarray:
    pieces = [grid[:1]]
    for a, b in itertools.pairwise(grid):
        k = int(np.ceil((b - a) / max_step - 1e-9))
        pieces.append(np.linspace(a, b, k + 1)[1:] if k > 1 else np.array([b]))
    return np.concatenate(pieces)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("max_step", [1.0, 0.37, 30.0])
def test_subdivide_is_linspace_bit_for_bit(seed: int, max_step: float) -> None:
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(rng.choice([0.05, 1.0, 5.0]), int(rng.integers(1, 300)))
    grid = np.unique(np.concatenate([[0.0], np.cumsum(gaps), np.cumsum(gaps)[:3] + 1e-12]))
    grid = np.concatenate([grid, grid[-1] + [max_step, 2.5 * max_step]])  # exact multiples
    got, expected = _subdivide(grid, max_step), _reference(grid, max_step)
    assert got.shape == expected.shape
    assert got.tobytes() == expected.tobytes()


def test_subdivide_single_point() -> None:
    assert _subdivide(np.array([3.0]), 1.0).tolist() == [3.0]
