"""Therapy navigator: prognostic scores, analytic resistance, per-patient forecasts
(likelihood-free inference with the simulator as the model) and strategy comparison."""

from cllsim.navigate.forecast import (
    Forecast,
    ForecastSettings,
    VisitDistance,
    forecast_patient,
    jeffreys_interval,
    outcome_intervals,
    plan_strategy,
    risk_table,
)
from cllsim.navigate.intervals import (
    below_and_tied,
    prediction_ranks,
    predictive_interval,
    randomised_rank,
)
from cllsim.navigate.navigator import (
    NavigateSettings,
    Navigation,
    compare_strategies,
    mrd_family,
    navigate_patient,
    rank_strategies,
)
from cllsim.navigate.pathway import PathResult, PatientModel, patient_model, run_path
from cllsim.navigate.patient_file import PatientFile, builtin_patients, load_patient
from cllsim.navigate.prior import ParameterPrior
from cllsim.navigate.resistance import (
    BozicResult,
    bozic_eradication,
    expected_resistant_cells,
    p_no_resistant_cell,
    p_no_surviving_resistant_lineage,
    p_resistant_present,
)
from cllsim.navigate.scores import CLL_IPI_STAGES, CllIpiScore, IpsEScore, cll_ipi, ips_e
from cllsim.navigate.strategies import BUILTIN_STRATEGIES, StrategySpec, builtin_strategies
from cllsim.navigate.strategy_file import load_strategies
from cllsim.navigate.synthetic import SyntheticPatient, synthetic_patient

__all__ = [
    "BUILTIN_STRATEGIES",
    "CLL_IPI_STAGES",
    "BozicResult",
    "CllIpiScore",
    "Forecast",
    "ForecastSettings",
    "IpsEScore",
    "NavigateSettings",
    "Navigation",
    "ParameterPrior",
    "PathResult",
    "PatientFile",
    "PatientModel",
    "StrategySpec",
    "SyntheticPatient",
    "VisitDistance",
    "below_and_tied",
    "bozic_eradication",
    "builtin_patients",
    "builtin_strategies",
    "cll_ipi",
    "compare_strategies",
    "expected_resistant_cells",
    "forecast_patient",
    "ips_e",
    "jeffreys_interval",
    "load_patient",
    "load_strategies",
    "mrd_family",
    "navigate_patient",
    "outcome_intervals",
    "p_no_resistant_cell",
    "p_no_surviving_resistant_lineage",
    "p_resistant_present",
    "patient_model",
    "plan_strategy",
    "prediction_ranks",
    "predictive_interval",
    "randomised_rank",
    "rank_strategies",
    "risk_table",
    "run_path",
    "synthetic_patient",
]
