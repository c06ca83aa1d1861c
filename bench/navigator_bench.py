"""Issue 6's speed workload: a forecast plus a navigation over the six built-in strategies
(plus the optimised MRD-guided one) for one patient, on this 2-core machine, <= 60 s.

``cllsim navigate PATIENT --seed 1 --workers 2 --out TMP`` end to end in a fresh process
(import, numba cache load, ELFI reference table of 240 simulations of the past and the
futures of the accepted ones, 12 posterior draws x 7 strategies, 6 optimiser evaluations x
6 draws, files and report), timed with
``time.perf_counter`` around ``subprocess.run``; the command's own timing of forecast and
navigation is read from ``summary.json``.  Run on both built-in patients (watch and wait:
no drug history; on ibrutinib: 18 months of daily doses in every network).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_S = 60.0
PATIENTS = ("watch-and-wait", "on-ibrutinib")


def time_navigate(patients: tuple[str, ...] = PATIENTS, workers: int = 2) -> dict[str, Any]:
    """Wall-clock seconds of ``cllsim navigate`` per built-in patient."""
    out: dict[str, Any] = {}
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    exe = Path(sys.executable).with_name("cllsim")
    for name in patients:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            subprocess.run(
                [str(exe), "navigate", name, "--seed", "1", "--workers", str(workers),
                 "--out", tmp],
                check=True, capture_output=True, env=env,
            )  # fmt: skip
            wall = time.perf_counter() - start
            s = json.loads((Path(tmp) / "summary.json").read_text())
        out[name] = {
            "wall_s": wall,
            "inside_s": s["seconds"],
            "best": s["best"],
            "n_draws": s["n_draws"],
            "n_simulations": s["forecast"]["n_simulations"],
        }
    return out


def render(res: dict[str, Any]) -> str:
    """Markdown section."""
    lines = [
        "",
        "## One patient: forecast + navigation (issue 6)",
        "",
        "`cllsim navigate PATIENT --seed 1 --workers 2` end to end in a fresh process: ABC "
        "reference table of 240 simulations (ELFI), 12 posterior draws x 7 strategies (six "
        "built-in + the optimised MRD-guided one), 6 optimiser evaluations x 6 draws "
        f"(`bench/navigator_bench.py`). Target: <= {TARGET_S:.0f} s.",
        "",
        "| patient | wall clock | inside the command | best strategy | target met |",
        "|---|---|---|---|---|",
    ]
    for name, r in res.items():
        met = "yes" if r["wall_s"] <= TARGET_S else "no"
        lines.append(
            f"| {name} | {r['wall_s']:.1f} s | {r['inside_s']:.1f} s | {r['best']} | {met} |"
        )
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    result = time_navigate()
    print(render(result))
