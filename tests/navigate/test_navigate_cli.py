"""`cllsim forecast` and `cllsim navigate` end to end on a small budget: the files, the
summary's shape, and common random numbers across strategies (a user strategy identical to
a built-in one gets identical outcomes on every posterior draw)."""

import json

import numpy as np
import pandas as pd

from cllsim import cli
from cllsim.navigator_runs import FORECAST_FILES, NAVIGATE_FILES

BUDGET = ["--simulations", "20", "--workers", "1"]


def test_forecast_writes_files(tmp_path, capsys):
    out = tmp_path / "fc"
    assert cli.main(["forecast", "on-ibrutinib", "--seed", "3", "--out", str(out), *BUDGET]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(FORECAST_FILES)
    s = json.loads((out / "summary.json").read_text())
    assert s["seed"] == 3 and s["plan"] == "continue ibrutinib" and s["n_accepted"] == 5
    assert {r["risk"] for r in s["risks"]} == {"pfs", "resistance"}
    post = pd.read_parquet(out / "posterior.parquet")
    assert "patient.kinetics.birth_lymph_node" in post.columns and len(post) == 5
    pred = pd.read_parquet(out / "predictive.parquet")
    assert set(pred["channel"]) == {"alc_1e9_per_l", "ln_volume_ml", "mrd_blood",
                                    "max_resistance_vaf"}  # fmt: skip
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "How each visit moved the risk" in html
    assert "wrote" in capsys.readouterr().out


def test_navigate_ranks_strategies_with_common_random_numbers(tmp_path):
    strategies = tmp_path / "mine.yaml"
    strategies.write_text(
        "strategies:\n"
        "  - {name: my-btki, lines: [ibrutinib]}\n"
        "  - {name: my-mrd, lines: [ibrutinib-venetoclax], mrd_stop_below: 1.0e-4,\n"
        "     mrd_min_days: 270, mrd_restart_above: 1.0e-3}\n"
    )
    out = tmp_path / "nav"
    args = ["navigate", "watch-and-wait", "--seed", "4", "--out", str(out), *BUDGET,
            "--draws", "3", "--optimise", "2", "--strategies", str(strategies)]  # fmt: skip
    assert cli.main(args) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(NAVIGATE_FILES)
    s = json.loads((out / "summary.json").read_text())
    names = [r["strategy"] for r in s["strategies"]]
    assert len(names) == 9 and "mrd-guided-optimised" in names and "my-mrd" in names
    assert [r["rank"] for r in s["strategies"]] == list(range(1, 10))
    for r in s["strategies"]:
        assert r["pfs_5y_low_90"] <= r["pfs_5y"] <= r["pfs_5y_high_90"]
    assert s["why"].startswith(s["best"]) and s["optimised"]["n_calls"] == 2
    o = pd.read_parquet(out / "strategies.parquet")
    a = o[o.strategy == "continuous-btki"].set_index("draw")
    b = o[o.strategy == "my-btki"].set_index("draw")
    cols = ["progression_day", "failure_day", "resistance_day", "drug_days", "end_day",
            "death_day"]  # fmt: skip
    np.testing.assert_array_equal(a[cols].to_numpy(), b[cols].to_numpy())
    # deaths from other causes: one per draw, the same under every strategy, finite (age 68)
    per_draw = o.groupby("draw")["death_day"].nunique()
    assert (per_draw == 1).all() and np.isfinite(o["death_day"]).all()
    assert len({r["alive_5y"] for r in s["strategies"]}) == 1
    for r in s["strategies"]:
        assert r["pfs_5y"] <= r["failure_free_5y"] and r["pfs_5y"] <= r["alive_5y"]


def test_pfs_counts_deaths_from_other_causes():
    """PFS at 3 and 5 years is free of strategy failure *and* alive: a draw that dies of
    other causes at 2 years fails both, one that dies at 4 years only the 5-year one, and
    failure-free survival ignores deaths."""
    from cllsim.navigate.navigator import rank_strategies

    year = 365.25
    o = pd.DataFrame({
        "strategy": ["s"] * 4, "draw": [0, 1, 2, 3],
        "progression_day": [np.nan, np.nan, 1.0 * year, np.nan],
        "failure_day": [np.nan, np.nan, 1.0 * year, np.nan],
        "resistance_day": [np.nan] * 4, "drug_days": [0.0] * 4, "end_day": [5 * year] * 4,
        "death_day": [2.0 * year, 4.0 * year, 10.0 * year, np.inf], "events": [""] * 4,
    })  # fmt: skip
    r = rank_strategies(o, 5.0).iloc[0]
    assert r["pfs_3y"] == 0.5  # draw 0 died, draw 2 failed
    assert r["pfs_5y"] == 0.25  # and draw 1 died
    assert r["failure_free_5y"] == 0.75
    assert r["alive_5y"] == 0.5
