"""SBML front end: zero- and first-order SBML models through the engine, the suite's rule."""

from cllsim.sbml.reader import SbmlModel, read_sbml
from cllsim.sbml.results import (
    CheckReport,
    check_results,
    describe_check,
    read_results,
    summarise,
    to_csv_text,
    write_files,
)
from cllsim.sbml.run import SbmlRun, simulate_sbml
from cllsim.sbml.settings import SuiteSettings, parse_settings

__all__ = [
    "CheckReport",
    "SbmlModel",
    "SbmlRun",
    "SuiteSettings",
    "check_results",
    "describe_check",
    "parse_settings",
    "read_results",
    "read_sbml",
    "simulate_sbml",
    "summarise",
    "to_csv_text",
    "write_files",
]
