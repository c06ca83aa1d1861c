"""iwCLL 2018 progression, response and treatment indication on constructed trajectories.

The lymph-node rule compares the SPD proxy volume^(2/3): >= 50% in SPD is a volume ratio of
>= 1.5^1.5 = 1.837, and the volume must reach one 1.5-cm node, pi/6 * 1.5^3 = 1.767 mL.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from cllsim.clinic.iwcll import (
    IWCLL_2018,
    IwcllCriteria,
    progression,
    progression_of,
    response_categories,
    treatment_indication,
)
from cllsim.errors import SpecError
from tests.clinic.clinic_helpers import observed

LN_PD = "lymph node enlargement >= 50% from nadir"
ALC_PD = "lymphocytosis >= 50% from nadir to >= 5e9/L"
CHEMO = [(0.0, 168.0, {"chemo", "antiCD20"})]
BTKI = [(0.0, math.inf, {"BTKi"})]


def test_derived_thresholds():
    assert IWCLL_2018.node_volume_ml(1.5) == pytest.approx(1.7671458676442586)
    # the largest node holds a tenth of the nodal disease
    assert IWCLL_2018.nodal_volume_ml(1.5) == pytest.approx(17.671458676442586)
    assert IWCLL_2018.nodal_volume_ml(10.0) == pytest.approx(5235.987755982989)
    assert (1.5 ** (1 / IWCLL_2018.ln_size_exponent)) == pytest.approx(1.8371173070873836)


def test_nodal_regrowth_from_nadir_on_first_visit_meeting_it():
    obs = observed(
        [0, 90, 180, 270, 360, 450], alc=[20, 3, 2, 2, 2, 2], ln=[200, 20, 10, 18.0, 19.0, 60]
    )
    # 18 / 10 = 1.80 < 1.837; 19 / 10 = 1.90 >= 1.837 (and the largest node abnormal)
    assert progression(obs, treatment_periods=CHEMO) == (360.0, LN_PD)


def test_tiny_residual_must_make_the_largest_node_abnormal():
    """A residue regrowing from a tiny nadir is progression only once the largest node, a
    tenth of the nodal disease, is above 1.5 cm: 17.7 mL of nodal disease, not 1.77."""
    obs = observed([0, 90, 180, 270, 360], alc=[20, 2, 2, 2, 2], ln=[100, 0.01, 2.0, 17.0, 18.0])
    assert progression(obs, treatment_periods=CHEMO) == (360.0, LN_PD)
    one_node = IwcllCriteria(largest_node_share=1.0)
    assert progression(obs, treatment_periods=CHEMO, criteria=one_node) == (180.0, LN_PD)


def test_growth_without_response_is_from_baseline():
    obs = observed([0, 30, 60, 90], alc=[20, 20, 20, 20], ln=[10, 12, 15, 18.5])
    day, reason = progression(obs, treatment_periods=CHEMO)
    assert (day, reason) == (90.0, "lymph node enlargement >= 50% from baseline")


def test_isolated_lymphocytosis_on_btki_is_not_progression():
    obs = observed(
        [0, 14, 28, 90, 180, 365], alc=[20, 45, 60, 50, 25, 12], ln=[100, 60, 40, 20, 10, 8]
    )
    assert progression(obs, treatment_periods=BTKI) == (None, None)


def test_the_same_lymphocytosis_off_btki_is_progression():
    obs = observed(
        [0, 14, 28, 90, 180, 365], alc=[20, 45, 60, 50, 25, 12], ln=[100, 60, 40, 20, 10, 8]
    )
    assert progression(obs, treatment_periods=CHEMO) == (
        14.0,
        "lymphocytosis >= 50% from baseline to >= 5e9/L",
    )


def test_lymphocytosis_after_btki_stops_counts():
    obs = observed([0, 100, 200, 300], alc=[20, 10, 40, 40], ln=[100, 10, 10, 10])
    assert progression(obs, treatment_periods=[(0.0, 250.0, {"BTKi"})]) == (300.0, ALC_PD)


def test_lymphocytosis_needs_5e9_per_l_and_counts_exactly_at_the_bound():
    obs = observed([0, 90, 180, 270, 360], alc=[20, 2, 3.5, 4.0, 6.0], ln=[50, 1, 1, 1, 1])
    # 3.5 >= 1.5 x 2 but < 5; 6.0 = 1.5 x 4.0 with nadir 2 -> progression at 360 only
    assert progression(obs, treatment_periods=CHEMO) == (360.0, ALC_PD)
    exact = observed([0, 90, 180], alc=[20, 4.0, 6.0], ln=[50, 1, 1])
    assert progression(exact, treatment_periods=CHEMO) == (180.0, ALC_PD)


def test_nodes_are_named_before_lymphocytes_on_the_same_visit():
    obs = observed([0, 90, 180], alc=[20, 2, 10], ln=[100, 5, 20])
    assert progression(obs, treatment_periods=CHEMO) == (180.0, LN_PD)


def test_only_assessed_after_treatment_start_from_the_value_at_start():
    obs = observed([0, 100, 200, 300], alc=[5, 20, 20, 29], ln=[1, 10, 10, 14])
    # rise before day 150 ignored; baseline = day 100 (last visit at or before day 150)
    start = [(150.0, 400.0, {"chemo"})]
    assert progression(obs, treatment_periods=start) == (None, None)
    obs.loc[3, "alc_1e9_per_l"] = 30.0
    assert progression(obs, treatment_periods=start) == (
        300.0,
        "lymphocytosis >= 50% from baseline to >= 5e9/L",
    )


def test_untreated_patient_has_no_progression():
    obs = observed([0, 100], alc=[5, 50], ln=[1, 100])
    assert progression(obs, treatment_periods=[]) == (None, None)


def test_baseline_visit_is_required():
    obs = observed([10, 100], alc=[5, 50], ln=[1, 100])
    with pytest.raises(SpecError, match=r"no visit at or before the treatment start \(day 0.0\)"):
        progression(obs, treatment_periods=CHEMO)


def test_bad_observables_are_named():
    obs = observed([0, 100], alc=[5, 50], ln=[1, 100])
    with pytest.raises(SpecError, match="missing column 'ln_volume_ml'"):
        progression(obs.drop(columns=["ln_volume_ml"]), treatment_periods=CHEMO)
    obs.loc[1, "alc_1e9_per_l"] = -1.0
    with pytest.raises(SpecError, match=r"alc_1e9_per_l must be finite and >= 0, got -1.0"):
        progression(obs, treatment_periods=CHEMO)
    with pytest.raises(SpecError, match="time_days must be strictly increasing"):
        progression(observed([0, 0], alc=[1, 1], ln=[1, 1]), treatment_periods=CHEMO)


def test_response_categories():
    obs = observed(
        [0, 90, 180, 270, 360],
        alc=[40, 15, 3, 3, 3],
        ln=[100, 30, 1.0, 1.0, 20],
        mrd_marrow=[0.8, 0.5, 0.1, 0.4, 0.1],
    )
    labels = response_categories(obs, treatment_periods=CHEMO).tolist()
    # day 90: ALC 15 <= 20 and size (30/100)^(2/3) = 0.45 <= 0.5 -> PR; day 270 marrow 40% -> PR
    assert labels == [None, "PR", "CR", "PR", "PD"]


def test_indication_by_doubling_time():
    """ALC = 40 x 2^(t/150): the log-linear fit gives 150 d exactly; first visit whose last-3-
    month window spans >= 2 months is day 75 (visits every 15 d; day 60 spans only 60 d)."""
    times = [15.0 * i for i in range(10)]
    obs = observed(times, alc=[40 * 2 ** (t / 150) for t in times], ln=[1.0] * 10)
    assert treatment_indication(obs) == (75.0, "lymphocyte doubling time < 6 months")
    slow = observed(times, alc=[40 * 2 ** (t / 200) for t in times], ln=[1.0] * 10)
    assert treatment_indication(slow) == (None, None)


def test_indication_by_rise_within_two_months_and_the_30e9_floor():
    obs = observed([0, 30, 60], alc=[30, 40, 46], ln=[1, 1, 1])
    assert treatment_indication(obs) == (60.0, "lymphocytosis >= 50% rise within 2 months")
    low = observed([0, 30, 60], alc=[5, 7, 10], ln=[1, 1, 1])
    assert treatment_indication(low) == (None, None)
    no_floor = IwcllCriteria(indication_min_alc_1e9_per_l=0.0)
    assert treatment_indication(low, criteria=no_floor)[0] == 60.0


def test_indication_by_lymphadenopathy_and_stop_at_treatment():
    assert treatment_indication(observed([0, 90], alc=[5, 5], ln=[10, 19])) == (
        90.0,
        "progressive lymphadenopathy >= 50%",
    )
    # massive: the largest node (a tenth of the nodal disease) >= 10 cm, 5236 mL of disease
    assert treatment_indication(observed([0, 90], alc=[5, 5], ln=[4000, 5300])) == (
        90.0,
        "massive lymphadenopathy (>= 10 cm)",
    )
    assert treatment_indication(observed([0, 90], alc=[5, 5], ln=[4000, 5200])) == (None, None)
    treated = observed([0, 90], alc=[5, 5], ln=[10, 6000]).assign(on_treatment=[False, True])
    assert treatment_indication(treated) == (None, None)


def _progression_by_visit(times, alc, ln, periods, criteria=IWCLL_2018):
    """The rule as written, visit by visit: each later visit against the smallest value of
    the visits from the baseline up to it (the oracle for the vectorised one)."""
    from cllsim.clinic.treatment import as_treatment_periods, first_treatment_day, on_drug_class

    periods = as_treatment_periods(periods)
    size = criteria.ln_size(np.asarray(ln))
    base = int(np.searchsorted(times, first_treatment_day(periods), side="right")) - 1
    btki = on_drug_class(times, periods, "BTKi")
    for i in range(base + 1, len(times)):
        nadir = size[base:i].min()
        if size[i] >= 1.5 * nadir and size[i] >= criteria.abnormal_size:
            return float(times[i]), "node", float(nadir)
        nadir = alc[base:i].min()
        if alc[i] >= 1.5 * nadir and alc[i] >= 5.0 and not btki[i]:
            return float(times[i]), "alc", float(nadir)
    return None, None, None


def test_progression_agrees_with_the_rule_visit_by_visit_on_random_courses():
    """400 random courses (log-normal walks around the thresholds, treatment starting at
    visit 0-3, half on a BTK inhibitor for part of the time): the same day, criterion and
    nadir-or-baseline wording as the visit-by-visit rule."""
    rng = np.random.default_rng(5)
    hits = 0
    for _ in range(400):
        n = int(rng.integers(2, 30))
        times = np.cumsum(rng.uniform(10, 120, n))
        alc = np.exp(rng.normal(np.log(6.0), 0.6, n).cumsum() * 0.3)
        ln = np.exp(rng.normal(np.log(20.0), 0.5, n).cumsum() * 0.3)
        start = float(times[int(rng.integers(0, min(n, 4)))])
        periods = [(start, start + 400.0, {"chemo"})]
        if rng.random() < 0.5:
            periods.append((start + 100.0, start + 300.0, {"BTKi"}))
        day, kind, nadir = _progression_by_visit(times, alc, ln, periods)
        got = progression_of(times, alc, ln, treatment_periods=periods)
        assert got.day == day
        if day is None:
            assert got.reason is None
            continue
        hits += 1
        base = int(np.searchsorted(times, start, side="right")) - 1
        baseline = IWCLL_2018.ln_size(ln[base]) if kind == "node" else alc[base]
        frm = "nadir" if nadir < baseline else "baseline"
        assert got.reason.startswith("lymph node" if kind == "node" else "lymphocytosis")
        assert f"from {frm}" in got.reason
    assert 100 <= hits <= 390  # both outcomes are exercised
