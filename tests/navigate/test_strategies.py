"""Strategy mechanics on constructed cases: decisions, MRD-guided stop and restart, switching
class on a rising VAF, common random numbers.  Fixed seeds; each case is built so that the
rule must fire (or must not), so a broken rule fails the test."""

import math

import numpy as np
import pytest

from cllsim.model import HistorySpec, Scenario
from cllsim.navigate import StrategySpec, patient_model, run_path
from cllsim.navigate.pathway import anchor_scenario, day0_counts
from cllsim.navigate.patient_file import patient_from_dict

NAN = math.nan


def _decide(spec, state, day, *, mrd=NAN, vafs=None, progressed=None):
    return spec.decide(state, day, progressed=progressed, mrd_blood=mrd, vafs=vafs or {})


def test_mrd_rule_waits_stops_and_restarts():
    spec = StrategySpec(name="m", lines=("ibrutinib-venetoclax",), mrd_stop_below=1e-4,
                        mrd_min_days=100, mrd_restart_above=1e-2)  # fmt: skip
    s = spec.begin(0.0)
    assert _decide(spec, s, 50.0, mrd=NAN) == s  # undetectable, but before mrd_min_days
    assert _decide(spec, s, 120.0, mrd=5e-4) == s  # detectable above the stop threshold
    s = _decide(spec, s, 120.0, mrd=NAN)  # undetectable after 100 days: stop
    assert s.course.stop_day == 120.0 and s.course.end_day() == 120.0
    assert _decide(spec, s, 200.0, mrd=1e-3) == s  # off treatment, below the restart level
    s2 = _decide(spec, s, 280.0, mrd=0.02)
    assert s2.restarts == 1 and s2.course.start_day == 280.0 and s2.course.stop_day is None
    assert [c.start_day for c in s2.courses] == [0.0, 280.0]


def test_switch_on_vaf_and_failure_on_last_line():
    spec = StrategySpec(name="s", lines=("ibrutinib", "venetoclax"), switch_vaf_above=0.01)
    s = spec.begin(0.0)
    assert _decide(spec, s, 84.0, vafs={"BTK_C481S": 0.005, "BCL2_G101V": 0.5}) == s
    s = _decide(spec, s, 168.0, vafs={"PLCG2": 0.02})
    assert s.line == 1 and s.course.regimen == "venetoclax" and s.course.start_day == 168.0
    assert s.courses[0].end_day() == 168.0 and "PLCG2" in s.events[-1][1]
    # venetoclax is not defeated by PLCG2: no second switch; progression on the last line fails
    assert _decide(spec, s, 252.0, vafs={"PLCG2": 0.5}) == s
    assert _decide(spec, s, 336.0, progressed="lymphocytosis").failed.startswith("progression")


def _model(subclones=None, years=4.0):
    p = patient_from_dict({
        "name": "c", "traits": {"age_years": 70, "ighv": "unmutated"},
        "visits": [{"date": "2024-01-01", "alc_1e9_per_l": 30.0, "ln_volume_ml": 300.0}],
    })  # fmt: skip
    base = Scenario(name="c")
    kin = base.patient.kinetics.model_copy(update={"birth_lymph_node": 0.03, "death": 0.004})
    base = base.model_copy(update={"patient": base.patient.model_copy(update={"kinetics": kin})})
    if subclones:
        base = base.model_copy(
            update={"history": HistorySpec(mode="explicit", subclones=subclones)}
        )
    pm = patient_model(anchor_scenario(base, p), p, years=years)
    return pm, day0_counts(pm, np.random.default_rng(1))


def test_mrd_guided_stops_when_undetectable_and_restarts_on_rise():
    """Fast-growing disease on ibrutinib: blood MRD falls below 2e-3, the rule stops the drug,
    the disease regrows, MRD passes 2e-3 again and the rule restarts it; drug-days fall short
    of the path's length by the time off treatment."""
    pm, x0 = _model()
    spec = StrategySpec(name="m", lines=("ibrutinib",), mrd_stop_below=2e-3, mrd_min_days=84,
                        mrd_restart_above=2e-3, max_restarts=1)  # fmt: skip
    r = run_path(pm, x0, spec, np.random.SeedSequence(3), visit_every_days=28.0)
    kinds = [e for _, e in r.events]
    assert kinds[0] == "start ibrutinib" and kinds[1] == "MRD-guided stop"
    assert kinds[2].endswith("restart"), kinds
    stop, restart = r.events[1][0] - pm.t0, r.events[2][0] - pm.t0
    i, j = np.searchsorted(r.grid_days, [stop, restart])
    assert r.values[i, 2] < 2e-3 <= r.values[j, 2]  # true MRD at the stop and the restart
    assert kinds[2].startswith("MRD")  # restarted by the MRD rule, not by progression
    assert r.drug_days < r.end_day - (restart - stop) + 1


def test_switch_class_when_btk_vaf_rises():
    """A large BTK C481S subclone at day 0 grows on ibrutinib; the 1% VAF rule switches to
    venetoclax at the first visit the assay reads >= 1%."""
    pm, x0 = _model(subclones={"BTK_C481S": 5 * 10**9})
    spec = StrategySpec(name="s", lines=("ibrutinib", "venetoclax"), switch_vaf_above=0.01)
    r = run_path(pm, x0, spec, np.random.SeedSequence(4))
    switch = [e for e in r.events if "switch to venetoclax" in e[1]]
    assert switch and "BTK_C481S" in switch[0][1], r.events
    # without the rule the same patient stays on ibrutinib
    plain = StrategySpec(name="p", lines=("ibrutinib", "venetoclax"))
    r0 = run_path(pm, x0, plain, np.random.SeedSequence(4))
    assert not any("BTK_C481S" in e for _, e in r0.events)


@pytest.mark.parametrize("seed", [5, 6])
def test_common_random_numbers(seed):
    """Two identical strategies give identical paths; an MRD-guided strategy follows the
    fixed one exactly until its first stop (same stream for the same plan segment)."""
    pm, x0 = _model()
    a = StrategySpec(name="a", lines=("ibrutinib",))
    b = StrategySpec(name="b", lines=("ibrutinib",))
    ra = run_path(pm, x0, a, np.random.SeedSequence(seed))
    rb = run_path(pm, x0, b, np.random.SeedSequence(seed))
    np.testing.assert_array_equal(ra.values, rb.values)
    assert (ra.progression_day, ra.drug_days) == (rb.progression_day, rb.drug_days) or (
        math.isnan(ra.progression_day) and ra.drug_days == rb.drug_days
    )
    m = StrategySpec(name="m", lines=("ibrutinib",), mrd_stop_below=1e-2, mrd_min_days=84)
    rm = run_path(pm, x0, m, np.random.SeedSequence(seed))
    stop = rm.events[1][0] - pm.t0
    upto = rm.grid_days <= stop
    np.testing.assert_array_equal(rm.values[upto], ra.values[upto])
    assert not np.array_equal(rm.values[~upto], ra.values[~upto])
    rc = run_path(pm, x0, a, np.random.SeedSequence(seed + 100))
    assert not np.array_equal(rc.values, ra.values)
