"""Validation sets: published outcomes the model must predict, never fit."""

from __future__ import annotations

import math

import pytest

from cllsim.calibrate import FitParameter, TargetSet, calibrate, load_targets
from cllsim.calibrate.trial import read_outcomes
from cllsim.calibrate.validation import (
    AGREEMENT_Z,
    compare,
    markdown_table,
    published_comparisons,
)
from cllsim.errors import InputFileError, SpecError


def _summary():
    """A summary.json of two arms, with hand-checkable numbers."""
    arm = {
        "n": 400,
        "pfs": {"36": 0.70, "72": None},
        "pfs_ci95": {"36": [0.70 - 1.959964 * 0.02, 0.70 + 1.959964 * 0.02], "72": [None, None]},
        "median_pfs_months": 50.0,
        "umrd_blood_eot3": 0.75,
        "umrd_marrow_eot3": 0.5,
    }
    return {
        "trial": "t",
        "arms": {"a": arm, "b": {**arm, "median_pfs_months": None}},
        "comparisons": [
            {
                "arm": "a",
                "reference": "b",
                "hazard_ratio": 0.5,
                "ci95": [0.5 * math.exp(-1.959964 * 0.1), 0.5 * math.exp(1.959964 * 0.1)],
                "logrank_p": 1e-6,
            }
        ],
    }


def _set(*targets, role="validation"):
    return TargetSet(name="v", trial="t", source="paper", role=role, targets=targets)


def test_cll14_followup_is_a_validation_set_disjoint_from_the_calibration_targets():
    """Later follow-up must never be fitted: its outcomes are not calibration targets."""
    followup, targets = load_targets("cll14-followup"), load_targets("cll14")
    assert followup.role == "validation" and targets.role == "calibration"
    assert followup.trial == targets.trial == "cll14"
    assert not {t.key for t in followup.targets} & {t.key for t in targets.targets}
    assert all(t.source for t in followup.targets)


def test_calibrate_refuses_a_validation_set():
    followup = load_targets("cll14-followup")
    with pytest.raises(SpecError, match=r"validation set.*never fit"):
        calibrate(lambda v: {}, followup, [FitParameter("x", 1.0, 2.0)], n_calls=2, n_initial=1)


def test_a_calibration_set_holds_only_fittable_targets_with_their_uncertainty(tmp_path):
    bad = tmp_path / "targets.yaml"
    bad.write_text(
        "name: x\ntrial: cll14\nsource: paper\ntargets:\n"
        "  - {arm: a, endpoint: hazard_ratio, reference: b, value: 0.4, ci95: [0.3, 0.5]}\n"
    )
    with pytest.raises(InputFileError, match="hazard_ratio can only be a validation outcome"):
        load_targets(bad)
    bad.write_text(
        "name: x\ntrial: cll14\nsource: paper\ntargets:\n"
        "  - {arm: a, endpoint: pfs_24, value: 0.8}\n"
    )
    with pytest.raises(InputFileError, match="needs its uncertainty"):
        load_targets(bad)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({"arm": "a", "endpoint": "pfs_36", "value": 1.2, "n": 10}, "is a fraction"),
        ({"arm": "a", "endpoint": "hazard_ratio", "value": 0.4}, "needs its reference arm"),
        (
            {"arm": "a", "endpoint": "pfs_36", "value": 0.4, "n": 10, "reference": "b"},
            "comparator of a hazard_ratio",
        ),
        ({"arm": "a", "endpoint": "median_pfs_months", "value": 40, "n": 10}, "does not apply"),
        ({"arm": "a", "endpoint": "os_60", "value": 0.4, "n": 10}, "unknown endpoint"),
    ],
)
def test_bad_outcomes_are_refused_with_the_reason(target, message):
    with pytest.raises(ValueError, match=message):
        _set(target)


def test_compare_computes_z_on_the_right_scale():
    """PFS: (0.70 - 0.80) / sqrt(0.02^2 + binomial 0.04^2); hazard ratio on the log scale:
    (log 0.5 - log 0.4) / sqrt(0.1^2 + its published log-SE^2); a median is not tested."""
    published = _set(
        {"arm": "a", "endpoint": "pfs_36", "value": 0.80, "n": 100},
        {
            "arm": "a",
            "endpoint": "hazard_ratio",
            "reference": "b",
            "value": 0.4,
            "ci95": [0.4 * math.exp(-1.959964 * 0.2), 0.4 * math.exp(1.959964 * 0.2)],
        },
        {"arm": "a", "endpoint": "median_pfs_months", "value": 76.0},
        {"arm": "a", "endpoint": "umrd_blood_eot3", "value": 0.75, "n": 100},
    )
    got = compare(_summary(), published).set_index("outcome")
    z_pfs = (0.70 - 0.80) / math.hypot(0.02, 0.04)
    assert got.loc["a/pfs_36", "z"] == pytest.approx(z_pfs)
    assert got.loc["a/pfs_36", "agrees"] is (abs(z_pfs) <= AGREEMENT_Z)
    z_hr = (math.log(0.5) - math.log(0.4)) / math.hypot(0.1, 0.2)
    assert got.loc["a/hazard_ratio vs b", "z"] == pytest.approx(z_hr)
    assert got.loc["a/hazard_ratio vs b", "agrees"] is True
    assert got.loc["a/median_pfs_months", "simulated"] == 50.0
    assert got.loc["a/median_pfs_months", "agrees"] is None
    assert got.loc["a/umrd_blood_eot3", "z"] == pytest.approx(0.0)
    table = markdown_table(compare(_summary(), published))
    assert "| a/pfs_36 | 0.8 | 0.7 | -2.2 | **no** | paper |" in table
    assert "| a/median_pfs_months | 76 | 50 | — | not tested | paper |" in table


def test_compare_reports_a_median_not_reached():
    got = compare(_summary(), _set({"arm": "b", "endpoint": "median_pfs_months", "value": 36.0}))
    assert got.loc[0, "simulated"] is None or math.isnan(got.loc[0, "simulated"])
    assert "| b/median_pfs_months | 36 | not reached | — | not tested |" in markdown_table(got)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({"arm": "a", "endpoint": "pfs_72", "value": 0.5, "n": 10}, "does not reach month 72"),
        (
            {"arm": "a", "endpoint": "pfs_30", "value": 0.5, "n": 10},
            r"reports PFS at months 36, 72 only \(endpoints.pfs_months\), not at month 30",
        ),
        (
            {"arm": "a", "endpoint": "median_pfs_months", "value": 40, "follow_up_months": 72},
            "does not reach month 72",
        ),
        ({"arm": "c", "endpoint": "pfs_36", "value": 0.5, "n": 10}, "no arm 'c'"),
        (
            {"arm": "b", "endpoint": "hazard_ratio", "reference": "a", "value": 2.0},
            "does not compare 'b' with 'a'",
        ),
    ],
)
def test_read_outcomes_names_what_the_trial_lacks(target, message):
    with pytest.raises(SpecError, match=message):
        read_outcomes(_summary(), _set(target))


def test_a_trial_is_set_beside_every_published_set_of_its_name():
    """The report's comparison: CLL14's calibration targets first, then its follow-up, each
    over the outcomes the run can show; the months beyond follow-up are named, not dropped
    silently.  Another trial has none."""
    arm = _summary()["arms"]["a"]
    arm = {
        **arm,
        "pfs": {"24": 0.85, "36": 0.7},
        "pfs_ci95": {"24": [0.8, 0.9], "36": [0.65, 0.75]},
    }
    summary = {
        "trial": "cll14",
        "arms": {"ven-obi": arm, "clb-obi": arm},
        "comparisons": [{**_summary()["comparisons"][0], "arm": "ven-obi", "reference": "clb-obi"}],
    }
    got = published_comparisons(summary)
    assert [ts.name for ts, _, _ in got] == ["cll14", "cll14-followup"]
    (_, targets, skipped_t), (_, followup, skipped_f) = got
    assert len(targets) == 6 and skipped_t == []
    # PFS at 3 years shows; later PFS, and the medians and hazard ratio published over 6
    # years, are named as left out (this run reports no PFS beyond month 36)
    assert set(followup.outcome) == {"ven-obi/pfs_36", "clb-obi/pfs_36"}
    assert len(skipped_f) == 7 and all("not at month" in r for r in skipped_f)
    assert published_comparisons({**summary, "trial": "other"}) == []


def test_an_empty_arm_or_a_missing_interval_is_not_tested():
    """An arm without patients cannot be read (the report names it); a hazard ratio whose
    interval lifelines left open has no simulated SE, so it is shown but not tested."""
    summary = _summary()
    summary["arms"]["b"] = {**summary["arms"]["b"], "n": 0, "umrd_blood_eot3": None}
    with pytest.raises(SpecError, match="trial 't', target b/umrd_blood_eot3: arm 'b' has no"):
        read_outcomes(
            summary, _set({"arm": "b", "endpoint": "umrd_blood_eot3", "value": 0.7, "n": 9})
        )
    summary["comparisons"][0]["ci95"] = [0.3, None]
    hr = {"arm": "a", "endpoint": "hazard_ratio", "reference": "b", "value": 0.4,
          "ci95": [0.3, 0.55]}  # fmt: skip
    got = compare(summary, _set(hr))
    assert got.loc[0, "simulated"] == 0.5 and got.loc[0, "agrees"] is None
    assert "| a/hazard_ratio vs b | 0.4 | 0.5 | — | not tested |" in markdown_table(got)
