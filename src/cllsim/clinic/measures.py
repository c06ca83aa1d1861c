"""True clinical values from cell counts: lymphocyte count, lymph-node volume, MRD, VAF.

These are exact functions of the simulated counts, without measurement noise; the noisy,
censored values a laboratory reports come from :mod:`cllsim.clinic.assays`.  Each function
takes the tidy counts table of one patient (see :mod:`cllsim.clinic.counts`), validates it and
returns one value per time in the table, indexed by ``time_days``.  Normal-cell numbers and
volumes come from a :class:`~cllsim.clinic.physiology.Physiology` (defaults and sources there).

References
----------
.. [1] Wierda WG, Rawstron A, Cymbalista F, et al., "Measurable residual disease in chronic
   lymphocytic leukemia: expert review and consensus recommendations", Leukemia
   2021;35:3059-3072, doi:10.1038/s41375-021-01241-1.
.. [2] Hallek M, Cheson BD, Catovsky D, et al., "iwCLL guidelines for diagnosis, indications
   for treatment, response assessment, and supportive management of CLL", Blood
   2018;131(25):2745-2760, doi:10.1182/blood-2017-09-806398.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cllsim.clinic.counts import compartment_totals, genotype_totals, validate_counts
from cllsim.clinic.physiology import DEFAULT_PHYSIOLOGY, Physiology

__all__ = [
    "alc_1e9_per_l",
    "ln_volume_ml",
    "mrd_blood",
    "mrd_marrow",
    "vaf_blood",
    "vaf_column",
]

_PER_1E9 = 1e9


def _alc(blood_cells: np.ndarray, physiology: Physiology) -> np.ndarray:
    cll_per_l = blood_cells / physiology.blood_volume_l
    return cll_per_l / _PER_1E9 + physiology.normal_lymphocytes_1e9_per_l


def _ln_volume(ln_cells: np.ndarray, physiology: Physiology) -> np.ndarray:
    return ln_cells / physiology.ln_cells_per_ml


def _normal_blood_leukocytes(physiology: Physiology) -> float:
    return physiology.normal_leukocytes_1e9_per_l * _PER_1E9 * physiology.blood_volume_l


def _mrd_blood(blood_cells: np.ndarray, physiology: Physiology) -> np.ndarray:
    return blood_cells / (blood_cells + _normal_blood_leukocytes(physiology))


def _mrd_marrow(marrow_cells: np.ndarray, physiology: Physiology) -> np.ndarray:
    return marrow_cells / (marrow_cells + physiology.normal_marrow_nucleated_cells)


def _vaf(
    mutant_cells: Mapping[str, np.ndarray], blood_cells: np.ndarray, physiology: Physiology
) -> dict[str, np.ndarray]:
    """Each mutation's blood allele fraction (``vaf_<genotype>``, in the mapping's order)
    from its blood cells."""
    all_cells = blood_cells + _normal_blood_leukocytes(physiology)
    return {
        vaf_column(g): physiology.mutant_allele_fraction(g) * cells / all_cells
        for g, cells in mutant_cells.items()
    }


def _series(values: np.ndarray, totals: pd.DataFrame, name: str) -> pd.Series:
    return pd.Series(values, index=totals.index, name=name, dtype=np.float64)


def alc_1e9_per_l(
    counts: pd.DataFrame, *, physiology: Physiology = DEFAULT_PHYSIOLOGY
) -> pd.Series:
    """Absolute lymphocyte count: blood CLL cells per litre plus the normal lymphocytes.

    ``ALC = N_blood / V_blood / 1e9 + normal_lymphocytes_1e9_per_l``.

    Parameters
    ----------
    counts : pandas.DataFrame
        Tidy counts of one patient (columns ``time_days, compartment, genotype, phenotype,
        cells``).
    physiology : Physiology
        Blood volume (L) and normal lymphocytes (10^9/L).

    Returns
    -------
    pandas.Series
        ALC in 10^9 cells per L, indexed by ``time_days`` (sorted), named ``alc_1e9_per_l``.

    Raises
    ------
    SpecError
        If ``counts`` breaks the contract (see :func:`~cllsim.clinic.counts.validate_counts`).

    Examples
    --------
    >>> import pandas as pd
    >>> counts = pd.DataFrame({"time_days": [0.0], "compartment": ["blood"],
    ...     "genotype": ["WT"], "phenotype": ["sensitive"], "cells": [5 * 10**10]})
    >>> float(alc_1e9_per_l(counts).iloc[0])
    11.5
    """
    totals = compartment_totals(validate_counts(counts))
    return _series(_alc(totals["blood"].to_numpy(), physiology), totals, "alc_1e9_per_l")


def ln_volume_ml(counts: pd.DataFrame, *, physiology: Physiology = DEFAULT_PHYSIOLOGY) -> pd.Series:
    """Lymph-node volume: lymph-node CLL cells over the tissue density.

    ``V_LN = N_lymph_node / ln_cells_per_ml``; only CLL cells count, so a node cleared of CLL
    has volume 0 (a normal node, not measured).

    Parameters
    ----------
    counts : pandas.DataFrame
        Tidy counts of one patient.
    physiology : Physiology
        CLL cells per mL of lymph-node tissue.

    Returns
    -------
    pandas.Series
        Total lymph-node volume in mL, indexed by ``time_days``, named ``ln_volume_ml``.

    Raises
    ------
    SpecError
        If ``counts`` breaks the contract.
    """
    totals = compartment_totals(validate_counts(counts))
    return _series(_ln_volume(totals["lymph_node"].to_numpy(), physiology), totals, "ln_volume_ml")


def mrd_blood(counts: pd.DataFrame, *, physiology: Physiology = DEFAULT_PHYSIOLOGY) -> pd.Series:
    """True MRD in blood: CLL cells per leukocyte.

    ``MRD = N_blood / (N_blood + normal_leukocytes_1e9_per_l * 1e9 * V_blood)`` [1]_.

    Parameters
    ----------
    counts : pandas.DataFrame
        Tidy counts of one patient.
    physiology : Physiology
        Blood volume (L) and normal leukocytes (10^9/L).

    Returns
    -------
    pandas.Series
        Fraction in [0, 1) (dimensionless), indexed by ``time_days``, named ``mrd_blood``.

    Raises
    ------
    SpecError
        If ``counts`` breaks the contract.

    References
    ----------
    .. [1] Wierda et al., Leukemia 2021;35:3059, doi:10.1038/s41375-021-01241-1.
    """
    totals = compartment_totals(validate_counts(counts))
    return _series(_mrd_blood(totals["blood"].to_numpy(), physiology), totals, "mrd_blood")


def mrd_marrow(counts: pd.DataFrame, *, physiology: Physiology = DEFAULT_PHYSIOLOGY) -> pd.Series:
    """True MRD in marrow: CLL cells per nucleated marrow cell.

    ``MRD = N_marrow / (N_marrow + normal_marrow_nucleated_cells)``: the whole marrow, as a
    well-mixed aspirate would sample it (no dilution by blood).

    Parameters
    ----------
    counts : pandas.DataFrame
        Tidy counts of one patient.
    physiology : Physiology
        Normal nucleated marrow cells (cells).

    Returns
    -------
    pandas.Series
        Fraction in [0, 1) (dimensionless), indexed by ``time_days``, named ``mrd_marrow``.

    Raises
    ------
    SpecError
        If ``counts`` breaks the contract.
    """
    totals = compartment_totals(validate_counts(counts))
    return _series(_mrd_marrow(totals["marrow"].to_numpy(), physiology), totals, "mrd_marrow")


def vaf_column(genotype: str) -> str:
    """Column name of a mutation's allele fraction: ``vaf_<genotype>``."""
    return f"vaf_{genotype}"


def vaf_blood(
    counts: pd.DataFrame,
    *,
    genotypes: Sequence[str] = (),
    physiology: Physiology = DEFAULT_PHYSIOLOGY,
) -> pd.DataFrame:
    """True variant allele fraction of each resistance mutation in blood DNA.

    ``VAF_g = f_g * N_blood,g / (N_blood + normal_leukocytes_1e9_per_l * 1e9 * V_blood)``:
    mutant copies among all copies of the locus in the DNA of all blood leukocytes (CLL and
    normal), assuming the same copy number at the locus in every cell.  ``f_g`` is 0.5 for a
    heterozygous mutation and 1 for a hemizygous one
    (:meth:`Physiology.mutant_allele_fraction`; why 0.5 is the default, also for X-linked BTK,
    is explained in :class:`Physiology`).  ``N_blood,g`` counts every cell whose genotype holds
    mutation ``g`` (``"BTK_C481S+PLCG2"`` counts for both).

    Parameters
    ----------
    counts : pandas.DataFrame
        Tidy counts of one patient.
    genotypes : sequence of str
        Mutations to report even when absent from ``counts`` (VAF 0).  Mutations present in
        ``counts`` are always reported.
    physiology : Physiology
        Blood volume, normal leukocytes and the hemizygous genotypes.

    Returns
    -------
    pandas.DataFrame
        Index ``time_days``; columns ``vaf_<genotype>`` (dimensionless, in [0, 1)): first those
        of ``genotypes`` in their order, then the other mutations present, sorted.

    Raises
    ------
    SpecError
        If ``counts`` breaks the contract.
    """
    table = validate_counts(counts)
    totals = compartment_totals(table)
    mutant = genotype_totals(table, "blood")
    order = list(dict.fromkeys([*genotypes, *mutant.columns]))
    mutant = mutant.reindex(columns=order, fill_value=0.0)
    cells = {g: mutant[g].to_numpy() for g in mutant.columns}
    return pd.DataFrame(_vaf(cells, totals["blood"].to_numpy(), physiology), index=mutant.index)
