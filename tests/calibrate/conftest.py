"""The CLL14 trial at 2,000 patients, seed 7 (6 years of follow-up), run once for the slow
tier's acceptance test (calibration targets) and its validation test (later follow-up)."""

from __future__ import annotations

import pytest

from cllsim.trials import load_trial
from cllsim.trials.run import run_trial


@pytest.fixture(scope="session")
def cll14_at_2000():
    """``summary.json`` of ``cllsim trial cll14 --patients 2000 --seed 7 --workers 2``."""
    return run_trial(load_trial("cll14"), n_patients=2000, workers=2, rng=7).summary
