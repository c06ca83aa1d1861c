"""Every default number of the PK/PD stage, with its unit and its source.

Units follow STYLE §9: time in days, concentrations in ng/mL, doses in mg, volumes in L,
clearances in L/day; any other unit is in the field name.  Sources are tagged like
``reference/cll.md``: [V] checked against the paper, label or abstract; [M] remembered, not
re-checked; [A] a modelling assumption (the reason is given beside it).

How the PK numbers were derived (reproduced by ``tests/pkpd/test_parameters.py``):

* **venetoclax**, two-compartment oral.  At steady state the AUC over a dosing interval is
  ``F * dose / CL`` for any linear model, so CL/F is fixed by the label's AUC0-24,ss:
  400 mg / 32.8 ug*h/mL = 292.7 L/day.  (The popPK median CL/F of 446 L/day, Zhao 2024, would
  give 21.5 ug*h/mL whatever ka and V are; the label's fed CLL figures are the clinical
  condition, venetoclax being taken with a meal.)  Vc/F is the popPK median 114.5 L (Zhao
  2024); Vp/F = 175 L puts Vss/F = 289.5 L inside the label's 256-321 L; Q/F is solved so the
  terminal half-life is 26 h; ka is solved so Css,max = 2.1 ug/mL.  Tmax then is 4.7 h after a
  single dose (label, fed: 5-8 h; first-order absorption without lag cannot reach both).
* **ibrutinib**, one-compartment oral: CL/F = 420 mg / 708 ng*h/mL; V/F from t1/2 = 6 h;
  ka such that a single dose peaks at 2 h.
* **obinutuzumab**, two-compartment IV, linear part only (the time-dependent, target-mediated
  clearance that fades as the tumour shrinks is not modelled: cycle-1 concentrations are
  therefore overestimated; drug-effect parameters are calibrated on top of this PK).  The
  label's t1/2 28.4 d, Vss 3.8 L and CL 0.09 L/d are not exactly compatible (a
  two-compartment model needs CL >= Vss * ln 2 / t1/2 = 0.0927 L/d); CL = 0.094 L/d (still
  0.09 to the label's precision) keeps t1/2 and Vss exact.
* **chlorambucil**, one-compartment oral, from Alberts 1979 (0.6 mg/kg: t1/2 91.7 min,
  AUC 143 ug*min/mL) for the reference 70-kg patient; ka such that the peak is at 1 h.
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "CHLORAMBUCIL",
    "DRUGS",
    "IBRUTINIB",
    "OBINUTUZUMAB",
    "PD_DEFAULTS",
    "REGIMEN_DEFAULTS",
    "VENETOCLAX",
    "BTKOccupancyParameters",
    "DrugParameters",
    "PDDefaults",
    "PKParameters",
    "RegimenDefaults",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")

#: Relative gap required between ka and every disposition rate: the oral closed form divides by
#: (ka - lambda) and loses about eps * ka / |ka - lambda| of relative precision.
MIN_ABSORPTION_RATE_GAP = 1e-3


class PKParameters(BaseModel):
    """A linear one- or two-compartment PK model with optional first-order absorption.

    All clearances and volumes are apparent (divided by the bioavailability F) when the drug
    is oral; ``bioavailability`` then stays 1.
    """

    model_config = _FROZEN

    clearance_l_per_day: float = Field(gt=0, description="clearance CL (or CL/F), L/day")
    central_volume_l: float = Field(gt=0, description="central volume Vc (or Vc/F), L")
    peripheral_volume_l: float = Field(
        0.0, ge=0, description="peripheral volume Vp, L; 0 for a one-compartment model"
    )
    intercompartmental_clearance_l_per_day: float = Field(
        0.0, ge=0, description="intercompartmental clearance Q, L/day; 0 when Vp is 0"
    )
    absorption_rate_per_day: float | None = Field(
        None,
        gt=0,
        description="first-order absorption rate ka of oral doses, per day; "
        "None when the drug is only given IV",
    )
    bioavailability: float = Field(
        1.0, gt=0, le=1, description="fraction of an oral dose reaching the circulation"
    )

    @model_validator(mode="after")
    def _check(self) -> PKParameters:
        if (self.peripheral_volume_l > 0) != (self.intercompartmental_clearance_l_per_day > 0):
            raise ValueError(
                "peripheral_volume_l and intercompartmental_clearance_l_per_day must both be > 0 "
                f"(two compartments) or both be 0 (one), got {self.peripheral_volume_l!r} and "
                f"{self.intercompartmental_clearance_l_per_day!r}"
            )
        ka = self.absorption_rate_per_day
        if ka is not None:
            for lam in self.disposition_rates_per_day:
                if abs(ka - lam) <= MIN_ABSORPTION_RATE_GAP * max(ka, lam):
                    raise ValueError(
                        f"absorption_rate_per_day = {ka!r} is within 0.1% of the disposition "
                        f"rate {lam:.6g} per day; the closed form is singular there. "
                        "Suggestion: change ka by 1%."
                    )
        return self

    @property
    def disposition_rates_per_day(self) -> tuple[float, ...]:
        """Exponential rates of the disposition (fast first), per day."""
        k10 = self.clearance_l_per_day / self.central_volume_l
        if self.peripheral_volume_l == 0:
            return (k10,)
        k12 = self.intercompartmental_clearance_l_per_day / self.central_volume_l
        k21 = self.intercompartmental_clearance_l_per_day / self.peripheral_volume_l
        s, p = k10 + k12 + k21, k10 * k21
        root = math.sqrt(s * s - 4.0 * p)
        return ((s + root) / 2.0, 2.0 * p / (s + root))

    @property
    def terminal_half_life_days(self) -> float:
        """ln 2 over the slowest disposition rate, days."""
        return math.log(2.0) / self.disposition_rates_per_day[-1]


class BTKOccupancyParameters(BaseModel):
    """Covalent BTK occupancy: binding at rate kappa * C(t), recovery by resynthesis only.

    Free BTK fraction ``f``: ``df/dt = k_syn (1 - f) - kappa C(t) f`` (total BTK constant;
    bound BTK is degraded and replaced by free BTK at ``k_syn``).  Occupancy = ``1 - f``.
    """

    model_config = _FROZEN

    resynthesis_fraction_per_day: float = Field(
        gt=0,
        lt=1,
        description="fraction of total BTK newly made (free) per day, from fully "
        "occupied BTK with no drug; dimensionless per day",
    )
    inactivation_rate_per_ng_ml_day: float = Field(
        gt=0,
        description="kappa: covalent inactivation rate of free BTK per unit plasma "
        "concentration, per (ng/mL) per day",
    )

    @property
    def resynthesis_rate_per_day(self) -> float:
        """k_syn = -ln(1 - fraction per day), per day."""
        return -math.log1p(-self.resynthesis_fraction_per_day)


class DrugParameters(BaseModel):
    """One drug: its PK, what drives its effect, and where the numbers come from."""

    model_config = _FROZEN

    name: str = Field(min_length=1, description="drug name used in dose records")
    pk: PKParameters
    effect_driver: Literal["concentration", "btk_occupancy"] = Field(
        "concentration",
        description="exposure passed to PD: plasma concentration in ng/mL, "
        "or BTK occupancy as a fraction in [0, 1]",
    )
    btk_occupancy: BTKOccupancyParameters | None = None
    sources: tuple[str, ...] = Field((), description="references for the numbers above")

    @model_validator(mode="after")
    def _check(self) -> DrugParameters:
        if self.effect_driver == "btk_occupancy" and self.btk_occupancy is None:
            raise ValueError(
                f"drug {self.name!r}: effect_driver 'btk_occupancy' needs btk_occupancy parameters"
            )
        return self


VENETOCLAX = DrugParameters(
    name="venetoclax",
    pk=PKParameters(
        clearance_l_per_day=292.7,  # 400 mg / AUC0-24,ss 32.8 ug*h/mL [V] VENCLEXTA label
        central_volume_l=114.5,  # popPK median V2/F [V] Zhao 2024, doi:10.2147/DDDT.S458927
        peripheral_volume_l=175.0,  # [A] Vss/F = 289.5 L, inside 256-321 L [V] label
        intercompartmental_clearance_l_per_day=228.6,  # [A] solved: terminal t1/2 = 26 h [V]
        absorption_rate_per_day=6.15,  # [A] solved: Css,max = 2.1 ug/mL at 400 mg/d [V] label
    ),
    sources=(
        "VENCLEXTA (venetoclax) US prescribing information, section 12.3 [V]",
        "Zhao et al., Drug Des Devel Ther 2024;18:1771, doi:10.2147/DDDT.S458927 [V]",
    ),
)

IBRUTINIB = DrugParameters(
    name="ibrutinib",
    pk=PKParameters(
        clearance_l_per_day=14237.3,  # 420 mg / AUC,ss 708 ng*h/mL [V] IMBRUVICA label
        central_volume_l=5135.0,  # CL/F * t1/2 / ln 2 with t1/2 = 6 h [V] label
        absorption_rate_per_day=32.2,  # [A] solved: single-dose Tmax = 2 h [V] label
    ),
    effect_driver="btk_occupancy",
    btk_occupancy=BTKOccupancyParameters(
        # [V, abstract] median de novo BTK synthesis 13.4%/day in CLL cells in vivo (measured
        # under acalabrutinib; a property of the cell, not the drug): Sun et al., Blood
        # 2020;136:93 (NCT02337829), doi:10.1182/blood.2019003715 [M: DOI not re-checked];
        # also Blood 2018;132(Suppl 1):4401.  Equals a resynthesis half-life of 4.8 days.
        resynthesis_fraction_per_day=0.134,
        # [A] kappa = (k_inact/K_I) * f_u / MW = 3e5 /M/s * 0.027 / 440.5 g/mol, per ng/mL per
        # day; chosen so steady-state trough occupancy stays > 95% at 140 mg/day, as Chen et
        # al. (Blood 2018;132:2249) measured [V].  k_inact/K_I and f_u are [M].
        inactivation_rate_per_ng_ml_day=1.6,
    ),
    sources=(
        "IMBRUVICA (ibrutinib) US prescribing information, section 12.3 [V]",
        "Chen et al., Blood 2018;132:2249 (BTK occupancy > 95% at 140-420 mg/day) [V]",
        "Sun et al., Blood 2020;136:93 (BTK resynthesis 13.4%/day in CLL) [V, abstract]",
    ),
)

OBINUTUZUMAB = DrugParameters(
    name="obinutuzumab",
    pk=PKParameters(
        clearance_l_per_day=0.094,  # label 0.09 L/d [V]; 0.094 makes t1/2 and Vss consistent
        central_volume_l=2.75,  # [A] about the plasma volume, usual for an IgG1
        peripheral_volume_l=1.05,  # Vss = 3.8 L [V] GAZYVA label
        intercompartmental_clearance_l_per_day=0.549,  # [A] solved: terminal t1/2 28.4 d [V]
    ),
    sources=(
        "GAZYVA (obinutuzumab) US prescribing information, section 12.3 [V]",
        "Gibiansky et al., Br J Clin Pharmacol 2019;85:1935 (time-dependent clearance) [V]",
    ),
)

CHLORAMBUCIL = DrugParameters(
    name="chlorambucil",
    pk=PKParameters(
        # Alberts et al., Cancer Treat Rev 1979;6(Suppl):9 [V, abstract]: after 0.6 mg/kg,
        # t1/2 91.7 min, AUC 143 ug*min/mL; per kg CL/F = 0.252 L/h, V/F = 0.555 L/kg; here
        # for the 70-kg reference patient (RegimenDefaults.body_weight_kg).
        clearance_l_per_day=422.9,
        central_volume_l=38.86,
        absorption_rate_per_day=44.9,  # [A] solved: Tmax = 1 h [V] LEUKERAN SmPC 0.25-2 h
    ),
    sources=(
        "Alberts et al., Cancer Treat Rev 1979;6(Suppl):9-17 [V, abstract]",
        "LEUKERAN (chlorambucil) SmPC, section 5.2: t1/2 1.3-1.5 h, peak within 1 h [V]",
    ),
)

#: The default drugs by name (read-only).
DRUGS = MappingProxyType({d.name: d for d in (VENETOCLAX, IBRUTINIB, OBINUTUZUMAB, CHLORAMBUCIL)})


class RegimenDefaults(BaseModel):
    """Schedules from reference/cll.md (Regimens) and the GAZYVA label infusion rates."""

    model_config = _FROZEN

    cycle_length_days: int = Field(28, gt=0, description="CLL14 cycle length, days [V]")
    cll14_n_cycles: int = Field(12, gt=0, description="CLL14 cycles of treatment [V]")
    ibrutinib_daily_mg: float = Field(420.0, gt=0, description="ibrutinib daily dose, mg [V]")
    venetoclax_ramp_mg: tuple[float, ...] = Field(
        (20.0, 50.0, 100.0, 200.0),
        description="venetoclax ramp-up doses, mg daily, one "
        "step per week, before the target dose [V]",
    )
    venetoclax_ramp_step_days: int = Field(7, gt=0, description="days per ramp-up step [V]")
    venetoclax_target_mg: float = Field(400.0, gt=0, description="venetoclax daily dose, mg [V]")
    cll14_venetoclax_first_day: int = Field(
        22, ge=1, description="study day of cycle 1 on which venetoclax starts [V]"
    )
    obinutuzumab_cycle1: tuple[tuple[int, float], ...] = Field(
        ((1, 100.0), (2, 900.0), (8, 1000.0), (15, 1000.0)),
        description="(day of cycle 1, mg) obinutuzumab infusions [V]",
    )
    obinutuzumab_later_mg: float = Field(
        1000.0, gt=0, description="obinutuzumab on day 1 of cycles 2.. , mg [V]"
    )
    obinutuzumab_n_cycles: int = Field(6, gt=0, description="cycles with obinutuzumab [V]")
    obinutuzumab_first_infusion_hours: float = Field(
        4.0, gt=0, description="100 mg at 25 mg/h, hours [V] GAZYVA label"
    )
    obinutuzumab_second_infusion_hours: float = Field(
        4.0,
        gt=0,
        description="900 mg from 50 mg/h, +50 mg/h every 30 min to 400 mg/h, hours "
        "(derived from the GAZYVA label rates) [V]",
    )
    obinutuzumab_infusion_hours: float = Field(
        3.25,
        gt=0,
        description="1000 mg from 100 mg/h, +100 mg/h every 30 min to 400 mg/h, "
        "hours (derived from the GAZYVA label rates) [V]",
    )
    chlorambucil_mg_per_kg: float = Field(
        0.5, gt=0, description="chlorambucil per dose, mg/kg [M] reference/cll.md"
    )
    chlorambucil_days: tuple[int, ...] = Field(
        (1, 15), description="days of each cycle with chlorambucil [M]"
    )
    body_weight_kg: float = Field(
        70.0, gt=0, description="reference adult body weight, kg [A] (ICRP reference man)"
    )


class PDDefaults(BaseModel):
    """Fold changes of drug sensitivity from reference/cll.md (Microenvironment, Resistance)."""

    model_config = _FROZEN

    lymph_node_bh3_mimetic_ec50_fold: float = Field(
        1000.0,
        gt=0,
        description="venetoclax EC50 multiplier in lymph-node-stimulated cells "
        "(CD40L + IL-4), dimensionless; Vogler et al., Blood 2009;113:4403 [V]",
    )
    bcl2_g101v_ec50_fold: float = Field(
        180.0,
        gt=0,
        description="venetoclax EC50 multiplier for BCL2 G101V (lower affinity), "
        "dimensionless; reference/cll.md Resistance biology [V]",
    )


REGIMEN_DEFAULTS = RegimenDefaults()
PD_DEFAULTS = PDDefaults()
