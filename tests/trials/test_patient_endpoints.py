"""Trial endpoints of one patient on constructed count tables: uMRD at EOT + 3 months, the
cause of progression, and death from other causes competing with progression."""

import math

import numpy as np
import pandas as pd
import pytest

from cllsim.clinic import count_totals
from cllsim.engine.patient import simulate
from cllsim.model import load_scenario
from cllsim.trials import patient_endpoints
from cllsim.trials.patient import count_totals_of
from tests.clinic.clinic_helpers import assert_same_totals

VISITS = np.array([0.0, 28, 56, 84, 112, 336, 427.3125, 518.625, 609.9375, 701.25, 792.5625])
SPLIT = {"blood": 0.08, "lymph_node": 0.52, "marrow": 0.40}
PERIODS = [(0.0, 336.0, frozenset({"BCL2i", "antiCD20"}))]


def counts(wt, mutant, genotype="BCL2_G101V"):
    """Tidy counts: ``wt`` and ``mutant`` total cells at each visit, split as at diagnosis."""
    rows = []
    for t, w, m in zip(VISITS, wt, mutant, strict=True):
        for c, f in SPLIT.items():
            rows.append((t, c, "WT", "sensitive", round(w * f)))
            rows.append((t, c, genotype, "sensitive", round(m * f)))
    return pd.DataFrame(rows, columns=["time_days", "compartment", "genotype", "phenotype",
                                       "cells"])  # fmt: skip


# deep response (1e12 -> 1e3 WT cells by day 336) ...
WT_DEEP = [1e12, 1e10, 1e8, 1e6, 1e5, 1e3, 1e3, 1e3, 1e3, 1e3, 1e3]
# ... then a BCL2 G101V clone regrowing from the nadir (x10 every visit after day 427)
G101V = [0, 0, 0, 0, 0, 0, 10, 1e5, 1e8, 1e10, 1e11]


def endpoints(table, death_day=math.inf, follow_up=800.0, seed=1):
    return patient_endpoints(
        table,
        treatment_periods=PERIODS,
        death_day=death_day,
        follow_up_days=follow_up,
        mrd_day=427.3125,
        mrd_assay="aso-pcr",
        vaf_assay="ngs",
        rng=np.random.default_rng(seed),
    )


def test_umrd_at_eot3_and_progression_by_a_bcl2_clone():
    out = endpoints(counts(WT_DEEP, G101V))
    # 1e3 WT + 10 mutant cells: far below 1e-4 of 5 L of blood leukocytes -> undetectable
    assert math.isnan(out["mrd_blood_eot3_measured"]) and out["umrd_blood_eot3"]
    assert out["umrd_marrow_eot3"] and out["mrd_marrow_eot3"] < 1e-6
    # the lymph node grows from a nadir ~5e-7 mL to 5e10 cells: progression, G101V dominant
    assert out["pfs_event"] and out["pfs_cause"] == "BCL2"
    assert out["genotype_at_progression"] == "BCL2_G101V"
    assert out["pfs_days"] == out["progression_day"] in VISITS
    assert out["progression_reason"].startswith("lymph node enlargement")
    # the mutation is measurable (VAF >= 1e-3) before the node has grown 50% above one node
    assert out["resistance_detected_genotype"] == "BCL2_G101V"
    assert out["resistance_detected_day"] <= out["progression_day"]


def test_death_from_other_causes_first():
    """Death on day 650 (before the progression visit, after the MRD visit): PFS event at
    650, cause 'death'; uMRD stands (the sample was taken alive, without progression)."""
    out = endpoints(counts(WT_DEEP, G101V), death_day=650.0)
    assert out["pfs_event"] and out["pfs_cause"] == "death" and out["pfs_days"] == 650.0
    assert out["umrd_blood_eot3"]


def test_death_before_the_mrd_visit_is_not_umrd():
    out = endpoints(counts(WT_DEEP, G101V), death_day=400.0)
    assert out["pfs_cause"] == "death" and out["pfs_days"] == 400.0
    assert not out["umrd_blood_eot3"] and not out["umrd_marrow_eot3"]


def test_progression_without_a_resistant_clone_is_none_and_detectable_mrd():
    wt = [1e12, 1e11, 5e10, 3e10, 2e10, 1e10, 1e10, 3e10, 1e11, 3e11, 1e12]
    out = endpoints(counts(wt, [0] * len(VISITS)))
    assert out["pfs_cause"] == "none" and out["genotype_at_progression"] == "WT"
    assert out["mrd_blood_eot3_measured"] > 1e-2 and not out["umrd_blood_eot3"]
    assert math.isnan(out["resistance_detected_day"])


def test_no_event_is_censored_at_the_last_visit_within_follow_up():
    out = endpoints(counts(WT_DEEP, [0] * len(VISITS)), follow_up=700.0)
    assert not out["pfs_event"] and out["pfs_cause"] is None
    assert out["pfs_days"] == pytest.approx(609.9375)


def test_progression_after_follow_up_is_censored():
    out = endpoints(counts(WT_DEEP, G101V), follow_up=650.0)
    assert not out["pfs_event"] and out["pfs_days"] == pytest.approx(609.9375)


def test_death_after_the_last_assessment_is_censored_there():
    """The data cut-off is the trial's last scheduled assessment: a death after it (but within
    follow-up) is censored at it, like every event-free patient; counted as an event it came
    after every censoring time and took the Kaplan-Meier curve to 0 at the end of follow-up
    (CLL14 Ven-Obi PFS at 72 months 0.0 at 2,000 patients)."""
    stable = [1e12, 1e10, 1e8, 1e6, 1e5, 1e3, 1e3, 1e3, 1e3, 1e3, 1e3]
    table = counts(stable, [0] * len(VISITS))
    last = float(VISITS[-1])
    kw = {
        "treatment_periods": PERIODS,
        "follow_up_days": 800.0,
        "mrd_day": 427.3125,
        "mrd_assay": "aso-pcr",
        "vaf_assay": "ngs",
        "last_assessment_day": last,
    }
    out = patient_endpoints(table, death_day=795.0, rng=np.random.default_rng(1), **kw)
    assert not out["pfs_event"] and out["pfs_cause"] is None and out["pfs_days"] == last
    # a death up to the cut-off still counts, even with fewer recorded visits (simulated up
    # to the death only)
    early = table[table["time_days"] <= 650.0]
    out = patient_endpoints(early, death_day=650.0, rng=np.random.default_rng(1), **kw)
    assert out["pfs_event"] and out["pfs_cause"] == "death" and out["pfs_days"] == 650.0


def _same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        same = a[k] == b[k] or (isinstance(a[k], float) and math.isnan(a[k]) and math.isnan(b[k]))
        assert same, (k, a[k], b[k])


@pytest.mark.parametrize(
    ("wt", "mutant", "limit"),
    [
        (WT_DEEP, G101V, None),
        # the clone ties the wild type at progression: the first genotype by name, as the
        # table's group-by gave it
        ([*WT_DEEP[:6], 10, 1e5, 1e8, 1e10, 1e11], G101V, None),
        # the burden limit between visits: the cells at the last visit
        ([1e12, 1e11, 5e10, 3e10, 2e10, 1e10, 1e10, 3e10, 1e11, 3e11, 1e12], [0] * 11, 800.0),
    ],
    ids=["bcl2", "tie", "burden-limit"],
)
def test_totals_give_the_endpoints_of_the_table(wt, mutant, limit):
    """Trial patients pass their CountTotals (summed from the engine's per-type counts), not
    the tidy table: same endpoints, same draws, the same genotype at progression."""
    table = counts(wt, mutant)
    kw = {"treatment_periods": [], "follow_up_days": 900.0, "mrd_day": 427.3125,
          "mrd_assay": "aso-pcr", "vaf_assay": "ngs", "death_day": math.inf}  # fmt: skip
    if limit is None:
        kw["treatment_periods"] = PERIODS
    out = patient_endpoints(table, rng=np.random.default_rng(4), burden_limit_day=limit, **kw)
    totals = count_totals(table)
    again = patient_endpoints(totals, rng=np.random.default_rng(4), burden_limit_day=limit, **kw)
    _same(out, again)
    assert out["pfs_event"]
    assert out["genotype_at_progression"] == ("WT" if limit else "BCL2_G101V")


def test_count_totals_of_a_patient_are_those_of_its_counts_table():
    """count_totals_of(result) sums the engine's per-type counts straight into what the
    clinic reads: the integers count_totals() gets from the patient's tidy table."""
    sc = load_scenario("ven-obi")
    history = sc.history.model_copy(
        update={"mode": "explicit", "subclones": {"BTK_C481S": 100, "TP53": 30}}
    )
    res = simulate(sc.model_copy(update={"history": history, "horizon_days": 400.0}), rng=5)
    a = count_totals_of(res)
    assert_same_totals(a, count_totals(res.counts))
    assert a.mutant.any() and len(a.genotypes) > 2
