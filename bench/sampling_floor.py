"""The sampling floor: exact Kendall leaps with nothing else around them (numba).

For a pure birth-death clone recorded every ``h`` days, any exact leaping method must draw,
per clone and step, ``K ~ Binomial(N, 1 - alpha)`` and ``N' = K + NegBinomial(K, 1 - beta)``
(Kendall 1948; ``shared/reference/kendall.md``).  This module times exactly those draws, in
one numba loop with numpy's Generator, for the W1 and W4 shapes; no engine in between.  It
is a lower bound for the engine's kernel on this machine, not a competitor.
"""

from __future__ import annotations

import math
import time

import numba as nb
import numpy as np

__all__ = ["alpha_beta", "leap_floor"]


def alpha_beta(birth: float, death: float, h: float) -> tuple[float, float]:
    """Kendall's alpha(h), beta(h) for constant rates birth != death (per day, days)."""
    e = math.exp((birth - death) * h)
    return death * (e - 1) / (birth * e - death), birth * (e - 1) / (birth * e - death)


@nb.njit(cache=True)
def _leaps(rng, n0, p_surv, p_nb, steps, clones):  # pragma: no cover - numba
    total = 0
    for _ in range(clones):
        x = n0
        for _ in range(steps):
            k = rng.binomial(x, p_surv) if x > 0 else 0
            x = k + rng.negative_binomial(k, p_nb) if k > 0 else 0
        total += x
    return total


def leap_floor(
    *,
    n0: int,
    birth: float,
    death: float,
    h: float,
    steps: int,
    clones: int,
    repeat: int,
    seed: int,
) -> dict[str, float]:
    """Median seconds of ``clones x steps`` exact leaps (after a compile/warm-up call)."""
    a, b = alpha_beta(birth, death, h)
    rng = np.random.default_rng(seed)
    _leaps(rng, n0, 1 - a, 1 - b, 2, 2)
    secs = []
    for _ in range(repeat):
        rng = np.random.default_rng(seed)
        t0 = time.perf_counter()
        _leaps(rng, n0, 1 - a, 1 - b, steps, clones)
        secs.append(time.perf_counter() - t0)
    med = float(np.median(secs))
    n = steps * clones
    return {"median_s": med, "leaps": float(n), "ns_per_leap": med / n * 1e9}
