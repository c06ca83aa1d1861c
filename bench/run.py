"""`make bench`: cllsim against GillesPy2's C++ solvers on W1-W4; writes BENCHMARKS.md.

    .venv/bin/python bench/run.py --out BENCHMARKS.md [--repeat 3] [--peer-budget 20]

Every simulator gets one untimed warm-up call, then ``--repeat`` timed calls in the same
process with the same seed (time.perf_counter); the median is reported.  cllsim's first call
in this process is reported on its own, and its import and numba compilation are measured in
two fresh processes (``startup.py``): one on an empty numba cache, one on the cache the first
filled.  A peer call whose estimate exceeds ``--peer-budget`` seconds runs fewer runs and is
scaled up, labelled "extrapolated" (see ``peers.py``).  All numbers also go to ``--json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import benchmarks_md
import cllsim_timing
import navigator_bench
import patient_bench
import peer_workloads
import peers
import trial_bench
import workloads as wl
from machine import describe_machine, load_average
from startup import engine_fingerprint

REPO = wl.REPO


def log(msg: str) -> None:
    """Progress on stderr."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=REPO / "BENCHMARKS.md", help="markdown report")
    p.add_argument(
        "--json",
        type=Path,
        default=REPO / "out" / "bench" / "results.json",
        help="all measured numbers as JSON",
    )
    p.add_argument("--repeat", type=int, default=3, help="timed calls per simulator (median)")
    p.add_argument(
        "--peer-budget",
        type=float,
        default=20.0,
        help="seconds a timed GillesPy2 call may take before it is scaled down",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=2,
        help="also time cllsim with this many worker threads (0 or 1: skip)",
    )
    p.add_argument("--only", default="W1,W2,W3,W4", help="comma-separated workloads")
    p.add_argument("--no-peers", action="store_true", help="skip GillesPy2")
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error("--repeat must be >= 1")
    return args


# ---------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    keys = [k.strip() for k in args.only.split(",") if k.strip()]
    unknown = sorted(set(keys) - set(wl.WORKLOADS))
    if unknown:
        print(f"bench: unknown workload(s) {unknown}; expected W1..W4", file=sys.stderr)
        return 2
    t_start = time.perf_counter()
    res: dict[str, Any] = {
        "argv": sys.argv[1:],
        "repeat": args.repeat,
        "peer_budget_s": args.peer_budget,
        "keys": keys,
    }
    res["date"] = time.strftime("%Y-%m-%d %H:%M %Z")
    res["machine"] = describe_machine(REPO)
    load0 = load_average()
    source0 = engine_fingerprint()

    log("cllsim start-up: cold and warm processes")
    res["startup"] = cllsim_timing.startup_costs()

    res["cllsim"] = {}
    for key in keys:
        for variant in [key, "W4-types"] if key == "W4" else [key]:
            log(f"cllsim {variant}")
            res["cllsim"][variant] = cllsim_timing.time_cllsim(variant, args.repeat)
            if args.workers > 1:
                res["cllsim"][variant]["parallel"] = cllsim_timing.time_cllsim_parallel(
                    variant, args.repeat, args.workers
                )
    log("sampling floor (exact leaps alone)")
    res["floor"] = cllsim_timing.measure_floor(keys, args.repeat)
    if "W1" in keys:
        log("cllsim sbml run (end to end)")
        res["sbml_cli"] = cllsim_timing.sbml_cli(args.repeat)

    log("one patient, full model, 10 years")
    res["patient"] = patient_bench.time_patient(max(args.repeat, patient_bench.MIN_REPEAT))

    log("virtual trial cll14, 2 workers")
    res["trial"] = trial_bench.time_trial_fresh(workers=2)

    log("one patient: forecast + navigation, 2 workers")
    res["navigator"] = navigator_bench.time_navigate(workers=2)

    res["peers"] = {}
    if not args.no_peers:
        peers.ensure_build_tools()
        for key in keys:
            if key == "W4":
                log("GillesPy2 W4 (extrapolation, overflow)")
                res["peers"]["W4"] = peer_workloads.run_w4_peers(args.repeat, args.peer_budget)
                continue
            res["peers"][key] = {}
            for kind in ("ssa", "tau"):
                log(f"GillesPy2 {kind} {key}")
                res["peers"][key][kind] = peer_workloads.run_peer(
                    key, kind, args.repeat, args.peer_budget
                )

    res["total_s"] = time.perf_counter() - t_start
    res["machine"]["load average (1 min) at start / end"] = f"{load0} / {load_average()}"
    res["engine_sources"] = {"start": source0, "end": engine_fingerprint()}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(res, indent=2, default=float))
    args.out.write_text(
        benchmarks_md.render(res, json_path=args.json, repo=REPO)
        + patient_bench.render(res["patient"])
        + trial_bench.render(res["trial"])
        + navigator_bench.render(res["navigator"])
    )
    log(f"wrote {args.out} and {args.json} in {res['total_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
