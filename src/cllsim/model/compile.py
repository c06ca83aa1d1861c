"""Compile a :class:`Scenario` into flat arrays: one row per (genotype, phenotype, compartment).

Internally the blood holds two states: ``blood`` and ``blood_recent`` (cells that left a
lymph node or the marrow and still carry the niche's protection against BH3 mimetics,
lost at ``protection_decay`` per day); outputs add ``blood_recent`` to ``blood``.

Drug effects are left as coefficients (per type, per move edge); ``cllsim.engine.patient``
turns exposures over time into rates with them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cllsim.model.parameters import value
from cllsim.model.specs import COMPARTMENTS, Scenario

__all__ = [
    "EGRESS",
    "HOMING",
    "INTERNAL_COMPARTMENTS",
    "MOVE_KINDS",
    "PERSISTER_ENTRY",
    "PERSISTER_EXIT",
    "PHENOTYPES",
    "PROTECTION_DECAY",
    "CompiledModel",
    "compile_model",
]

PHENOTYPES = ("sensitive", "persister")
INTERNAL_COMPARTMENTS = ("blood", "blood_recent", "lymph_node", "marrow")
# internal compartment -> index in COMPARTMENTS ("blood", "lymph_node", "marrow")
REPORTED = np.array([COMPARTMENTS.index(c) for c in ("blood", "blood", "lymph_node", "marrow")])
MOVE_KINDS = ("homing", "egress", "protection_decay", "persister_exit", "persister_entry")
HOMING, EGRESS, PROTECTION_DECAY, PERSISTER_EXIT, PERSISTER_ENTRY = range(len(MOVE_KINDS))


def _ro(a: NDArray) -> NDArray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class CompiledModel:
    """Flat arrays of one scenario (read-only).  ``n`` types, ``e`` move edges, ``s`` spawns.

    Attributes
    ----------
    type_names : tuple of str, n
    type_genotype, type_phenotype, type_compartment : int64[n]
        Indices into ``genotypes``, :data:`PHENOTYPES`, :data:`INTERNAL_COMPARTMENTS`.
    reported_compartment : int64[n]
        Index into ``COMPARTMENTS`` (``blood_recent`` reported as ``blood``).
    birth, death : float64[n]
        Untreated rates per day; ``birth`` counts every division, mutant daughters included.
    spawn_src, spawn_dst : int64[s]; spawn_prob : float64[s]
        Mutation at division: probability per division that one daughter is of ``dst``.
    move_src, move_dst, move_kind : int64[e]; move_rate : float64[e]
        Moves per day (``persister_entry`` edges have rate 0 here: they follow the
        venetoclax kill rate times ``persister_entry_per_kill``).
    btki_effect : float64[n]
        Fraction of the BTK-inhibitor effect that acts on the type (genotype, persister).
    ibr_birth_inhibition, ibr_death : float64[n]
        At full BTK occupancy: fraction of birth removed, added death per day.
    ven_kmax, ven_ec50 : float64[n]; ven_hill : float
    obi_kmax, obi_ec50, clb_kmax, clb_ec50 : float64[n]
    egress_gain, homing_block : float
    persister_entry_per_kill : float
    initial_fraction : float64[n]
        Share of each genotype's day-0 cells in each type (sums to 1 over a genotype).
    """

    genotypes: tuple[str, ...]
    type_names: tuple[str, ...]
    type_genotype: NDArray[np.int64]
    type_phenotype: NDArray[np.int64]
    type_compartment: NDArray[np.int64]
    reported_compartment: NDArray[np.int64]
    birth: NDArray[np.float64]
    death: NDArray[np.float64]
    spawn_src: NDArray[np.int64]
    spawn_dst: NDArray[np.int64]
    spawn_prob: NDArray[np.float64]
    move_src: NDArray[np.int64]
    move_dst: NDArray[np.int64]
    move_kind: NDArray[np.int64]
    move_rate: NDArray[np.float64]
    btki_effect: NDArray[np.float64]
    ibr_birth_inhibition: NDArray[np.float64]
    ibr_death: NDArray[np.float64]
    ven_kmax: NDArray[np.float64]
    ven_ec50: NDArray[np.float64]
    ven_hill: float
    obi_kmax: NDArray[np.float64]
    obi_ec50: NDArray[np.float64]
    clb_kmax: NDArray[np.float64]
    clb_ec50: NDArray[np.float64]
    egress_gain: float
    homing_block: float
    persister_entry_per_kill: float
    initial_fraction: NDArray[np.float64]
    genotype_sites: NDArray[np.float64]
    mutation_rate: float

    @property
    def n_types(self) -> int:
        """Number of internal types."""
        return len(self.type_names)


def compile_model(scenario: Scenario) -> CompiledModel:
    """Flat arrays for ``scenario``: types, untreated rates, edges and drug coefficients."""
    kin = scenario.patient.kinetics
    per = scenario.persisters
    genos = scenario.genotypes
    pd = scenario.pharmacodynamics
    tp53_patient = scenario.patient.tp53 == "aberrant"
    idx = {}
    names, tg, tp, tc = [], [], [], []
    for g, geno in enumerate(genos):
        for p, pheno in enumerate(PHENOTYPES):
            for c, comp in enumerate(INTERNAL_COMPARTMENTS):
                idx[g, p, c] = len(names)
                names.append(f"{geno.name}|{pheno}|{comp}")
                tg.append(g)
                tp.append(p)
                tc.append(c)
    n = len(names)
    tg, tp, tc = np.array(tg), np.array(tp), np.array(tc)
    comp_birth = np.array(
        [kin.birth_blood, kin.birth_blood, kin.birth_lymph_node, kin.birth_marrow]
    )
    birth_factor = np.array([g.birth_factor for g in genos])
    birth = comp_birth[tc] * birth_factor[tg] * np.where(tp == 1, per.birth_factor, 1.0)
    death = np.full(n, kin.death)

    u = value("mutation_rate")
    sites = np.array([g.sites for g in genos])
    spawn = [
        (idx[0, p, c], idx[g, p, c], u * sites[g])
        for g in range(1, len(genos))
        for p in range(2)
        for c in range(4)
        if sites[g] > 0
    ]

    moves = []  # (src, dst, kind, rate)
    for g in range(len(genos)):
        for p in range(2):
            b, br, ln, m = (idx[g, p, c] for c in range(4))
            for src in (b, br):
                moves += [
                    (src, ln, HOMING, kin.homing_lymph_node),
                    (src, m, HOMING, kin.homing_marrow),
                ]
            moves += [(ln, br, EGRESS, kin.egress_lymph_node), (m, br, EGRESS, kin.egress_marrow)]
            moves.append((br, b, PROTECTION_DECAY, kin.protection_decay))
        for c in range(4):
            moves.append((idx[g, 1, c], idx[g, 0, c], PERSISTER_EXIT, per.exit))
            moves.append((idx[g, 0, c], idx[g, 1, c], PERSISTER_ENTRY, 0.0))

    persister = tp == 1
    btki = np.array([g.btki_effect for g in genos])[tg] / np.where(persister, per.ec50_factor, 1.0)
    tissue = (tc == 2) | (tc == 3)
    ibr_inh = np.where(tissue, pd.ibrutinib_birth_inhibition, 0.0) * btki
    ibr_death = np.where(tissue, pd.ibrutinib_death_tissue, pd.ibrutinib_death_blood) * btki
    protection = np.array(
        [1.0, kin.protection_recent, kin.protection_lymph_node, kin.protection_marrow]
    )
    pers_ec50 = np.where(persister, per.ec50_factor, 1.0)
    ven_ec50 = (
        pd.venetoclax_ec50
        * protection[tc]
        * np.array([g.venetoclax_ec50_factor for g in genos])[tg]
        * pers_ec50
    )
    obi_kmax = pd.obinutuzumab_kmax_blood * np.where(tissue, pd.obinutuzumab_tissue_factor, 1.0)
    chemo = np.array([g.chemo_effect for g in genos])[tg] * (
        value("tp53_chemo_effect") if tp53_patient else 1.0
    )
    # chemotherapy kills by apoptotic priming: blood > node > marrow (Davids 2012)
    clb_site = np.array(
        [1.0, 1.0, pd.chlorambucil_lymph_node_factor, pd.chlorambucil_marrow_factor]
    )
    clb_kmax = pd.chlorambucil_kmax * chemo * clb_site[tc]

    split = scenario.patient.split
    frac_c = np.array([split["blood"], 0.0, split["lymph_node"], split["marrow"]])
    initial_fraction = np.where(tp == 0, frac_c[tc], 0.0)

    sp = np.array(spawn, dtype=float).reshape(-1, 3)
    mv = np.array(moves, dtype=float).reshape(-1, 4)
    return CompiledModel(
        genotypes=tuple(g.name for g in genos),
        type_names=tuple(names),
        type_genotype=_ro(tg),
        type_phenotype=_ro(tp),
        type_compartment=_ro(tc),
        reported_compartment=_ro(REPORTED[tc]),
        birth=_ro(birth),
        death=_ro(death),
        spawn_src=_ro(sp[:, 0].astype(np.int64)),
        spawn_dst=_ro(sp[:, 1].astype(np.int64)),
        spawn_prob=_ro(sp[:, 2]),
        move_src=_ro(mv[:, 0].astype(np.int64)),
        move_dst=_ro(mv[:, 1].astype(np.int64)),
        move_kind=_ro(mv[:, 2].astype(np.int64)),
        move_rate=_ro(mv[:, 3]),
        btki_effect=_ro(btki),
        ibr_birth_inhibition=_ro(ibr_inh),
        ibr_death=_ro(ibr_death),
        ven_kmax=_ro(np.full(n, pd.venetoclax_kmax)),
        ven_ec50=_ro(ven_ec50),
        ven_hill=pd.venetoclax_hill,
        obi_kmax=_ro(obi_kmax),
        obi_ec50=_ro(pd.obinutuzumab_ec50 * pers_ec50),
        clb_kmax=_ro(clb_kmax),
        clb_ec50=_ro(pd.chlorambucil_ec50 * pers_ec50),
        egress_gain=pd.ibrutinib_egress_gain,
        homing_block=pd.ibrutinib_homing_block,
        persister_entry_per_kill=per.entry_per_kill,
        initial_fraction=_ro(initial_fraction),
        genotype_sites=_ro(sites),
        mutation_rate=u,
    )
