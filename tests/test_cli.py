"""`cllsim run`, `list`, `params`: outputs and bad input (exit 2, one line, nothing written)."""

import json

import pandas as pd
import pytest

from cllsim import cli

OBS_COLUMNS = [
    "time_days", "alc_1e9_per_l", "ln_volume_ml", "mrd_blood", "mrd_marrow",
    "mrd_blood_measured", "mrd_marrow_measured",
]  # fmt: skip
SUMMARY_KEYS = {
    "seed", "progression_day", "progression_reason", "dominant_genotype_at_progression",
    "treatment_end_day", "cllsim_version",
}  # fmt: skip


def test_run_writes_the_four_files(tmp_path, capsys):
    scenario = tmp_path / "short.yaml"
    scenario.write_text(
        "name: short\nhorizon_days: 200\nhistory: {mode: explicit, subclones: {BTK_C481S: 50}}\n"
        "treatment: {regimen: ibrutinib-continuous}\n"
    )
    out = tmp_path / "out"
    assert cli.main(["run", str(scenario), "--seed", "4", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "counts.parquet", "observables.parquet", "report.html", "summary.json",
    ]  # fmt: skip
    counts = pd.read_parquet(out / "counts.parquet")
    assert list(counts.columns) == ["time_days", "compartment", "genotype", "phenotype", "cells"]
    assert set(counts.compartment) == {"blood", "lymph_node", "marrow"}
    obs = pd.read_parquet(out / "observables.parquet")
    assert list(obs.columns[: len(OBS_COLUMNS)]) == OBS_COLUMNS
    assert "vaf_BTK_C481S" in obs.columns and obs["on_treatment"].dtype == bool
    summary = json.loads((out / "summary.json").read_text())
    assert SUMMARY_KEYS <= set(summary) and summary["seed"] == 4
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("name: x\nfoo: 1\n", "foo: unknown key"),
        ("name: x\ntreatment: {extra_doses: [{day: 1, drug: venetoclax, amount_mg: -20}]}\n",
         "treatment.extra_doses.0.amount_mg"),
    ],
)  # fmt: skip
def test_bad_scenario_exit_2_one_line_nothing_written(tmp_path, capsys, body, fragment):
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(body)
    out = tmp_path / "out"
    assert cli.main(["run", str(scenario), "--seed", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cllsim: error: ") and str(scenario) in err and fragment in err
    assert len(err.splitlines()) == 1
    assert not out.exists()


def test_list_and_params(capsys):
    assert cli.main(["list"]) == 0
    listed = capsys.readouterr().out
    for name in (
        "untreated",
        "ibrutinib-continuous",
        "ven-obi",
        "clb-obi",
        "venetoclax-continuous",
    ):
        assert name in listed
    assert cli.main(["params"]) == 0
    table = capsys.readouterr().out
    assert "birth_lymph_node" in table and "Burger" in table and "venetoclax" in table


def test_score_and_resistance_commands(capsys):
    """The issue-6 JSON shapes from the command line; published values from reference/."""
    args = ["score", "cll-ipi", "--tp53", "aberrant", "--ighv", "unmutated", "--b2m", "4"]
    assert cli.main([*args, "--stage", "binet-b", "--age", "70", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["score"] == "cll-ipi" and out["points"] == 10 and out["group"] == "very high"
    assert out["outcome"]["os_5y"] == 0.233
    ips = ["score", "ips-e", "--ighv", "unmutated", "--alc", "20", "--palpable-nodes", "yes"]
    assert cli.main([*ips, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["points"] == 3 and out["outcome"]["treatment_risk_5y"] == 0.612
    res = ["resistance", "--size", "1e9", "--birth", "0.14", "--death", "0.13"]
    res += ["--death-treated", "0.17", "--mutation-rate", "1e-9", "--n1", "50", "--n2", "50"]
    assert cli.main([*res, "--n12", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert abs(out["p_eradication"] - 0.263) < 5e-4
    assert set(out["factors"]) == {"p1_up", "p1_down", "p2_up", "p2_down"}


@pytest.mark.parametrize(
    "argv",
    [
        ["score", "cll-ipi", "--tp53", "normal", "--ighv", "mutated", "--b2m", "2",
         "--stage", "rai-9", "--age", "60"],
        ["score", "cll-ipi", "--tp53", "normal", "--ighv", "mutated", "--b2m", "2",
         "--stage", "rai-1", "--age", "-4"],
        ["score", "ips-e", "--ighv", "sometimes", "--alc", "5", "--palpable-nodes", "no"],
    ],
)  # fmt: skip
def test_bad_scores_exit_2_with_one_line(capsys, argv):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cllsim: error: ") and len(err.splitlines()) == 1
