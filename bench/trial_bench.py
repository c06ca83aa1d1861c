"""Issue 5's scale workload: the built-in ``cll14`` trial (6 years, full model) on 2 workers.

``cllsim trial cll14 --patients N --seed 1 --workers 2 --out TMP`` end to end (process pool
start-up, parts written as chunks finish, merge, summary, report), timed with
``time.perf_counter``; the steady rate is taken between the first and the last finished
chunk (start-up excluded).  Peak memory: the largest resident set of this process and of
any worker process (``getrusage``; workers end with the pool).  ``bench/run.py`` times it
in a fresh process (:func:`time_trial_fresh`): getrusage's peaks are those of a process's
whole life and of every child it ever waited for, so in the benchmark process they were
those of the benchmarks before (numba compiles, the peers' solvers), not the trial's.  The
projection for 20,000 patients is start-up + 20,000 / steady rate, against the issue's 60 s
and 4 GB targets.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_PATIENTS = 20_000
TARGET_S = 60.0
TARGET_GB = 4.0


def time_trial(n_patients: int = 1000, workers: int = 2) -> dict[str, Any]:
    """Patients per second for ``cll14`` with ``workers`` processes (about 20 s at 1,000:
    enough chunks for a steady rate, and each worker's start-up spread over 500 patients
    instead of 80)."""
    from cllsim.trial_runs import run_trial_to_dir
    from cllsim.trials import load_trial
    from cllsim.trials import run as trial_run

    trial = load_trial("cll14")
    stamps: list[tuple[float, int]] = []
    original = trial_run.run_chunks

    def timed_chunks(*args: Any, **kwargs: Any) -> Any:
        for item in original(*args, **kwargs):
            stamps.append((time.perf_counter(), len(item[0])))
            yield item

    import cllsim.trial_runs as tr

    tr.run_chunks = timed_chunks  # count chunks as they finish; same work
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            run_trial_to_dir(
                trial, out=Path(tmp), n_patients=n_patients, seed=1, workers=workers,
                progress=False,
            )  # fmt: skip
            wall = time.perf_counter() - start
    finally:
        tr.run_chunks = original
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_per_patient = (cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime) / n_patients
    first_t, first_n = stamps[0]
    steady = (n_patients - first_n) / max(stamps[-1][0] - first_t, 1e-9)
    startup = max(first_t - start - first_n / steady, 0.0)
    self_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    child_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
    projected = startup + TARGET_PATIENTS / steady
    return {
        "trial": "cll14",
        "follow_up_years": trial.follow_up.years,
        "patients": n_patients,
        "workers": workers,
        "wall_s": wall,
        "patients_per_s_end_to_end": n_patients / wall,
        "patients_per_s_steady": steady,
        "startup_s": startup,
        "worker_cpu_s_per_patient": cpu_per_patient,
        "ideal_patients_per_s": workers / cpu_per_patient,
        "peak_rss_main_gb": self_gb,
        "peak_rss_worker_gb": child_gb,
        "peak_rss_total_gb": self_gb + workers * child_gb,
        "projected_20000_s": projected,
        "target_s": TARGET_S,
        "target_gb": TARGET_GB,
    }


WARM_UP_PATIENTS = 40
#: Timed trials, each in its own fresh process: the report is the one with the median steady
#: rate (on this 2-core machine one trial's rate varies by about 10% from run to run).
TIMED_RUNS = 3


def time_trial_fresh(
    n_patients: int = 1000, workers: int = 2, runs: int = TIMED_RUNS
) -> dict[str, Any]:
    """:func:`time_trial` ``runs`` times, each in a fresh Python process (same interpreter
    and environment), so that its peak memory is the trial's alone, after a warm-up trial of
    :data:`WARM_UP_PATIENTS` in another: the benchmarks before it leave numba's cache
    without the kernels of the trial's rate tables, which the first trial after an engine
    change compiles (about a minute, and 0.97 instead of 0.31 GB in the main process).

    Returns the run with the median steady rate, with every run's steady rate
    (``runs_patients_per_s_steady``) and the largest peak memories of all runs."""

    def fresh(n: int) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, __file__, "--json", str(n), str(workers)],
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(done.stdout)

    fresh(WARM_UP_PATIENTS)
    timed = sorted(
        (fresh(n_patients) for _ in range(runs)), key=lambda r: r["patients_per_s_steady"]
    )
    out = dict(timed[len(timed) // 2])
    out["runs_patients_per_s_steady"] = [r["patients_per_s_steady"] for r in timed]
    for key in ("peak_rss_main_gb", "peak_rss_worker_gb"):
        out[key] = max(r[key] for r in timed)
    out["peak_rss_total_gb"] = out["peak_rss_main_gb"] + workers * out["peak_rss_worker_gb"]
    return out


def _runs_sentence(r: dict[str, Any]) -> str:
    """Which of several timed trials the table shows."""
    rates = r.get("runs_patients_per_s_steady")
    if not rates or len(rates) == 1:
        return "One timed trial."
    listed = ", ".join(f"{v:.1f}" for v in rates)
    return (
        f"The median of {len(rates)} timed trials by steady rate ({listed} patients/s), "
        "each in a fresh process; peak memory is the largest of them."
    )


def render(r: dict[str, Any]) -> str:
    """Markdown section."""
    met_t = "yes" if r["projected_20000_s"] <= TARGET_S else "no"
    met_m = "yes" if r["peak_rss_total_gb"] <= TARGET_GB else "no"
    return "\n".join(
        [
            "",
            "## Virtual trial throughput (issue 5)",
            "",
            f"`cllsim trial cll14` ({r['follow_up_years']:g} years of follow-up, full model, "
            f"history simulated per patient), {r['patients']} patients, {r['workers']} worker "
            "processes, end to end (pool start-up, part files, merge, summary, report; "
            "`bench/trial_bench.py`). Steady rate: between the first and the last finished "
            "chunk. Projection: start-up + 20,000 / steady rate. Worker CPU time per patient "
            "(getrusage of the worker processes, their start-up included: imports and numba "
            "cache loads) does not depend on other load on the machine; workers / CPU per "
            "patient is the rate on idle cores. Timed in a fresh process, so that the peak "
            f"memory is the trial's alone, after a warm-up trial of {WARM_UP_PATIENTS} "
            "patients in another (the first trial after an engine change compiles the kernels "
            "of its rate tables, about a minute). " + _runs_sentence(r),
            "",
            "| patients/s (end to end) | patients/s (steady) | worker CPU per patient "
            "(idle-core rate) | start-up | peak memory (main + workers) | projected 20,000 "
            "patients | target 60 s met | memory ≤ 4 GB |",
            "|---|---|---|---|---|---|---|---|",
            f"| {r['patients_per_s_end_to_end']:.2f} | {r['patients_per_s_steady']:.2f} | "
            f"{r['worker_cpu_s_per_patient'] * 1e3:.0f} ms ({r['ideal_patients_per_s']:.1f}/s) | "
            f"{r['startup_s']:.1f} s | {r['peak_rss_total_gb']:.2f} GB "
            f"({r['peak_rss_main_gb']:.2f} + {r['workers']} × {r['peak_rss_worker_gb']:.2f}) | "
            f"{r['projected_20000_s']:.0f} s ({r['projected_20000_s'] / 60:.1f} min) | {met_t} | "
            f"{met_m} |",
            "",
        ]
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--json"]:  # time_trial_fresh: N WORKERS, the result alone
        print(json.dumps(time_trial(int(sys.argv[2]), int(sys.argv[3]))))
    else:
        res = time_trial()
        print(json.dumps(res, indent=2))
        print(render(res))
