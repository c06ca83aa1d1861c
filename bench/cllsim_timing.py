"""Timing cllsim: workloads in this process, start-up in fresh ones, the CLI, the floor.

Every call gets one untimed warm-up (reported as the first call), then ``repeat`` timed
calls with the same seed (``time.perf_counter``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import workloads as wl
from sampling_floor import leap_floor

__all__ = [
    "measure_floor",
    "profile_split",
    "sbml_cli",
    "startup_costs",
    "time_cllsim",
    "time_cllsim_parallel",
]

SBML_CASE = "00001"


def time_cllsim(key: str, repeat: int) -> dict[str, Any]:
    """Warm-up (first call in this process), then ``repeat`` timed calls; judge the last."""
    fn = wl.CLLSIM_RUNS[key]
    t0 = time.perf_counter()
    first = fn()
    first_s = time.perf_counter() - t0
    seconds = []
    res = first
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = fn()
        seconds.append(time.perf_counter() - t0)
    verdict = wl.judge_cllsim(key, res)
    return {
        "profile": profile_split(fn),
        "first_s": first_s,
        "seconds": seconds,
        "median": float(np.median(seconds)),
        "reproducible": bool(np.array_equal(first.counts, res.counts)),
        "verdict": verdict.text,
        "ok": verdict.ok,
        "values": verdict.values,
        "algorithm": f"{res.provenance['algorithm']}({res.provenance['algorithm_options']})",
    }


def time_cllsim_parallel(key: str, repeat: int, workers: int) -> dict[str, Any]:
    """Warm-up, then ``repeat`` timed calls with ``workers`` threads; same numbers as 1?"""
    fn = wl.CLLSIM_RUNS[key]
    fn(workers=workers)
    seconds = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = fn(workers=workers)
        seconds.append(time.perf_counter() - t0)
    return {
        "workers": workers,
        "seconds": seconds,
        "median": float(np.median(seconds)),
        "same_as_one_worker": bool(np.array_equal(res.counts, fn().counts)),
    }


def profile_split(fn: Any) -> dict[str, float | None]:
    """One call under cProfile: total, and the part spent inside the numba kernels.

    cProfile lists a numba dispatcher call under the kernel's name: the kernel time is the
    ``tottime`` of every ``run_block`` in ``cllsim/engine/`` (``leap.py``, ``reference.py``).
    """
    import cProfile
    import pstats

    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.runcall(fn)
    total = time.perf_counter() - t0
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    kernel = [
        tt
        for (file, _, name), (_, _, tt, _, _) in stats.items()
        if name == "run_block" and "engine" in Path(file).parts
    ]
    return {"total_s": total, "kernel_s": sum(kernel) if kernel else None}


def measure_floor(keys: list[str], repeat: int) -> dict[str, Any]:
    """Exact leaps alone for the W1 and W4 shapes (``sampling_floor.py``)."""
    out: dict[str, Any] = {}
    if "W1" in keys:
        x0, b, d = wl.W1_RATES
        out["W1"] = leap_floor(
            n0=x0,
            birth=b,
            death=d,
            h=1.0,
            steps=50,
            clones=wl.W1.n_runs,
            repeat=repeat,
            seed=wl.W1.seed,
        )
    if "W4" in keys:
        n0, b, d = wl.W4_RATES
        out["W4"] = leap_floor(
            n0=n0,
            birth=b,
            death=d,
            h=1.0,
            steps=3650,
            clones=wl.W4_CLONES,
            repeat=repeat,
            seed=wl.W4.seed,
        )
    return out


def startup_costs() -> dict[str, Any]:
    """Two fresh processes on one new numba cache directory: cold, then warm."""
    out: dict[str, Any] = {}
    cache = Path(tempfile.mkdtemp(prefix="cllsim-bench-numba-"))
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    try:
        for label in ("cold", "warm"):
            t0 = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, str(wl.REPO / "bench" / "startup.py")],
                capture_output=True,
                text=True,
                env=env,
                check=False,
                timeout=1200,
            )
            wall = time.perf_counter() - t0
            if proc.returncode != 0:
                out[label] = {"error": proc.stderr.strip().splitlines()[-1:] or ["failed"]}
                continue
            out[label] = {**json.loads(proc.stdout), "process_wall_s": wall}
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return out


def sbml_cli(repeat: int) -> dict[str, Any]:
    """Time ``cllsim sbml run`` on case 00001 end to end (a process each), if it exists."""
    exe = Path(sys.executable).parent / "cllsim"
    case = wl.shared_dir() / "sbml-stochastic" / SBML_CASE
    probe = subprocess.run(
        [str(exe), "sbml", "run", "--help"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        return {"available": False, "note": "`cllsim sbml run` is not available in this build"}
    out_dir = Path(tempfile.mkdtemp(prefix="cllsim-bench-sbml-"))
    cmd = [
        str(exe),
        "sbml",
        "run",
        str(case / f"{SBML_CASE}-sbml-l3v2.xml"),
        "--settings",
        str(case / f"{SBML_CASE}-settings.txt"),
        "--runs",
        str(wl.W1.n_runs),
        "--seed",
        str(wl.W1.seed),
        "--out",
        str(out_dir),
    ]
    seconds = []
    try:
        for i in range(repeat + 1):  # the first is the warm-up (fills the numba cache if needed)
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            dt = time.perf_counter() - t0
            if proc.returncode != 0:
                return {"available": True, "command": cmd, "error": proc.stderr.strip()[-400:]}
            if i:
                seconds.append(dt)
        verdict = _judge_sbml_csv(out_dir / "results.csv")
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    return {
        "available": True,
        "command": cmd,
        "seconds": seconds,
        "median": float(np.median(seconds)),
        "verdict": verdict.text,
        "ok": verdict.ok,
    }


def _judge_sbml_csv(path: Path) -> wl.Verdict:
    import csv

    if not path.is_file():
        return wl.Verdict(f"no {path.name} written", False)
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    _, mean, sd, _ = wl.dsmts_expected()
    sim_mean = np.array([float(r["X-mean"]) for r in rows])
    sim_sd = np.array([float(r["X-sd"]) for r in rows])
    return wl.dsmts_rule_summary(sim_mean, sim_sd, wl.W1.n_runs, mean, sd)
