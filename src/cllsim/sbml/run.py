"""The front door of the SBML path: simulate a model at a settings file's record times."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cllsim.engine import Algorithm, StopCondition, simulate_network
from cllsim.errors import InputFileError, SpecError
from cllsim.sbml.reader import SbmlModel
from cllsim.sbml.results import summarise
from cllsim.sbml.settings import SuiteSettings
from cllsim.seeding import RngLike, root_sequence, seed_provenance

__all__ = ["SbmlRun", "simulate_sbml"]


@dataclass(frozen=True, eq=False)
class SbmlRun:
    """Means and standard deviations of the reported variables over ``n_runs`` runs.

    Attributes
    ----------
    table : DataFrame
        The suite's layout: ``time``, every ``X-mean``, every ``X-sd`` (ddof = 1).
    n_runs : int
    provenance : dict
        cllsim version, algorithm and options, seed entropy and spawn key, model and
        settings paths.
    """

    table: pd.DataFrame
    n_runs: int
    provenance: dict[str, Any]


def simulate_sbml(
    model: SbmlModel,
    settings: SuiteSettings,
    *,
    n_runs: int,
    rng: RngLike = None,
    algorithm: Algorithm | None = None,
    workers: int = 1,
) -> SbmlRun:
    """Simulate ``model`` ``n_runs`` times and summarise the settings' variables.

    Parameters
    ----------
    model : SbmlModel
        From :func:`cllsim.sbml.read_sbml`.
    settings : SuiteSettings
        From :func:`cllsim.sbml.parse_settings`: record times and the variables to report.
    n_runs : int
        Independent runs, >= 1.
    rng : int, SeedSequence, Generator or None
        Seed; None draws fresh entropy (recorded in ``provenance``).
    algorithm : Algorithm, optional
        Default :class:`cllsim.engine.KendallLeap`.
    workers : int
        Worker processes; results do not depend on it.

    Returns
    -------
    SbmlRun

    Raises
    ------
    InputFileError
        When the settings name a variable the model does not have.
    SpecError
        When ``n_runs`` < 1.
    """
    if not isinstance(n_runs, int | np.integer) or n_runs < 1:
        raise SpecError(f"--runs must be a whole number >= 1, got {n_runs!r}")
    for name in settings.variables:
        if not model.knows(name):
            raise InputFileError(
                f"{settings.path}: variable {name!r} is not a species, parameter or "
                f"compartment of {model.path}"
            )
    times = settings.times_days
    root = root_sequence(rng)
    provenance: dict[str, Any] = {
        "model": str(model.path),
        "settings": str(settings.path),
        "n_runs": int(n_runs),
    }
    counts: dict[str, np.ndarray] = {}
    if model.network is not None:
        result = simulate_network(
            model.network,
            times_days=times,
            n_runs=int(n_runs),
            events=model.events,
            # a later event may refill an extinct species, so only stop early without events
            stop=StopCondition(on_extinction=not model.events),
            algorithm=algorithm,
            rng=root,
            workers=workers,
        )
        counts = {
            name: result.counts[:, :, i].astype(np.float64) for i, name in enumerate(result.types)
        }
        provenance.update(result.provenance)
    else:
        from cllsim import __version__

        provenance.update(cllsim_version=__version__, seed=seed_provenance(root))
    values = {
        name: model.report(
            name, counts, times, n_runs=int(n_runs), concentration=name in settings.concentration
        )
        for name in settings.variables
    }
    return SbmlRun(table=summarise(values, times), n_runs=int(n_runs), provenance=provenance)
