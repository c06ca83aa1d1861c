"""The shipped CLL14 calibration.

Fast tier: the built-in `cll14` population carries the fitted values, so the trial run of the
calibration's optimum (same seed, same patients, same follow-up) gives exactly the simulated
targets recorded in `calibration/cll14/calibration.json` (a deterministic simulation: equal to
1e-12).  It fails when a default changes without a new calibration, or when the numerics
change without a re-evaluation of the record (`python -m cllsim.calibrate.reevaluate`).

Slow tier (`make verify`): issue 5's acceptance test.  At 2,000 patients, `cllsim trial
cll14` must give PFS at 24 months within 4 points of the published value in each arm and
uMRD (blood and marrow, 3 months after the end of treatment) within 6 points.  The shipped
fit (run 15, docs/calibration.md) reaches all six at 2,000 patients, seed 7, a seed never
used to fit.  Each target is its own test; a target a later calibration misses is recorded
in NOT_REACHED as a strict expected failure (an XPASS fails, and its mark must go).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cllsim.calibrate import load_targets
from cllsim.calibrate.trial import record_simulator

RECORD = Path(__file__).resolve().parents[2] / "calibration" / "cll14" / "calibration.json"
TOLERANCE = {"pfs_24": 0.04, "umrd_blood_eot3": 0.06, "umrd_marrow_eot3": 0.06}


def test_shipped_population_reproduces_the_calibration_record():
    record = json.loads(RECORD.read_text())
    got = record_simulator(record, workers=2)({})  # no override: the population as shipped
    for row in record["targets"]:
        assert got[row["target"]][0] == pytest.approx(row["simulated"], abs=1e-12), row


#: Targets the shipped calibration does not reach (docs/calibration.md, "What the model
#: still misses"): strict expected failures, so reaching one fails until its mark goes.
#: Run 15 reaches all six.
NOT_REACHED: set[str] = set()


@pytest.mark.slow
@pytest.mark.parametrize(
    "target",
    [
        pytest.param(
            t,
            id=t.key,
            marks=[pytest.mark.xfail(strict=True, raises=AssertionError, reason="not reached yet")]
            if t.key in NOT_REACHED
            else [],
        )
        for t in load_targets("cll14").targets
    ],
)
def test_cll14_target_at_2000_patients(cll14_at_2000, target):
    arm = cll14_at_2000["arms"][target.arm]
    sim = arm["pfs"]["24"] if target.endpoint == "pfs_24" else arm[target.endpoint]
    assert sim is not None
    assert abs(sim - target.value) <= TOLERANCE[target.endpoint], (
        f"{target.key}: simulated {sim}, published {target.value}"
    )
