"""Population draws against their laws, dotted names into scenarios, overrides by name."""

import math

import numpy as np
import pytest
from scipy import stats

from cllsim.errors import SpecError
from cllsim.model import Scenario
from cllsim.trials import (
    PopulationSpec,
    apply_parameters,
    builtin_population,
    draw_parameters,
    draw_patient,
    with_overrides,
)
from cllsim.trials.distributions import CategoricalDist, FixedDist, frozen_distribution

N = 10_000
POP = builtin_population("cll14")
CONTINUOUS = [n for n, d in POP.parameters.items()
              if not isinstance(d, CategoricalDist | FixedDist)]  # fmt: skip
CATEGORICAL = [n for n, d in POP.parameters.items() if isinstance(d, CategoricalDist)]
# Bonferroni over every parameter tested at p = 1e-3 (STYLE §8)
P_MIN = 1e-3 / len(POP.parameters)


@pytest.fixture(scope="module")
def draws():
    return draw_parameters(POP, N, np.random.default_rng(20240501))


def _base_draw(draws, name):
    """The draw before scale_by / factor_by (divide the multiplier out)."""
    d = POP.parameters[name]
    x = draws[name].to_numpy(float).copy()
    if d.scale_by:
        x /= draws[d.scale_by].to_numpy(float)
    for ref, f in d.factor_by.items():
        x /= np.array([f.get(c, 1.0) for c in draws[ref]])
    return x


def test_frame_has_a_column_per_dotted_name(draws):
    assert list(draws.columns) == list(POP.parameters)
    assert len(draws) == N
    assert draws["patient.ighv"].dtype == object and draws["patient.age_years"].dtype == float


@pytest.mark.parametrize("name", CONTINUOUS)
def test_continuous_draws_follow_their_distribution(draws, name):
    """KS test of the (multiplier-free) draws against the scipy law, n = 10,000,
    p > 1e-3 / n_parameters; the median within 4 standard errors of the law's median
    (SE of a sample median = 1 / (2 f(m) sqrt(n)))."""
    frozen, log = frozen_distribution(POP.parameters[name])
    x = _base_draw(draws, name)
    y = np.log(x) if log else x
    assert stats.kstest(y, frozen.cdf).pvalue > P_MIN
    m = frozen.median()
    se = 1 / (2 * frozen.pdf(m) * math.sqrt(N))
    assert abs(np.median(y) - m) < 4 * se


@pytest.mark.parametrize("name", CATEGORICAL)
def test_categorical_draws_follow_their_probabilities(draws, name):
    """Chi-square goodness of fit of the category counts, p > 1e-3 / n_parameters."""
    p = POP.parameters[name].p
    counts = draws[name].value_counts().reindex(list(p), fill_value=0).to_numpy()
    assert stats.chisquare(counts, N * np.array(list(p.values()))).pvalue > P_MIN


def test_factor_by_and_scale_by(draws):
    """IGHV-unmutated lymph-node birth is 1.15/0.8 times the mutated one (ratio of the medians
    within 5%, the base draws being identically distributed); death = ratio x LN birth."""
    b = draws["patient.kinetics.birth_lymph_node"]
    u = np.median(b[draws["patient.ighv"] == "unmutated"])
    m = np.median(b[draws["patient.ighv"] == "mutated"])
    assert u / m == pytest.approx(1.15 / 0.8, rel=0.05)
    ratio = draws["patient.kinetics.death"] / b
    assert ratio.min() >= 0.1 - 1e-12 and ratio.max() <= 0.38 + 1e-12
    # every patient's disease grows: whole-body birth (diagnosis split) above death
    whole = 0.52 * b + 0.40 * draws["patient.kinetics.birth_marrow"]
    assert (whole > draws["patient.kinetics.death"]).all()


def test_same_rng_same_draws_different_rng_different():
    a = draw_parameters(POP, 50, np.random.default_rng(1))
    b = draw_parameters(POP, 50, np.random.default_rng(1))
    c = draw_parameters(POP, 50, np.random.default_rng(2))
    assert a.equals(b) and not a.equals(c)


def test_one_patient_is_row_0_of_a_one_patient_table():
    """draw_patient (what a trial draws per patient) is draw_parameters(pop, 1, rng)'s row:
    same names in the same order, same values, plain floats and strings."""
    for seed in range(5):
        row = draw_parameters(POP, 1, np.random.default_rng(seed)).iloc[0].to_dict()
        one = draw_patient(POP, np.random.default_rng(seed))
        assert list(one) == list(row) and one == row
        assert all(type(v) in (float, str) for v in one.values())


def test_apply_parameters_sets_every_field(draws):
    row = draws.iloc[3].to_dict()
    sc = apply_parameters(Scenario(name="p"), row)
    assert sc.patient.age_years == row["patient.age_years"]
    assert sc.patient.ighv == row["patient.ighv"]
    assert sc.patient.kinetics.protection_marrow == row["patient.kinetics.protection_marrow"]
    assert sc.patient.drug_exposure["venetoclax"] == row["patient.drug_exposure.venetoclax"]
    assert (  # a field the population does not name keeps the library value
        sc.patient.kinetics.protection_decay == Scenario(name="p").patient.kinetics.protection_decay
    )
    assert sc.patient.kinetics.homing_lymph_node == pytest.approx(  # scale_by
        6.5 * row["patient.kinetics.egress_lymph_node"], rel=1e-12
    )
    with pytest.raises(SpecError, match="birth_spleen"):
        apply_parameters(Scenario(name="p"), {"patient.kinetics.birth_spleen": 0.1})
    with pytest.raises(SpecError, match="drug_exposure"):
        apply_parameters(Scenario(name="p"), {"patient.drug_exposure.venetoclax": 50.0})


def test_with_overrides_by_dotted_name():
    new = with_overrides(POP, {
        "patient.kinetics.protection_lymph_node.median": 800.0,
        "patient.drug_exposure.venetoclax.sigma": 0.2,
        "patient.ighv.p.unmutated": 0.7,
        "shared.microenvironment.value": 2.0,
        "patient.kinetics.birth_lymph_node.factor_by.patient.ighv.unmutated": 1.3,
        "persisters.exit": {"dist": "fixed", "value": 0.05},
    })  # fmt: skip
    p = new.parameters
    assert p["patient.kinetics.protection_lymph_node"].median == 800.0
    assert p["patient.drug_exposure.venetoclax"].log_sd == 0.2
    assert p["patient.drug_exposure.venetoclax"].cv is None
    assert p["patient.ighv"].p == {"unmutated": 0.7, "mutated": pytest.approx(0.3)}
    assert p["patient.kinetics.birth_lymph_node"].factor_by["patient.ighv"]["unmutated"] == 1.3
    assert POP.parameters["patient.kinetics.protection_lymph_node"].median == 1000.0  # frozen
    d = draw_parameters(new, 2000, np.random.default_rng(3))
    assert (d["persisters.exit"] == 0.05).all()
    # the shared multiplier doubles both niches' protection
    ratio = (
        np.median(d["patient.kinetics.protection_marrow"])
        / POP.parameters["patient.kinetics.protection_marrow"].median
    )
    assert ratio == pytest.approx(2.0, rel=0.1)
    with pytest.raises(SpecError, match="no parameter"):
        with_overrides(POP, {"patient.kinetics.birth_spleen.median": 1.0})
    with pytest.raises(SpecError, match="not a settable field"):
        with_overrides(POP, {"patient.age_years.shape": 1.0})
    with pytest.raises(SpecError, match="sd"):
        with_overrides(POP, {"patient.age_years.sd": -1.0})


def test_population_spec_errors():
    with pytest.raises(ValueError, match=r"refers to 'shared\.x'"):
        PopulationSpec(parameters={"patient.age_years": {
            "dist": "normal", "mean": 70, "sd": 5, "scale_by": "shared.x"}},
            mortality={"enabled": False})  # fmt: skip
    with pytest.raises(ValueError, match="cycle"):
        PopulationSpec(parameters={
            "shared.a": {"dist": "lognormal", "median": 1, "sigma": 1, "scale_by": "shared.b"},
            "shared.b": {"dist": "lognormal", "median": 1, "sigma": 1, "scale_by": "shared.a"}},
            mortality={"enabled": False})  # fmt: skip
    with pytest.raises(ValueError, match=r"mortality\.sex"):
        PopulationSpec(parameters={})
    with pytest.raises(ValueError, match="'mutated' or 'unmutated', got 'yes'"):
        PopulationSpec(parameters={"patient.ighv": {"dist": "categorical", "p": {"yes": 1.0}}},
                       mortality={"enabled": False})  # fmt: skip
