"""summary.json on constructed patient tables: fractions, nulls, and a report that renders
even when there is nothing to compare."""

import numpy as np
import pandas as pd
import pytest

from cllsim.calibrate.validation import report_tables
from cllsim.report import write_trial_report
from cllsim.trials import load_trial, trial_summary
from cllsim.trials.run import CLONE_COLUMNS, finish_trial


def table(n_events_a: int, n_events_b: int, n: int = 10) -> pd.DataFrame:
    """Two arms of n; the first patients of each have an event (cause BCL2 in ven-obi,
    'death' in clb-obi) at 100 days each; the rest are censored at 2000 days."""
    rows = []
    for arm, k, cause in (("ven-obi", n_events_a, "BCL2"), ("clb-obi", n_events_b, "death")):
        for j in range(n):
            ev = j < k
            rows.append({
                "patient_id": len(rows), "arm": arm, "pfs_days": 100.0 + j if ev else 2000.0,
                "pfs_event": ev, "pfs_cause": cause if ev else None,
                "umrd_blood_eot3": j % 2 == 0, "umrd_marrow_eot3": j % 5 == 0,
                "resistance_detected_day": np.nan, "mrd_day": 427.3, "mrd_blood_eot3": 0.0,
            })  # fmt: skip
    return pd.DataFrame(rows)


def test_fractions_of_the_arm():
    s = trial_summary(table(3, 5), load_trial("cll14"), seed=7, version="x")
    vo, co = s["arms"]["ven-obi"], s["arms"]["clb-obi"]
    assert vo["n"] == co["n"] == 10
    assert vo["umrd_blood_eot3"] == 0.5 and vo["umrd_marrow_eot3"] == 0.2
    assert vo["progression_cause"] == {"BTK/PLCG2": 0.0, "BCL2": 0.3, "TP53": 0.0,
                                       "none": 0.0, "death": 0.0}  # fmt: skip
    assert co["progression_cause"]["death"] == 0.5
    assert vo["pfs"]["12"] == pytest.approx(0.7) and vo["median_pfs_months"] is None
    assert co["median_pfs_months"] == pytest.approx(104 / 30.4375)
    (c,) = s["comparisons"]
    assert c["hazard_ratio"] < 1 and 0 < c["logrank_p"] < 1


def test_no_event_gives_null_comparison_and_a_report(tmp_path):
    trial = load_trial("cll14")
    patients = table(0, 0)
    s = trial_summary(patients, trial, seed=1, version="x")
    assert s["comparisons"] == [{"arm": "ven-obi", "reference": "clb-obi",
                                 "hazard_ratio": None, "ci95": [None, None],
                                 "logrank_p": None}]  # fmt: skip
    clones = pd.DataFrame({c: [] for c in CLONE_COLUMNS})
    result = finish_trial(trial, np.random.SeedSequence(1), patients, clones)
    path = write_trial_report(
        tmp_path / "report.html", result, published=report_tables(result.summary)
    )
    html = path.read_text()
    assert "not reached" in html
    # set beside CLL14's published outcomes; a hazard ratio lifelines could not fit is
    # shown as missing and not tested
    assert "cll14: calibration targets (fitted)" in html
    assert "cll14-followup: validation (published, never fitted)" in html
    row = html[html.index("ven-obi/hazard_ratio vs clb-obi") :].split("</tr>")[0]
    assert "not estimable" in row and "not tested" in row


def test_an_arm_without_events_gives_no_hazard_ratio_and_no_warning():
    """Events in clb-obi only: the Cox estimate runs off to 0 (complete separation), so the
    hazard ratio and its interval are null, the log-rank p is kept, and lifelines' warnings
    do not reach the user (any warning fails this test)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = trial_summary(table(0, 6), load_trial("cll14"), seed=7, version="x")
    (c,) = s["comparisons"]
    assert c["hazard_ratio"] is None and c["ci95"] == [None, None]
    assert 0 < c["logrank_p"] < 0.05
