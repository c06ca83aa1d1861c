"""GillesPy2 on each workload: which model, how it is judged, timed within a budget."""

from __future__ import annotations

from typing import Any

import numpy as np
import peers
import workloads as wl

__all__ = ["run_peer", "run_w4_peers"]


def _peer_specs() -> dict[str, dict[str, Any]]:
    n0, b, d = wl.W1_RATES
    _, mean, sd, _ = wl.dsmts_expected()
    n2, b2, d2 = wl.W2_RATES
    m2, v2 = wl.birth_death_moments(n2, b2, d2, wl.W2_T)
    b3, d3 = wl.W3_RATES

    def judge_w3(res: Any) -> wl.Verdict:
        s = peers.species_array(res, "S")[:, -1]
        r = peers.species_array(res, "R")[:, -1]
        total = s + r
        reached = total >= wl.W3_M
        extinct, other = int(np.sum(total == 0)), int(np.sum((total > 0) & ~reached))
        v = wl.resistance_stats(r[reached])
        over = int(np.sum(total > wl.W3_M))
        note = f"; {extinct:,} extinct, {other} unfinished" + (
            f"; {over} overshot M (max {int(total.max()):,})" if over else ""
        )
        return wl.Verdict(v.text + note, v.ok, v.values)

    return {
        "W1": {
            "model": lambda: peers.birth_death_model("w1", n0, b, d, wl.W1.times_days),
            "pilot": {"ssa": 100, "tau": 100},
            "judge": lambda res: wl.dsmts_rule(peers.species_array(res, "X"), mean, sd),
        },
        "W2": {
            "model": lambda: peers.birth_death_model("w2", n2, b2, d2, wl.W2.times_days),
            "pilot": {"ssa": 2, "tau": 10},
            "judge": lambda res: wl.mean_z(
                peers.species_array(res, "X")[:, -1], float(m2), float(v2)
            ),
        },
        "W3": {
            "model": lambda: peers.resistance_model(wl.W3_M, wl.W3_U, b3, d3, wl.W3.times_days),
            "pilot": {"ssa": 50, "tau": 50},
            "judge": judge_w3,
        },
    }


def run_peer(key: str, kind: str, repeat: int, budget: float) -> dict[str, Any]:
    """Build, pilot, time and judge one GillesPy2 solver on one workload."""
    spec = _peer_specs()[key]
    work = wl.WORKLOADS[key]
    try:
        solver, build_s = peers.build_solver(kind, spec["model"]())
        tm = peers.time_peer(
            solver,
            n_runs=work.n_runs,
            seed=work.seed,
            repeat=repeat,
            budget_s=budget,
            pilot_runs=spec["pilot"][kind],
        )
        verdict = spec["judge"](tm.results)
    except Exception as err:  # a peer failing must not lose the rest of the report
        return {"error": f"{type(err).__name__}: {str(err).strip().splitlines()[0]}"}
    return {
        "build_s": build_s,
        "pilot_runs": tm.pilot_runs,
        "pilot_s": tm.pilot_seconds,
        "n_timed": tm.n_timed,
        "n_full": tm.n_full,
        "seconds": tm.seconds,
        "median": tm.median,
        "full_s": tm.full_seconds,
        "extrapolated": tm.extrapolated,
        "verdict": verdict.text,
        "ok": verdict.ok,
        "values": verdict.values,
    }


def run_w4_peers(repeat: int, budget: float) -> dict[str, Any]:
    """W4: extrapolated SSACSolver time and the 32-bit overflow demonstration."""
    n0, b, d = wl.W4_RATES
    out: dict[str, Any] = {}
    try:
        out["ssa"] = peers.w4_ssa_extrapolation(
            birth=b,
            death=d,
            n0_full=float(n0),
            t_full=float(wl.W4.times_days[-1]),
            n_clones=wl.W4_CLONES,
            repeat=repeat,
            budget_s=budget,
        )
    except Exception as err:
        out["ssa"] = {"error": f"{type(err).__name__}: {err}"}
    try:
        out["overflow"] = peers.w4_overflow(n0=n0, birth=b, death=d)
    except Exception as err:
        out["overflow"] = {"error": f"{type(err).__name__}: {err}"}
    return out
