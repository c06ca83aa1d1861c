"""Assay counting noise and censoring against the exact binomial law.

An assay analysing ``n`` units reports ``k / n`` with ``k ~ Binomial(n, p)`` when
``k >= min_events`` and NaN otherwise, so (i) far above the limit the reported mean equals
``p`` with standard error ``sqrt(p (1 - p) / n / N)`` over ``N`` draws, and (ii) the number of
detections in ``N`` draws is ``Binomial(N, P(k >= min_events))`` with that probability exact
from ``scipy.stats.binom``.
"""

from __future__ import annotations

import numpy as np
import pydantic
import pytest
from scipy import stats

from cllsim.clinic.assays import (
    MRD_ASSAYS,
    VAF_ASSAYS,
    MrdAssay,
    VafAssay,
    is_umrd,
    measure_fraction,
    mrd_category,
)
from cllsim.errors import SpecError

N_DRAWS = 20_000
ALL_ASSAYS = [*MRD_ASSAYS.values(), *VAF_ASSAYS.values()]
IDS = [f"{type(a).__name__}-{a.name}" for a in ALL_ASSAYS]
# Bonferroni over every parametrised case of the detection-probability test (3 levels each).
P_THRESHOLD = 1e-3 / (3 * len(ALL_ASSAYS))


def test_builtin_limits_and_sizes():
    limits = {
        name: (a.detection_limit, a.n_leukocytes, a.min_events) for name, a in MRD_ASSAYS.items()
    }
    assert limits == {
        "aso-pcr": (1e-4, 200_000, 20),
        "flow-4colour": (1e-4, 200_000, 20),
        "eric-flow": (1e-5, 2_000_000, 20),
        "ddpcr": (1e-5, 2_000_000, 20),
        "clonoseq": (1e-6, 3_000_000, 3),
    }
    assert {n: (a.detection_limit, a.n_copies) for n, a in VAF_ASSAYS.items()} == {
        "ngs": (1e-3, 20_000),
        "ddpcr": (1e-4, 200_000),
    }
    assert all(a.source for a in ALL_ASSAYS)


@pytest.mark.parametrize("assay", ALL_ASSAYS, ids=IDS)
def test_mean_at_ten_times_the_limit_is_unbiased(assay):
    """N = 20,000 draws at p = 10 x limit: |mean - p| < 4 SE, SE = sqrt(p (1-p) / n / N).

    At 10 x the limit the expected count is 10 x min_events (>= 30), so censoring has
    probability < 1e-10 per draw (checked: no NaN) and the reported mean is exactly p.
    """
    p = 10 * assay.detection_limit
    values = assay.measure(np.full(N_DRAWS, p), rng=np.random.default_rng(20240601))
    assert not np.isnan(values).any()
    se = np.sqrt(p * (1 - p) / assay.n_analysed / N_DRAWS)
    assert abs(values.mean() - p) < 4 * se


@pytest.mark.parametrize("multiple", [0.1, 1.0, 2.0])
@pytest.mark.parametrize("assay", ALL_ASSAYS, ids=IDS)
def test_detection_probability_is_the_exact_binomial_tail(assay, multiple):
    """Detections in N = 20,000 draws ~ Binomial(N, P(k >= min_events)); two-sided binomial
    test p > 1e-3 / 21 (Bonferroni over 7 assays x 3 levels).  At 0.1 x the limit nearly all
    draws are NaN (>= 99%)."""
    p = multiple * assay.detection_limit
    exact = stats.binom.sf(assay.min_events - 1, assay.n_analysed, p)
    values = assay.measure(np.full(N_DRAWS, p), rng=np.random.default_rng(7))
    detected = int(np.count_nonzero(~np.isnan(values)))
    assert stats.binomtest(detected, N_DRAWS, exact).pvalue > P_THRESHOLD
    if multiple == 0.1:
        assert detected <= 0.01 * N_DRAWS
    reported = values[~np.isnan(values)]
    assert np.all(reported >= assay.detection_limit * (1 - 1e-9))


def test_zero_is_always_undetectable_and_one_always_one():
    values = measure_fraction(
        np.array([0.0, 1.0]), n_analysed=100, min_events=1, rng=np.random.default_rng(0)
    )
    assert np.isnan(values[0])
    assert values[1] == 1.0


def test_same_seed_same_values_and_shape_kept():
    p = np.full((3, 4), 3e-4)
    a = MRD_ASSAYS["aso-pcr"].measure(p, rng=np.random.default_rng(5))
    b = MRD_ASSAYS["aso-pcr"].measure(p, rng=np.random.default_rng(5))
    c = MRD_ASSAYS["aso-pcr"].measure(p, rng=np.random.default_rng(6))
    assert a.shape == (3, 4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c, equal_nan=True)


@pytest.mark.parametrize("bad", [-1e-9, 1.5, np.nan])
def test_fraction_outside_unit_interval_is_refused(bad):
    with pytest.raises(SpecError, match=r"true fraction must lie in \[0, 1\]"):
        measure_fraction([0.1, bad], n_analysed=10, min_events=1, rng=np.random.default_rng(0))


def test_limit_below_one_event_is_refused():
    with pytest.raises(pydantic.ValidationError, match="below one event in 1000 analysed"):
        MrdAssay(name="tiny", detection_limit=1e-4, n_leukocytes=1000)


def test_spec_is_frozen_and_strict():
    with pytest.raises(pydantic.ValidationError):
        VafAssay(name="x", detection_limit=1e-3, n_copies=10_000, depth=5)  # type: ignore[call-arg]
    with pytest.raises(pydantic.ValidationError):
        MRD_ASSAYS["clonoseq"].detection_limit = 1e-7  # type: ignore[misc]


def test_builtin_lookup_names_the_choices():
    assert MrdAssay.builtin("clonoseq") is MRD_ASSAYS["clonoseq"]
    assert VafAssay.builtin("ngs") is VAF_ASSAYS["ngs"]
    with pytest.raises(SpecError, match="unknown MRD assay 'pcr'; expected one of 'aso-pcr'"):
        MrdAssay.builtin("pcr")


def test_mrd_categories():
    values = [0.0, 9.9e-5, 1e-4, 5e-3, 1e-2, 0.5]
    assert mrd_category(values).tolist() == [
        "uMRD4", "uMRD4", "MRD-low", "MRD-low", "MRD-high", "MRD-high"
    ]  # fmt: skip
    assert mrd_category([np.nan], assay=MRD_ASSAYS["aso-pcr"]).tolist() == ["uMRD4"]


def test_umrd_from_nan_needs_a_sensitive_enough_assay():
    assert is_umrd([np.nan, 2e-4], assay=MRD_ASSAYS["eric-flow"]).tolist() == [True, False]
    assert is_umrd([5e-6], threshold=1e-5).tolist() == [True]
    with pytest.raises(SpecError, match="no assay is given"):
        is_umrd([np.nan])
    with pytest.raises(SpecError, match=r"'flow-4colour' has detection_limit 0.0001, above"):
        is_umrd([np.nan], threshold=1e-5, assay=MRD_ASSAYS["flow-4colour"])
