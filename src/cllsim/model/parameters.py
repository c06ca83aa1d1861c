"""The parameter library: every default number of the CLL patient model, with its unit and
source.  ``cllsim params`` prints it.  No other module of the model holds a bare constant.

Tags follow ``reference/cll.md``: [V] checked against the paper or its abstract; [A] an
assumption of this model, chosen to be consistent with the cited figures (the source then
says what it is consistent with); calibration (issue 5) may refit the [A] values on the
CLL14 calibration targets only.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["PARAMETERS", "Parameter", "value"]


@dataclass(frozen=True)
class Parameter:
    """One default: ``value`` in ``unit``, with where it comes from."""

    name: str
    value: float
    unit: str
    source: str
    tag: str  # "V" checked, "A" assumption


_BURGER = "Burger et al., JCI Insight 2017;2:e89904, doi:10.1172/jci.insight.89904"
_WODARZ = "Wodarz et al., Blood 2014;123:4132, doi:10.1182/blood-2014-02-554220"
_HERNDON = "Herndon et al., Leukemia 2017;31:1340, doi:10.1038/leu.2017.11"

_ALL = (
    # --- burden and its split at diagnosis ------------------------------------------------
    Parameter(
        "burden_cells", 1e12, "cells", "total leukaemic burden ~1e12 (Chiorazzi-group reviews)", "V"
    ),
    Parameter(
        "split_blood",
        0.08,
        "fraction",
        "blood holds <~10% of a 1e12 burden at ALC 10-30 (reference/cll.md, Measurement)",
        "V",
    ),
    Parameter(
        "split_lymph_node",
        0.52,
        "fraction",
        "LN holds most proliferating cells (" + _HERNDON + "); LN/marrow split assumed",
        "A",
    ),
    Parameter("split_marrow", 0.40, "fraction", "remainder in marrow; assumed", "A"),
    # --- untreated kinetics, per compartment ----------------------------------------------
    Parameter(
        "birth_lymph_node",
        0.0066,
        "per day",
        "LN birth up to 3.3%/d ("
        + _HERNDON
        + "); set so that whole-body birth is 0.39%/d ("
        + _BURGER
        + ")",
        "A",
    ),
    Parameter(
        "birth_marrow",
        0.0012,
        "per day",
        "marrow proliferates less than LN; with birth_lymph_node gives 0.39%/d whole-body ("
        + _BURGER
        + ")",
        "A",
    ),
    Parameter(
        "birth_blood",
        0.0,
        "per day",
        "circulating CLL cells are quiescent; newly born cells come from tissue (" + _HERNDON + ")",
        "A",
    ),
    Parameter(
        "death", 0.0018, "per day", "blood death 0.18%/d before ibrutinib (" + _BURGER + ")", "V"
    ),
    # --- migration --------------------------------------------------------------------------
    Parameter(
        "homing_lymph_node",
        0.26,
        "per day",
        "blood -> LN; homing/egress = 6.5 keeps the diagnosis split (LN/blood = 0.52/0.08) at equilibrium",
        "A",
    ),
    Parameter(
        "homing_marrow",
        0.2,
        "per day",
        "blood -> marrow; homing/egress = 5 keeps marrow/blood = 0.40/0.08 at equilibrium",
        "A",
    ),
    Parameter("egress_lymph_node", 0.04, "per day", "LN -> blood; residence ~25 days", "A"),
    Parameter("egress_marrow", 0.04, "per day", "marrow -> blood; residence ~25 days", "A"),
    Parameter(
        "protection_decay",
        0.5,
        "per day",
        "niche protection of recent emigrants decays within days (Haselager et al., Blood Adv 2021;5:3497)",
        "V",
    ),
    # --- microenvironment protection against BH3 mimetics (EC50 multipliers) ----------------
    Parameter(
        "protection_lymph_node",
        1000.0,
        "x EC50",
        "CD40L + IL-4 makes CLL cells ~1000-fold less sensitive in vitro (Vogler et al., Blood 2009;113:4403)",
        "V",
    ),
    Parameter(
        "protection_marrow",
        2000.0,
        "x EC50",
        "marrow cells least primed (Davids et al., Blood 2012;120:3501): above the lymph node's",
        "A",
    ),
    Parameter(
        "protection_recent",
        10.0,
        "x EC50",
        "recent emigrants keep part of the niche's protection for days (Haselager et al., Blood Adv 2021;5:3497)",
        "A",
    ),
    # --- persisters --------------------------------------------------------------------------
    Parameter(
        "persister_entry_per_kill",
        0.02,
        "persisters per killed cell",
        "survivors of sublethal MOMP become persisters (Kalkavan et al., Cell 2022, doi:10.1016/j.cell.2022.07.025); fraction assumed",
        "A",
    ),
    Parameter(
        "persister_exit",
        0.03,
        "per day",
        "reversible over weeks (Sharma et al., Cell 2010;141:69)",
        "A",
    ),
    Parameter(
        "persister_birth_factor", 0.5, "x birth", "persisters proliferate less; assumed", "A"
    ),
    Parameter(
        "persister_ec50_factor",
        100.0,
        "x EC50",
        ">100-fold less sensitive (Sharma et al., Cell 2010;141:69)",
        "V",
    ),
    # --- resistance mutations -----------------------------------------------------------------
    Parameter(
        "mutation_rate",
        1e-9,
        "per site per division",
        "~1e-9 per bp per division (reference/cll.md [M])",
        "A",
    ),
    Parameter(
        "sites_BTK_C481S",
        2.0,
        "sites",
        "two single-nucleotide routes give C481S (reference/cll.md)",
        "V",
    ),
    Parameter(
        "sites_PLCG2",
        6.0,
        "sites",
        "R665W, L845F, S707Y and neighbours (reference/cll.md); count assumed",
        "A",
    ),
    Parameter(
        "sites_BCL2_G101V",
        1.0,
        "sites",
        "one substitution (Blombery et al., Cancer Discov 2019;9:342)",
        "A",
    ),
    Parameter("sites_TP53", 50.0, "sites", "loss-of-function hotspots and del(17p); assumed", "A"),
    Parameter(
        "mutant_birth_factor",
        0.98,
        "x birth",
        "small fitness cost of resistance mutations; assumed",
        "A",
    ),
    Parameter(
        "g101v_ec50_factor",
        180.0,
        "x EC50",
        "~180-fold lower venetoclax affinity (Blombery et al., Cancer Discov 2019;9:342)",
        "V",
    ),
    Parameter(
        "plcg2_btki_effect",
        0.15,
        "fraction of BTKi effect kept",
        "PLCG2 gain of function bypasses BTK; partial; assumed",
        "A",
    ),
    Parameter(
        "tp53_chemo_effect",
        0.2,
        "fraction of chemo kill kept",
        "del(17p)/TP53 confers chemo-immunotherapy resistance; assumed",
        "A",
    ),
    # --- ibrutinib (effect driven by BTK occupancy 0..1) -----------------------------------
    Parameter(
        "ibrutinib_birth_inhibition",
        0.87,
        "fraction at full occupancy",
        "birth 0.39 -> 0.05%/d on ibrutinib (" + _BURGER + ")",
        "V",
    ),
    Parameter(
        "ibrutinib_death_blood",
        0.015,
        "per day at full occupancy",
        "blood death 1.7%/d on ibrutinib (" + _WODARZ + "), 1.5%/d (" + _BURGER + ")",
        "V",
    ),
    Parameter(
        "ibrutinib_death_tissue",
        0.025,
        "per day at full occupancy",
        "tissue death 2.7%/d on ibrutinib (" + _WODARZ + ")",
        "V",
    ),
    Parameter(
        "ibrutinib_egress_gain",
        2.0,
        "x egress at full occupancy",
        "redistribution lymphocytosis; 23% of tissue burden redistributed (" + _WODARZ + ")",
        "A",
    ),
    Parameter(
        "ibrutinib_homing_block",
        0.7,
        "fraction of homing blocked",
        "BTK inhibition blocks CXCR4/CXCL12 homing; assumed",
        "A",
    ),
    # --- venetoclax (effect driven by plasma concentration, ng/mL) ---------------------------
    Parameter(
        "venetoclax_kmax",
        6.0,
        "per day",
        "apoptosis within 6-24 h of a dose (Anderson et al., Blood 2016;127:3215)",
        "A",
    ),
    Parameter(
        "venetoclax_ec50",
        100.0,
        "ng/mL",
        "highly primed blood CLL cells (Davids 2012); set for deep blood responses at 400 mg",
        "A",
    ),
    Parameter(
        "venetoclax_hill",
        2.0,
        "1",
        "steep dose-response of CLL cells to BH3 mimetics; assumed",
        "A",
    ),
    # --- obinutuzumab (ng/mL) ------------------------------------------------------------------
    Parameter(
        "obinutuzumab_kmax_blood", 0.3, "per day", "anti-CD20 kills mostly in blood; assumed", "A"
    ),
    Parameter(
        "obinutuzumab_tissue_factor",
        0.01,
        "x kmax in tissue",
        "anti-CD20 kills mostly in blood, little in tissue; assumed",
        "A",
    ),
    Parameter(
        "obinutuzumab_ec50",
        50000.0,
        "ng/mL",
        "assumed (concentrations ~1e5 ng/mL after 1000 mg)",
        "A",
    ),
    # --- chlorambucil (ng/mL) --------------------------------------------------------------------
    Parameter("chlorambucil_kmax", 1.0, "per day", "short kill pulse per dose; assumed", "A"),
    Parameter(
        "chlorambucil_marrow_factor",
        0.9,
        "x kmax in marrow",
        "marrow CLL cells are the least primed for apoptosis and priming predicts the response"
        " to chemotherapy (Davids et al., Blood 2012;120:3501); the size is assumed, the node"
        " (primed in between) has its own factor",
        "A",
    ),
    Parameter(
        "chlorambucil_lymph_node_factor",
        1.0,
        "x kmax in the lymph node",
        "node CLL cells are primed for apoptosis less than blood's and more than marrow's"
        " (Davids et al., Blood 2012;120:3501); by default the node is given blood's kill"
        " (assumed), and a calibrated population may set it between the marrow's factor and 1",
        "A",
    ),
    Parameter(
        "chlorambucil_ec50", 300.0, "ng/mL", "assumed (Cmax ~ 0.5-1 ug/mL after 0.5 mg/kg)", "A"
    ),
    # --- measurement -------------------------------------------------------------------------------
    Parameter("blood_volume_l", 5.0, "L", "reference/cll.md, Measurement", "V"),
)

PARAMETERS = MappingProxyType({p.name: p for p in _ALL})


def value(name: str) -> float:
    """The default value of parameter ``name``."""
    return PARAMETERS[name].value
