"""Simulate a calibration record's optimum again after a change of the simulation's numerics.

The fitted values are not touched (they are already the built-in population's defaults);
the record's simulated targets and fit quality are replaced by what the current code gives
with the record's own trial, targets, patients and seed, and the previous ones are kept
under ``re_evaluated.previous``.  A change of a parameter or of the model needs a new fit
(`cllsim calibrate`), not this.

    .venv/bin/python -m cllsim.calibrate.reevaluate calibration/cll14/calibration.json \\
        --reason "what changed in the numerics"
"""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path

from cllsim.calibrate import load_targets, reevaluate_record
from cllsim.calibrate.trial import record_simulator


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("record", type=Path, help="calibration.json to re-evaluate in place")
    p.add_argument("--reason", required=True, help="what changed, kept in the record")
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    record = json.loads(args.record.read_text())
    sim = record_simulator(record, workers=args.workers)({})  # the built-in population
    new = reevaluate_record(
        record,
        load_targets(record["target_set"]),
        sim,
        date=datetime.date.today().isoformat(),
        reason=args.reason,
    )
    args.record.write_text(json.dumps(new, indent=2, default=float) + "\n")
    for old, row in zip(record["targets"], new["targets"], strict=True):
        print(f"{row['target']}: {old['simulated']:.4f} -> {row['simulated']:.4f}")
    print(f"chi2 {record['fit_quality']['chi2']:.2f} -> {new['fit_quality']['chi2']:.2f}")


if __name__ == "__main__":
    main()
