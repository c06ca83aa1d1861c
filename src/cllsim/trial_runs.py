"""``cllsim trial``: a virtual trial from trial file to the three result files, resumable.

Layout of the output folder ``DIR`` while the trial runs::

    DIR/.cllsim-trial/manifest.json     the trial, n_patients and the root seed
    DIR/.cllsim-trial/parts/patients-0000000-0000024.parquet   one per finished chunk
    DIR/.cllsim-trial/parts/clones-0000000-0000024.parquet     swimmer-plot clones

A chunk's files are written atomically (temporary name, then :func:`os.replace`) as soon as
it finishes, clones first and patients last, so a ``patients-*`` part marks a finished
chunk.  ``resume=True`` reads the manifest, keeps every finished part, and simulates only
the patients no part holds: since patient *i* depends only on (seed, *i*), the result is
the same as an uninterrupted run's.  At the end the parts are merged into
``patients.parquet``, ``summary.json`` and ``report.html`` (written to a temporary folder and
moved into place together), and the work folder is removed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cllsim.calibrate.validation import report_tables
from cllsim.errors import SpecError
from cllsim.outputs import write_file, write_folder
from cllsim.report.trial import write_trial_report
from cllsim.seeding import root_sequence, seed_provenance
from cllsim.trials.run import (
    TrialResult,
    chunk_ids,
    default_chunk_size,
    finish_trial,
    run_chunks,
)
from cllsim.trials.spec import TrialSpec

__all__ = ["OUTPUT_FILES", "WORK_DIR", "run_trial_to_dir"]

OUTPUT_FILES = ("patients.parquet", "summary.json", "report.html")
WORK_DIR = ".cllsim-trial"
_MANIFEST = "manifest.json"


def _manifest(trial: TrialSpec, n_patients: int, root: np.random.SeedSequence) -> dict[str, Any]:
    from cllsim import __version__

    return {
        "cllsim_version": __version__,
        "n_patients": n_patients,
        "seed": seed_provenance(root),
        "trial": trial.model_dump(mode="json"),
    }


def _start(
    trial: TrialSpec | None,
    out: Path,
    n_patients: int | None,
    seed: int | None,
    resume: bool,
) -> tuple[TrialSpec, int, np.random.SeedSequence]:
    work = out / WORK_DIR
    manifest_path = work / _MANIFEST
    if resume:
        if not manifest_path.exists():
            done = (out / "patients.parquet").exists()
            raise SpecError(
                f"{out}: nothing to resume: "
                + ("it holds a finished trial" if done else f"no {WORK_DIR}/{_MANIFEST} there")
            )
        m = json.loads(manifest_path.read_text())
        saved = TrialSpec.model_validate(m["trial"])
        if trial is not None and trial.model_dump(mode="json") != m["trial"]:
            raise SpecError(
                f"{out}: the trial given differs from the interrupted run's ({saved.name!r}); "
                "omit TRIAL to resume it"
            )
        if n_patients is not None and n_patients != m["n_patients"]:
            raise SpecError(
                f"{out}: --patients {n_patients} differs from the interrupted run's "
                f"{m['n_patients']}; omit it to resume"
            )
        entropy = m["seed"]["entropy"]
        if seed is not None and seed != entropy:
            raise SpecError(
                f"{out}: --seed {seed} differs from the interrupted run's {entropy}; omit it"
            )
        root = np.random.SeedSequence(entropy, spawn_key=tuple(m["seed"]["spawn_key"]))
        return saved, int(m["n_patients"]), root
    if trial is None or n_patients is None:
        raise SpecError("a new trial needs TRIAL and --patients")
    if manifest_path.exists():
        raise SpecError(
            f"{out}: holds an unfinished trial; continue it with --resume {out}, or remove "
            f"{work} to start again"
        )
    root = root_sequence(seed)
    (work / "parts").mkdir(parents=True, exist_ok=True)
    text = json.dumps(_manifest(trial, n_patients, root), indent=1) + "\n"
    write_file(manifest_path, lambda p: p.write_text(text))
    return trial, n_patients, root


def _finished(parts: Path, n_patients: int) -> set[int]:
    """Ids held by finished parts; removes stale temporaries and orphan clone parts."""
    for tmp in parts.glob(".tmp-*"):
        tmp.unlink(missing_ok=True)
    for clones in parts.glob("clones-*.parquet"):
        if not (parts / clones.name.replace("clones-", "patients-", 1)).exists():
            clones.unlink()
    done: set[int] = set()
    for part in sorted(parts.glob("patients-*.parquet")):
        ids = pd.read_parquet(part, columns=["patient_id"])["patient_id"].tolist()
        again = done.intersection(ids)
        if again:
            raise SpecError(f"{part}: patients {sorted(again)[:5]} are in another part too")
        done.update(ids)
    bad = [i for i in done if not 0 <= i < n_patients]
    if bad:
        raise SpecError(f"{parts}: patient ids {bad[:5]} outside 0..{n_patients - 1}")
    return done


def _progress(enabled: bool, total: int, done: int) -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class _Rate(ProgressColumn):
        def render(self, task: Any) -> Text:
            speed = task.speed
            return Text("" if speed is None else f"{speed:.2f} patients/s")

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not enabled,
        speed_estimate_period=120.0,
    )
    task = progress.add_task("patients", total=total, completed=done)
    return progress, task


def run_trial_to_dir(
    trial: TrialSpec | None,
    *,
    out: Path,
    n_patients: int | None,
    seed: int | None = None,
    workers: int = 1,
    dask: str | None = None,
    resume: bool = False,
    progress: bool = True,
    chunk_size: int | None = None,
) -> TrialResult:
    """Run (or resume) a trial into ``out``; see the module docstring for the layout.

    Parameters
    ----------
    trial : TrialSpec or None
        None only when resuming (the manifest holds it).
    out : Path
        Output folder (created if missing).
    n_patients : int or None
        Patients; None only when resuming.
    seed : int or None
        Root seed (None: fresh entropy, recorded in the manifest and summary).
    workers : int
        Worker processes (local pool or LocalCluster).
    dask : str, optional
        ``"local"`` or a dask.distributed scheduler address.
    resume : bool
        Continue the interrupted trial in ``out``.
    progress : bool
        Show a progress bar on stderr.
    chunk_size : int, optional
        Patients per part (default: about 8 chunks per worker, at most 25 patients).

    Returns
    -------
    TrialResult
    """
    out = Path(out)
    trial, n_patients, root = _start(trial, out, n_patients, seed, resume)
    parts = out / WORK_DIR / "parts"
    parts.mkdir(parents=True, exist_ok=True)
    done = _finished(parts, n_patients)
    missing = [i for i in range(n_patients) if i not in done]
    size = chunk_size or default_chunk_size(len(missing) or 1, workers)
    chunks = chunk_ids(missing, size)
    bar, task = _progress(progress, n_patients, len(done))
    with bar:
        for ids, patients, clones in run_chunks(trial, root, chunks, workers=workers, dask=dask):
            tag = f"{ids[0]:07d}-{ids[-1]:07d}.parquet"
            write_file(parts / f"clones-{tag}", lambda p, c=clones: c.to_parquet(p, index=False))
            write_file(
                parts / f"patients-{tag}", lambda p, t=patients: t.to_parquet(p, index=False)
            )
            bar.advance(task, len(ids))
    files = sorted(parts.glob("patients-*.parquet"))
    patients = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    clones = pd.concat(
        [pd.read_parquet(f) for f in sorted(parts.glob("clones-*.parquet"))], ignore_index=True
    )
    ids = np.sort(patients["patient_id"].to_numpy())
    if not np.array_equal(ids, np.arange(n_patients)):
        raise SpecError(f"{parts}: the parts do not hold patients 0..{n_patients - 1} once each")
    result = finish_trial(trial, root, patients, clones)
    _write_outputs(result, out)
    shutil.rmtree(out / WORK_DIR, ignore_errors=True)
    return result


def _write_outputs(result: TrialResult, out: Path) -> None:
    """Write the three files into ``out`` all at once."""

    def write(tmp: Path) -> None:
        result.patients.to_parquet(tmp / "patients.parquet", index=False)
        (tmp / "summary.json").write_text(json.dumps(result.summary, indent=2) + "\n")
        write_trial_report(tmp / "report.html", result, published=report_tables(result.summary))

    write_folder(out, OUTPUT_FILES, write)
