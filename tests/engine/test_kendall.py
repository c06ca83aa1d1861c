"""Closed forms and the sampler of the Kendall birth–death law against reference/kendall.md."""

import numpy as np
import pytest

from cllsim.engine import ALGORITHMS, KendallLeap, Network, simulate_network
from cllsim.engine.kendall import (
    kendall_alpha_beta,
    kendall_mean,
    kendall_pmf,
    kendall_variance,
    linear_integrals,
)

# reference/kendall.md, "Test vectors (from one founder cell)"
VECTORS = [
    # b, d, t, P0, beta, P1, P2, mean, var
    (1.0, 0.5, 1, 0.282367, 0.564733, 0.312362, 0.176401, 1.648721, 3.208682),
    (1.0, 0.5, 5, 0.478600, 0.957201, 0.022315, 0.021360, 12.182494, 408.691995),
    (1.0, 1.0, 1, 0.5, 0.5, 0.25, 0.125, 1, 2),
    (0.14, 0.13, 100, 0.891512, 0.960089, 0.004330, 0.004157, 2.718282, 126.110905),
    (0.0039, 0.0018, 365, 0.314544, 0.681512, 0.218309, 0.148780, 2.152220, 6.730972),
]


@pytest.mark.parametrize(("b", "d", "t", "p0", "beta", "p1", "p2", "mean", "var"), VECTORS)
def test_closed_forms_match_test_vectors(b, d, t, p0, beta, p1, p2, mean, var):
    """Every closed form to 1e-6 (the vectors are printed to 6 decimals; 1e-6 is one unit of
    the last digit, relative for mean and variance)."""
    a, bb = kendall_alpha_beta(b, d, t)
    assert abs(a - p0) < 1e-6
    assert abs(bb - beta) < 1e-6
    assert abs(kendall_pmf(1, b, d, t) - p1) < 1e-6
    assert abs(kendall_pmf(2, b, d, t) - p2) < 1e-6
    assert abs(kendall_mean(b, d, t) / mean - 1) < 1e-6
    assert abs(kendall_variance(b, d, t) / var - 1) < 1e-6


@pytest.mark.parametrize(("b", "d", "t", "p0", "beta"), [v[:5] for v in VECTORS])
def test_engine_integrals_reproduce_alpha_beta(b, d, t, p0, beta):
    """The engine's integrals (used by every leap) give the same alpha and beta, both through
    the constant-rate closed form and through quadrature (a zero-slope ramp split in two)."""
    _, big_j, big_b = linear_integrals(b, b, d, d, float(t))
    assert abs(big_j / (1 + big_j) - p0) < 1e-6
    assert abs(big_b / (1 + big_j) - beta) < 1e-6
    # a linear ramp from (b, d) to (b + eps, d) must be continuous in eps
    _, j2, b2 = linear_integrals(b, b * (1 + 1e-12), d, d, float(t))
    assert abs(j2 / (1 + j2) - p0) < 1e-6
    assert abs(b2 / (1 + j2) - beta) < 1e-6


def test_time_varying_integrals_match_numeric_quadrature():
    """Linear rates: alpha and beta from the engine's Gauss–Legendre integrals equal an
    independent fine trapezoid quadrature of the same integrals (relative 1e-9)."""
    b0, b1, d0, d1, h = 0.8, 0.1, 0.2, 2.5, 1.7
    s = np.linspace(0, h, 200_001)
    b = b0 + (b1 - b0) * s / h
    d = d0 + (d1 - d0) * s / h
    rho = np.concatenate([[0], np.cumsum(0.5 * ((d - b)[1:] + (d - b)[:-1]) * np.diff(s))])
    j_num = np.trapezoid(d * np.exp(rho), s)
    b_num = np.trapezoid(b * np.exp(rho), s)
    rho_h, big_j, big_b = linear_integrals(b0, b1, d0, d1, h)
    assert abs(rho_h - rho[-1]) < 1e-9
    assert abs(big_j / j_num - 1) < 1e-9
    assert abs(big_b / b_num - 1) < 1e-9


@pytest.mark.parametrize("algorithm", ALGORITHMS, ids=lambda a: type(a).__name__)
def test_sampler_mean_and_variance(algorithm):
    """N0 = 1000, b = 1, d = 0.5, t = 1: exact mean 1648.72, variance 3208.7 per founder
    times 1000.  KendallLeap: 200,000 draws (the issue's figure); ExactSSA: 20,000 (it makes
    ~4,000 events per run).  Mean within 4 standard errors; the sample variance within 4 of its
    standard errors (SE of a variance ~ sigma^2 sqrt((kurtosis-1)/n), kurtosis ~ 3 here since
    the sum of 1000 lineages is near-normal)."""
    n = 200_000 if isinstance(algorithm, KendallLeap) else 20_000
    net = Network(types=("X",), initial=(1000,), birth=1.0, death=0.5)
    res = simulate_network(net, times_days=[1.0], n_runs=n, rng=20261123, algorithm=algorithm)
    x = res.counts[:, 0, 0].astype(float)
    mean, var = 1000 * kendall_mean(1, 0.5, 1), 1000 * kendall_variance(1, 0.5, 1)
    assert abs(x.mean() - mean) < 4 * np.sqrt(var / n)
    assert abs(x.var(ddof=1) - var) < 4 * var * np.sqrt(2 / n)


def test_extinction_probability_and_pmf_from_one_cell():
    """From one cell (b = 1, d = 0.5, t = 1), 200,000 leaps: the frequencies of 0, 1, 2 and
    3+ cells match the closed form (chi-square, 3 degrees of freedom, p > 1e-3)."""
    from scipy import stats

    n = 200_000
    net = Network(types=("X",), initial=(1,), birth=1.0, death=0.5)
    res = simulate_network(net, times_days=[1.0], n_runs=n, rng=7)
    x = res.counts[:, 0, 0]
    p = kendall_pmf(np.arange(3), 1.0, 0.5, 1.0)
    expected = n * np.append(p, 1 - p.sum())
    observed = np.array([(x == 0).sum(), (x == 1).sum(), (x == 2).sum(), (x >= 3).sum()])
    assert stats.chisquare(observed, expected).pvalue > 1e-3
