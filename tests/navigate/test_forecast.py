"""The forecast: recovers a known parameter on a synthetic patient; same seed, same numbers
with 1 or 2 worker processes; dynamic risk has one forecast per number of visits used."""

import numpy as np
import pandas as pd
import pytest

from cllsim.model import Scenario
from cllsim.navigate import ForecastSettings, forecast_patient, synthetic_patient
from cllsim.navigate.forecast import VisitDistance, observed_arrays
from cllsim.navigator_runs import population_prior
from cllsim.trials.population import apply_parameters

BIRTH = "patient.kinetics.birth_lymph_node"


def _synthetic(birth):
    # a member of the prior's population (its calibrated fixed values included), with the
    # lymph-node birth rate set to the truth under test
    from cllsim.trials.population import builtin_population, draw_parameters

    row = draw_parameters(builtin_population("cll14"), 1, np.random.default_rng(3)).iloc[0]
    row = row.to_dict() | {
        BIRTH: birth, "patient.kinetics.death": 0.27 * birth, "patient.ighv": "unmutated",
        "patient.burden_cells": 3e11,
    }  # fmt: skip
    truth = apply_parameters(Scenario(name="truth"), row)
    return synthetic_patient(truth, name="syn", visit_days=[0, 91, 182, 273, 364],
                             rng=np.random.default_rng(11))  # fmt: skip


@pytest.mark.parametrize(
    "birth", [0.005, pytest.param(0.012, marks=pytest.mark.slow)]
)  # fmt: skip
def test_forecast_recovers_lymph_node_birth_rate(birth):
    """Untreated synthetic patient from the calibrated CLL14 population, five quarterly
    visits (ALC 5% and LN volume 10% noise).  240 prior simulations, the nearest 10% (24)
    accepted.  Tolerance: the truth lies within the accepted draws' range (min to max), and
    the posterior median is within a factor 1.35 of the truth and nearer to it (on the log
    scale) than the prior median.
    Measured (seed 5, shipped population of calibration run 5): truth 0.005 -> median
    0.0048 (5-95%: 0.0041-0.0057); truth 0.012 -> median 0.0110 (0.0095-0.0139); prior
    median 0.0094.  (Earlier, with the run-3 prior, median 0.0103: truth 0.005 -> 0.0058.
    With the uncalibrated prior, median 0.0079, 160 simulations and the nearest 15% gave
    0.0050; with the run-3 prior those settings left the posterior median at 1.40x the truth:
    rejection at a fixed quantile keeps more of a prior that is further from the truth, so
    the test accepts fewer, closer simulations.)"""
    sp = _synthetic(birth)
    prior = population_prior(sp.patient)
    fc = forecast_patient(
        sp.patient, prior, settings=ForecastSettings(n_simulations=240, quantile=0.1), rng=5
    )
    post = fc.posterior[BIRTH]
    lo, med, hi = post.min(), post.median(), post.max()
    prior_med = prior.sample(2000, np.random.default_rng(0))[BIRTH].median()
    assert lo <= birth <= hi
    assert abs(np.log(med / birth)) < np.log(1.35)
    assert abs(np.log(med / birth)) < abs(np.log(prior_med / birth))
    assert len(fc.posterior) == 24 and fc.posterior["distance"].is_monotonic_increasing
    dyn = fc.dynamic
    assert sorted(dyn["visits_used"].unique()) == [1, 2, 3, 4, 5]
    assert set(dyn["risk"]) == {"indication", "resistance"}  # untreated: watch and wait
    assert ((dyn["low_90"] <= dyn["probability"]) & (dyn["probability"] <= dyn["high_90"])).all()


def test_same_seed_same_forecast_whatever_the_workers():
    sp = _synthetic(0.008)
    prior = population_prior(sp.patient)
    runs = [
        forecast_patient(sp.patient, prior, rng=9,
                         settings=ForecastSettings(n_simulations=40, batch_size=10, workers=w))
        for w in (1, 2)
    ]  # fmt: skip
    pd.testing.assert_frame_equal(runs[0].posterior, runs[1].posterior)
    pd.testing.assert_frame_equal(runs[0].dynamic, runs[1].dynamic)
    assert runs[0].summary["predictive_intervals_90"] == runs[1].summary["predictive_intervals_90"]
    settings = ForecastSettings(n_simulations=40, batch_size=10)
    other = forecast_patient(sp.patient, prior, rng=10, settings=settings)
    assert not runs[0].posterior["entropy"].equals(other.posterior["entropy"])


def test_predictive_intervals_are_order_statistics_of_the_futures():
    """The forecast's model carries the population's fixed values, and its 90% prediction
    intervals (summary) are draws of its futures, with no
    indication before the horizon as "beyond" (null), never NaN; with 24 futures they are
    the range of the futures (exact coverage 23/25 of an exchangeable truth)."""
    sp = _synthetic(0.008)
    prior = population_prior(sp.patient)
    settings = ForecastSettings(n_simulations=40, quantile=0.6, batch_size=10)
    fc = forecast_patient(sp.patient, prior, rng=9, settings=settings)
    # every draw's model carries the population's fixed values (e.g. calibrated egress)
    for name, value in prior.constants(prior.sample(256, np.random.default_rng(0))).items():
        assert fc.base.model_dump(include={name.split(".")[0]}) == prior.apply(
            fc.base, {name: value}
        ).model_dump(include={name.split(".")[0]})
    rows = {r["outcome"]: r for r in fc.summary["predictive_intervals_90"]}
    assert set(rows) == {"indication_day", "resistance_day"}
    assert len(fc.outcomes) == 24
    for col, r in rows.items():
        days = fc.outcomes[col].to_numpy()
        finite = np.sort(days[~np.isnan(days)])
        assert r["coverage"] == pytest.approx(23 / 25)
        if finite.size:
            assert r["low_days"] == finite[0]
        else:
            assert r["low_days"] is None
        if np.isnan(days).any():
            assert r["high_days"] is None
        else:
            assert r["high_days"] == finite[-1]


def test_distance_censoring():
    """Undetectable results cost nothing when the simulation is below the limit and grow
    with log(sim / limit) above it; a missing measurement is ignored."""
    sp = _synthetic(0.008)
    from cllsim.navigate.forecast_sim import Layout

    value, limit = observed_arrays(sp.patient)
    value[:, 2], limit[:, 2] = np.nan, 1e-4  # every visit: MRD undetectable (limit 1e-4)
    layout = Layout(n_visits=5, grid_days=np.array([0.0]), n_types=1, t0=364.0)
    y = np.zeros((3, layout.width))
    sims = layout.visit_values(y)
    sims[:] = np.where(np.isnan(value), 1.0, value)  # exact ALC / LN
    sims[0, :, 2], sims[1, :, 2], sims[2, :, 2] = 1e-5, 1e-3, 1e-2
    y[:, : 5 * 8] = sims.reshape(3, -1)
    y[:, -1] = 1.0
    d = VisitDistance(value, limit, 5, layout)(y)
    assert d[0] == pytest.approx(0.0, abs=1e-12)
    assert 0 < d[1] < d[2]
    # 10 measurements: 5 ALC and 5 LN exact (0), 5 MRD with residual 1/0.3 and 2/0.3
    assert d[1] == pytest.approx(np.sqrt(5 * (1 / 0.3) ** 2 / 15))


def test_synthetic_truth_dates_a_burden_limit_at_the_next_decision_visit():
    """A synthetic patient whose disease reaches the burden limit (5e12 cells) before its last
    visit (nodal birth 0.03/day from 3e11 cells): its true treatment indication is dated at
    the first decision visit after the last visit (84 days), where the forecast's futures date
    an indication after the limit, not at the stop itself (it was day 0 before 2026-11-24,
    and days between visits for limits reached after the last visit)."""
    from cllsim.trials.population import builtin_population, draw_parameters

    row = draw_parameters(builtin_population("cll14"), 1, np.random.default_rng(3)).iloc[0]
    row = row.to_dict() | {
        BIRTH: 0.03, "patient.kinetics.death": 0.27 * 0.03, "patient.ighv": "unmutated",
        "patient.burden_cells": 3e11,
    }  # fmt: skip
    truth = apply_parameters(Scenario(name="truth"), row)
    sp = synthetic_patient(truth, name="syn", visit_days=[0, 91, 182, 273],
                           rng=np.random.default_rng(11))  # fmt: skip
    assert sp.truth["indication_day"] == 84.0
