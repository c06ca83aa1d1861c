"""Survival endpoints of a virtual trial, with lifelines (issue 5's statistics layer).

Input: a patients table with one row per patient and the columns ``arm`` (str),
``pfs_days`` (float, time to progression or death or censoring) and ``pfs_event`` (bool:
True for progression or death, False for censoring).  Output: the per-arm and comparison
figures of ``summary.json`` in the shape issue 5 specifies.

Kaplan–Meier (log-log 95% intervals, lifelines' default), median PFS, the Cox hazard ratio
of each arm against the reference arm (Wald 95% interval) and the log-rank test.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from cllsim.errors import SpecError

__all__ = ["DAYS_PER_MONTH", "PFS_MONTHS", "arm_pfs", "compare_arms"]

DAYS_PER_MONTH = 30.4375  # 365.25 / 12 (issue 5)
PFS_MONTHS = (12, 24, 36, 48, 60, 72)
_COLUMNS = ("arm", "pfs_days", "pfs_event")


def _check(patients: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in _COLUMNS if c not in patients.columns]
    if missing:
        raise SpecError(
            f"patients table: missing column(s) {', '.join(missing)}; "
            f"expected {', '.join(_COLUMNS)}"
        )
    t = patients["pfs_days"].to_numpy(dtype=float)
    if np.any(~np.isfinite(t)) or np.any(t < 0):
        bad = float(t[~np.isfinite(t) | (t < 0)][0])
        raise SpecError(f"patients table: pfs_days must be finite and >= 0, got {bad}")
    return patients


def arm_pfs(
    patients: pd.DataFrame, arm: str, *, follow_up_days: float, months: tuple[int, ...] = PFS_MONTHS
) -> dict[str, Any]:
    """Kaplan–Meier PFS of one arm.

    Parameters
    ----------
    patients : DataFrame
        ``arm, pfs_days, pfs_event`` per patient.
    arm : str
        The arm to summarise.
    follow_up_days : float
        Planned follow-up, days; PFS at a month beyond it is None.
    months : tuple of int
        Months at which PFS is reported (1 month = 30.4375 days).

    Returns
    -------
    dict
        ``n``, ``pfs`` {"12": fraction, ...}, ``pfs_ci95`` {"12": [lo, hi], ...},
        ``median_pfs_months`` (None if not reached).
    """
    from lifelines import KaplanMeierFitter

    rows = _check(patients)
    rows = rows[rows["arm"] == arm]
    if rows.empty:
        raise SpecError(f"patients table: no patient in arm {arm!r}")
    kmf = KaplanMeierFitter().fit(rows["pfs_days"], rows["pfs_event"].astype(bool))
    sf = kmf.survival_function_
    ci = kmf.confidence_interval_survival_function_
    pfs: dict[str, float | None] = {}
    pfs_ci: dict[str, list[float] | None] = {}
    for m in months:
        t = m * DAYS_PER_MONTH
        if t > follow_up_days:
            pfs[str(m)], pfs_ci[str(m)] = None, None
            continue
        i = int(np.searchsorted(sf.index.to_numpy(), t, side="right")) - 1
        pfs[str(m)] = float(sf.iloc[i, 0])
        pfs_ci[str(m)] = [float(ci.iloc[i, 0]), float(ci.iloc[i, 1])]
    median = kmf.median_survival_time_
    return {
        "n": len(rows),
        "pfs": pfs,
        "pfs_ci95": pfs_ci,
        "median_pfs_months": None if not np.isfinite(median) else float(median / DAYS_PER_MONTH),
    }


def compare_arms(patients: pd.DataFrame, arm: str, reference: str) -> dict[str, Any]:
    """Cox hazard ratio of ``arm`` against ``reference`` with its 95% CI, and log-rank p.

    The hazard ratio and its interval are None when the Cox estimate does not exist: when
    one arm has no event (the estimate runs off to 0 or infinity; a small run) or when
    lifelines reports that the fit did not converge (its warnings about that fit are then
    dropped, since the numbers they qualify are not returned).
    """
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceWarning
    from lifelines.statistics import logrank_test

    rows = _check(patients)
    both = rows[rows["arm"].isin([arm, reference])]
    a, r = both[both["arm"] == arm], both[both["arm"] == reference]
    if a.empty or r.empty:
        raise SpecError(f"patients table: need patients in both {arm!r} and {reference!r}")
    test = logrank_test(a["pfs_days"], r["pfs_days"], a["pfs_event"], r["pfs_event"])
    out: dict[str, Any] = {
        "arm": arm,
        "reference": reference,
        "hazard_ratio": None,
        "ci95": [None, None],
        "logrank_p": float(test.p_value),
    }
    if not (a["pfs_event"].astype(bool).any() and r["pfs_event"].astype(bool).any()):
        return out
    data = pd.DataFrame(
        {
            "t": both["pfs_days"].to_numpy(float),
            "e": both["pfs_event"].to_numpy(bool),
            "treated": (both["arm"] == arm).to_numpy(float),
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cox = CoxPHFitter().fit(data, duration_col="t", event_col="e")
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        return out
    for w in caught:  # anything else is for the user to see
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    out["hazard_ratio"] = float(np.exp(cox.params_["treated"]))
    out["ci95"] = [float(v) for v in np.exp(cox.confidence_intervals_.loc["treated"])]
    return out
