"""The issue's synthetic-truth study (slow tier: hours on 2 cores at 200 patients).

Runs ``verification/navigator_truth.py`` and checks the issue's figures: the forecast's 90%
predictive intervals of the time to treatment indication cover the truth for 85-95% of 200
synthetic patients (binomial sd at 90% and n = 200 is 2.1%, so the band is about +-2.4 sd),
and the navigator's pick does at least as well as the best fixed strategy, on the true
parameters, for most (> 50%) patients.
"""

import json
import runpy
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "verification" / "navigator_truth.py"


@pytest.mark.slow
def test_synthetic_truth_coverage_and_navigator(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), "--patients", "200", "--out", str(tmp_path)])
    with pytest.raises(SystemExit) as end:
        runpy.run_path(str(SCRIPT), run_name="__main__")
    assert end.value.code == 0
    r = json.loads((tmp_path / "navigator_truth.json").read_text())
    assert 0.85 <= r["forecast_90_coverage_indication_time"] <= 0.95
    assert r["navigator_at_least_best_fixed_fraction"] > 0.5
