"""Therapy navigator: prognostic scores and analytic resistance (no simulation)."""

from cllsim.navigate.resistance import (
    BozicResult,
    bozic_eradication,
    expected_resistant_cells,
    p_no_resistant_cell,
    p_no_surviving_resistant_lineage,
    p_resistant_present,
)
from cllsim.navigate.scores import CLL_IPI_STAGES, CllIpiScore, IpsEScore, cll_ipi, ips_e

__all__ = [
    "CLL_IPI_STAGES",
    "BozicResult",
    "CllIpiScore",
    "IpsEScore",
    "bozic_eradication",
    "cll_ipi",
    "expected_resistant_cells",
    "ips_e",
    "p_no_resistant_cell",
    "p_no_surviving_resistant_lineage",
    "p_resistant_present",
]
