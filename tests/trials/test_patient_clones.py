"""``clone_sizes`` (swimmer-plot clones of a trial patient) equals the pandas group-by."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cllsim.trials.patient import clone_sizes


def _reference(counts: pd.DataFrame, patient_id: int) -> pd.DataFrame:
    c = counts.groupby(["time_days", "genotype"], sort=True)["cells"].sum()
    clones = c.reset_index()
    clones.insert(0, "patient_id", patient_id)
    return clones


def test_clone_sizes_equal_the_group_by() -> None:
    rng = np.random.default_rng(2)
    rows = [
        (t, c, g, p, int(rng.integers(0, 10**12)))
        for t in (0.0, 28.0, 56.5, 365.25)
        for c in ("blood", "lymph_node", "marrow")
        for g in ("WT", "BTK_C481S", "TP53", "BTK_C481S+PLCG2")
        for p in ("sensitive", "persister")
        if rng.random() < 0.7
    ]
    rows = [rows[i] for i in rng.permutation(len(rows))]
    counts = pd.DataFrame(
        rows, columns=["time_days", "compartment", "genotype", "phenotype", "cells"]
    )
    got, expected = clone_sizes(counts, 7), _reference(counts, 7)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
