"""Validated, immutable specs of one CLL patient scenario (STYLE §4).

Every field states its unit; defaults come from :mod:`cllsim.model.parameters`.  A scenario
file (YAML) is loaded into :class:`Scenario` by :func:`cllsim.model.scenario.load_scenario`.
"""

from __future__ import annotations

import itertools
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cllsim.model.parameters import value

__all__ = [
    "COMPARTMENTS",
    "DRUG_NAMES",
    "AssaySpec",
    "DoseSpec",
    "GenotypeSpec",
    "HistorySpec",
    "KineticsSpec",
    "PatientSpec",
    "PersisterSpec",
    "PharmacodynamicsSpec",
    "Scenario",
    "TreatmentSpec",
    "VisitSpec",
    "default_genotypes",
]

COMPARTMENTS = ("blood", "lymph_node", "marrow")
DRUG_NAMES = ("ibrutinib", "venetoclax", "obinutuzumab", "chlorambucil")
Compartment = Literal["blood", "lymph_node", "marrow"]
DrugName = Literal["ibrutinib", "venetoclax", "obinutuzumab", "chlorambucil"]
_FROZEN = ConfigDict(frozen=True, extra="forbid")


class GenotypeSpec(BaseModel):
    """A genotype: the founding clone (``WT``) or a resistance mutation arising from it."""

    model_config = _FROZEN

    name: str = Field(min_length=1, description="genotype name, e.g. 'BTK_C481S'")
    sites: float = Field(
        0.0, ge=0, description="mutable sites giving this genotype (target size); 0 for WT"
    )
    birth_factor: float = Field(
        1.0, gt=0, le=10, description="multiplier of the birth rate (fitness cost < 1)"
    )
    btki_effect: float = Field(
        1.0,
        ge=0,
        le=1,
        description="fraction of the BTK-inhibitor effect kept (0: fully resistant)",
    )
    venetoclax_ec50_factor: float = Field(
        1.0, ge=1, description="multiplier of the venetoclax EC50"
    )
    chemo_effect: float = Field(
        1.0, ge=0, le=1, description="fraction of the chlorambucil kill kept"
    )


def default_genotypes() -> tuple[GenotypeSpec, ...]:
    """WT and the four resistance genotypes of DESIGN.md with their library defaults."""
    cost = value("mutant_birth_factor")
    return (
        GenotypeSpec(name="WT"),
        GenotypeSpec(
            name="BTK_C481S", sites=value("sites_BTK_C481S"), birth_factor=cost, btki_effect=0.0
        ),
        GenotypeSpec(
            name="PLCG2",
            sites=value("sites_PLCG2"),
            birth_factor=cost,
            btki_effect=value("plcg2_btki_effect"),
        ),
        GenotypeSpec(
            name="BCL2_G101V",
            sites=value("sites_BCL2_G101V"),
            birth_factor=cost,
            venetoclax_ec50_factor=value("g101v_ec50_factor"),
        ),
        GenotypeSpec(
            name="TP53",
            sites=value("sites_TP53"),
            birth_factor=1.0,
            chemo_effect=value("tp53_chemo_effect"),
        ),
    )


class KineticsSpec(BaseModel):
    """Untreated per-compartment kinetics and migration (per day)."""

    model_config = _FROZEN

    birth_blood: float = Field(value("birth_blood"), ge=0, description="per day")
    birth_lymph_node: float = Field(value("birth_lymph_node"), ge=0, description="per day")
    birth_marrow: float = Field(value("birth_marrow"), ge=0, description="per day")
    death: float = Field(value("death"), ge=0, description="per day, every compartment")
    homing_lymph_node: float = Field(
        value("homing_lymph_node"), ge=0, description="blood -> lymph node, per day"
    )
    homing_marrow: float = Field(
        value("homing_marrow"), ge=0, description="blood -> marrow, per day"
    )
    egress_lymph_node: float = Field(
        value("egress_lymph_node"), ge=0, description="lymph node -> blood, per day"
    )
    egress_marrow: float = Field(
        value("egress_marrow"), ge=0, description="marrow -> blood, per day"
    )
    protection_decay: float = Field(
        value("protection_decay"),
        gt=0,
        description="loss of niche protection after leaving, per day",
    )
    protection_lymph_node: float = Field(
        value("protection_lymph_node"),
        ge=1,
        description="venetoclax EC50 multiplier in the lymph node",
    )
    protection_marrow: float = Field(
        value("protection_marrow"), ge=1, description="venetoclax EC50 multiplier in the marrow"
    )
    protection_recent: float = Field(
        value("protection_recent"),
        ge=1,
        description="venetoclax EC50 multiplier of cells that recently left a niche",
    )


class PersisterSpec(BaseModel):
    """Reversible drug-tolerant persisters."""

    model_config = _FROZEN

    entry_per_kill: float = Field(
        value("persister_entry_per_kill"),
        ge=0,
        le=1,
        description="persisters formed per venetoclax-killed cell (probability)",
    )
    exit: float = Field(
        value("persister_exit"), ge=0, description="persister -> sensitive, per day"
    )
    birth_factor: float = Field(
        value("persister_birth_factor"), ge=0, le=1, description="multiplier of the birth rate"
    )
    ec50_factor: float = Field(
        value("persister_ec50_factor"),
        ge=1,
        description="multiplier of every drug's EC50 (and divisor of BTKi effect)",
    )


class PharmacodynamicsSpec(BaseModel):
    """Drug effects on the cells (Emax/Hill per drug; see ``cllsim params`` for sources).

    Venetoclax EC50 applies to unprotected sensitive blood cells; niche protection, persister
    tolerance and BCL2 G101V multiply it.  Obinutuzumab kills mostly in blood (tissue factor);
    chlorambucil less in the marrow, whose cells are the least primed (marrow factor).
    """

    model_config = _FROZEN

    venetoclax_kmax: float = Field(value("venetoclax_kmax"), gt=0, le=100, description="per day")
    venetoclax_ec50: float = Field(value("venetoclax_ec50"), gt=0, description="ng/mL")
    venetoclax_hill: float = Field(value("venetoclax_hill"), gt=0, le=10, description="Hill")
    obinutuzumab_kmax_blood: float = Field(
        value("obinutuzumab_kmax_blood"), ge=0, le=100, description="per day, in blood"
    )
    obinutuzumab_tissue_factor: float = Field(
        value("obinutuzumab_tissue_factor"), ge=0, le=1, description="x kmax in node and marrow"
    )
    obinutuzumab_ec50: float = Field(value("obinutuzumab_ec50"), gt=0, description="ng/mL")
    chlorambucil_kmax: float = Field(
        value("chlorambucil_kmax"), ge=0, le=100, description="per day"
    )
    chlorambucil_marrow_factor: float = Field(
        value("chlorambucil_marrow_factor"), ge=0, le=1, description="x kmax in marrow"
    )
    chlorambucil_lymph_node_factor: float = Field(
        value("chlorambucil_lymph_node_factor"),
        ge=0,
        le=1,
        description="x kmax in the lymph node",
    )
    chlorambucil_ec50: float = Field(value("chlorambucil_ec50"), gt=0, description="ng/mL")
    ibrutinib_birth_inhibition: float = Field(
        value("ibrutinib_birth_inhibition"),
        ge=0,
        le=1,
        description="fraction of tissue proliferation blocked at full BTK occupancy",
    )
    ibrutinib_death_blood: float = Field(
        value("ibrutinib_death_blood"), ge=0, description="added death at full occupancy, per day"
    )
    ibrutinib_death_tissue: float = Field(
        value("ibrutinib_death_tissue"), ge=0, description="added death at full occupancy, per day"
    )
    ibrutinib_egress_gain: float = Field(
        value("ibrutinib_egress_gain"), ge=0, description="relative rise of tissue egress"
    )
    ibrutinib_homing_block: float = Field(
        value("ibrutinib_homing_block"), ge=0, le=1, description="fraction of homing blocked"
    )


class PatientSpec(BaseModel):
    """The patient at diagnosis."""

    model_config = _FROZEN

    burden_cells: float = Field(
        value("burden_cells"), ge=1e3, le=1e13, description="total CLL cells at day 0"
    )
    split: dict[Compartment, float] = Field(
        default_factory=lambda: {c: value(f"split_{c}") for c in COMPARTMENTS},
        description="fraction of the burden in each compartment at day 0 (sums to 1)",
    )
    ighv: Literal["mutated", "unmutated"] = Field("unmutated", description="IGHV status")
    tp53: Literal["normal", "aberrant"] = Field(
        "normal", description="TP53 status of the founding clone"
    )
    max_burden_cells: float = Field(
        5e12,
        ge=1e3,
        le=1e15,
        description="the simulation ends when the total reaches this many cells (a burden no "
        "patient survives untreated; visits after it are not recorded)",
    )
    age_years: float = Field(70.0, ge=18, le=110, description="years")
    drug_exposure: dict[DrugName, float] = Field(
        default_factory=dict,
        description="per-drug multiplier of the plasma exposure (relative bioavailability / "
        "clearance, from between-patient PK variability); a drug not named keeps 1.0",
    )
    body_weight_kg: float = Field(70.0, gt=20, le=300, description="kg (chlorambucil dose)")
    kinetics: KineticsSpec = Field(default_factory=KineticsSpec)

    @field_validator("drug_exposure")
    @classmethod
    def _exposure(cls, v: dict[str, float]) -> dict[str, float]:
        for drug, f in v.items():
            if not (0.05 <= f <= 20.0):
                raise ValueError(
                    f"drug_exposure[{drug!r}] must lie in [0.05, 20] (a multiplier), got {f}"
                )
        return v

    @field_validator("split")
    @classmethod
    def _split_sums_to_one(cls, v: dict[str, float]) -> dict[str, float]:
        if any(x < 0 for x in v.values()) or abs(sum(v.values()) - 1.0) > 1e-6:
            raise ValueError(f"fractions must be >= 0 and sum to 1, got {v}")
        return v


class HistorySpec(BaseModel):
    """Where resistant subclones at day 0 come from."""

    model_config = _FROZEN

    mode: Literal["simulate", "explicit"] = Field(
        "simulate",
        description="'simulate': grow the founding clone from one cell to the burden with mutation "
        "at division (exact); 'explicit': take 'subclones' as given",
    )
    subclones: dict[str, int] = Field(
        default_factory=dict,
        description="cells of each resistance genotype at day 0 (explicit mode)",
    )

    @field_validator("subclones")
    @classmethod
    def _counts(cls, v: dict[str, int]) -> dict[str, int]:
        for k, n in v.items():
            if n < 0:
                raise ValueError(f"subclone {k!r} must have >= 0 cells, got {n}")
        return v


class DoseSpec(BaseModel):
    """One extra dose given by hand."""

    model_config = _FROZEN

    day: float = Field(ge=0, description="days from day 0")
    drug: Literal["ibrutinib", "venetoclax", "obinutuzumab", "chlorambucil"]
    amount_mg: float = Field(gt=0, description="mg")


class TreatmentSpec(BaseModel):
    """The regimen and when it starts."""

    model_config = _FROZEN

    regimen: Literal[
        "none", "ibrutinib-continuous", "venetoclax-continuous", "cll14-ven-obi", "cll14-clb-obi"
    ] = "none"
    start_day: float = Field(0.0, ge=0, description="day of C1D1 / first dose")
    stop_day: float | None = Field(
        None, gt=0, description="continuous regimens stop before this day (default: horizon)"
    )
    cycle_starts_days: tuple[float, ...] | None = Field(
        None,
        description="CLL14 regimens: day of each of the 12 cycles' day 1 (delays); "
        "increasing, >= 28 days apart",
    )
    extra_doses: tuple[DoseSpec, ...] = Field((), description="further doses given by hand")

    @field_validator("cycle_starts_days")
    @classmethod
    def _cycles(cls, v: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if v is None:
            return v
        if len(v) != 12:
            raise ValueError(f"CLL14 has 12 cycles, got {len(v)} cycle starts")
        for i in range(1, len(v)):
            if v[i] < v[i - 1]:
                raise ValueError(
                    f"cycle {i + 1} starts on day {v[i]}, before cycle {i} "
                    f"(day {v[i - 1]}): out of order"
                )
            if v[i] - v[i - 1] < 28:
                raise ValueError(
                    f"cycle {i + 1} starts on day {v[i]}, overlapping cycle {i} "
                    f"(28 days from day {v[i - 1]})"
                )
        return v


class VisitSpec(BaseModel):
    """Visit schedule: blood counts, imaging, MRD and VAF at every visit."""

    model_config = _FROZEN

    every_days: float = Field(28.0, gt=0, description="days between visits")
    first_day: float = Field(0.0, ge=0, description="day of the first visit")
    days: tuple[float, ...] | None = Field(
        None,
        description="explicit visit days (increasing, >= 0); replaces every_days/first_day "
        "(e.g. a trial's assessment schedule)",
    )

    @field_validator("days")
    @classmethod
    def _days(cls, v: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("days must list at least one visit day")
        if v[0] < 0 or any(b <= a for a, b in itertools.pairwise(v)):
            raise ValueError(f"days must be increasing and >= 0, got {list(v)}")
        return v

    def days_until(self, horizon_days: float) -> NDArray[np.float64]:
        """Visit days in ``[0, horizon]``, day 0 always included."""
        if self.days is not None:
            inner = np.asarray(self.days, dtype=np.float64)
            inner = inner[inner <= horizon_days]
        else:
            inner = np.arange(self.first_day, horizon_days + 1e-9, self.every_days)
        return np.unique(np.concatenate([[0.0], inner]))


class AssaySpec(BaseModel):
    """Assays used at visits."""

    model_config = _FROZEN

    mrd: Literal["aso-pcr", "flow-4colour", "eric-flow", "ddpcr", "clonoseq"] = Field(
        "aso-pcr", description="MRD assay (limit 1e-4 .. 1e-6)"
    )
    vaf: Literal["ngs", "ddpcr"] = Field("ngs", description="mutation allele fraction assay")


class Scenario(BaseModel):
    """One patient, one regimen, one horizon."""

    model_config = _FROZEN

    name: str = Field(min_length=1)
    description: str = ""
    horizon_days: float = Field(2190.0, gt=0, le=36500, description="days simulated after day 0")
    patient: PatientSpec = Field(default_factory=PatientSpec)
    genotypes: tuple[GenotypeSpec, ...] = Field(default_factory=default_genotypes)
    persisters: PersisterSpec = Field(default_factory=PersisterSpec)
    pharmacodynamics: PharmacodynamicsSpec = Field(default_factory=PharmacodynamicsSpec)
    history: HistorySpec = Field(default_factory=HistorySpec)
    treatment: TreatmentSpec = Field(default_factory=TreatmentSpec)
    visits: VisitSpec = Field(default_factory=VisitSpec)
    assay: AssaySpec = Field(default_factory=AssaySpec)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        names = [g.name for g in self.genotypes]
        if not names or names[0] != "WT":
            raise ValueError(f"genotypes must start with the founding clone 'WT', got {names}")
        if len(set(names)) != len(names):
            raise ValueError(f"genotype names must be unique, got {names}")
        for k in self.history.subclones:
            if k not in names[1:]:
                raise ValueError(
                    f"history.subclones names unknown genotype {k!r}; expected one of {names[1:]}"
                )
        if self.treatment.start_day >= self.horizon_days:
            raise ValueError(
                f"treatment.start_day ({self.treatment.start_day}) must be before "
                f"horizon_days ({self.horizon_days})"
            )
        return self
