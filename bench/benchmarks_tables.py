"""The tables of BENCHMARKS.md, each from the results dict ``run.py`` builds."""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "builds_table",
    "exactness_table",
    "first_calls_table",
    "floor_table",
    "fmt_ratio",
    "fmt_s",
    "startup_table",
    "summary_table",
    "targets_table",
    "w4_tau_cell",
]

YEAR_S = 365.25 * 86400
LABELS = {"W4-types": "W4, 1 run × 1,000 types", "W4": "W4, 1,000 runs × 1 type"}


def _label(key: str) -> str:
    return LABELS.get(key, key)


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return text.replace("|", "\\|")


def fmt_s(x: float | None) -> str:
    """Seconds in a readable unit."""
    if x is None or not math.isfinite(x):
        return "n/a"
    if x >= YEAR_S:
        return f"{x / YEAR_S:,.0f} years ({x:.2g} s)"
    if x >= 86400:
        return f"{x / 86400:,.1f} days ({x:.3g} s)"
    if x >= 10:
        return f"{x:,.1f} s"
    if x >= 1:
        return f"{x:.2f} s"
    if x >= 1e-3:
        return f"{x * 1e3:.3g} ms"
    return f"{x * 1e6:.3g} µs"


def fmt_ratio(x: float | None) -> str:
    """A speed ratio, e.g. ``26,000x``."""
    if x is None or not math.isfinite(x):
        return "n/a"
    if x >= 1e6:
        return f"{x:.2g}×".replace("e+0", "e").replace("e+", "e")
    if x >= 100:
        return f"{x:,.0f}×"
    return f"{x:.3g}×"


def _peer_cell(p: dict[str, Any] | None) -> str:
    if not p:
        return "not run"
    if "error" in p:
        return f"failed: {p['error']}"
    s = fmt_s(p["full_s"])
    if p["extrapolated"]:
        s = f"≈ {s} (extrapolated from {p['n_timed']:,} runs: {fmt_s(p['median'])})"
    return s


def _ratio(peer: dict[str, Any] | None, ours: float) -> float | None:
    if not peer or "error" in peer:
        return None
    return peer["full_s"] / ours


def _yes(ok: bool | None) -> str:
    return {True: "**met**", False: "**not met**", None: "n/a"}[ok]


def _ok(ok: bool | None) -> str:
    return {True: "yes", False: "NO", None: "n/a"}[ok]


def _cllsim_cell(c: dict[str, Any]) -> str:
    return fmt_s(c["median"])


def _parallel_cell(c: dict[str, Any]) -> str:
    p = c.get("parallel")
    if not p:
        return "not run"
    same = "same numbers" if p["same_as_one_worker"] else "DIFFERENT numbers"
    return f"{fmt_s(p['median'])} ({p['workers']} threads; {same})"


def w4_tau_cell(ov: dict[str, Any] | None) -> str:
    if not ov:
        return "not run"
    if ov.get("tau_error"):
        return f"aborts on a 1e12-cell start after {fmt_s(ov['tau_seconds'])} (see notes)"
    return f"runs, but starts from {ov.get('tau_x0', float('nan')):.6g} cells (32-bit)"


def summary_table(res: dict[str, Any]) -> list[str]:
    cl, pe = res["cllsim"], res["peers"]
    lines = [
        "| workload | cllsim (median) | GillesPy2 SSACSolver | cllsim faster by | "
        "GillesPy2 TauLeapingCSolver | cllsim faster by | cllsim with worker threads |",
        "|---|---|---|---|---|---|---|",
    ]
    for key in res["keys"]:
        if key == "W4":
            w4 = pe.get("W4", {}).get("ssa", {})
            for variant in ("W4-types", "W4"):
                c = cl[variant]
                ssa = w4.get("seconds_total")
                ssa_cell = (
                    f"≈ {fmt_s(ssa)} (extrapolated from one 1e9-cell clone)" if ssa else "not run"
                )
                ratio = fmt_ratio(ssa / c["median"]) if ssa else "n/a"
                tau = w4_tau_cell(pe.get("W4", {}).get("overflow"))
                lines.append(
                    f"| {_label(variant)} | {_cllsim_cell(c)} | {ssa_cell} | {ratio} | "
                    f"{_cell(tau)} | n/a | {_parallel_cell(c)} |"
                )
            continue
        c = cl[key]
        ssa, tau = pe.get(key, {}).get("ssa"), pe.get(key, {}).get("tau")
        lines.append(
            f"| {key} | {_cllsim_cell(c)} | {_cell(_peer_cell(ssa))} | "
            f"{fmt_ratio(_ratio(ssa, c['median']))} | {_cell(_peer_cell(tau))} | "
            f"{fmt_ratio(_ratio(tau, c['median']))} | {_parallel_cell(c)} |"
        )
    return lines


def exactness_table(res: dict[str, Any]) -> list[str]:
    cl, pe = res["cllsim"], res["peers"]
    lines = [
        "| workload | cllsim | GillesPy2 SSACSolver | GillesPy2 TauLeapingCSolver |",
        "|---|---|---|---|",
    ]
    for key in res["keys"]:
        if key == "W4":
            ov = pe.get("W4", {}).get("overflow", {})
            ssa = (
                f"cannot represent 1e12 cells: counts are 32-bit, a 1e12 start came back "
                f"as {ov['ssa_x0']:.10g} (= 1e12 mod 2^32 = {ov['n0_mod_2_32']:,})"
                if "ssa_x0" in ov
                else "not run"
            )
            for variant in ("W4-types", "W4"):
                lines.append(
                    f"| {_label(variant)} | {_cell(cl[variant]['verdict'])} | {ssa} | "
                    f"{_cell(w4_tau_cell(ov))} |"
                )
            continue
        cells = [cl[key]["verdict"]]
        for kind in ("ssa", "tau"):
            p = pe.get(key, {}).get(kind)
            cells.append(p["verdict"] if p and "verdict" in p else _peer_cell(p))
        lines.append(f"| {key} | " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def targets_table(res: dict[str, Any]) -> list[str]:
    cl, pe = res["cllsim"], res["peers"]
    lines = ["| workload | target (issue 3) | measured | exact? | met? |", "|---|---|---|---|---|"]

    def ssa_ratio(key: str) -> float | None:
        return _ratio(pe.get(key, {}).get("ssa"), cl[key]["median"]) if key in cl else None

    for key in res["keys"]:
        if key == "W1":
            c, r = cl["W1"], ssa_ratio("W1")
            ok = c["median"] <= 0.1 and (r is None or r >= 13) and bool(c["ok"])
            lines.append(
                f"| W1 | ≤ 0.1 s and ≥ 13× SSA | {fmt_s(c['median'])}, "
                f"{fmt_ratio(r)} SSA | {_ok(c['ok'])} | {_yes(ok)} |"
            )
        elif key == "W2":
            c, r = cl["W2"], ssa_ratio("W2")
            ok = None if r is None else (r >= 1e4 and bool(c["ok"]))
            lines.append(
                f"| W2 | ≥ 10,000× SSA | {fmt_ratio(r)} ({fmt_s(c['median'])}) | "
                f"{_ok(c['ok'])} | {_yes(ok)} |"
            )
        elif key == "W3":
            c, r = cl["W3"], ssa_ratio("W3")
            ok = None if r is None else (r >= 30 and bool(c["ok"]))
            lines.append(
                f"| W3 | ≥ 30× SSA, P(no R) and E[R] within MC error | {fmt_ratio(r)} "
                f"({fmt_s(c['median'])}) | {_ok(c['ok'])} | {_yes(ok)} |"
            )
        elif key == "W4":
            for variant in ("W4-types", "W4"):
                c = cl[variant]
                ok = c["median"] <= 0.3 and bool(c["ok"])
                lines.append(
                    f"| {_label(variant)} | ≤ 0.3 s | {fmt_s(c['median'])} | "
                    f"{_ok(c['ok'])} | {_yes(ok)} |"
                )
    return lines


def floor_table(res: dict[str, Any]) -> list[str]:
    fl = res.get("floor") or {}
    if not fl:
        return []
    lines = [
        "Sampling floor (`bench/sampling_floor.py`): the exact Kendall draws alone, "
        "K ~ Binomial(N, 1 − α) and N′ = K + NegBinomial(K, 1 − β) per clone and day, in one "
        "numba loop with numpy's Generator and no engine around them; any exact leaping kernel "
        "pays at least this here:",
        "",
        "| shape | leaps | median | per leap |",
        "|---|---|---|---|",
    ]
    shapes = {
        "W1": "W1: 10,000 runs × 50 days from 100 cells",
        "W4": "W4: 1,000 clones × 3,650 days from 1e12 cells",
    }
    for key, f in fl.items():
        lines.append(
            f"| {shapes[key]} | {f['leaps']:,.0f} | {fmt_s(f['median_s'])} | "
            f"{f['ns_per_leap']:.0f} ns |"
        )
    return lines


def startup_table(res: dict[str, Any]) -> list[str]:
    st = res.get("startup", {})
    cold, warm = st.get("cold", {}), st.get("warm", {})
    lines = [
        "| | cold process (empty numba cache) | warm process (cache filled by the cold one) |",
        "|---|---|---|",
    ]
    for label, d in (("cold", cold), ("warm", warm)):
        if "error" in d:
            lines.append(f"| {label} | failed: {d['error']} | |")
    if "import_s" not in cold or "import_s" not in warm:
        return lines
    lines.append(
        f"| `import cllsim.engine` | {fmt_s(cold['import_s'])} | {fmt_s(warm['import_s'])} |"
    )
    tot_c = tot_w = 0.0
    for key, c in cold["calls"].items():
        w = warm["calls"][key]
        jc, jw = c["first_s"] - c["second_s"], w["first_s"] - w["second_s"]
        tot_c += jc
        tot_w += jw
        lines.append(
            f"| first call {key} ({c['runs']} runs) minus second call | {fmt_s(jc)} "
            f"({fmt_s(c['first_s'])} − {fmt_s(c['second_s'])}) | {fmt_s(jw)} "
            f"({fmt_s(w['first_s'])} − {fmt_s(w['second_s'])}) |"
        )
    lines.append(
        f"| **numba compilation (cold) / cache load (warm), total** | **{fmt_s(tot_c)}** "
        f"| **{fmt_s(tot_w)}** |"
    )
    lines.append(
        f"| numba cache hits / misses (all cllsim kernels) | {cold.get('cache_hits')} / "
        f"{cold.get('cache_misses')} | {warm.get('cache_hits')} / {warm.get('cache_misses')} |"
    )
    if cold.get("engine_sources") != warm.get("engine_sources"):
        lines.append(
            "| **engine sources changed between the two processes** (numba's cache was "
            "invalidated; the warm column is a recompilation) | | |"
        )
    lines.append(
        f"| whole process, wall | {fmt_s(cold['process_wall_s'])} | "
        f"{fmt_s(warm['process_wall_s'])} |"
    )
    return lines


def first_calls_table(res: dict[str, Any]) -> list[str]:
    lines = [
        "| workload | first call in the bench process | median of timed calls | "
        "timed calls (s) | same seed, same numbers | kernel share of a call |",
        "|---|---|---|---|---|---|",
    ]
    for key, c in res["cllsim"].items():
        secs = ", ".join(f"{s:.4g}" for s in c["seconds"])
        prof = c.get("profile", {})
        share = (
            f"{prof['kernel_s'] / prof['total_s']:.0%} ({fmt_s(prof['kernel_s'])} of "
            f"{fmt_s(prof['total_s'])} under cProfile)"
            if prof.get("kernel_s") is not None
            else "n/a"
        )
        lines.append(
            f"| {_label(key)} | {fmt_s(c['first_s'])} | {fmt_s(c['median'])} | {secs} | "
            f"{'yes' if c['reproducible'] else 'NO'} | {share} |"
        )
    return lines


def builds_table(res: dict[str, Any]) -> list[str]:
    lines = [
        "| workload | SSACSolver build | TauLeapingCSolver build | timed calls |",
        "|---|---|---|---|",
    ]
    for key, kinds in res["peers"].items():
        if key == "W4":
            s = kinds.get("ssa", {})
            if "build_s" in s:
                lines.append(
                    f"| W4 probe | {fmt_s(s['build_s'])} (+ {fmt_s(s['rebuild_s'])} "
                    f"for the longer horizon) | — | {res['repeat']} × one clone of "
                    f"{s['probe_n0']:.0e} cells for {s['probe_horizon_days']:.3g} days"
                    f" ({s['probe_events']:.3g} expected events), median "
                    f"{fmt_s(s['probe_median_s'])} |"
                )
            continue
        cells, timed = [], []
        for kind in ("ssa", "tau"):
            p = kinds.get(kind, {})
            cells.append(fmt_s(p.get("build_s")))
            if "seconds" in p:
                secs = ", ".join(f"{x:.4g}" for x in p["seconds"])
                timed.append(
                    f"{kind}: {p['n_timed']:,} runs: {secs} s "
                    f"(pilot {p['pilot_runs']} runs {fmt_s(p['pilot_s'])})"
                )
        lines.append(f"| {key} | {cells[0]} | {cells[1]} | {'; '.join(timed)} |")
    return lines
