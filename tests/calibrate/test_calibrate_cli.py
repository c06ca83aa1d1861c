"""`cllsim calibrate`: a small real calibration through the command line, and its errors."""

from __future__ import annotations

import json

import pandas as pd
import yaml

from cllsim import cli
from tests.trials.conftest import cll14_dict


def _files(tmp_path):
    trial = tmp_path / "short.yaml"
    trial.write_text(yaml.safe_dump(cll14_dict(name="short", follow_up={"years": 1.5})))
    targets = tmp_path / "targets.yaml"
    targets.write_text(
        "name: blood-only\ntrial: short\nsource: test\ntargets:\n"
        "  - {arm: ven-obi, endpoint: umrd_blood_eot3, value: 0.76, n: 216}\n"
        "  - {arm: clb-obi, endpoint: umrd_blood_eot3, value: 0.35, n: 216}\n"
    )
    return trial, targets


def test_calibrate_writes_fitted_values_uncertainty_and_fit_quality(tmp_path, capsys):
    """3 search calls + 2 Jacobian calls of an 8-patient trial: the files have every part of
    the contract, the fitted value lies in its range and inside its own 95% interval."""
    trial, targets = _files(tmp_path)
    out = tmp_path / "cal"
    code = cli.main(
        [
            "calibrate", str(trial), "--targets", str(targets),
            "--fit", "pharmacodynamics.venetoclax_ec50=30:300",
            "--patients", "8", "--calls", "3", "--initial", "2", "--seed", "4",
            "--out", str(out), "--quiet",
        ]
    )  # fmt: skip
    assert code == 0
    data = json.loads((out / "calibration.json").read_text())
    p = data["parameters"]["pharmacodynamics.venetoclax_ec50"]
    assert 30 <= p["value"] <= 300
    lo, hi = p["ci95"]
    assert lo <= p["value"] <= hi
    assert data["fit_quality"]["dof"] == 1
    assert {t["target"] for t in data["targets"]} == {
        "ven-obi/umrd_blood_eot3",
        "clb-obi/umrd_blood_eot3",
    }
    assert data["trial"] == "short" and data["target_set"] == "blood-only"
    assert data["patients_per_call"] == 8
    ev = pd.read_parquet(out / "evaluations.parquet")
    assert list(ev["stage"]).count("jacobian") == 2
    assert "chi2" in ev and "sim:ven-obi/umrd_blood_eot3" in ev
    assert "calibrated short to blood-only" in capsys.readouterr().out


def test_calibrate_errors_are_one_line_and_exit_2(tmp_path, capsys):
    trial, targets = _files(tmp_path)
    base = ["calibrate", str(trial), "--targets", str(targets), "--out", str(tmp_path / "x")]
    for extra, expected in (
        (["--fit", "pharmacodynamics.venetoclax_ec5=1:2"], "venetoclax_ec5"),
        (["--fit", "pharmacodynamics.venetoclax_ec50=2"], "NAME=LOW:HIGH"),
        (["--fit", "pharmacodynamics.venetoclax_ec50=0:2"], "log-scale"),
        (["--fit", "pharmacodynamics.venetoclax_ec50=1:2", "--patients", "1"], "--patients"),
    ):
        assert cli.main(base + extra) == 2
        err = capsys.readouterr().err
        assert expected in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "x").exists()


def test_calibrate_refuses_the_validation_set_at_once(tmp_path, capsys):
    """`--targets cll14-followup` (later follow-up) is refused before any trial runs."""
    out = tmp_path / "x"
    argv = ["calibrate", "cll14", "--targets", "cll14-followup", "--quiet", "--out", str(out),
            "--fit", "shared.microenvironment=0.3:1"]  # fmt: skip
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "'cll14-followup' is a validation set" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
