"""Running a virtual trial: patients in chunks, on a process pool or on Dask (orchestration).

Patients are simulated in chunks of consecutive ids.  A chunk is a pure function of
(trial, root seed, ids): each patient uses only its own stream ``child_sequence(root, i)``
(see :mod:`cllsim.trials.patient`), so the table does not depend on the chunking, the
number of workers, the backend or the order in which chunks finish.

Backends: in this process (``workers=1``), a local
:class:`concurrent.futures.ProcessPoolExecutor` (spawned workers), or a
``dask.distributed`` cluster (``dask="local"`` starts a LocalCluster with ``workers``
single-threaded worker processes; any other string is a scheduler address).
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cllsim.seeding import RngLike, root_sequence, seed_provenance
from cllsim.trials.patient import OUTCOME_COLUMNS, simulate_trial_patient
from cllsim.trials.spec import TrialSpec
from cllsim.trials.summary import trial_summary

__all__ = [
    "CLONE_COLUMNS",
    "TrialResult",
    "chunk_ids",
    "patients_frame",
    "run_chunks",
    "run_trial",
    "simulate_patients",
]

CLONE_COLUMNS = ("patient_id", "time_days", "genotype", "cells")
_CLONE_DTYPES = ("int64", "float64", "object", "int64")
#: Patients whose clones are kept for the report's swimmer plot: ids below this.
N_SWIMMERS = 40


def patients_frame(trial: TrialSpec, rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Rows of :func:`simulate_trial_patient` as a table with fixed columns and dtypes."""
    pop = trial.population
    dtypes: dict[str, str] = {"patient_id": "int64", "arm": "object"}
    for name in pop.parameters:
        dtypes[name] = "object" if pop.is_categorical(name) else "float64"
    dtypes.update(OUTCOME_COLUMNS)
    data = {c: [r[c] for r in rows] for c in dtypes}
    frame = pd.DataFrame(data, columns=list(dtypes))
    return frame.astype(dtypes)


def simulate_patients(
    trial: TrialSpec,
    root: np.random.SeedSequence,
    ids: Sequence[int],
    *,
    n_swimmers: int = N_SWIMMERS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate the patients ``ids`` (one chunk).

    Returns
    -------
    patients : DataFrame
        One row per patient in ``ids`` order (:func:`patients_frame`).
    clones : DataFrame
        :data:`CLONE_COLUMNS` for the patients with id < ``n_swimmers``.
    """
    bases = {arm: trial.base_scenario(arm) for arm in trial.arms}
    rows, clones = [], []
    for i in ids:
        row, cl = simulate_trial_patient(
            trial, int(i), root, bases=bases, keep_clones=i < n_swimmers
        )
        rows.append(row)
        if cl is not None:
            clones.append(cl)
    empty = {c: pd.Series(dtype=t) for c, t in zip(CLONE_COLUMNS, _CLONE_DTYPES, strict=True)}
    clone_frame = pd.concat(clones, ignore_index=True) if clones else pd.DataFrame(empty)
    return patients_frame(trial, rows), clone_frame


def chunk_ids(ids: Sequence[int], chunk_size: int) -> list[tuple[int, ...]]:
    """Split sorted ``ids`` into chunks of at most ``chunk_size`` consecutive ids."""
    ids = sorted(int(i) for i in ids)
    out: list[tuple[int, ...]] = []
    cur: list[int] = []
    for i in ids:
        if cur and (i != cur[-1] + 1 or len(cur) >= chunk_size):
            out.append(tuple(cur))
            cur = []
        cur.append(i)
    if cur:
        out.append(tuple(cur))
    return out


@contextlib.contextmanager
def _dask_client(address: str, workers: int) -> Iterator[Any]:
    from dask.distributed import Client, LocalCluster

    if address == "local":
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=40,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
    else:
        with Client(address) as client:
            yield client


Chunk = tuple[tuple[int, ...], pd.DataFrame, pd.DataFrame]


def run_chunks(
    trial: TrialSpec,
    root: np.random.SeedSequence,
    chunks: Sequence[tuple[int, ...]],
    *,
    workers: int = 1,
    dask: str | None = None,
    n_swimmers: int = N_SWIMMERS,
) -> Iterator[Chunk]:
    """Simulate ``chunks`` and yield ``(ids, patients, clones)`` as each one finishes."""
    if dask is not None:
        from dask.distributed import as_completed as dask_completed

        with _dask_client(dask, workers) as client:
            futures = {
                client.submit(simulate_patients, trial, root, ids, n_swimmers=n_swimmers,
                              pure=False): ids
                for ids in chunks
            }  # fmt: skip
            for fut, (patients, clones) in dask_completed(futures, with_results=True):
                yield futures[fut], patients, clones
        return
    if workers <= 1:
        for ids in chunks:
            yield (ids, *simulate_patients(trial, root, ids, n_swimmers=n_swimmers))
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futs = {
            pool.submit(simulate_patients, trial, root, ids, n_swimmers=n_swimmers): ids
            for ids in chunks
        }
        try:
            for fut in as_completed(futs):
                yield (futs[fut], *fut.result())
        except BaseException:
            for f in futs:
                f.cancel()
            raise


@dataclass(frozen=True, eq=False)
class TrialResult:
    """A finished virtual trial.

    Attributes
    ----------
    trial : TrialSpec
    patients : DataFrame
        One row per patient (``patients.parquet``), sorted by ``patient_id``.
    clones : DataFrame
        Cells per genotype at every visit of the first patients (swimmer plot).
    summary : dict
        ``summary.json``.
    provenance : dict
        Version, seed entropy and spawn key, the serialised trial.
    """

    trial: TrialSpec
    patients: pd.DataFrame
    clones: pd.DataFrame
    summary: dict[str, Any]
    provenance: dict[str, Any]


def default_chunk_size(n_patients: int, workers: int) -> int:
    """About 8 chunks per worker, 1 to 25 patients each (progress and load balance)."""
    return int(max(1, min(25, -(-n_patients // (8 * max(workers, 1))))))


def finish_trial(
    trial: TrialSpec,
    root: np.random.SeedSequence,
    patients: pd.DataFrame,
    clones: pd.DataFrame,
) -> TrialResult:
    """Sort the tables, compute the summary, attach provenance."""
    from cllsim import __version__

    patients = patients.sort_values("patient_id", kind="stable").reset_index(drop=True)
    clones = clones.sort_values(["patient_id", "time_days", "genotype"], kind="stable")
    seed = seed_provenance(root)
    summary = trial_summary(patients, trial, seed=seed["entropy"], version=__version__)
    return TrialResult(
        trial=trial,
        patients=patients,
        clones=clones.reset_index(drop=True),
        summary=summary,
        provenance={
            "cllsim_version": __version__,
            "seed": seed,
            "trial": trial.model_dump(mode="json"),
        },
    )


def run_trial(
    trial: TrialSpec,
    *,
    n_patients: int,
    workers: int = 1,
    rng: RngLike = None,
    dask: str | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> TrialResult:
    """Simulate ``n_patients`` patients of ``trial`` in memory.

    Parameters
    ----------
    trial : TrialSpec
    n_patients : int
        Patients (>= 1).
    workers : int
        Worker processes (1: this process).  The result does not depend on it.
    rng : int, SeedSequence, Generator or None
        Root seed; patient *i* uses ``child_sequence(root, i)``.
    dask : str, optional
        ``"local"`` or a dask.distributed scheduler address.
    on_chunk : callable, optional
        Called with the number of patients of each finished chunk (progress).

    Returns
    -------
    TrialResult
    """
    if n_patients < 1:
        raise ValueError(f"n_patients must be >= 1, got {n_patients}")
    root = root_sequence(rng)
    chunks = chunk_ids(range(n_patients), default_chunk_size(n_patients, workers))
    parts, clone_parts = [], []
    for ids, patients, clones in run_chunks(trial, root, chunks, workers=workers, dask=dask):
        parts.append(patients)
        clone_parts.append(clones)
        if on_chunk is not None:
            on_chunk(len(ids))
    return finish_trial(trial, root, pd.concat(parts), pd.concat(clone_parts))
