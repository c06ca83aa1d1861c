"""The fast observation path equals the clinic stage's tidy-table functions, and the
visit-by-visit progression tracker agrees with :func:`cllsim.clinic.progression`."""

import numpy as np
import pytest

from cllsim.clinic import observables, progression
from cllsim.engine.patient import simulate
from cllsim.model import load_scenario
from cllsim.navigate.observe import CHANNELS, Observer, ProgressionTracker


@pytest.mark.parametrize("name", ["ibrutinib-continuous", "ven-obi"])
def test_observer_matches_clinic_and_tracker_matches_progression(name):
    sc = load_scenario(name).model_copy(update={"horizon_days": 1500.0})
    res = simulate(sc, rng=2)
    obs = observables(res.counts, visits_days=None, treatment_periods=res.treatment_periods,
                      assay="aso-pcr", vaf_assay="ngs", rng=np.random.default_rng(0))  # fmt: skip
    from cllsim.model import compile_model

    cm = compile_model(sc)
    ob = Observer(cm)
    # rebuild count vectors per type from the tidy table is lossy; compare on aggregates
    tidy = res.counts
    for k, t in enumerate(obs["time_days"].to_numpy()):
        at = tidy[tidy.time_days == t]
        x = np.zeros(cm.n_types, dtype=np.int64)
        for _, r in at.iterrows():  # one representative type per reported row
            j = next(
                i for i in range(cm.n_types)
                if cm.genotypes[cm.type_genotype[i]] == r.genotype
                and ("blood", "lymph_node", "marrow")[cm.reported_compartment[i]] == r.compartment
                and ("sensitive", "persister")[cm.type_phenotype[i]] == r.phenotype
            )  # fmt: skip
            x[j] += r.cells
        v = ob.values(x)
        for c in ("alc_1e9_per_l", "ln_volume_ml", "mrd_blood", "mrd_marrow"):
            assert v[CHANNELS.index(c)] == pytest.approx(obs[c].iloc[k], rel=1e-12)
        if k > 3:
            break
    tr = ProgressionTracker()
    start = min(p[0] for p in res.treatment_periods)
    vals = obs[["alc_1e9_per_l", "ln_volume_ml"]].to_numpy()
    times = obs["time_days"].to_numpy()
    base = int(np.searchsorted(times, start, side="right")) - 1
    tr.start(vals[base])
    on_btki = name.startswith("ibrutinib")
    day = next((times[i] for i in range(base + 1, times.size)
                if tr.update(vals[i], on_btki=on_btki) is not None), None)  # fmt: skip
    assert day == progression(obs, treatment_periods=res.treatment_periods).day
