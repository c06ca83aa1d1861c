"""The exact law of the linear birth–death process (Kendall 1948).

From one cell with birth rate b(t) and death rate d(t) per day, over [0, h], with
``rho(s) = int_0^s (d - b)``, ``J = int_0^h d(s) e^{rho(s)} ds`` and
``B = int_0^h b(s) e^{rho(s)} ds``:

* ``alpha = P(N(h) = 0) = J / (1 + J)``
* ``beta = B / (1 + J)`` and ``1 - beta = e^{rho(h)} / (1 + J)``
* ``P(N(h) = n) = (1 - alpha)(1 - beta) beta^(n-1)`` for n >= 1.

(``J - B = e^{rho(h)} - 1``, so these agree with the usual forms; computing ``beta`` from
``B`` avoids the cancellation in ``1 - e^{rho}/(1+J)`` for short steps.)  From ``n0`` cells the
count is exactly ``K + NegBinomial(K, 1 - beta)`` with ``K ~ Binomial(n0, 1 - alpha)``.

Public NumPy functions give the closed forms for constant rates (tests, users); the numba
kernels integrate linear rates within a step for the engine.

References
----------
Kendall DG (1948) On the generalized "birth-and-death" process. Ann Math Stat 19:1-15,
doi:10.1214/aoms/1177730285.  Test vectors: ``reference/kendall.md``.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "draw_leap",
    "extinction_time",
    "kendall_alpha_beta",
    "kendall_mean",
    "kendall_pmf",
    "kendall_variance",
    "leap_part",
    "leap_probabilities",
    "linear_integrals",
    "sample_leap",
]

# 8-point Gauss-Legendre nodes and weights on [-1, 1].
_GL_X = np.array(
    [
        -0.9602898564975363,
        -0.7966664774136267,
        -0.5255324099163290,
        -0.1834346424956498,
        0.1834346424956498,
        0.5255324099163290,
        0.7966664774136267,
        0.9602898564975363,
    ]
)
_GL_W = np.array(
    [
        0.1012285362903763,
        0.2223810344533745,
        0.3137066458778873,
        0.3626837833783620,
        0.3626837833783620,
        0.3137066458778873,
        0.2223810344533745,
        0.1012285362903763,
    ]
)


@nb.njit(cache=True)
def exprel(x):
    """(e^x - 1) / x, accurate near 0."""
    if abs(x) < 1e-5:
        return 1.0 + x / 2.0 + x * x / 6.0
    return np.expm1(x) / x


@nb.njit(cache=True)
def _gl_moments(r0, r1, q1, q2, h):
    """Gauss–Legendre ``int_0^h r(s) e^{q(s)} ds`` and ``int_0^h s r(s) e^{q(s)} ds``."""
    n_sub = 1 + int(abs(q1) * h + abs(q2) * h * h)
    if n_sub > 256:
        n_sub = 256
    piece = h / n_sub
    total = 0.0
    total_s = 0.0
    for k in range(n_sub):
        a = k * piece
        for j in range(8):
            s = a + 0.5 * piece * (_GL_X[j] + 1.0)
            f = 0.5 * piece * _GL_W[j] * (r0 + (r1 - r0) * s / h) * np.exp(q1 * s + q2 * s * s)
            total += f
            total_s += f * s
    return total, total_s


@nb.njit(cache=True)
def weighted_exp_integral(r0, r1, q1, q2, h):
    """``int_0^h r(s) e^{q1 s + q2 s^2} ds`` with ``r`` linear from ``r0`` to ``r1``.

    Closed form when ``r`` is constant and ``q2 = 0``; otherwise 8-point Gauss–Legendre on
    sub-intervals short enough that the exponent changes by less than 1 on each (the
    integrand is smooth, so the error is far below 1e-12 relative).
    """
    if h <= 0.0:
        return 0.0
    if r0 == r1 and q2 == 0.0:
        return r0 * h * exprel(q1 * h)
    return _gl_moments(r0, r1, q1, q2, h)[0]


@nb.njit(cache=True)
def weighted_exp_mean_time(r0, r1, q1, q2, h):
    """Mean of ``s`` under the density proportional to ``r(s) e^{q1 s + q2 s^2}`` on [0, h]."""
    total, total_s = _gl_moments(r0, r1, q1, q2, h)
    if total <= 0.0:
        return 0.5 * h
    return total_s / total


@nb.njit(cache=True)
def linear_integrals(b0, b1, d0, d1, h):
    """Kendall integrals over [0, h] for birth and death linear from (b0, d0) to (b1, d1).

    Returns
    -------
    rho_h : float
        ``int_0^h (d - b) ds``.
    big_j, big_b : float
        ``int_0^h d e^{rho}`` and ``int_0^h b e^{rho}``.
    """
    c0 = d0 - b0
    c1 = ((d1 - b1) - c0) / h if h > 0 else 0.0
    rho_h = c0 * h + 0.5 * c1 * h * h
    if b0 == b1 and d0 == d1:
        e = h * exprel(c0 * h)
        return rho_h, d0 * e, b0 * e
    big_j = weighted_exp_integral(d0, d1, c0, 0.5 * c1, h)
    big_b = weighted_exp_integral(b0, b1, c0, 0.5 * c1, h)
    return rho_h, big_j, big_b


@nb.njit(cache=True)
def leap_probabilities(rho_h, big_j, big_b):
    """(1 - alpha, 1 - beta) from the step's integrals; (0, 1) when every lineage dies."""
    if not np.isfinite(big_j):
        return 0.0, 1.0
    if big_b <= 0.0:
        return 1.0 / (1.0 + big_j), 1.0
    return 1.0 / (1.0 + big_j), min(np.exp(rho_h) / (1.0 + big_j), 1.0)


@nb.njit(cache=True, inline="always")
def draw_leap(rng, n0, p_surv, p_nb):
    """``K ~ Binomial(n0, p_surv)``, then ``K + NegBinomial(K, p_nb)``."""
    if n0 <= 0:
        return np.int64(0)
    k = rng.binomial(n0, p_surv) if p_surv < 1.0 else n0
    if k == 0 or p_nb >= 1.0:
        return np.int64(k)
    return np.int64(k) + np.int64(rng.negative_binomial(k, p_nb))


@nb.njit(cache=True, inline="always")
def sample_leap(rng, n0, rho_h, big_j, big_b):
    """Draw N(h) from ``n0`` cells given the step's Kendall integrals (exact).

    ``K ~ Binomial(n0, 1/(1+J))`` surviving lineages; ``N = K + NegBinomial(K, 1 - beta)``
    with ``1 - beta = e^{rho}/(1+J)``.
    """
    p_surv, p_nb = leap_probabilities(rho_h, big_j, big_b)
    return draw_leap(rng, n0, p_surv, p_nb)


@nb.njit(cache=True, inline="always")
def leap_part(rng, n0, b0, b1, d0, d1, f0, f1, h):
    """Leap ``n0`` cells over the fraction [f0, f1] of a step of length ``h`` (rates linear
    from (b0, d0) at 0 to (b1, d1) at 1)."""
    if n0 <= 0 or f1 <= f0:
        return np.int64(n0) if n0 > 0 else np.int64(0)
    ba = b0 + f0 * (b1 - b0)
    bb = b0 + f1 * (b1 - b0)
    da = d0 + f0 * (d1 - d0)
    db = d0 + f1 * (d1 - d0)
    rho, big_j, big_b = linear_integrals(ba, bb, da, db, (f1 - f0) * h)
    return sample_leap(rng, n0, rho, big_j, big_b)


@nb.njit(cache=True)
def extinction_time(rng, n0, b0, b1, d0, d1, h):
    """Time of extinction of ``n0`` cells given that they are extinct by ``h`` (bisection on
    the conditional distribution function (alpha(s)/alpha(h))^n0)."""
    _, jh, _ = linear_integrals(b0, b1, d0, d1, h)
    log_ah = np.log(jh / (1.0 + jh))
    target = np.log(rng.random()) / n0 + log_ah
    lo, hi = 0.0, h
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        bm = b0 + (b1 - b0) * mid / h
        dm = d0 + (d1 - d0) * mid / h
        _, js, _ = linear_integrals(b0, bm, d0, dm, mid)
        if js > 0 and np.log(js / (1.0 + js)) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


# ---- closed forms for constant rates (NumPy, vectorised) -------------------------------------


def kendall_alpha_beta(
    birth: ArrayLike, death: ArrayLike, t: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``alpha = P(N(t) = 0)`` and ``beta`` from one cell, constant rates (per day, t in days).

    Examples
    --------
    >>> a, b = kendall_alpha_beta(1.0, 0.5, 1.0)
    >>> round(float(a), 6), round(float(b), 6)
    (0.282367, 0.564733)
    """
    b, d, t = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (birth, death, t)))
    r = (d - b) * t
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.where(np.abs(r) < 1e-5, t * (1 + r / 2 + r * r / 6), np.expm1(r) / (d - b))
    big_j = d * e
    big_b = b * e
    return big_j / (1 + big_j), big_b / (1 + big_j)


def kendall_pmf(n: ArrayLike, birth: float, death: float, t: float) -> NDArray[np.float64]:
    """P(N(t) = n) from one cell, constant rates."""
    a, b = kendall_alpha_beta(birth, death, t)
    n = np.asarray(n)
    return np.where(n == 0, a, (1 - a) * (1 - b) * np.power(b, np.maximum(n - 1, 0)))


def kendall_mean(birth: ArrayLike, death: ArrayLike, t: ArrayLike) -> NDArray[np.float64]:
    """E[N(t)] = e^{(b-d)t} from one cell."""
    return np.exp((np.asarray(birth) - np.asarray(death)) * np.asarray(t))


def kendall_variance(birth: ArrayLike, death: ArrayLike, t: ArrayLike) -> NDArray[np.float64]:
    """Var[N(t)] from one cell: (b+d)/(b-d) e(e-1), and 2bt when b = d."""
    b, d, t = (np.asarray(v, dtype=np.float64) for v in (birth, death, t))
    lam = b - d
    e = np.exp(lam * t)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = (
            (b + d)
            * e
            * t
            * np.where(np.abs(lam * t) < 1e-5, 1 + lam * t / 2, np.expm1(lam * t) / (lam * t))
        )
    return v
