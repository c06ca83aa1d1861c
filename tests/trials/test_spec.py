"""Trial files: the built-in CLL14 design, and bad files stop with one line and exit 2."""

import numpy as np
import pytest
import yaml

from cllsim import cli
from cllsim.errors import InputFileError
from cllsim.trials import builtin_trials, load_trial, trial_from_dict

from .conftest import cll14_dict


def test_builtin_cll14_design():
    """Arms, reference, 1:1, 12 x 28-day cycles, MRD at EOT + 3 months, 6 years, visits
    monthly on treatment, 3-monthly for 2 years after it, then 6-monthly."""
    assert "cll14" in builtin_trials()
    t = load_trial("cll14")
    assert list(t.arms) == ["ven-obi", "clb-obi"] and t.reference_arm == "clb-obi"
    assert t.arm_probabilities() == {"ven-obi": 0.5, "clb-obi": 0.5}
    assert t.follow_up_days == pytest.approx(6 * 365.25)
    assert t.end_of_treatment_day("ven-obi") == 336.0 == t.end_of_treatment_day("clb-obi")
    assert t.mrd_day("ven-obi") == pytest.approx(336 + 3 * 30.4375)
    assert t.endpoints.mrd.assay == "aso-pcr"
    days = np.array(t.visit_days("ven-obi"))
    assert np.allclose(days[:12], 28 * np.arange(1, 13))
    gaps = np.diff(days)
    assert np.allclose(gaps[12:19], 91.3125) and np.allclose(gaps[20:], 182.625)
    assert days[-1] <= t.follow_up_days and t.mrd_day("ven-obi") in days
    sc = t.base_scenario("clb-obi")
    assert sc.treatment.regimen == "cll14-clb-obi" and sc.visits.days == tuple(days)
    assert sc.horizon_days == t.follow_up_days and sc.assay.mrd == "aso-pcr"


def test_population_extends_and_longer_follow_up():
    t = trial_from_dict(
        cll14_dict(
            follow_up={"years": 8},
            population={"extends": "cll14",
                        "parameters": {"patient.age_years": {"dist": "fixed", "value": 80}}},
        )
    )  # fmt: skip
    assert t.population.parameters["patient.age_years"].value == 80
    assert "patient.ighv" in t.population.parameters
    assert max(t.visit_days("ven-obi")) > 7.5 * 365.25  # 6-monthly visits go on


BAD = [
    ("unknown key", {"folow_up": {"years": 2}}, ["folow_up", "unknown key"]),
    (
        "bad distribution parameter",
        {"population": {"extends": "cll14", "parameters": {
            "patient.age_years": {"dist": "normal", "mean": 70, "sd": -3}}}},
        ["population.parameters.patient.age_years", "sd", "-3", "greater than 0"],
    ),
    (
        "unknown regimen",
        {"arms": {"a": {"regimen": "ven-ibr"}, "clb-obi": {"regimen": "cll14-clb-obi"}},
         "randomisation": {"ratio": {"a": 1, "clb-obi": 1}}},
        ["arms.a.regimen", "ven-ibr", "cll14-ven-obi"],
    ),
    ("reference arm not an arm", {"reference_arm": "placebo"},
     ["reference_arm", "placebo", "ven-obi"]),
    (
        "unknown parameter name",
        {"population": {"extends": "cll14", "parameters": {
            "patient.kinetics.birth_spleen": {"dist": "fixed", "value": 0.01}}}},
        ["birth_spleen", "birth_lymph_node"],
    ),
    (
        "unknown distribution",
        {"population": {"extends": "cll14", "parameters": {
            "patient.age_years": {"dist": "weibull", "k": 2}}}},
        ["patient.age_years", "weibull", "lognormal"],
    ),
]  # fmt: skip


@pytest.mark.parametrize("what, change, fragments", BAD, ids=[b[0] for b in BAD])
def test_bad_trial_file_exit_2_one_line(tmp_path, capsys, what, change, fragments):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(cll14_dict(**change)))
    out = tmp_path / "out"
    code = cli.main(["trial", str(path), "--patients", "2", "--seed", "1", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert err.startswith("cllsim: error: ") and str(path) in err
    for f in fragments:
        assert f in err, (f, err)
    assert not out.exists()
    with pytest.raises(InputFileError):
        load_trial(path)


def test_cli_argument_errors(tmp_path, capsys):
    assert cli.main(["trial", "cll14", "--patients", "0", "--out", str(tmp_path / "o")]) == 2
    assert "--patients" in capsys.readouterr().err
    assert cli.main(["trial", "nosuchtrial", "--patients", "2", "--out", str(tmp_path)]) == 2
    assert "cll14" in capsys.readouterr().err
    assert cli.main(["trial", "--resume", str(tmp_path / "nothing")]) == 2
    assert "nothing to resume" in capsys.readouterr().err


def test_list_shows_trials(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "ven-obi" in out and "cll14" in out.split("trials")[1]
    published = out.split("published outcomes")[1]
    assert (
        "cll14                    calibration, trial cll14: CLL14's calibration targets"
        in published
    )
    assert "cll14-followup           validation, trial cll14: Later CLL14" in published


def test_docs_examples_run():
    """The worked example of docs/trials.md loads, and its Python example runs."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "trials.md").read_text()
    example = text.split("```yaml\n")[1].split("```")[0]
    t = trial_from_dict(yaml.safe_load(example), source="docs/trials.md")
    assert t.follow_up.years == 8 and t.population.parameters["shared.microenvironment"].value == 2
    assert t.base_scenario("ven-obi").persisters.entry_per_kill == 0.01
    code = text.split("```python\n")[1].split("```")[0]
    namespace: dict = {}
    exec(compile(code, "docs/trials.md", "exec"), namespace)
    assert namespace["scenario"].patient.kinetics.protection_lymph_node > 0
