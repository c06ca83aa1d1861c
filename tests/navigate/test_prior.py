"""The population prior (navigate/prior.py): which parameters are inferred, and which fixed
population values every draw's model carries.

The synthetic-truth study simulates its patients with every population value, fixed ones
included (a calibrated marrow egress rate of 0.0126/day); the forecast used to infer only
the varying ones and leave the fixed ones at the library's defaults (0.04/day), so truth
and forecast were different models.
"""

import numpy as np
import pandas as pd

from cllsim.model import Scenario
from cllsim.navigate.prior import ParameterPrior
from cllsim.trials.population import apply_parameters

EGRESS = "patient.kinetics.egress_marrow"
BIRTH = "patient.kinetics.birth_lymph_node"
EC50 = "pharmacodynamics.venetoclax_ec50"


def _draw(n: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame(
        {
            BIRTH: rng.lognormal(np.log(0.01), 0.3, n),
            EGRESS: np.full(n, 0.0126),
            # a fixed value times a fixed scale: equal up to the last bits
            EC50: 34.78 * (1.0 + 1e-15 * rng.standard_normal(n)),
            "patient.ighv": rng.choice(["mutated", "unmutated"], n),
            "shared.microenvironment": rng.lognormal(0.0, 0.2, n),
        }
    )


def test_fixed_population_values_are_constants_not_inferred():
    prior = ParameterPrior(draw=_draw, apply=apply_parameters,
                           conditions={"patient.ighv": "unmutated"})  # fmt: skip
    table = prior.sample(64, np.random.default_rng(0))
    assert (table["patient.ighv"] == "unmutated").all()
    assert prior.names(table) == (BIRTH,)
    constants = prior.constants(table)
    assert set(constants) == {EGRESS, EC50}
    assert constants[EGRESS] == 0.0126
    base = prior.apply(Scenario(name="x"), constants)
    assert base.patient.kinetics.egress_marrow == 0.0126
    assert Scenario(name="x").patient.kinetics.egress_marrow != 0.0126  # the library's
