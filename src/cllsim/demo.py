"""``make demo``: the flagship simulation.

One built-in patient (1e12 CLL cells at day 0, resistant subclones drawn from the exact
mutation–selection history of the founding clone) on two regimens: CLL14
venetoclax–obinutuzumab (12 cycles, then stop) and continuous ibrutinib.  Each run writes
``counts.parquet``, ``observables.parquet``, ``summary.json`` and a self-contained
``report.html`` under ``OUT/<scenario>/``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from cllsim.model import load_scenario
from cllsim.runs import run_patient, write_patient_run

__all__ = ["FLAGSHIP", "main"]

FLAGSHIP = ("ven-obi", "ibrutinib-continuous")


def main(argv: list[str] | None = None) -> int:
    """Run the flagship scenarios with one seed; print where the reports are."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/demo"))
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    for name in FLAGSHIP:
        started = time.perf_counter()
        run = run_patient(load_scenario(name), rng=args.seed)
        folder = write_patient_run(run, args.out / name)
        s = run.summary
        outcome = (
            f"progression on day {s['progression_day']:.0f} ({s['progression_reason']}), "
            f"dominant genotype {s['dominant_genotype_at_progression']}"
            if s["progression_day"] is not None
            else "no progression within the horizon"
        )
        print(f"{name}: {outcome} [{time.perf_counter() - started:.1f} s]")
        print(f"  report: {(folder / 'report.html').resolve()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
