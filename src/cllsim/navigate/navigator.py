"""Compare treatment strategies for one patient under its posterior; optimise a family.

Every strategy is simulated from the last visit for the same posterior draws, and draw *i*
uses the same root ``SeedSequence`` (from the draw's entropy) for every strategy: common
random numbers, so differences between strategies are not Monte Carlo noise of different
patients.  Endpoints per strategy, with 90% intervals:

- ``pfs_3y``, ``pfs_5y``: probability of neither strategy failure (iwCLL progression on
  the strategy's last line, or the burden limit) nor death from other causes by 3 and 5
  years after the last visit (a progression the strategy answers with its next line is not
  a failure); ``failure_free_5y`` leaves deaths out; ``first_progression_free_5y`` counts
  any progression; ``alive_5y``: probability of no death from other causes by 5 years (the
  population's life table and comorbidity hazard ratio at the patient's age, the same for
  every strategy of a draw);
- ``resistance_5y``: probability that a BTK C481S, PLCG2 or BCL2 G101V allele fraction is
  detectable by 5 years; ``resistance_free_years``: its restricted mean over the horizon;
- ``drug_years``: mean years with any drug given.

Ranking: by ``pfs_5y``, then ``pfs_3y``, then ``resistance_free_years``, then fewer
``drug_years``.  The MRD-guided family (months before a stop, stop and restart thresholds)
is optimised with scikit-optimize's Gaussian-process minimiser (``gp_minimize``): each
evaluation costs a set of simulations, so the optimiser that needs the fewest wins, and
scikit-optimize is already a dependency (calibration uses it).  The objective is the mean
failure-free years minus ``exposure_weight`` x the mean drug-years, on common random numbers
(so it is a deterministic function of the parameters).
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cllsim.navigate.forecast import Forecast, jeffreys_interval
from cllsim.navigate.pathway import anchor_scenario, patient_model, run_path
from cllsim.navigate.patient_file import PatientFile
from cllsim.navigate.prior import ParameterPrior
from cllsim.navigate.strategies import BUILTIN_STRATEGIES, StrategySpec
from cllsim.seeding import RngLike, root_sequence, seed_provenance

__all__ = [
    "NavigateSettings",
    "Navigation",
    "compare_strategies",
    "mrd_family",
    "navigate_patient",
    "rank_strategies",
]

_YEAR = 365.25


@dataclass(frozen=True)
class NavigateSettings:
    """Budget of a navigation: ``n_draws`` posterior draws per strategy, ``workers``
    processes, decision visits every ``visit_every_days``; the MRD-guided family is optimised
    with ``optimise_calls`` evaluations on ``optimise_draws`` draws (0 calls: no optimising)."""

    n_draws: int = 12
    visit_every_days: float = 84.0
    workers: int = 1
    optimise_calls: int = 6
    optimise_draws: int = 6
    exposure_weight: float = 0.25


def mrd_family(min_days: float, stop_below: float, restart_above: float) -> StrategySpec:
    """The MRD-guided family: ibrutinib + venetoclax, stop after ``min_days`` once blood MRD
    < ``stop_below``, restart when MRD >= ``restart_above``."""
    restart = max(restart_above, stop_below)
    return StrategySpec(
        name="mrd-guided-optimised",
        description=f"ibrutinib + venetoclax; stop when blood MRD < {stop_below:.1e} after >= "
        f"{min_days:.0f} days, restart when MRD >= {restart:.1e}",
        lines=("ibrutinib-venetoclax",),
        mrd_stop_below=stop_below,
        mrd_min_days=min_days,
        mrd_restart_above=restart,
    )


@dataclass(frozen=True)
class _Job:
    """Everything one posterior draw needs (picklable for worker processes)."""

    forecast: Forecast
    prior: ParameterPrior
    draw: int
    strategies: tuple[StrategySpec, ...]
    years: float
    every: float


def _run_draw(job: _Job) -> list[dict[str, Any]]:
    fc = job.forecast
    row = fc.posterior.iloc[job.draw]
    theta = row[list(fc.names)].to_numpy(dtype=np.float64)
    sc = anchor_scenario(fc.prior_scenario(job.prior, theta), fc.patient)
    pm = patient_model(sc, fc.patient, years=job.years)
    root = np.random.SeedSequence(int(row["entropy"]), spawn_key=(7,))
    death = _other_cause_death_day(job.prior, fc.patient, int(row["entropy"]))
    out = []
    for s in job.strategies:
        r = run_path(pm, fc.x_t0[job.draw], s, root, visit_every_days=job.every,
                     prefix_values=fc.visit_values[job.draw])  # fmt: skip
        out.append(
            {
                "strategy": s.name, "draw": job.draw, "progression_day": r.progression_day,
                "failure_day": r.failure_day, "resistance_day": r.resistance_day,
                "drug_days": r.drug_days, "end_day": r.end_day, "death_day": death,
                "events": "; ".join(f"day {d - fc.patient.visit_days[-1]:.0f}: {e}"
                                    for d, e in r.events),
            }
        )  # fmt: skip
    return out


def _other_cause_death_day(prior: ParameterPrior, patient: PatientFile, entropy: int) -> float:
    """Days after the last visit to death from other causes (inf if the population has none).

    Sex and comorbidity hazard ratio are drawn from the population (the patient file has
    neither), age is the patient's at the last visit; the stream is the draw's own (spawn
    key 8), so every strategy of a draw meets the same death (common random numbers).
    """
    if prior.other_cause_death is None:
        return math.inf
    rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(8,)))
    row = prior.draw(1, rng).iloc[0]
    days = patient.visit_days
    age = patient.traits.age_years + float(days[-1] - days[0]) / 365.25
    return prior.other_cause_death(age, row, rng)


class _Pool:
    """A process pool (or none) mapping jobs in order."""

    def __init__(self, workers: int):
        self._ex = (
            ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
            if workers > 1
            else None
        )

    def map(self, jobs: Sequence[_Job]) -> list[dict[str, Any]]:
        results = map(_run_draw, jobs) if self._ex is None else self._ex.map(_run_draw, jobs)
        return [r for rs in results for r in rs]

    def close(self) -> None:
        if self._ex is not None:
            self._ex.shutdown()


def _draws(fc: Forecast, n: int) -> list[int]:
    m = len(fc.posterior)
    return sorted({int(i) for i in np.linspace(0, m - 1, min(n, m)).round()})


def compare_strategies(
    fc: Forecast,
    prior: ParameterPrior,
    strategies: Sequence[StrategySpec],
    *,
    settings: NavigateSettings,
    pool: _Pool | None = None,
    draws: Sequence[int] | None = None,
) -> pd.DataFrame:
    """One row per (strategy, posterior draw): ``progression_day, failure_day,
    resistance_day, drug_days, end_day`` (days after the last visit; NaN: not within the
    horizon) and ``events``."""
    own = pool is None
    pool = _Pool(settings.workers) if pool is None else pool
    years = float(fc.summary["forecast_years"])
    draws = _draws(fc, settings.n_draws) if draws is None else draws
    jobs = [_Job(fc, prior, i, tuple(strategies), years, settings.visit_every_days) for i in draws]
    try:
        rows = pool.map(jobs)
    finally:
        if own:
            pool.close()
    return pd.DataFrame(rows)


def _mean_ci(x: np.ndarray, level: float = 0.9) -> tuple[float, float, float]:
    z = 1.6448536269514722 if level == 0.9 else 1.959963984540054
    m = float(np.mean(x))
    se = float(np.std(x, ddof=1) / math.sqrt(x.size)) if x.size > 1 else math.nan
    return m, m - z * se, m + z * se


def rank_strategies(outcomes: pd.DataFrame, years: float) -> pd.DataFrame:
    """Per strategy: endpoints with 90% intervals, ranked (see the module docstring)."""
    rows = []
    horizon = years * _YEAR
    for name, g in outcomes.groupby("strategy", sort=False):
        n = len(g)
        rec: dict[str, Any] = {"strategy": name, "n_draws": n}
        failure = np.nan_to_num(g["failure_day"].to_numpy(dtype=float), nan=math.inf)
        event = np.minimum(failure, g["death_day"].to_numpy(dtype=float))  # any cause
        for key, days, t in (
            ("pfs_3y", event, 3 * _YEAR),
            ("pfs_5y", event, 5 * _YEAR),
            ("failure_free_5y", failure, 5 * _YEAR),
            ("first_progression_free_5y", g["progression_day"].to_numpy(dtype=float), 5 * _YEAR),
            ("alive_5y", g["death_day"].to_numpy(dtype=float), 5 * _YEAR),
        ):
            k = int((~(days <= t)).sum())
            lo, hi = jeffreys_interval(k, n)
            rec.update({key: k / n, f"{key}_low_90": lo, f"{key}_high_90": hi})
        res = g["resistance_day"].to_numpy()
        k = int((res <= 5 * _YEAR).sum())
        lo, hi = jeffreys_interval(k, n)
        rec.update({"resistance_5y": k / n, "resistance_5y_low_90": lo,
                    "resistance_5y_high_90": hi})  # fmt: skip
        free = np.where(np.isnan(res), horizon, np.minimum(res, horizon)) / _YEAR
        m, lo, hi = _mean_ci(free)
        rec.update({"resistance_free_years": m, "resistance_free_years_low_90": lo,
                    "resistance_free_years_high_90": hi})  # fmt: skip
        m, lo, hi = _mean_ci(g["drug_days"].to_numpy() / _YEAR)
        rec.update({"drug_years": m, "drug_years_low_90": lo, "drug_years_high_90": hi})
        rows.append(rec)
    table = pd.DataFrame(rows)
    table = table.sort_values(
        ["pfs_5y", "pfs_3y", "resistance_free_years", "drug_years"],
        ascending=[False, False, False, True], kind="stable",
    ).reset_index(drop=True)  # fmt: skip
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


def why_first(table: pd.DataFrame) -> str:
    """One sentence: why the first strategy ranks first."""
    a = table.iloc[0]
    text = (
        f"{a['strategy']} ranks first: P(no failure at 5 years) {a['pfs_5y']:.0%} "
        f"(90% interval {a['pfs_5y_low_90']:.0%}-{a['pfs_5y_high_90']:.0%}), at 3 years "
        f"{a['pfs_3y']:.0%}, detectable resistance by 5 years {a['resistance_5y']:.0%}, "
        f"{a['drug_years']:.1f} drug-years"
    )
    if len(table) > 1:
        b = table.iloc[1]
        same = [k for k in ("pfs_5y", "pfs_3y", "resistance_free_years", "drug_years")
                if np.isclose(a[k], b[k])]  # fmt: skip
        if len(same) == 4:
            text += f"; it ties with {b['strategy']} on every criterion (listed order kept)"
        elif same[:2] == ["pfs_5y", "pfs_3y"]:
            key = (
                "a longer resistance-free time"
                if "resistance_free_years" not in same
                else "less drug exposure"
            )
            text += f"; it ties with {b['strategy']} on PFS and wins on {key}"
        else:
            text += f"; next: {b['strategy']} ({b['pfs_5y']:.0%} at 5 years)"
    return text + "."


@dataclass(frozen=True, eq=False)
class Navigation:
    """Outcomes per strategy and draw, the ranking, the optimisation trace, a summary."""

    outcomes: pd.DataFrame
    ranking: pd.DataFrame
    optimisation: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


def _objective(out: pd.DataFrame, years: float, weight: float) -> float:
    fail = out["failure_day"].to_numpy()
    free = np.where(np.isnan(fail), years * _YEAR, np.minimum(fail, years * _YEAR)) / _YEAR
    return float(-(free.mean() - weight * (out["drug_days"].to_numpy() / _YEAR).mean()))


def navigate_patient(
    fc: Forecast,
    prior: ParameterPrior,
    *,
    strategies: Sequence[StrategySpec] = BUILTIN_STRATEGIES,
    settings: NavigateSettings | None = None,
    rng: RngLike = None,
) -> Navigation:
    """Compare ``strategies`` (plus the optimised MRD-guided one) under ``fc``'s posterior.

    Parameters
    ----------
    fc : Forecast
        From :func:`cllsim.navigate.forecast_patient`.
    prior : ParameterPrior
        The prior the forecast used (rebuilds each draw's scenario).
    strategies : sequence of StrategySpec
        Distinct names.
    settings : NavigateSettings
    rng : int, SeedSequence, Generator or None
        Seeds the optimiser only (the paths use the posterior draws' own seeds).

    Returns
    -------
    Navigation
    """
    settings = NavigateSettings() if settings is None else settings
    names = [s.name for s in strategies]
    if len(set(names)) != len(names):
        raise ValueError(f"strategy names must be unique, got {names}")
    root = root_sequence(rng)
    years = float(fc.summary["forecast_years"])
    pool = _Pool(settings.workers)
    trace: list[dict[str, Any]] = []
    try:
        chosen = list(strategies)
        if settings.optimise_calls > 0:
            from skopt import gp_minimize
            from skopt.space import Real

            sub = _draws(fc, settings.optimise_draws)

            def objective(x: list[float]) -> float:
                s = mrd_family(x[0], 10 ** x[1], 10 ** x[2])
                out = compare_strategies(fc, prior, [s], settings=settings, pool=pool, draws=sub)
                value = _objective(out, years, settings.exposure_weight)
                trace.append({"min_days": x[0], "stop_below": 10 ** x[1],
                              "restart_above": max(10 ** x[2], 10 ** x[1]),
                              "objective": -value})  # fmt: skip
                return value

            space = [Real(180.0, 900.0), Real(-5.0, -3.0), Real(-4.0, -1.5)]
            res = gp_minimize(
                objective, space, n_calls=settings.optimise_calls,
                n_initial_points=min(5, settings.optimise_calls),
                random_state=int(root.generate_state(1)[0] % 2**31),
            )  # fmt: skip
            chosen.append(mrd_family(res.x[0], 10 ** res.x[1], 10 ** res.x[2]))
        outcomes = compare_strategies(fc, prior, chosen, settings=settings, pool=pool)
    finally:
        pool.close()
    ranking = rank_strategies(outcomes, years)
    desc = {s.name: s.description for s in chosen}
    ranking.insert(2, "description", ranking["strategy"].map(desc))
    summary = {
        "patient": fc.patient.name,
        "seed": seed_provenance(root)["entropy"],
        "n_draws": int(outcomes["draw"].nunique()),
        "common_random_numbers": True,
        "ranking_rule": "pfs_5y, then pfs_3y, then resistance_free_years, then fewer drug_years",
        "best": str(ranking.iloc[0]["strategy"]),
        "why": why_first(ranking),
        "strategies": ranking.to_dict(orient="records"),
        "optimised": None if not trace else {
            "family": "mrd-guided (ibrutinib + venetoclax)",
            "optimiser": "scikit-optimize gp_minimize",
            "objective": f"mean failure-free years - {settings.exposure_weight} x drug-years",
            "best": max(trace, key=lambda r: r["objective"]),
            "n_calls": len(trace),
        },
    }  # fmt: skip
    return Navigation(outcomes, ranking, pd.DataFrame(trace), summary)
