"""Long verification for people to judge (``make verify``): QQ-plots of KendallLeap against
the reference SSA on a multi-type network, and the Kendall law against the sampler.

The statistical pass/fail checks at large n are the ``@pytest.mark.slow`` tests that
``make verify`` runs first; this script writes the pictures (msprime ``verification.py``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from cllsim.engine import ExactSSA, KendallLeap, Network, simulate_network
from cllsim.engine.kendall import kendall_pmf


def qq_multitype(out: Path, n_runs: int) -> Path:
    net = Network(
        types=("S_pb", "S_ln", "P_ln", "R_ln"),
        initial=(1, 40, 0, 0),
        birth=[0.0, 1.0, 0.1, 1.0],
        death=[0.3, 0.4, 0.05, 0.45],
        moves=[("S_pb", "S_ln"), ("S_ln", "S_pb"), ("S_ln", "P_ln"), ("P_ln", "S_ln")],
        move_rate=[0.8, 0.4, 0.05, 0.2],
        spawns=[("S_ln", "R_ln")],
        spawn_rate=[0.02],
    )
    kw = {"times_days": [6.0], "n_runs": n_runs}
    fast = simulate_network(net, algorithm=KendallLeap(exact_below=20), rng=1, **kw).counts[:, 0]
    ref = simulate_network(net, algorithm=ExactSSA(), rng=2, **kw).counts[:, 0]
    fig, axes = plt.subplots(1, net.n_types, figsize=(4 * net.n_types, 4))
    q = np.linspace(0.005, 0.995, 199)
    for i, ax in enumerate(axes):
        a, b = np.quantile(fast[:, i], q), np.quantile(ref[:, i], q)
        ax.plot(b, a, ".", ms=3)
        lim = [0, max(a.max(), b.max()) * 1.05 + 1]
        ax.plot(lim, lim, "k-", lw=0.5)
        ax.set_title(net.types[i])
        ax.set_xlabel("ExactSSA quantile")
        ax.set_ylabel("KendallLeap quantile")
    fig.tight_layout()
    path = out / "qq_multitype.png"
    fig.savefig(path, dpi=100)
    return path


def pmf_one_cell(out: Path, n_runs: int) -> Path:
    net = Network(types=("X",), initial=(1,), birth=1.0, death=0.5)
    x = simulate_network(net, times_days=[5.0], n_runs=n_runs, rng=3).counts[:, 0, 0]
    n = np.arange(0, 60)
    emp = np.array([(x == k).mean() for k in n])
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogy(n, kendall_pmf(n, 1.0, 0.5, 5.0), "k-", label="Kendall P(N(5) = n)")
    ax.semilogy(n, np.where(emp > 0, emp, np.nan), ".", label=f"KendallLeap, {n_runs:,} runs")
    ax.set_xlabel("n")
    ax.legend()
    fig.tight_layout()
    path = out / "pmf_one_cell.png"
    fig.savefig(path, dpi=100)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/verification"))
    parser.add_argument("--runs", type=int, default=20_000)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in (qq_multitype(args.out, args.runs), pmf_one_cell(args.out, 10 * args.runs)):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
