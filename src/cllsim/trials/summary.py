"""``summary.json`` of a virtual trial, in the shape issue 5 specifies, from the patients table.

::

    {"trial": "cll14", "n_patients": 2000, "seed": 7, "cllsim_version": "...",
     "arms": {"ven-obi": {"n": 1000, "pfs": {"12": 0.97, ...}, "pfs_ci95": {"12": [lo, hi]},
                          "median_pfs_months": 76.0 | null,
                          "umrd_blood_eot3": 0.76, "umrd_marrow_eot3": 0.57,
                          "progression_cause": {"BTK/PLCG2": f, "BCL2": f, "TP53": f,
                                                "none": f, "death": f}},
              ...},
     "comparisons": [{"arm": "ven-obi", "reference": "clb-obi", "hazard_ratio": 0.35,
                      "ci95": [0.25, 0.47], "logrank_p": 1e-9}]}

uMRD rates and the causes are fractions of the arm's patients (intention to treat); a cause
counts the patients whose PFS event had that cause within follow-up.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cllsim.trials.endpoints import arm_pfs, compare_arms
from cllsim.trials.patient import CAUSES
from cllsim.trials.spec import TrialSpec

__all__ = ["SUMMARY_ARM_KEYS", "SUMMARY_KEYS", "trial_summary"]

SUMMARY_KEYS = ("trial", "n_patients", "seed", "cllsim_version", "arms", "comparisons")
SUMMARY_ARM_KEYS = ("n", "pfs", "pfs_ci95", "median_pfs_months", "umrd_blood_eot3",
                    "umrd_marrow_eot3", "progression_cause")  # fmt: skip


def _nan_to_none(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def _compare(patients: pd.DataFrame, arm: str, ref: str) -> dict[str, Any]:
    """Cox HR and log-rank (:func:`~cllsim.trials.endpoints.compare_arms`), or nulls when there
    is nothing to compare (no event) or lifelines cannot fit."""
    from lifelines.exceptions import ConvergenceError

    null = {"arm": arm, "reference": ref, "hazard_ratio": None, "ci95": [None, None],
            "logrank_p": None}  # fmt: skip
    if not patients.loc[patients["arm"].isin([arm, ref]), "pfs_event"].any():
        return null
    try:
        out = compare_arms(patients, arm, ref)
    except ConvergenceError:
        return null
    out["hazard_ratio"] = _nan_to_none(out["hazard_ratio"])
    out["ci95"] = [_nan_to_none(v) for v in out["ci95"]]
    out["logrank_p"] = _nan_to_none(out["logrank_p"])
    return out


def trial_summary(
    patients: pd.DataFrame, trial: TrialSpec, *, seed: Any, version: str
) -> dict[str, Any]:
    """The summary of a finished trial (see the module docstring for the shape).

    Parameters
    ----------
    patients : DataFrame
        ``patients.parquet``: at least ``arm, pfs_days, pfs_event, pfs_cause,
        umrd_blood_eot3, umrd_marrow_eot3``.
    trial : TrialSpec
    seed : int or list of int
        The root entropy of the trial.
    version : str
        cllsim version.
    """
    arms: dict[str, Any] = {}
    for arm in trial.arms:
        rows = patients[patients["arm"] == arm]
        if rows.empty:
            arms[arm] = {"n": 0, "pfs": {str(m): None for m in trial.endpoints.pfs_months},
                         "pfs_ci95": {str(m): None for m in trial.endpoints.pfs_months},
                         "median_pfs_months": None, "umrd_blood_eot3": None,
                         "umrd_marrow_eot3": None,
                         "progression_cause": dict.fromkeys(CAUSES, 0.0)}  # fmt: skip
            continue
        km = arm_pfs(
            patients, arm, follow_up_days=trial.follow_up_days, months=trial.endpoints.pfs_months
        )
        n = len(rows)
        causes = rows.loc[rows["pfs_event"], "pfs_cause"].value_counts()
        arms[arm] = {
            "n": n,
            "pfs": km["pfs"],
            "pfs_ci95": km["pfs_ci95"],
            "median_pfs_months": _nan_to_none(km["median_pfs_months"]),
            "umrd_blood_eot3": float(rows["umrd_blood_eot3"].mean()),
            "umrd_marrow_eot3": float(rows["umrd_marrow_eot3"].mean()),
            "progression_cause": {c: float(causes.get(c, 0)) / n for c in CAUSES},
        }
    comparisons = []
    ref = trial.reference_arm
    if ref is not None:
        for arm in trial.arms:
            if arm == ref or arms[arm]["n"] == 0 or arms[ref]["n"] == 0:
                continue
            comparisons.append(_compare(patients, arm, ref))
    return {
        "trial": trial.name,
        "n_patients": len(patients),
        "seed": seed,
        "cllsim_version": version,
        "arms": arms,
        "comparisons": comparisons,
    }
