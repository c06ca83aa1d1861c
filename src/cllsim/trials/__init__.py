"""Virtual trials: cohorts, arms, survival endpoints."""

from cllsim.trials.endpoints import DAYS_PER_MONTH, PFS_MONTHS, arm_pfs, compare_arms

__all__ = ["DAYS_PER_MONTH", "PFS_MONTHS", "arm_pfs", "compare_arms"]
