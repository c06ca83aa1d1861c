"""Reports: self-contained HTML pages rendered from result tables."""

from cllsim.report.patient import write_patient_report
from cllsim.report.trial import write_trial_report

__all__ = ["write_patient_report", "write_trial_report"]
