"""Virtual trials: cohorts, arms, survival endpoints."""

from cllsim.trials.endpoints import DAYS_PER_MONTH, PFS_MONTHS, arm_pfs, compare_arms
from cllsim.trials.mortality import LIFE_TABLES, other_cause_death_days, survival_probability
from cllsim.trials.patient import CAUSES, patient_endpoints, simulate_trial_patient
from cllsim.trials.population import (
    MortalitySpec,
    PopulationSpec,
    apply_parameters,
    builtin_population,
    builtin_populations,
    draw_parameters,
    draw_patient,
    with_overrides,
)
from cllsim.trials.run import TrialResult, run_trial
from cllsim.trials.spec import TrialSpec, builtin_trials, load_trial, trial_from_dict
from cllsim.trials.summary import trial_summary

__all__ = [
    "CAUSES",
    "DAYS_PER_MONTH",
    "LIFE_TABLES",
    "PFS_MONTHS",
    "MortalitySpec",
    "PopulationSpec",
    "TrialResult",
    "TrialSpec",
    "apply_parameters",
    "arm_pfs",
    "builtin_population",
    "builtin_populations",
    "builtin_trials",
    "compare_arms",
    "draw_parameters",
    "draw_patient",
    "load_trial",
    "other_cause_death_days",
    "patient_endpoints",
    "run_trial",
    "simulate_trial_patient",
    "survival_probability",
    "trial_from_dict",
    "trial_summary",
    "with_overrides",
]
