"""The compiled model against the figures it was built on (reference/cll.md)."""

import numpy as np

from cllsim.model import PARAMETERS, compile_model, load_scenario
from cllsim.model.compile import INTERNAL_COMPARTMENTS


def _whole_body(rate: np.ndarray, cm, weights: np.ndarray) -> float:
    sens_wt = (cm.type_genotype == 0) & (cm.type_phenotype == 0)
    return float(np.sum(rate[sens_wt] * weights[sens_wt]) / np.sum(weights[sens_wt]))


def test_heavy_water_kinetics_untreated_and_on_ibrutinib():
    """Behaviour 1.  What a 2H2O labelling study measures is the clone's birth and death per
    cell; weighting each compartment's rates by its share of the clone at diagnosis gives:
    untreated birth 0.39%/d (reported median; range 0.17-1.04), death 0.18%/d (0-0.7); on
    ibrutinib at full BTK occupancy birth 0.05%/d (0-0.36) and blood death 1.5%/d (0-3.0),
    tissue death 2.7%/d (Wodarz 2014: 2.7 +- 0.99).  Each within its reported range, and the
    medians to within 0.01%/d where the model was built on them."""
    cm = compile_model(load_scenario("untreated"))
    w = cm.initial_fraction
    birth = _whole_body(cm.birth, cm, w)
    death = _whole_body(cm.death, cm, w)
    assert 0.0017 <= birth <= 0.0104 and abs(birth - 0.0039) < 1e-4
    assert 0.0 <= death <= 0.007 and abs(death - 0.0018) < 1e-4
    on_birth = _whole_body(cm.birth * (1 - cm.ibr_birth_inhibition), cm, w)
    assert 0.0 <= on_birth <= 0.0036 and abs(on_birth - 0.0005) < 1e-4
    blood = np.array([INTERNAL_COMPARTMENTS[c] == "blood" for c in cm.type_compartment])
    on_death_blood = cm.death + cm.ibr_death
    assert np.all(
        on_death_blood[blood & (cm.type_genotype == 0) & (cm.type_phenotype == 0)] <= 0.030
    )
    assert (
        abs(on_death_blood[blood & (cm.type_genotype == 0) & (cm.type_phenotype == 0)][0] - 0.0168)
        < 1e-9
    )
    tissue = (cm.type_compartment >= 2) & (cm.type_genotype == 0) & (cm.type_phenotype == 0)
    assert np.all(np.abs((cm.death + cm.ibr_death)[tissue] - 0.0268) < 0.0099)


def test_lymph_node_protection_slows_venetoclax_kill():
    """Behaviour 5: at the same venetoclax concentration the added death rate is lower in the
    lymph node and marrow than in blood, for every concentration from 10 to 1e5 ng/mL."""
    cm = compile_model(load_scenario("venetoclax-continuous"))
    sens_wt = (cm.type_genotype == 0) & (cm.type_phenotype == 0)
    comp = np.array(INTERNAL_COMPARTMENTS)[cm.type_compartment]
    for c in (10.0, 1e3, 1e5):
        kill = cm.ven_kmax * c / (cm.ven_ec50 + c)
        blood = kill[sens_wt & (comp == "blood")][0]
        assert kill[sens_wt & (comp == "lymph_node")][0] < blood / 10 or c >= 1e5
        assert kill[sens_wt & (comp == "marrow")][0] < kill[sens_wt & (comp == "blood")][0]
        assert kill[sens_wt & (comp == "lymph_node")][0] < blood


def test_every_default_has_unit_source_and_tag():
    for p in PARAMETERS.values():
        assert p.unit and p.source and p.tag in {"V", "A"}, p.name


def test_pharmacodynamics_section_reaches_the_compiled_rates():
    """A scenario's pharmacodynamics override the library defaults type by type (protection
    and persister factors still multiply the venetoclax EC50)."""
    import numpy as np

    from cllsim.model import compile_model, load_scenario

    sc = load_scenario("ven-obi")
    pd = sc.pharmacodynamics.model_copy(
        update={"venetoclax_ec50": 50.0, "obinutuzumab_kmax_blood": 0.6, "chlorambucil_kmax": 2.0}
    )
    base, new = compile_model(sc), compile_model(sc.model_copy(update={"pharmacodynamics": pd}))
    np.testing.assert_allclose(new.ven_ec50, base.ven_ec50 / 2)
    np.testing.assert_allclose(new.obi_kmax, base.obi_kmax * 2)
    np.testing.assert_allclose(new.clb_kmax, base.clb_kmax * 2)


def test_chlorambucil_kills_by_priming_site():
    """Blood cells are the most primed, marrow cells the least, the node's in between (Davids
    2012): the chlorambucil kill in the marrow and in the node is that site's factor times
    blood's; recent emigrants keep blood's.  The node's factor defaults to 1."""
    sc = load_scenario("clb-obi")
    assert sc.pharmacodynamics.chlorambucil_lymph_node_factor == 1.0
    pd = sc.pharmacodynamics.model_copy(
        update={"chlorambucil_marrow_factor": 0.6, "chlorambucil_lymph_node_factor": 0.8}
    )
    cm = compile_model(sc.model_copy(update={"pharmacodynamics": pd}))
    comp = np.array(INTERNAL_COMPARTMENTS)[cm.type_compartment]
    for g in range(len(cm.genotypes)):
        for p in (0, 1):
            kmax = {
                c: cm.clb_kmax[(cm.type_genotype == g) & (cm.type_phenotype == p) & (comp == c)][0]
                for c in INTERNAL_COMPARTMENTS
            }
            assert kmax["blood"] > 0
            assert kmax["blood_recent"] == kmax["blood"]
            assert kmax["lymph_node"] == 0.8 * kmax["blood"]
            assert kmax["marrow"] == 0.6 * kmax["blood"]
