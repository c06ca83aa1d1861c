"""CLL14's later follow-up against the calibrated model's predictions (validation, never fitted).

    .venv/bin/python verification/cll14_followup.py --patients 2000 --seed 7 --out out/verification

Runs ``cllsim trial cll14`` (6 years of follow-up) and compares its ``summary.json`` with the
built-in validation set ``cll14-followup`` (PFS at 3, 5 and 6 years, median PFS and the
hazard ratio: Al-Sawaf et al. 2020, 2022, 2024) by :func:`cllsim.calibrate.validation.compare`.
Writes ``cll14_followup.md`` (the table) and ``cll14_followup.json`` (the rows and the run's
settings) to ``--out`` and prints the table.  The pass/fail form is the slow test
``tests/calibrate/test_cll14_followup.py``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cllsim.calibrate import load_targets
from cllsim.calibrate.validation import compare, markdown_table
from cllsim.trials import load_trial
from cllsim.trials.run import run_trial


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("out/verification"))
    args = parser.parse_args()
    published = load_targets("cll14-followup")
    res = run_trial(
        load_trial(published.trial), n_patients=args.patients, workers=args.workers, rng=args.seed
    )
    table = compare(res.summary, published)
    head = (
        f"# {published.name}: predictions of `cllsim trial {published.trial} --patients "
        f"{args.patients} --seed {args.seed}` against published outcomes never fitted\n\n"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    md = args.out / "cll14_followup.md"
    md.write_text(head + markdown_table(table))
    rows = json.loads(table.to_json(orient="records"))
    (args.out / "cll14_followup.json").write_text(
        json.dumps({"patients": args.patients, "seed": args.seed, "rows": rows}, indent=1) + "\n"
    )
    print(head + markdown_table(table))
    print(f"wrote {md}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
