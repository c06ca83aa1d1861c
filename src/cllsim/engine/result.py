"""The engine's result: counts at the asked times for N runs, as arrays and a tidy table."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["NetworkResult", "Status"]


class Status(enum.IntEnum):
    """How a run ended (compare SciML's ``retcode``)."""

    COMPLETED = 0  #: reached the last record time
    EXTINCT = 1  #: every type at 0 and no inflow: nothing can happen any more
    CELL_LIMIT = 2  #: the stop condition's total was reached
    EVENT_LIMIT = 3  #: ExactSSA's ``max_events`` was exhausted (counts after are not valid)


@dataclass(frozen=True, eq=False)
class NetworkResult:
    """Counts of every type at the record times for ``n_runs`` independent runs.

    Attributes
    ----------
    times_days : float64[n_times]
    types : tuple of str, n_types names
    counts : int64[n_runs, n_times, n_types]
        Cells at each record time.  After a run stops (extinction or the stop condition),
        later record times hold the counts at the stop.
    status : int8[n_runs]
        :class:`Status` codes.
    stop_time_days : float64[n_runs]
        When the run stopped; NaN for runs that completed.
    stop_counts : int64[n_runs, n_types]
        Counts at the stop (at the last record time for completed runs).
    n_events : int64[n_runs]
        Events simulated one at a time by ExactSSA; -1 for KendallLeap, which leaps.
    provenance : dict
        cllsim version, algorithm and options, seed entropy and spawn key, block size.
    """

    times_days: NDArray[np.float64]
    types: tuple[str, ...]
    counts: NDArray[np.int64]
    status: NDArray[np.int8]
    stop_time_days: NDArray[np.float64]
    stop_counts: NDArray[np.int64]
    n_events: NDArray[np.int64]
    provenance: dict[str, Any]

    def __post_init__(self) -> None:
        for name in ("times_days", "counts", "status", "stop_time_days", "stop_counts", "n_events"):
            getattr(self, name).setflags(write=False)

    @property
    def n_runs(self) -> int:
        """Number of runs."""
        return int(self.counts.shape[0])

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per (run, time, type) with columns
        ``run, time_days, type, cells``."""
        n_runs, n_times, n_types = self.counts.shape
        return pd.DataFrame(
            {
                "run": np.repeat(np.arange(n_runs), n_times * n_types),
                "time_days": np.tile(np.repeat(self.times_days, n_types), n_runs),
                "type": pd.Categorical(
                    np.tile(np.array(self.types, dtype=object), n_runs * n_times),
                    categories=list(self.types),
                ),
                "cells": self.counts.reshape(-1),
            }
        )

    def counts_of(self, name: str) -> NDArray[np.int64]:
        """int64[n_runs, n_times] counts of the type called ``name``."""
        return self.counts[:, :, self.types.index(name)]
