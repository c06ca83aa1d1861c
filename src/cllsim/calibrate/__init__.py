"""Fitting population parameters to named calibration targets."""

from cllsim.calibrate.fit import (
    CalibrationResult,
    FitParameter,
    Simulator,
    calibrate,
    parse_fit_parameter,
    reevaluate_record,
    write_calibration,
)
from cllsim.calibrate.targets import Target, TargetSet, builtin_targets, load_targets

__all__ = [
    "CalibrationResult",
    "FitParameter",
    "Simulator",
    "Target",
    "TargetSet",
    "builtin_targets",
    "calibrate",
    "load_targets",
    "parse_fit_parameter",
    "reevaluate_record",
    "write_calibration",
]
