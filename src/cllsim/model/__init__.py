"""Validated, immutable specs of CLL patients, their compilation to flat arrays, scenarios."""

from cllsim.model.compile import CompiledModel, compile_model
from cllsim.model.parameters import PARAMETERS, Parameter
from cllsim.model.scenario import builtin_scenarios, load_scenario, scenario_from_dict
from cllsim.model.specs import (
    COMPARTMENTS,
    AssaySpec,
    DoseSpec,
    GenotypeSpec,
    HistorySpec,
    KineticsSpec,
    PatientSpec,
    PersisterSpec,
    PharmacodynamicsSpec,
    Scenario,
    TreatmentSpec,
    VisitSpec,
)

__all__ = [
    "COMPARTMENTS",
    "PARAMETERS",
    "AssaySpec",
    "CompiledModel",
    "DoseSpec",
    "GenotypeSpec",
    "HistorySpec",
    "KineticsSpec",
    "Parameter",
    "PatientSpec",
    "PersisterSpec",
    "PharmacodynamicsSpec",
    "Scenario",
    "TreatmentSpec",
    "VisitSpec",
    "builtin_scenarios",
    "compile_model",
    "load_scenario",
    "scenario_from_dict",
]
