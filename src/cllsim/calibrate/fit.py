"""Fit named parameters to calibration targets (Bayesian optimisation, scikit-optimize).

The simulator gives, for a parameter set, each target's simulated estimate and its Monte
Carlo standard error.  The fit minimises

    chi2(theta) = sum_k (sim_k(theta) - target_k)^2 / (se_target_k^2 + se_sim_k^2)

with a Gaussian-process surrogate (``skopt.gp_minimize``): each simulation of a virtual trial
costs tens of seconds, and a GP needs the fewest of them.  The simulator is called with the
same seed every time (common random numbers), so chi2 is a deterministic function of theta.

Uncertainty is the Gauss-Newton (Laplace) covariance at the optimum: the Jacobian of the
simulated targets by central differences (common random numbers again), weighted by the
same variances, ``Cov = (J^T W J)^-1`` in the fitted (log) coordinates.  Fit quality is
chi2 against its reference distribution with ``n_targets - n_parameters`` degrees of freedom.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cllsim.calibrate.targets import TargetSet
from cllsim.errors import SpecError

__all__ = [
    "CalibrationResult",
    "FitParameter",
    "Simulator",
    "calibrate",
    "parse_fit_parameter",
    "write_calibration",
]

# the simulator: parameter values by name -> {target key: (estimate, Monte Carlo SE)}
Simulator = Callable[[Mapping[str, float]], Mapping[str, tuple[float, float]]]


@dataclass(frozen=True)
class FitParameter:
    """One parameter to fit, by its dotted name, within ``[low, high]``.

    ``log=True`` fits ``ln(value)`` (positive scale parameters: rates, EC50s, multipliers).
    """

    name: str
    low: float
    high: float
    log: bool = True

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise SpecError(
                f"parameter {self.name!r}: need finite low < high, got [{self.low}, {self.high}]"
            )
        if self.log and self.low <= 0:
            raise SpecError(f"parameter {self.name!r}: a log-scale range must be > 0")

    def to_u(self, x: float) -> float:
        return math.log(x) if self.log else x

    def from_u(self, u: float) -> float:
        return math.exp(u) if self.log else u

    @property
    def u_bounds(self) -> tuple[float, float]:
        return self.to_u(self.low), self.to_u(self.high)


@dataclass(frozen=True)
class CalibrationResult:
    """What a calibration found and how well it fits.

    Attributes
    ----------
    values : dict
        Fitted value per parameter name.
    se_u : dict
        Standard error in the fitted coordinate (ln value for log parameters).
    ci95 : dict
        95% interval per parameter (from the Laplace approximation, back-transformed).
    correlation : DataFrame
        Correlation of the fitted coordinates.
    chi2, dof, p_value : float, int, float
        Fit quality at the optimum.
    fit : DataFrame
        Per target: published value and SE, simulated value and SE, residual in SE units.
    evaluations : DataFrame
        Every simulator call: parameter values, chi2 and the simulated targets.
    """

    values: dict[str, float]
    se_u: dict[str, float]
    ci95: dict[str, tuple[float, float]]
    correlation: pd.DataFrame
    chi2: float
    dof: int
    p_value: float
    fit: pd.DataFrame
    evaluations: pd.DataFrame
    options: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "parameters": {
                k: {
                    "value": v,
                    "ci95": list(self.ci95[k]),
                    "se_fitted_coordinate": self.se_u[k],
                }
                for k, v in self.values.items()
            },
            "correlation": self.correlation.round(4).to_dict(),
            "fit_quality": {"chi2": self.chi2, "dof": self.dof, "p_value": self.p_value},
            "targets": self.fit.to_dict(orient="records"),
            "n_evaluations": len(self.evaluations),
            "options": self.options,
        }


def _chi2(targets: TargetSet, sim: Mapping[str, tuple[float, float]]) -> float:
    # the sum of Target.residual squared, written out so that the optimiser's objective
    # keeps its rounding (and a fit its path)
    total = 0.0
    for t in targets.targets:
        est, se = sim[t.key]
        total += (est - t.value) ** 2 / (t.se**2 + se**2)
    return total


def _fit_rows(targets: TargetSet, sim: Mapping[str, tuple[float, float]]) -> list[dict[str, Any]]:
    """One row per target: published and simulated values, residual in standard errors."""
    return [
        {
            "target": t.key,
            "published": t.value,
            "published_se": t.se,
            "simulated": sim[t.key][0],
            "simulated_se": sim[t.key][1],
            "residual_se_units": t.residual(*sim[t.key]),
        }
        for t in targets.targets
    ]


def _p_value(chi2: float, dof: int) -> float:
    return float(stats.chi2.sf(chi2, dof)) if dof > 0 else float("nan")


def reevaluate_record(
    record: Mapping[str, Any],
    targets: TargetSet,
    sim: Mapping[str, tuple[float, float]],
    *,
    date: str,
    reason: str,
) -> dict[str, Any]:
    """A calibration record whose optimum was simulated again, ``sim``, after a change of the
    simulation's numerics (not of its parameters): targets and fit quality from ``sim``; the
    record's previous ones kept under ``re_evaluated.previous``.  The fitted values, their
    uncertainty and the evaluations of the search are the fit's and stay."""
    chi2 = _chi2(targets, sim)
    dof = int(record["fit_quality"]["dof"])
    return {
        **record,
        "fit_quality": {"chi2": chi2, "dof": dof, "p_value": _p_value(chi2, dof)},
        "targets": _fit_rows(targets, sim),
        "re_evaluated": {
            "date": date,
            "reason": reason,
            "previous": {"fit_quality": record["fit_quality"], "targets": record["targets"]},
        },
    }


def calibrate(
    simulate: Simulator,
    targets: TargetSet,
    parameters: Sequence[FitParameter],
    *,
    n_calls: int = 30,
    n_initial: int = 10,
    seed: int = 0,
    jacobian_step: float = 0.05,
    progress: bool = False,
) -> CalibrationResult:
    """Fit ``parameters`` so that ``simulate`` reproduces ``targets``.

    Parameters
    ----------
    simulate : callable
        ``simulate(values) -> {target key: (estimate, se)}``; keys as ``Target.key``.
    targets : TargetSet
    parameters : sequence of FitParameter
    n_calls : int
        Simulator calls of the optimiser (including the ``n_initial`` space-filling ones).
    seed : int
        Seed of the optimiser's own choices (the simulator has its own, fixed, seed).
    jacobian_step : float
        Central-difference step as a fraction of each fitted coordinate's range.
    progress : bool
        Show a progress bar over simulator calls.

    Returns
    -------
    CalibrationResult
    """
    from skopt import gp_minimize
    from skopt.space import Real

    if targets.role != "calibration":
        raise SpecError(
            f"calibrate: {targets.name!r} is a {targets.role} set: published outcomes the "
            "model must predict untouched, never fit (shared/reference/cll.md names the "
            "calibration targets); compare a trial with it by cllsim.calibrate.validation"
        )
    if not parameters:
        raise SpecError("calibrate: name at least one parameter to fit")
    names = [p.name for p in parameters]
    if len(set(names)) != len(names):
        raise SpecError(f"calibrate: parameters repeat: {names}")
    if n_calls < max(n_initial, 2) or n_initial < 1:
        raise SpecError(f"calibrate: need n_calls >= n_initial >= 1, got {n_calls}, {n_initial}")
    rows: list[dict[str, Any]] = []
    cache: dict[tuple[float, ...], Mapping[str, tuple[float, float]]] = {}

    def run(u: Sequence[float], stage: str) -> Mapping[str, tuple[float, float]]:
        key = tuple(float(x) for x in u)
        if key not in cache:
            values = {p.name: p.from_u(x) for p, x in zip(parameters, key, strict=True)}
            sim = simulate(values)
            missing = [t.key for t in targets.targets if t.key not in sim]
            if missing:
                raise SpecError(f"calibrate: the simulator gave no value for targets {missing}")
            cache[key] = sim
            row: dict[str, Any] = {"stage": stage, **values, "chi2": _chi2(targets, sim)}
            row.update({f"sim:{k}": v[0] for k, v in sim.items()})
            rows.append(row)
        return cache[key]

    bar = _Bar(progress, n_calls + 2 * len(parameters), "calibrating")
    space = [Real(*p.u_bounds, name=p.name) for p in parameters]

    def objective(u: list[float]) -> float:
        val = _chi2(targets, run(u, "search"))
        bar.advance()
        return val

    try:
        res = gp_minimize(
            objective,
            space,
            n_calls=n_calls,
            n_initial_points=n_initial,
            initial_point_generator="lhs",
            random_state=seed,
        )
        u_best = np.array(res.x, dtype=float)
        best = run(u_best, "search")
        # Gauss-Newton covariance from central differences at the optimum
        k = len(targets.targets)
        jac = np.zeros((k, len(parameters)))
        for j, p in enumerate(parameters):
            lo, hi = p.u_bounds
            h = jacobian_step * (hi - lo)
            up, dn = u_best.copy(), u_best.copy()
            up[j] = min(u_best[j] + h, hi)
            dn[j] = max(u_best[j] - h, lo)
            s_up, s_dn = run(up, "jacobian"), run(dn, "jacobian")
            bar.advance(2)
            jac[:, j] = [
                (s_up[t.key][0] - s_dn[t.key][0]) / (up[j] - dn[j]) for t in targets.targets
            ]
    finally:
        bar.close()
    var = np.array([t.se**2 + best[t.key][1] ** 2 for t in targets.targets])
    info = jac.T @ (jac / var[:, None])
    cov = np.linalg.pinv(info)
    identifiable = np.linalg.matrix_rank(info) == len(parameters)
    se_u = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    if not identifiable:
        se_u[:] = np.inf  # a flat direction: the targets do not pin every parameter down
    z = stats.norm.ppf(0.975)
    values = {p.name: p.from_u(u_best[j]) for j, p in enumerate(parameters)}
    ci95 = {
        p.name: (
            p.from_u(max(u_best[j] - z * se_u[j], -1e300)) if math.isfinite(se_u[j]) else p.low,
            p.from_u(min(u_best[j] + z * se_u[j], 1e300)) if math.isfinite(se_u[j]) else p.high,
        )
        for j, p in enumerate(parameters)
    }
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.sqrt(np.diag(cov))
        corr = cov / np.outer(d, d)
    chi2 = _chi2(targets, best)
    dof = len(targets.targets) - len(parameters)
    fit = pd.DataFrame(_fit_rows(targets, best))
    return CalibrationResult(
        values=values,
        se_u={p.name: float(se_u[j]) for j, p in enumerate(parameters)},
        ci95=ci95,
        correlation=pd.DataFrame(corr, index=names, columns=names),
        chi2=float(chi2),
        dof=int(dof),
        p_value=_p_value(chi2, dof),
        fit=fit,
        evaluations=pd.DataFrame(rows),
        options={
            "optimiser": "skopt.gp_minimize",
            "n_calls": n_calls,
            "n_initial": n_initial,
            "seed": seed,
            "jacobian_step": jacobian_step,
            "identifiable": bool(identifiable),
        },
    )


class _Bar:
    """A rich progress bar over simulator calls, or nothing."""

    def __init__(self, show: bool, total: int, label: str) -> None:
        self._bar = None
        if show:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
            )
            self._bar.start()
            self._task = self._bar.add_task(label, total=total)

    def advance(self, k: int = 1) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, k)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def parse_fit_parameter(text: str) -> FitParameter:
    """``NAME=LOW:HIGH`` (log scale) or ``NAME=LOW:HIGH:lin`` (linear scale).

    Raises
    ------
    SpecError
        Naming the text and the expected form.
    """
    form = (
        "expected NAME=LOW:HIGH or NAME=LOW:HIGH:lin, e.g. pharmacodynamics.venetoclax_ec50=20:300"
    )
    name, sep, rng = text.partition("=")
    parts = rng.split(":")
    if not sep or not name or len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "lin"):
        raise SpecError(f"--fit {text!r}: {form}")
    try:
        low, high = float(parts[0]), float(parts[1])
    except ValueError as err:
        raise SpecError(f"--fit {text!r}: LOW and HIGH must be numbers; {form}") from err
    return FitParameter(name=name.strip(), low=low, high=high, log=len(parts) == 2)


def write_calibration(result: CalibrationResult, out: Any, *, meta: Mapping[str, Any]) -> None:
    """Write ``calibration.json`` (fitted values, uncertainty, fit quality, targets, ``meta``)
    and ``evaluations.parquet`` (every simulator call) into folder ``out``, all at once."""
    import json

    from cllsim.outputs import write_folder

    def write(tmp: Any) -> None:
        payload = {**meta, **result.to_dict()}
        (tmp / "calibration.json").write_text(json.dumps(payload, indent=2, default=float) + "\n")
        result.evaluations.to_parquet(tmp / "evaluations.parquet", index=False)

    write_folder(out, ("calibration.json", "evaluations.parquet"), write)
