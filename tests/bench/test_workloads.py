"""The benchmark harness works: every cllsim workload at a tiny size, the checks, the report.

No timing is asserted here (issue 3: speed is reported by ``make bench``, not tested).  The
statistical checks are exercised on synthetic samples whose answer is known.
"""

from __future__ import annotations

import numpy as np
import pytest
import workloads as wl

from cllsim.engine import NetworkResult

TINY = {"W1": 10, "W2": 10, "W3": 20, "W4": 2, "W4-types": 3}


@pytest.mark.parametrize("key", sorted(wl.CLLSIM_RUNS))
def test_cllsim_workload_runs_tiny(key: str) -> None:
    """Each workload runs at a tiny size, has the workload's record times, and is judged."""
    res = wl.CLLSIM_RUNS[key](TINY[key])
    assert isinstance(res, NetworkResult)
    work = wl.WORKLOADS[key.split("-")[0]]
    np.testing.assert_array_equal(res.times_days, work.times_days)
    n_runs = 1 if key == "W4-types" else TINY[key]
    assert res.n_runs == n_runs
    verdict = wl.judge_cllsim(key, res)
    assert isinstance(verdict, wl.Verdict) and verdict.text


def test_same_seed_same_numbers() -> None:
    """Repetitions use the workload's fixed seed, so they give identical counts."""
    a, b = wl.run_w2(5), wl.run_w2(5)
    np.testing.assert_array_equal(a.counts, b.counts)


def test_dsmts_expected_is_the_analytic_law() -> None:
    """The suite's 00001 expectations (or the fallback) are Kendall's moments (4 decimals)."""
    t, mean, sd, _ = wl.dsmts_expected()
    x0, b, d = wl.W1_RATES
    m, v = wl.birth_death_moments(x0, b, d, t)
    np.testing.assert_allclose(mean, m, rtol=1e-5)
    np.testing.assert_allclose(sd, np.sqrt(v), rtol=1e-4, atol=1e-4)


def test_dsmts_rule_passes_exact_and_fails_biased_samples() -> None:
    """Normal samples with the expected moments pass (|Z| <= 3 has p ~ 0.003 per point: with
    a fixed seed the outcome is fixed); samples biased by 1 sd / sqrt(n) * 10 fail."""
    rng = np.random.default_rng(7)
    _, mean, sd, _ = wl.dsmts_expected()
    n = 4000
    x = mean + sd * rng.standard_normal((n, mean.size))
    x[:, sd == 0] = mean[sd == 0]
    assert wl.dsmts_rule(x, mean, sd).ok
    biased = x + 10 * sd / np.sqrt(n)
    v = wl.dsmts_rule(biased, mean, sd)
    assert not v.ok and v.values["n_fail"] >= mean.size - 1


def test_mean_z_flags_tau_leaping_size_bias() -> None:
    """A -9.5% mean (GillesPy2 tau-leaping on W2) is far beyond 4 standard errors."""
    mean, var = 1e6, 3e9
    rng = np.random.default_rng(3)
    exact = rng.normal(mean, np.sqrt(var), 100)
    assert wl.mean_z(exact, mean, var).ok
    assert not wl.mean_z(exact * 0.905, mean, var).ok


def test_resistance_stats_on_reference_like_sample() -> None:
    """A sample with P(R = 0) = 0.2558 and mean about 16 is within MC error of the reference."""
    rng = np.random.default_rng(11)
    n = 20_000
    r = np.where(rng.random(n) < 0.2558, 0, rng.geometric(1 / 21.5, n))
    v = wl.resistance_stats(r)
    assert v.ok, v.text
    assert not wl.resistance_stats(np.zeros(500)).ok


def test_report_renders_from_cllsim_only_results(tmp_path) -> None:
    """cllsim_timing and benchmarks_md render without GillesPy2 (peers not run)."""
    import benchmarks_md
    import cllsim_timing
    from machine import describe_machine

    res = {
        "argv": ["--only", "W2", "--no-peers"],
        "repeat": 1,
        "peer_budget_s": 20.0,
        "keys": ["W2"],
        "date": "today",
        "total_s": 1.0,
        "machine": describe_machine(wl.REPO),
        "startup": {},
        "cllsim": {"W2": cllsim_timing.time_cllsim("W2", 1)},
        "peers": {},
    }
    text = benchmarks_md.render(res, json_path=tmp_path / "r.json", repo=wl.REPO)
    assert "| W2 |" in text and "## Exactness" in text
    assert res["cllsim"]["W2"]["reproducible"]


def test_trial_benchmark_reports_the_median_of_its_timed_runs(monkeypatch) -> None:
    """bench/trial_bench.time_trial_fresh: a warm-up trial, then TIMED_RUNS timed ones, each
    in a fresh process; it reports the run with the median steady rate, every run's rate, and
    the largest peak memories (the processes are faked here: no trial runs)."""
    import json
    import subprocess
    from types import SimpleNamespace

    import trial_bench

    rates = iter([50.0, 120.0, 100.0, 110.0])  # the warm-up's first
    calls = []

    def fake_run(cmd, **kw):
        calls.append(cmd[-2])
        rate = next(rates)
        out = {"patients_per_s_steady": rate, "projected_20000_s": 20_000 / rate,
               "peak_rss_main_gb": rate / 1000, "peak_rss_worker_gb": 0.3}  # fmt: skip
        return SimpleNamespace(stdout=json.dumps(out))

    monkeypatch.setattr(subprocess, "run", fake_run)
    r = trial_bench.time_trial_fresh(n_patients=1000, workers=2, runs=3)
    assert calls == [str(trial_bench.WARM_UP_PATIENTS), "1000", "1000", "1000"]
    assert r["patients_per_s_steady"] == 110.0
    assert r["projected_20000_s"] == 20_000 / 110.0
    assert r["runs_patients_per_s_steady"] == [100.0, 110.0, 120.0]
    assert r["peak_rss_main_gb"] == 0.12 and r["peak_rss_total_gb"] == 0.12 + 2 * 0.3
    assert "median of 3 timed trials by steady rate (100.0, 110.0, 120.0" in (
        trial_bench._runs_sentence(r)
    )
