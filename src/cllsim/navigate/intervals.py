"""Prediction intervals from a finite set of posterior-predictive draws.

A forecast holds ``n`` posterior-predictive draws of an outcome (one future per accepted
ABC draw; the day of a treatment indication or of progression, or a parameter).  If the
patient's true value is exchangeable with the draws (the truth is one more draw of the same
law, as in simulation-based calibration, Talts et al. 2018, arXiv:1804.06788), then it falls
below the *j*-th smallest draw with probability at most ``j / (n + 1)`` (exactly, without
ties), and above the *k*-th with probability at most ``(n + 1 - k) / (n + 1)``, so the
interval from the *j*-th to the *k*-th order statistic (bounds included) covers it with
probability at least ``(k - j) / (n + 1)``: the
distribution-free prediction interval of Wilks (1941, Ann. Math. Stat. 12:91,
doi:10.1214/aoms/1177731788).  Interpolating between draws (``numpy.quantile``'s default)
does neither: it gives bounds no draw has (264.6 days between visits 84 days apart, which
excludes a truth that one draw in 18 predicts) and NaN between two censored draws
(``inf - inf``), which is why these intervals use order statistics only.

Outcomes in days use NaN for "not before the horizon"; here it sorts after every time
(``+inf``), so an upper bound of ``inf`` reads "beyond the forecast horizon".
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["below_and_tied", "prediction_ranks", "predictive_interval", "randomised_rank"]


def prediction_ranks(n: int, level: float = 0.9) -> tuple[int, int, float]:
    """Order statistics whose interval is the ``level`` prediction interval of ``n`` draws.

    Parameters
    ----------
    n : int
        Number of draws, >= 1.
    level : float
        Nominal coverage in (0, 1).

    Returns
    -------
    j, k : int
        1-based ranks of the lower and upper bound (``k = n + 1 - j``, equal tails).
    coverage : float
        ``(k - j) / (n + 1)``: the interval's coverage of an exchangeable value with no ties,
        the nearest to ``level`` of the equal-tailed choices (at least ``(n - 1) / (n + 1)``
        is needed for 90%, i.e. ``n >= 19``; fewer draws give the range of the draws).

    Raises
    ------
    ValueError
        If ``n < 1`` or ``level`` is not in (0, 1).

    Examples
    --------
    >>> prediction_ranks(24)
    (1, 24, 0.92)
    >>> prediction_ranks(36)[:2]
    (2, 35)
    """
    if n < 1 or not 0.0 < level < 1.0:
        raise ValueError(f"prediction interval: need n >= 1 and 0 < level < 1, got {n}, {level}")
    tail = (1.0 - level) / 2.0
    j = max(1, math.floor((n + 1) * tail + 0.5))
    j = min(j, (n + 1) // 2)
    k = n + 1 - j
    return j, k, (k - j) / (n + 1)


def predictive_interval(draws: ArrayLike, level: float = 0.9) -> tuple[float, float, float]:
    """The ``level`` prediction interval of an outcome from its posterior-predictive draws.

    Parameters
    ----------
    draws : array_like of float, shape (n,)
        One value per posterior-predictive draw (days, or a parameter's value); NaN means
        "not before the horizon" and sorts after every value.
    level : float
        Nominal coverage in (0, 1).

    Returns
    -------
    low, high : float
        Order statistics ``j`` and ``k`` of :func:`prediction_ranks` (``inf``: beyond the
        horizon).
    coverage : float
        The interval's coverage of an exchangeable value, ``(k - j) / (n + 1)``.

    Examples
    --------
    >>> predictive_interval([84.0, 168.0, float("nan"), float("nan")], level=0.5)
    (84.0, inf, 0.6)
    """
    x = np.asarray(draws, dtype=np.float64).ravel()
    x = np.sort(np.where(np.isnan(x), np.inf, x))
    j, k, coverage = prediction_ranks(x.size, level)
    return float(x[j - 1]), float(x[k - 1]), coverage


def randomised_rank(draws: ArrayLike, truth: float, u: float) -> int:
    """The truth's rank among the draws, ties broken at random by ``u``.

    The number of draws below the truth plus ``floor(u * (m + 1))`` of the ``m`` draws equal
    to it (``u`` uniform on [0, 1)).  For a truth exchangeable with the draws the rank is
    uniform on ``0..n``, with ties too (outcomes on visit days), so it is the discrete form
    of the randomised PIT of Czado, Gneiting & Held (Biometrics 2009;65:1254), and the
    interval of order statistics ``j..k`` (:func:`prediction_ranks`) covers the truth when
    ``j <= rank <= k - 1``, with probability exactly ``(k - j) / (n + 1)``.  Counting a tie
    on a bound as covered instead (``low <= truth <= high``) is the interval's real
    coverage, but it exceeds the nominal one whenever draws tie (a truth on the first
    decision visit inside an interval [84, 84] is always covered).

    Parameters
    ----------
    draws : array_like of float, shape (n,)
        The draws; NaN sorts after every value, as in :func:`predictive_interval`.
    truth : float
        The true value (NaN or ``inf``: beyond the horizon).
    u : float
        A uniform number in [0, 1) that breaks the tie.

    Returns
    -------
    int
        The rank, in ``0..n``.

    Raises
    ------
    ValueError
        If ``u`` is not in [0, 1).

    Examples
    --------
    >>> [randomised_rank([84.0, 84.0, 168.0], 84.0, u) for u in (0.0, 0.99)]
    [0, 2]
    """
    if not 0.0 <= u < 1.0:
        raise ValueError(f"u must be in [0, 1), got {u!r}")
    below, ties = below_and_tied(draws, truth)
    return below + math.floor(u * (ties + 1))


def below_and_tied(draws: ArrayLike, truth: float) -> tuple[int, int]:
    """How many draws lie below the truth and how many equal it, NaN (draws and truth)
    sorting after every value as in :func:`predictive_interval`: the counts a randomised
    rank or PIT splits the tie between.

    Examples
    --------
    >>> below_and_tied([84.0, 84.0, 168.0, float("nan")], float("nan"))
    (3, 1)
    """
    x = np.asarray(draws, dtype=np.float64).ravel()
    x = np.where(np.isnan(x), np.inf, x)
    t = math.inf if math.isnan(truth) else float(truth)
    return int(np.count_nonzero(x < t)), int(np.count_nonzero(x == t))
