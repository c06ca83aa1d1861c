"""``make demo``: a short engine demonstration that writes a figure.

One leukaemic clone of 1e11 cells grows slowly (birth 0.39%/day, death 0.18%/day, the
untreated blood figures of Burger et al. 2017), a drug raises death for 12 months from day
180, and resistant cells arise by mutation at division (1e-8 per division) and grow through
it.  200 runs with KendallLeap, exact from 1 cell to 1e11; the figure shows the median and
10–90% band of sensitive and resistant cells on a log scale with the drug period shaded.

Later issues replace this with the flagship patient simulation.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from cllsim.engine import KendallLeap, Network, simulate_network

__all__ = ["main"]


def _network() -> Network:
    birth, death, u = 0.0039, 0.0018, 1e-8
    # death jumps at day 180 (drug on) and back at day 545 (drug off); resistant cells ignore it
    knots = np.array([180.0, 180.0, 545.0, 545.0])
    on = 0.0018 + 0.03
    death_rows = np.array([[death, death], [on, death], [on, death], [death, death]])
    return Network(
        types=("sensitive", "resistant"),
        initial=(10**11, 0),
        birth=[birth * (1 - u), birth],
        death=death_rows,
        spawns=[("sensitive", "resistant")],
        spawn_rate=[birth * u],
        knots_days=knots,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the demo; write ``OUT/engine_demo.png`` and ``OUT/counts.parquet``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/demo"))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    times = np.arange(0.0, 3 * 365.0 + 1, 5.0)
    start = time.perf_counter()
    res = simulate_network(
        _network(), times_days=times, n_runs=args.runs, rng=args.seed, algorithm=KendallLeap()
    )
    seconds = time.perf_counter() - start
    res.to_frame().to_parquet(args.out / "counts.parquet", index=False)

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for i, (name, colour) in enumerate(zip(res.types, ("tab:blue", "tab:red"), strict=True)):
        c = res.counts[:, :, i].astype(float)
        lo, med, hi = np.percentile(c, [10, 50, 90], axis=0)
        ax.fill_between(times, np.maximum(lo, 0.5), np.maximum(hi, 0.5), color=colour, alpha=0.2)
        ax.plot(times, np.maximum(med, 0.5), color=colour, label=f"{name} (median, 10–90%)")
    ax.axvspan(180, 545, color="grey", alpha=0.15, label="drug")
    ax.set_yscale("log")
    ax.set_ylim(0.5, 1e12)
    ax.set_xlabel("days")
    ax.set_ylabel("cells")
    ax.set_title(f"{args.runs} exact runs, KendallLeap, seed {args.seed} ({seconds:.2f} s)")
    ax.legend(loc="lower left")
    fig.tight_layout()
    figure = args.out / "engine_demo.png"
    fig.savefig(figure, dpi=120)
    present = (res.counts[:, -1, 1] > 0).mean()
    print(
        f"cllsim demo: {args.runs} runs in {seconds:.2f} s; resistant cells present at 3 years "
        f"in {present:.0%} of runs"
    )
    print(f"wrote {figure} and {args.out / 'counts.parquet'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
