"""Exposure of each drug at any times, from dose records and drug parameters.

The *exposure* of a drug is what its pharmacodynamics reads (``DrugParameters.effect_driver``):
the plasma concentration in ng/mL, or for a covalent BTK inhibitor the BTK occupancy as a
fraction in [0, 1].  Everything here is closed form and exact at dose times (see
:mod:`cllsim.pkpd.pk` and :mod:`cllsim.pkpd.occupancy`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cllsim.errors import SpecError
from cllsim.pkpd.dosing import Dose, dose_arrays
from cllsim.pkpd.occupancy import free_fraction_at, occupancy_table
from cllsim.pkpd.parameters import DrugParameters
from cllsim.pkpd.pk import Superposition, disposition, evaluate, integrate, superpose

__all__ = [
    "btk_occupancy",
    "concentration",
    "concentration_integral",
    "exposure",
    "exposure_evaluator",
    "exposure_matrix",
    "forget_evaluators",
    "superposition_for",
]


def _times(name: str, value: ArrayLike) -> NDArray[np.float64]:
    t = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(t)):
        bad = t.reshape(-1)[~np.isfinite(t.reshape(-1))][0]
        raise SpecError(f"{name} must be finite times in days, got {float(bad)!r}")
    return t


def superposition_for(doses: Iterable[Dose], drug: DrugParameters) -> Superposition:
    """Fold the doses of ``drug.name`` among ``doses`` into a :class:`Superposition`.

    Raises
    ------
    SpecError
        When the drug has oral doses but no absorption rate in its PK parameters.
    """
    return _superpose(drug, *dose_arrays(doses, drug.name))


def _superpose(
    drug: DrugParameters, times: NDArray, amounts: NDArray, durations: NDArray, oral: NDArray
) -> Superposition:
    pk = drug.pk
    if np.any(oral) and pk.absorption_rate_per_day is None:
        raise SpecError(
            f"Drug {drug.name!r}: has oral doses but pk.absorption_rate_per_day is None; "
            "give an absorption rate (per day) or dose it IV"
        )
    coef, rates = disposition(
        pk.clearance_l_per_day,
        pk.central_volume_l,
        pk.peripheral_volume_l,
        pk.intercompartmental_clearance_l_per_day,
    )
    return superpose(
        times,
        amounts,
        durations,
        oral,
        coef=coef,
        rates=rates,
        absorption_rate_per_day=pk.absorption_rate_per_day,
        bioavailability=pk.bioavailability,
    )


def concentration(
    doses: Iterable[Dose],
    drug: DrugParameters,
    times_days: ArrayLike,
    *,
    left_limit: bool = False,
) -> NDArray[np.float64]:
    """Plasma concentration of ``drug`` (ng/mL) at ``times_days`` (any shape, days).

    Right-continuous at dose times; ``left_limit=True`` gives the value just before.

    Examples
    --------
    >>> from cllsim.pkpd.parameters import VENETOCLAX
    >>> from cllsim.pkpd.regimens import venetoclax_continuous
    >>> doses = venetoclax_continuous(stop_day=100.0)
    >>> round(float(concentration(doses, VENETOCLAX, 0.0)), 6)
    0.0
    """
    t = _times("concentration: times_days", times_days)
    return evaluate(superposition_for(doses, drug), t, left_limit=left_limit)


def concentration_integral(
    doses: Iterable[Dose], drug: DrugParameters, edges_days: ArrayLike
) -> NDArray[np.float64]:
    """Exact AUC of ``drug`` between consecutive ``edges_days``, ng/mL * day.

    Parameters
    ----------
    edges_days : float64[n]
        Non-decreasing times, days.

    Returns
    -------
    float64[n - 1]

    Raises
    ------
    SpecError
        For non-finite or decreasing edges.
    """
    e = _times("concentration_integral: edges_days", edges_days).reshape(-1)
    if np.any(np.diff(e) < 0):
        k = int(np.argmax(np.diff(e) < 0))
        raise SpecError(
            f"concentration_integral: edges_days must be non-decreasing; edges_days[{k + 1}] = "
            f"{float(e[k + 1])!r} comes before edges_days[{k}] = {float(e[k])!r}"
        )
    return integrate(superposition_for(doses, drug), e)


def btk_occupancy(
    doses: Iterable[Dose], drug: DrugParameters, times_days: ArrayLike
) -> NDArray[np.float64]:
    """Fraction of BTK covalently bound by ``drug`` at ``times_days`` (in [0, 1]).

    Raises
    ------
    SpecError
        When ``drug.btk_occupancy`` is None.
    """
    t = _times("btk_occupancy: times_days", times_days)
    horizon = float(t.max()) if t.size else 0.0
    return exposure_evaluator(doses, drug, horizon, driver="btk_occupancy")(t)


def exposure_evaluator(
    doses: Iterable[Dose],
    drug: DrugParameters,
    horizon_days: float,
    *,
    driver: str | None = None,
) -> Callable[..., NDArray[np.float64]]:
    """A function ``f(times_days, left_limit=False, batch_starts=())``: the exposure of ``drug``.

    The expensive part (folding the doses; the occupancy table up to ``horizon_days``) is done
    once, so that many batches of times can be asked cheaply.  ``driver`` overrides
    ``drug.effect_driver``.  ``batch_starts`` splits the times into batches valued bit for
    bit as separate calls would value them (see :func:`cllsim.pkpd.pk.evaluate`).

    Raises
    ------
    SpecError
        When the driver is ``"btk_occupancy"`` and ``drug.btk_occupancy`` is None.
    """
    arrays = dose_arrays(doses, drug.name)
    occupancy = (drug.effect_driver if driver is None else driver) == "btk_occupancy"
    # only the occupancy table reaches to a horizon: plasma evaluators serve every horizon
    # (a patient's rate tables cut at an other-cause death ask for one more time)
    horizon = float(horizon_days) if occupancy else None
    key = (drug, horizon, driver, *(a.tobytes() for a in arrays))
    with _evaluators_lock:
        f = _evaluators.get(key)
        if f is not None:
            _evaluators.move_to_end(key)
            return f
    f = _evaluator(drug, float(horizon_days), driver, arrays)
    with _evaluators_lock:
        _evaluators[key] = f
        while len(_evaluators) > _EVALUATORS_KEPT:
            _evaluators.popitem(last=False)
    return f


#: Evaluators kept (least recently used dropped): the knot grid and the rate table of a
#: patient ask for the same drug's schedule, and the BTK occupancy table is the costly part.
#: The key holds the drug's parameters and the bytes of its dose arrays, nothing else.
_EVALUATORS_KEPT = 16
_evaluators: OrderedDict[tuple[Any, ...], Callable[..., NDArray[np.float64]]] = OrderedDict()
_evaluators_lock = threading.Lock()


def forget_evaluators() -> None:
    """Drop the kept evaluators, so that the next call computes its PK (and BTK occupancy
    table) afresh, as for a patient whose doses were never seen: the patient benchmark
    times a new patient this way."""
    with _evaluators_lock:
        _evaluators.clear()


def _evaluator(
    drug: DrugParameters,
    horizon_days: float,
    driver: str | None,
    arrays: tuple[NDArray, NDArray, NDArray, NDArray],
) -> Callable[..., NDArray[np.float64]]:
    """The evaluator for one drug's dose arrays (see :func:`exposure_evaluator`)."""
    sp = _superpose(drug, *arrays)
    driver = drug.effect_driver if driver is None else driver
    if driver == "btk_occupancy":
        occ = drug.btk_occupancy
        if occ is None:
            raise SpecError(f"Drug {drug.name!r}: btk_occupancy parameters are None")
        try:
            table = occupancy_table(
                sp,
                float(horizon_days),
                inactivation_rate=occ.inactivation_rate_per_ng_ml_day,
                resynthesis_rate_per_day=occ.resynthesis_rate_per_day,
            )
        except ValueError as err:  # doses the occupancy model does not cover
            raise SpecError(f"Drug {drug.name!r}: {err}") from err

        def occupancy(
            times_days: ArrayLike, left_limit: bool = False, batch_starts: Sequence[int] = ()
        ) -> NDArray[np.float64]:  # continuous: no jumps; values independent of batches
            return 1.0 - free_fraction_at(table, sp, times_days)

        return occupancy

    def plasma(
        times_days: ArrayLike, left_limit: bool = False, batch_starts: Sequence[int] = ()
    ) -> NDArray[np.float64]:
        return evaluate(sp, times_days, left_limit=left_limit, batch_starts=batch_starts)

    return plasma


def exposure(
    doses: Iterable[Dose],
    drug: DrugParameters,
    times_days: ArrayLike,
    *,
    left_limit: bool = False,
) -> NDArray[np.float64]:
    """The PD driver of ``drug`` at ``times_days``: ng/mL, or BTK occupancy (fraction)."""
    t = _times("exposure: times_days", times_days)
    horizon = float(t.max()) if t.size else 0.0
    return exposure_evaluator(doses, drug, horizon)(t, left_limit=left_limit)


def exposure_matrix(
    doses: Iterable[Dose],
    drugs: Sequence[DrugParameters],
    times_days: ArrayLike,
    *,
    left_limit: ArrayLike = False,
) -> NDArray[np.float64]:
    """Exposures of several drugs: float64[n_times, n_drugs] (column j for ``drugs[j]``).

    Parameters
    ----------
    left_limit : bool or bool[n_times]
        Per time, whether to take the value just before it (for the first copy of a repeated
        knot at an IV bolus).
    """
    doses = tuple(doses)
    t = _times("exposure_matrix: times_days", times_days).reshape(-1)
    left = np.broadcast_to(np.asarray(left_limit, dtype=bool), t.shape)
    horizon = float(t.max()) if t.size else 0.0
    out = np.empty((t.size, len(drugs)))
    for j, drug in enumerate(drugs):
        f = exposure_evaluator(doses, drug, horizon)
        out[:, j] = f(t)
        if np.any(left):
            out[left, j] = f(t[left], left_limit=True)
    return out
