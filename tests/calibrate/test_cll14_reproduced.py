"""The shipped CLL14 calibration.

Fast tier: the built-in `cll14` population carries the fitted values, so the trial run of the
calibration's optimum (same seed, same patients, same follow-up) gives exactly the simulated
targets recorded in `calibration/cll14/calibration.json` (a deterministic simulation: equal to
1e-12).  It fails when a default changes without a new calibration, or when the numerics
change without a re-evaluation of the record (`python -m cllsim.calibrate.reevaluate`).

Slow tier (`make verify`): issue 5's acceptance test.  At 2,000 patients, `cllsim trial
cll14` must give PFS at 24 months within 4 points of the published value in each arm and
uMRD (blood and marrow, 3 months after the end of treatment) within 6 points.  The model
does not meet it yet (see docs/calibration.md: the best fit, run 5, has chi2 54 on 0 degrees
of freedom; Clb-Obi PFS at 24 months is within 4 points since marrow homing follows marrow
egress, but marrow comes out less MRD-positive than blood, Clb-Obi blood uMRD is too low and
Ven-Obi PFS at 24 months about 8 points low), so it is marked as an expected failure,
strictly: once the model reproduces the targets it reports XPASS as a failure and the marker
must go.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cllsim.calibrate import load_targets
from cllsim.calibrate.trial import record_simulator
from cllsim.trials import load_trial
from cllsim.trials.run import run_trial

RECORD = Path(__file__).resolve().parents[2] / "calibration" / "cll14" / "calibration.json"
TOLERANCE = {"pfs_24": 0.04, "umrd_blood_eot3": 0.06, "umrd_marrow_eot3": 0.06}


def test_shipped_population_reproduces_the_calibration_record():
    record = json.loads(RECORD.read_text())
    got = record_simulator(record, workers=2)({})  # no override: the population as shipped
    for row in record["targets"]:
        assert got[row["target"]][0] == pytest.approx(row["simulated"], abs=1e-12), row


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="calibration does not reach the CLL14 targets yet")
def test_cll14_targets_at_2000_patients():
    res = run_trial(load_trial("cll14"), n_patients=2000, workers=2, rng=7)
    bad = []
    for t in load_targets("cll14").targets:
        arm = res.summary["arms"][t.arm]
        sim = arm["pfs"]["24"] if t.endpoint == "pfs_24" else arm[t.endpoint]
        if sim is None or abs(sim - t.value) > TOLERANCE[t.endpoint]:
            bad.append(f"{t.key}: simulated {sim}, published {t.value}")
    assert not bad, "; ".join(bad)
