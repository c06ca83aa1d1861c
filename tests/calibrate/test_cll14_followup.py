"""Later CLL14 follow-up (validation): the calibrated model's predictions at 2,000 patients.

The built-in validation set ``cll14-followup`` holds PFS at 3, 5 and 6 years and the 6-year
hazard ratio (Al-Sawaf et al. 2020, 2022, 2024), none of them fitted.  Each tested outcome is
its own slow test: the prediction agrees when |z| <= 1.96, z the difference over the root
sum of squares of the published and the simulated SE (:mod:`cllsim.calibrate.validation`).
Outcomes the model does not predict are strict expected failures (of the assertion only: an
outcome that cannot be compared is an error) (docs/calibration.md, "What
the model still misses"): an XPASS fails, and its mark must go.  Nothing here may be made to
pass by fitting: these outcomes are not calibration targets (shared/reference/cll.md).
"""

from __future__ import annotations

import pandas as pd
import pytest

from cllsim.calibrate import load_targets
from cllsim.calibrate.validation import AGREEMENT_Z, compare

FOLLOWUP = load_targets("cll14-followup")

#: Outcomes the shipped model does not predict (docs/calibration.md, "What the model still
#: misses"): after the end of treatment its residual disease regrows too fast in both arms,
#: most in Ven-Obi's (at 2,000 patients, seed 7: PFS at 6 years 0.19 against 0.53).
NOT_PREDICTED = {
    "ven-obi/pfs_36",
    "clb-obi/pfs_36",
    "ven-obi/pfs_60",
    "clb-obi/pfs_60",
    "ven-obi/pfs_72",
    "clb-obi/pfs_72",
    "ven-obi/hazard_ratio",  # z = +2.0, just beyond 1.96: a change of numerics may flip it
}


@pytest.mark.slow
@pytest.mark.parametrize(
    "key",
    [
        pytest.param(
            t.key,
            id=t.key,
            marks=[pytest.mark.xfail(strict=True, raises=AssertionError, reason="not predicted")]
            if t.key in NOT_PREDICTED
            else [],
        )
        for t in FOLLOWUP.targets
        if t.se is not None
    ],
)
def test_cll14_followup_prediction(cll14_at_2000, key):
    table = compare(cll14_at_2000, FOLLOWUP)
    row = table[table.outcome.str.startswith(key)].iloc[0]
    if pd.isna(row.z):  # an error, not an expected failure
        pytest.fail(f"{key}: not comparable (simulated {row.simulated}, SE {row.simulated_se})")
    assert abs(row.z) <= AGREEMENT_Z, (
        f"{key}: simulated {row.simulated:.3g}, published {row.published:.3g} (z = {row.z:+.1f})"
    )
