"""The built-in cll14 population: migration consistent with the diagnosis split, and fixed
values scaled by another parameter (``fixed`` + ``scale_by``)."""

import numpy as np
import pytest

from cllsim.calibrate.trial import population_overrides
from cllsim.model import Scenario
from cllsim.model.parameters import value
from cllsim.trials import PopulationSpec, apply_parameters, builtin_population, draw_parameters

POP = builtin_population("cll14")


def _stable_split(kin) -> np.ndarray:
    """Blood, lymph-node and marrow fractions of the stable distribution (the Perron
    eigenvector) of the untreated linear model: states blood, recently emigrated blood, node,
    marrow, with the moves and rates of ``cllsim.model.compile``."""
    out_blood = kin.homing_lymph_node + kin.homing_marrow
    a = np.zeros((4, 4))
    for s in (0, 1):
        a[s, s] = kin.birth_blood - kin.death - out_blood
        a[2, s] += kin.homing_lymph_node
        a[3, s] += kin.homing_marrow
    a[1, 1] -= kin.protection_decay
    a[0, 1] += kin.protection_decay
    a[2, 2] = kin.birth_lymph_node - kin.death - kin.egress_lymph_node
    a[3, 3] = kin.birth_marrow - kin.death - kin.egress_marrow
    a[1, 2] += kin.egress_lymph_node
    a[1, 3] += kin.egress_marrow
    w, v = np.linalg.eig(a)
    vec = np.abs(v[:, np.argmax(w.real)].real)
    vec /= vec.sum()
    return np.array([vec[0] + vec[1], vec[2], vec[3]])


@pytest.mark.parametrize("egress", [None, 0.002, 0.04])
def test_marrow_homing_keeps_the_diagnosis_split(egress):
    """Marrow homing is split_marrow / split_blood (= 5) times marrow egress for every
    patient, also when calibration sets the egress (a calibrated scalar becomes a fixed
    value the homing is scaled by)."""
    pop = POP if egress is None else population_overrides(
        POP, {"patient.kinetics.egress_marrow": egress}
    )  # fmt: skip
    t = draw_parameters(pop, 50, np.random.default_rng(3))
    ratio = t["patient.kinetics.homing_marrow"] / t["patient.kinetics.egress_marrow"]
    want = value("split_marrow") / value("split_blood")
    assert np.allclose(ratio, want, rtol=1e-12)
    if egress is not None:
        assert np.allclose(t["patient.kinetics.egress_marrow"], egress, rtol=0)


def test_stable_distribution_keeps_blood_a_small_share_of_the_burden():
    """A disease grown over years from one cell sits at the stable distribution of its
    migration and growth; at diagnosis blood holds 5-15% of the burden (ALC 10-30e9/L in 5 L
    of a 1e12 burden: 5e10-1.5e11 cells, reference/cll.md "Measurement").  The median over
    200 drawn patients of the stable blood fraction must lie there.  (Run 3's marrow egress
    0.004/day with the library's homing 0.2/day gave 2% in blood and 81% in the marrow.)"""
    t = draw_parameters(POP, 200, np.random.default_rng(5))
    base = Scenario(name="p")
    blood = [
        _stable_split(apply_parameters(base, t.iloc[i].to_dict()).patient.kinetics)[0]
        for i in range(len(t))
    ]
    assert 0.05 <= float(np.median(blood)) <= 0.15


def test_fixed_value_scaled_by_another_parameter():
    pop = PopulationSpec.model_validate(
        {
            "mortality": {"enabled": False},
            "parameters": {
                "patient.age_years": {"dist": "normal", "mean": 70, "sd": 5},
                "patient.kinetics.egress_marrow": {"dist": "uniform", "low": 0.01, "high": 0.02},
                "patient.kinetics.homing_marrow": {
                    "dist": "fixed",
                    "value": 5.0,
                    "scale_by": "patient.kinetics.egress_marrow",
                },
            },
        }
    )
    assert pop.draw_order()[-1] == "patient.kinetics.homing_marrow"
    t = draw_parameters(pop, 100, np.random.default_rng(1))
    assert np.allclose(
        t["patient.kinetics.homing_marrow"], 5.0 * t["patient.kinetics.egress_marrow"], rtol=1e-15
    )
    # a fixed value draws nothing: the other draws are those without it
    plain = pop.model_copy(
        update={
            "parameters": {
                k: v for k, v in pop.parameters.items() if k != "patient.kinetics.homing_marrow"
            }
        }
    )
    u = draw_parameters(plain, 100, np.random.default_rng(1))
    assert t[list(u.columns)].equals(u)


def test_fixed_text_value_cannot_be_scaled():
    with pytest.raises(ValueError, match="scale_by needs a numeric value"):
        PopulationSpec.model_validate(
            {
                "mortality": {"enabled": False},
                "parameters": {
                    "patient.age_years": {"dist": "fixed", "value": 70.0},
                    "patient.ighv": {
                        "dist": "fixed",
                        "value": "mutated",
                        "scale_by": "patient.age_years",
                    },
                },
            }
        )
