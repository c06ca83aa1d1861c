"""Forecast one patient: ABC on the visits with the simulator as the model (ELFI).

Method (likelihood-free rejection ABC on one pooled reference table, Pritchard et al. 1999;
Beaumont et al. 2002; ELFI, Lintusaari et al., JMLR 2018;19:1):

1. ``n_simulations`` parameter sets are drawn from the population prior conditioned on the
   patient's traits; each is simulated from day 0 (anchored on the first visit) through the
   treatment history to the last visit.  ELFI's :class:`elfi.OutputPool` keeps these
   simulations.
2. For k = 1..K, :class:`elfi.Rejection` accepts the ``quantile`` fraction closest to the
   first k visits (:class:`VisitDistance`), reusing the pooled simulations: the k-th
   posterior costs no new simulation.  k = K is the posterior; the forecasts over k show
   how each visit moved the risk (the CIRI idea of Kurtz et al., Cell 2019;178:699, with the
   simulator in place of proportional hazards).  Accepted rows are then continued from
   their counts at the last visit to the horizon under the current or proposed plan
   (all of step K's, the nearest ``_DYNAMIC_DRAWS`` of each earlier step).
3. The accepted simulations' futures are the posterior-predictive trajectories; risks are
   fractions of them, with 90% Jeffreys intervals (Monte Carlo and ABC uncertainty).  The
   days to the plan's event (treatment indication or progression) and to a detectable
   resistance mutation get 90% prediction intervals from the order statistics of the
   futures (:func:`~cllsim.navigate.intervals.predictive_interval`).  At the sizes of
   patients forecast here the future given the parameters and the counts at the last visit
   is nearly deterministic (the process noise of 1e10+ cells), so the futures' spread is the
   posterior's: one future per accepted draw.

ELFI draws every batch from a stream derived from one seed and the batch index, so a seed
gives the same forecast with one worker process or several.
"""

from __future__ import annotations

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from cllsim.clinic import MRD_ASSAYS, VAF_ASSAYS
from cllsim.model import Scenario
from cllsim.navigate.forecast_sim import Layout
from cllsim.navigate.intervals import predictive_interval
from cllsim.navigate.observe import CHANNELS
from cllsim.navigate.pathway import (
    RESISTANCE_MUTATIONS,
    anchor_scenario,
    patient_model,
    run_path,
)
from cllsim.navigate.patient_file import PatientFile
from cllsim.navigate.prior import ParameterPrior
from cllsim.navigate.strategies import StrategySpec
from cllsim.seeding import RngLike, child_generator, root_sequence, seed_provenance

__all__ = [
    "Forecast",
    "ForecastSettings",
    "VisitDistance",
    "forecast_patient",
    "jeffreys_interval",
    "outcome_intervals",
    "plan_strategy",
    "risk_table",
]


@dataclass(frozen=True)
class ForecastSettings:
    """Budget and resolution of a forecast.

    ``n_simulations`` prior simulations (each from day 0 to ``years`` after the last visit);
    the ``quantile`` fraction nearest the visits is kept; ``batch_size`` simulations per ELFI
    batch; ``workers`` processes.  Forecast visits every ``visit_every_days``.
    """

    n_simulations: int = 240
    quantile: float = 0.15
    years: float = 5.0
    visit_every_days: float = 84.0
    batch_size: int = 12
    workers: int = 1

    def __post_init__(self) -> None:
        if self.n_simulations < 20 or not (0 < self.quantile <= 1):
            raise ValueError("need n_simulations >= 20 and 0 < quantile <= 1")


def plan_strategy(patient: PatientFile) -> StrategySpec | None:
    """The plan forecast under: the proposal, else the ongoing regimen, else none."""
    if patient.proposed is not None:
        if patient.proposed.regimen == "none":
            return None
        return StrategySpec(name=f"proposed {patient.proposed.regimen}",
                            lines=(patient.proposed.regimen,))  # fmt: skip
    last = patient.visits[-1].date
    for c in patient.treatments:
        if c.stop is None or c.stop > last:
            return StrategySpec(name=f"continue {c.regimen}", lines=(c.regimen,))
    return None


# residual scales: log ALC, log LN volume (natural log); log10 MRD and VAF
_SCALES = np.array([0.15, 0.25, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3])
_LOG10 = np.array([False, False, True, True, True, True, True, True])
_LN_FLOOR_ML = 1.0
_RES_COLUMNS = [CHANNELS.index(f"vaf_{g}") for g in RESISTANCE_MUTATIONS]


def observed_arrays(patient: PatientFile) -> tuple[NDArray, NDArray]:
    """``(value, limit)``, float64[n_visits, 8] each: the measured value (NaN if not
    measured or undetectable) and the detection limit of an undetectable result (else NaN)."""
    n = len(patient.visits)
    value = np.full((n, len(CHANNELS)), np.nan)
    limit = np.full((n, len(CHANNELS)), np.nan)
    for i, v in enumerate(patient.visits):
        value[i, 0] = np.nan if v.alc_1e9_per_l is None else v.alc_1e9_per_l
        value[i, 1] = np.nan if v.ln_volume_ml is None else v.ln_volume_ml
        lim = MRD_ASSAYS[v.mrd_assay].detection_limit
        for j, m in ((2, v.mrd_blood), (3, v.mrd_marrow)):
            if m == "undetectable":
                limit[i, j] = lim
            elif m is not None:
                value[i, j] = m
        vlim = VAF_ASSAYS[v.vaf_assay].detection_limit
        for g, f in v.vaf.items():
            j = CHANNELS.index(f"vaf_{g}")
            if f == "undetectable":
                limit[i, j] = vlim
            else:
                value[i, j] = f
    small = value[:, 1] < _LN_FLOOR_ML  # below imaging resolution: censored at 1 mL
    limit[small, 1], value[small, 1] = _LN_FLOOR_ML, np.nan
    return value, limit


class VisitDistance:
    """ABC distance of simulated visits to the first ``k`` observed ones.

    Root mean square of scaled residuals over every measurement made: log ALC / 0.15,
    log LN volume / 0.25 (biological and imaging variability [A]), log10 MRD and log10 VAF
    / 0.3; an undetectable result (a lymph-node volume below 1 mL counts as one) contributes
    ``max(0, log(sim / limit)) / scale``, a detected one is compared with the simulated value
    floored at a third of the limit.
    """

    def __deepcopy__(self, memo: dict) -> object:  # immutable: ELFI copies nodes per batch
        return self

    def __init__(self, value: NDArray, limit: NDArray, k: int, layout: Layout):
        self.value, self.limit, self.k, self.layout = value[:k], limit[:k], int(k), layout

    def __call__(self, y: NDArray, observed: Any = None) -> NDArray[np.float64]:
        sim = self.layout.visit_values(np.atleast_2d(y))[:, : self.k]  # (b, k, 8)
        floor = np.where(np.isnan(self.limit), 1e-7, self.limit / 3)
        s = np.maximum(sim, np.where(_LOG10, floor, 1e-3))
        logs = np.where(_LOG10, np.log10(s), np.log(s))
        obs = np.where(_LOG10, np.log10(self.value), np.log(self.value))
        r = (logs - obs) / _SCALES
        ratio = s / self.limit
        cens = np.maximum(0.0, np.where(_LOG10, np.log10(ratio), np.log(ratio))) / _SCALES
        r = np.where(np.isnan(self.value), np.where(np.isnan(self.limit), np.nan, cens), r)
        r = np.where(np.isfinite(r) | np.isnan(r), r, 50.0)
        count = np.sum(~np.isnan(r), axis=(1, 2))
        ss = np.nansum(r**2, axis=(1, 2))
        d = np.sqrt(ss / np.maximum(count, 1))
        bad = ~self.layout.ok(np.atleast_2d(y))
        return np.where(bad, 1e6, d)


def jeffreys_interval(k: int, n: int, level: float = 0.9) -> tuple[float, float]:
    """Jeffreys interval for a proportion k/n: Beta(k + 1/2, n - k + 1/2) quantiles."""
    a = (1 - level) / 2
    lo = 0.0 if k == 0 else float(stats.beta.ppf(a, k + 0.5, n - k + 0.5))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - a, k + 0.5, n - k + 0.5))
    return lo, hi


def risk_table(outcomes: pd.DataFrame, treated: bool, years: float) -> pd.DataFrame:
    """Risks from simulated futures (one row per accepted simulation).

    ``outcomes`` has ``progression_day``, ``resistance_day``, ``indication_day`` (days after
    the last visit, NaN: not before the horizon).  Rows: ``pfs_<y>y`` (treated) or
    ``indication_<y>y`` (untreated) for y = 1..years, and ``resistance_<years>y``.
    """
    n = len(outcomes)
    rows = []
    col = "progression_day" if treated else "indication_day"
    for y in range(1, int(years) + 1):
        t = y * 365.25
        hit = outcomes[col].to_numpy() <= t
        k = int(hit.sum())
        if treated:
            k = n - k
        lo, hi = jeffreys_interval(k, n)
        rows.append(("pfs" if treated else "indication", y, k / n, lo, hi))
    hit = outcomes["resistance_day"].to_numpy() <= years * 365.25
    lo, hi = jeffreys_interval(int(hit.sum()), n)
    rows.append(("resistance", int(years), float(hit.mean()), lo, hi))
    return pd.DataFrame(rows, columns=["risk", "years", "probability", "low_90", "high_90"])


def outcome_intervals(outcomes: pd.DataFrame, treated: bool, level: float = 0.9) -> pd.DataFrame:
    """Prediction intervals of the days to the plan's event and to resistance.

    Parameters
    ----------
    outcomes : DataFrame
        One row per posterior-predictive future (:attr:`Forecast.outcomes`); days after the
        last visit, NaN: not before the horizon.
    treated : bool
        The plan's event is progression (else an iwCLL treatment indication).
    level : float
        Nominal coverage.

    Returns
    -------
    DataFrame
        ``outcome, low_days, high_days, coverage``: the order-statistic interval of
        :func:`~cllsim.navigate.intervals.predictive_interval` (``inf``: beyond the horizon)
        and its exact coverage of an exchangeable truth.
    """
    rows = []
    for col in ("progression_day" if treated else "indication_day", "resistance_day"):
        low, high, coverage = predictive_interval(outcomes[col].to_numpy(), level)
        rows.append((col, low, high, coverage))
    return pd.DataFrame(rows, columns=["outcome", "low_days", "high_days", "coverage"])


@dataclass(frozen=True, eq=False)
class Forecast:
    """A patient's forecast: posterior, predictive futures, risks, and their history.

    Attributes
    ----------
    posterior : DataFrame
        One row per accepted simulation: ``draw``, ``distance``, ``entropy`` and the
        inferred parameters by dotted name.
    outcomes : DataFrame
        Per accepted simulation: ``progression_day``, ``failure_day``, ``resistance_day``,
        ``indication_day``, ``drug_days``, ``end_day`` (days after the last visit).
    predictive : DataFrame
        Tidy trajectories: ``draw, day_after_last_visit, date, channel, value``.
    risks : DataFrame
        ``risk, years, probability, low_90, high_90`` with all visits.
    dynamic : DataFrame
        The same per number of visits used: ``visits_used, visit_date`` first.
    summary : dict
    """

    patient: PatientFile
    plan: StrategySpec | None
    names: tuple[str, ...]
    posterior: pd.DataFrame
    outcomes: pd.DataFrame
    predictive: pd.DataFrame
    risks: pd.DataFrame
    dynamic: pd.DataFrame
    x_t0: NDArray[np.int64] = field(repr=False)
    visit_values: NDArray[np.float64] = field(repr=False)
    base: Scenario = field(repr=False)
    summary: dict[str, Any] = field(default_factory=dict)

    def prior_scenario(self, prior: ParameterPrior, theta: NDArray) -> Scenario:
        """The scenario of one posterior draw's parameters ``theta`` (float64[d])."""
        return prior.scenario(self.base, self.names, theta)


def _elfi_run(
    patient: PatientFile,
    prior: ParameterPrior,
    names: tuple[str, ...],
    base: Scenario,
    plan: StrategySpec | None,
    settings: ForecastSettings,
    seed: int,
    layout: Layout,
) -> list[tuple[NDArray, NDArray, NDArray]]:
    """ELFI rejection for k = 1..K on one pooled reference table: (theta, Y, d) per k."""
    import elfi  # imported here: ~1.5 s, only forecasting needs it
    import elfi.clients.multiprocessing

    from cllsim.navigate.forecast_sim import PriorDistribution, ReferenceSimulator

    value, limit = observed_arrays(patient)
    model = elfi.new_model()
    theta = elfi.Prior(PriorDistribution(prior, names), model=model, name="theta")
    sim = ReferenceSimulator(patient, prior, names, base, plan, settings, layout)
    y = elfi.Simulator(sim, theta, observed=np.zeros((1, layout.width)), model=model, name="Y")
    pool = elfi.OutputPool(["theta", "Y"])
    old = elfi.get_client()
    if settings.workers > 1:
        elfi.set_client(elfi.clients.multiprocessing.Client(num_processes=settings.workers))
    else:
        elfi.set_client("native")
    n_accept = max(round(settings.quantile * settings.n_simulations), 5)
    out = []
    try:
        for k in range(1, len(patient.visits) + 1):
            d = elfi.Discrepancy(VisitDistance(value, limit, k, layout), y, model=model,
                                 name=f"d{k}")  # fmt: skip
            rej = elfi.Rejection(d, batch_size=settings.batch_size, seed=seed, pool=pool,
                                 output_names=["theta", "Y", f"d{k}"])  # fmt: skip
            res = rej.sample(n_accept, n_sim=settings.n_simulations, bar=False)
            out.append((res.samples["theta"], res.outputs["Y"], res.outputs[f"d{k}"]))
    finally:
        elfi.set_client(old)
    return out


def _outcomes(layout: Layout, y: NDArray) -> pd.DataFrame:
    return pd.DataFrame(layout.outcomes(y), columns=list(layout.OUTCOMES))


#: Accepted draws whose futures are simulated for each earlier step of the dynamic risk.
_DYNAMIC_DRAWS = 12


@dataclass(frozen=True)
class _FutureJob:
    """One accepted row's future under the plan (picklable for worker processes)."""

    patient: PatientFile
    prior: ParameterPrior
    names: tuple[str, ...]
    base: Scenario
    plan: StrategySpec | None
    years: float
    every: float
    theta: NDArray
    row: NDArray
    layout: Layout


def _future(job: _FutureJob) -> NDArray:
    """The row with its outcome and forecast columns filled in (:func:`run_path`)."""
    lay = job.layout
    sc = anchor_scenario(job.prior.scenario(job.base, job.names, job.theta), job.patient)
    pm = patient_model(sc, job.patient, years=job.years)
    row = job.row[None, :]
    root = np.random.SeedSequence(int(lay.entropy(row)[0]), spawn_key=(5,))
    r = run_path(pm, lay.x_t0(row)[0], job.plan, root, visit_every_days=job.every,
                 prefix_values=lay.visit_values(row)[0])  # fmt: skip
    res = np.array([r.values[:, 0], r.values[:, 1], r.values[:, 2],
                    r.values[:, _RES_COLUMNS].max(axis=1)]).T  # fmt: skip
    out = [r.progression_day, r.failure_day, r.resistance_day, r.indication_day,
           r.drug_days, r.end_day]  # fmt: skip
    if not lay.ok(row)[0]:  # the burden limit before the last visit
        out = [0.0, 0.0, math.nan, 0.0, 0.0, 0.0]
    return lay.row(lay.visit_values(row)[0], out, res, lay.x_t0(row)[0],
                   int(lay.entropy(row)[0]), bool(lay.ok(row)[0]))  # fmt: skip


def _map(fn: Any, jobs: list[Any], workers: int) -> list[Any]:
    """``fn`` over ``jobs`` in order, on ``workers`` forked processes (1: in this one)."""
    if workers <= 1 or len(jobs) < 2:
        return [fn(j) for j in jobs]
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=ctx) as ex:
        return list(ex.map(fn, jobs, chunksize=max(1, len(jobs) // (4 * workers))))


def forecast_patient(
    patient: PatientFile,
    prior: ParameterPrior,
    *,
    base: Scenario | None = None,
    settings: ForecastSettings | None = None,
    rng: RngLike = None,
) -> Forecast:
    """Infer the patient's parameters from the visits and forecast under the plan.

    Parameters
    ----------
    patient : PatientFile
    prior : ParameterPrior
        The population prior (conditioned on the patient's IGHV and TP53 by the caller).
    base : Scenario, optional
        Parameters not in the prior (default: the library's); the prior's fixed values
        (:meth:`ParameterPrior.constants`) are set on it.
    settings : ForecastSettings
    rng : int, SeedSequence, Generator or None
        Seed of the forecast (recorded in ``summary``).

    Returns
    -------
    Forecast
    """
    settings = ForecastSettings() if settings is None else settings
    base = Scenario(name=patient.name) if base is None else base
    root = root_sequence(rng)
    table = prior.sample(256, child_generator(root, 0))
    names = prior.names(table)
    # the population's fixed values belong to every draw's model (not the library defaults)
    base = anchor_scenario(prior.apply(base, prior.constants(table)), patient)
    plan = plan_strategy(patient)
    pm = patient_model(base, patient, years=settings.years)
    layout = Layout.for_model(pm, settings.visit_every_days)
    seed = int(root.generate_state(1)[0])
    runs = _elfi_run(patient, prior, names, base, plan, settings, seed, layout)
    ordered = []
    for theta_k, y_k, d_k in runs:
        order = np.argsort(d_k, kind="stable")
        ordered.append((theta_k[order], y_k[order], d_k[order]))
    # futures: every accepted row of the last step, the nearest few of the earlier ones
    wanted: dict[int, tuple[NDArray, NDArray]] = {}
    for k, (theta_k, y_k, _) in enumerate(ordered, start=1):
        keep = len(y_k) if k == len(ordered) else min(len(y_k), _DYNAMIC_DRAWS)
        for th, row in zip(theta_k[:keep], y_k[:keep], strict=True):
            wanted.setdefault(int(layout.entropy(row[None])[0]), (th, row))
    jobs = [_FutureJob(patient, prior, names, base, plan, settings.years,
                       settings.visit_every_days, th, row, layout)
            for th, row in wanted.values()]  # fmt: skip
    futures = dict(zip(wanted, _map(_future, jobs, settings.workers), strict=True))
    theta, y, dist = ordered[-1]
    y = np.array([futures[int(e)] for e in layout.entropy(y)])
    posterior = pd.DataFrame(theta, columns=list(names))
    posterior.insert(0, "distance", dist)
    posterior.insert(0, "entropy", layout.entropy(y).astype(np.int64))
    posterior.insert(0, "draw", np.arange(len(posterior)))
    outcomes = _outcomes(layout, y)
    outcomes.insert(0, "draw", posterior["draw"].to_numpy())
    treated = plan is not None
    risks = risk_table(outcomes, treated, settings.years)
    dyn = []
    for k, (_, yk, _) in enumerate(ordered, start=1):
        keep = len(yk) if k == len(ordered) else min(len(yk), _DYNAMIC_DRAWS)
        rows = np.array([futures[int(e)] for e in layout.entropy(yk[:keep])])
        t = risk_table(_outcomes(layout, rows), treated, settings.years)
        t.insert(0, "n_draws", keep)
        t.insert(0, "visit_date", str(patient.visits[k - 1].date))
        t.insert(0, "visits_used", k)
        dyn.append(t)
    predictive = layout.predictive(y, patient)
    summary = {
        "patient": patient.name,
        "seed": seed_provenance(root)["entropy"],
        "method": "ELFI rejection ABC on a pooled reference table (dynamic: k = 1..K visits)",
        "n_simulations": settings.n_simulations,
        "n_accepted": len(posterior),
        "quantile": settings.quantile,
        "threshold_distance": float(dist.max()),
        "plan": None if plan is None else plan.name,
        "forecast_years": settings.years,
        "last_visit": str(patient.visits[-1].date),
        "parameters": list(names),
        "posterior_median": {n: float(posterior[n].median()) for n in names},
        "risks": risks.to_dict(orient="records"),
        # days after the last visit; null high_days: beyond the forecast horizon
        "predictive_intervals_90": [
            {k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in r.items()}
            for r in outcome_intervals(outcomes, treated).to_dict(orient="records")
        ],
    }
    return Forecast(
        patient=patient, plan=plan, names=names, posterior=posterior, outcomes=outcomes,
        predictive=predictive, risks=risks, dynamic=pd.concat(dyn, ignore_index=True),
        x_t0=layout.x_t0(y), visit_values=layout.visit_values(y), base=base, summary=summary,
    )  # fmt: skip
