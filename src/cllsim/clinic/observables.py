"""One row per visit of what the clinic sees: the table written to ``observables.parquet``."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cllsim.clinic.assays import MrdAssay, VafAssay
from cllsim.clinic.counts import COMPARTMENTS, WILD_TYPE, validate_counts
from cllsim.clinic.measures import _alc, _ln_volume, _mrd_blood, _mrd_marrow, _vaf
from cllsim.clinic.physiology import DEFAULT_PHYSIOLOGY, Physiology
from cllsim.clinic.treatment import as_treatment_periods, on_treatment
from cllsim.errors import SpecError

__all__ = [
    "OBSERVABLE_COLUMNS",
    "RESISTANCE_GENOTYPES",
    "VISIT_TIME_TOLERANCE_DAYS",
    "CountTotals",
    "count_totals",
    "observables",
]

#: Resistance mutations always reported (VAF 0 when absent): BTK C481S and PLCG2 (BTK
#: inhibitors), BCL2 G101V (venetoclax), TP53 (chemo-immunotherapy); reference/cll.md.
RESISTANCE_GENOTYPES: tuple[str, ...] = ("BTK_C481S", "PLCG2", "BCL2_G101V", "TP53")
#: Columns before the ``vaf_<genotype>`` columns; ``on_treatment`` comes last.
OBSERVABLE_COLUMNS: tuple[str, ...] = (
    "time_days",
    "alc_1e9_per_l",
    "ln_volume_ml",
    "mrd_blood",
    "mrd_marrow",
    "mrd_blood_measured",
    "mrd_marrow_measured",
)
#: A visit day matches a recorded time when they differ by at most this (days): float noise.
VISIT_TIME_TOLERANCE_DAYS = 1e-9


def _assay(value: Any, kind: type[Any], what: str) -> Any:
    if isinstance(value, str):
        return kind.builtin(value)
    if not isinstance(value, kind):
        raise SpecError(
            f"{what} must be a {kind.__name__} or the name of a built-in one, "
            f"got {type(value).__name__}"
        )
    return value


def _visit_rows(times: np.ndarray, visits_days: Sequence[float] | None) -> np.ndarray:
    """Row positions in ``times`` (sorted) of each visit; SpecError for unknown visits."""
    if visits_days is None:
        return np.arange(times.size)
    visits = np.asarray(visits_days, dtype=np.float64).ravel()
    if visits.size and np.any(np.diff(visits) <= 0):
        raise SpecError(f"visits_days must be strictly increasing, got {visits.tolist()}")
    if times.size == 0:
        raise SpecError("counts: the table has no rows, so no visit can be read from it")
    pos = np.clip(np.searchsorted(times, visits), 0, times.size - 1)
    before = np.maximum(pos - 1, 0)
    nearest = np.where(np.abs(times[before] - visits) < np.abs(times[pos] - visits), before, pos)
    unknown = np.abs(times[nearest] - visits) > VISIT_TIME_TOLERANCE_DAYS
    if unknown.any():
        raise SpecError(
            f"visits_days: day(s) {visits[unknown].tolist()} are not times of the counts table; "
            "simulate with these days among the recorded times, or visit on recorded days "
            f"(counts has {times.size} times from {times[0]} to {times[-1]})"
        )
    return nearest


class CountTotals(NamedTuple):
    """One patient's cells at each recorded time, summed as the clinic reads them.

    Built from a tidy counts table by :func:`count_totals`, or from a count matrix with one
    column per (compartment, genotype) part by :meth:`from_columns` (the engine's per-type
    counts: :func:`cllsim.trials.patient.count_totals_of`), which skips building
    and re-checking the table (2 ms of a trial patient's 30).  Both give the same integers.

    Attributes
    ----------
    times : float64[n_times]
        Sorted, days.
    compartments : float64[n_times, 3]
        Cells per compartment, in :data:`~cllsim.clinic.counts.COMPARTMENTS` order.
    mutations : list of str
        Mutations carried by the genotypes found in blood (sorted; not the wild type).
    mutant : float64[n_times, n_mutations]
        Blood cells carrying each mutation (a genotype ``"A+B"`` counts for both).
    genotypes : list of str
        Every genotype, sorted.
    genotype_cells : int64[n_times, n_genotypes]
        Cells of each genotype, all compartments and phenotypes.
    """

    times: NDArray[np.float64]
    compartments: NDArray[np.float64]
    mutations: list[str]
    mutant: NDArray[np.float64]
    genotypes: list[str]
    genotype_cells: NDArray[np.int64]

    @classmethod
    def from_columns(
        cls,
        times: NDArray[np.float64],
        cells: NDArray[np.int64],
        compartment: NDArray[np.int64],
        genotype: Sequence[str],
    ) -> CountTotals:
        """Totals of a count matrix whose columns are parts of the patient.

        Parameters
        ----------
        times : float64[n_times]
            Strictly increasing, days.
        cells : int64[n_times, k]
            Cells of each part at each time.
        compartment : int64[k]
            Each part's index in :data:`~cllsim.clinic.counts.COMPARTMENTS`.
        genotype : sequence of k str
            Each part's genotype.
        """
        cells = np.asarray(cells, dtype=np.int64)
        parts = _parts(tuple(np.asarray(compartment).tolist()), tuple(str(g) for g in genotype))
        blood = cells @ parts.blood_of_genotype
        return cls(
            np.asarray(times, dtype=np.float64),
            (cells @ parts.of_compartment).astype(np.float64),
            list(parts.mutations),
            (blood[:, parts.seen] @ parts.carries).astype(np.float64),
            list(parts.genotypes),
            cells @ parts.of_genotype,
        )


class _Parts(NamedTuple):
    """What :meth:`CountTotals.from_columns` sums each column into (integer indicator
    matrices, so that the sums are exact)."""

    genotypes: tuple[str, ...]
    of_genotype: NDArray[np.int64]  # [k, n_genotypes]
    blood_of_genotype: NDArray[np.int64]  # the same, blood columns only
    seen: NDArray[np.bool_]  # genotypes found in blood
    mutations: tuple[str, ...]
    carries: NDArray[np.int64]  # [seen genotypes, mutations]: copies of each mutation
    of_compartment: NDArray[np.int64]  # [k, compartments]


@functools.lru_cache(maxsize=64)
def _parts(compartment: tuple[int, ...], genotype: tuple[str, ...]) -> _Parts:
    """The sums of :meth:`CountTotals.from_columns` for columns of these compartments and
    genotypes, kept: a trial's patients share one model's columns (0.15 ms a patient)."""
    compartment_a = np.asarray(compartment, dtype=np.int64)
    genotypes, code = np.unique(np.asarray(genotype, dtype=str), return_inverse=True)
    code = code.reshape(-1)
    of_genotype = (code[:, None] == np.arange(genotypes.size)).astype(np.int64)
    in_blood = compartment_a == COMPARTMENTS.index("blood")
    seen = np.isin(np.arange(genotypes.size), code[in_blood])
    carried = [[m for m in str(g).split("+") if m != WILD_TYPE] for g in genotypes[seen]]
    mutations = sorted({m for ms in carried for m in ms})
    carries = np.array(
        [[ms.count(m) for m in mutations] for ms in carried], dtype=np.int64
    ).reshape(len(carried), len(mutations))
    of_compartment = compartment_a[:, None] == np.arange(len(COMPARTMENTS))
    parts = _Parts(
        genotypes=tuple(str(g) for g in genotypes),
        of_genotype=of_genotype,
        blood_of_genotype=of_genotype * in_blood[:, None],
        seen=seen,
        mutations=tuple(mutations),
        carries=carries,
        of_compartment=of_compartment.astype(np.int64),
    )
    for value in parts:  # kept: shared by every caller
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
    return parts


def count_totals(counts: pd.DataFrame) -> CountTotals:
    """Check a tidy counts table (:func:`~cllsim.clinic.counts.validate_counts`) and sum it:
    its rows added into one column per (compartment, genotype) found, then
    :meth:`CountTotals.from_columns`.

    The numbers of :func:`~cllsim.clinic.counts.compartment_totals` and
    :func:`~cllsim.clinic.counts.genotype_totals` (``"blood"``), summed as integers instead of
    pandas group-bys.

    Raises
    ------
    SpecError
        If ``counts`` breaks the contract.
    """
    table = validate_counts(counts)
    times, at = np.unique(table["time_days"].to_numpy(), return_inverse=True)
    compartment = pd.Categorical(table["compartment"], categories=COMPARTMENTS).codes
    compartment = compartment.astype(np.int64)  # int8 codes would overflow in the part key
    genotypes, genotype = np.unique(table["genotype"].to_numpy(), return_inverse=True)
    parts, part = np.unique(compartment * genotypes.size + genotype, return_inverse=True)
    cells = np.zeros((times.size, parts.size), dtype=np.int64)
    np.add.at(cells, (at, part), table["cells"].to_numpy())
    return CountTotals.from_columns(
        times, cells, parts // genotypes.size, list(genotypes[parts % genotypes.size])
    )


def observables(
    counts: pd.DataFrame | CountTotals,
    *,
    visits_days: Sequence[float] | None,
    treatment_periods: Iterable[Any],
    assay: MrdAssay | str,
    vaf_assay: VafAssay | str,
    rng: np.random.Generator,
    resistance_genotypes: Sequence[str] = RESISTANCE_GENOTYPES,
    physiology: Physiology = DEFAULT_PHYSIOLOGY,
    as_frame: bool = True,
) -> pd.DataFrame | dict[str, NDArray]:
    """What the clinic sees at each visit of one patient: true and measured values.

    Parameters
    ----------
    counts : pandas.DataFrame or CountTotals
        Tidy counts of one patient: ``time_days, compartment, genotype, phenotype, cells``
        (checked and summed by :func:`count_totals`), or their :class:`CountTotals`.
    visits_days : sequence of float or None
        Visit days (days, strictly increasing), each a time of ``counts`` (to within
        :data:`VISIT_TIME_TOLERANCE_DAYS`); None for every time of ``counts``.
    treatment_periods : iterable
        :class:`~cllsim.clinic.treatment.TreatmentPeriod` items (or mappings or
        ``(start_day, end_day, drug_classes)`` tuples); may be empty.
    assay : MrdAssay or str
        MRD assay for blood and marrow, or a name in :data:`~cllsim.clinic.assays.MRD_ASSAYS`.
    vaf_assay : VafAssay or str
        Mutation assay, or a name in :data:`~cllsim.clinic.assays.VAF_ASSAYS`.
    rng : numpy.random.Generator
        Source of the measurement noise.  Draws, in this order: blood MRD at every visit,
        marrow MRD at every visit, then each VAF column in column order.
    resistance_genotypes : sequence of str
        Mutations whose VAF is always reported; mutations present in ``counts`` (other than
        the wild type) are added after them, sorted.
    physiology : Physiology
        Volumes and normal cells (defaults and sources in :mod:`cllsim.clinic.physiology`).
    as_frame : bool
        False: the same columns as a dict of arrays by name, in the same order, for readers
        of a few columns of many patients (a trial patient's endpoints), whom building the
        DataFrame cost 0.45 ms each.

    Returns
    -------
    pandas.DataFrame
        One row per visit, columns in this order: ``time_days`` (days), ``alc_1e9_per_l``
        (10^9/L), ``ln_volume_ml`` (mL), ``mrd_blood``, ``mrd_marrow`` (true CLL cells per
        leukocyte), ``mrd_blood_measured``, ``mrd_marrow_measured`` (assay reports, NaN when
        undetectable), ``vaf_<genotype>`` (measured allele fraction, NaN when undetectable)
        per mutation, ``on_treatment`` (bool).

    Raises
    ------
    SpecError
        If ``counts`` breaks the contract, a visit day is not a time of ``counts``, a treatment
        period or an assay name is invalid.
    TypeError
        If ``rng`` is not a numpy Generator.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    mrd_assay = _assay(assay, MrdAssay, "assay")
    mutation_assay = _assay(vaf_assay, VafAssay, "vaf_assay")
    periods = as_treatment_periods(treatment_periods)
    totals = counts if isinstance(counts, CountTotals) else count_totals(counts)
    times, compartments = totals.times, totals.compartments
    rows = _visit_rows(times, visits_days)
    times = times[rows]
    blood = compartments[rows, COMPARTMENTS.index("blood")]
    mrd_b = _mrd_blood(blood, physiology)
    mrd_m = _mrd_marrow(compartments[rows, COMPARTMENTS.index("marrow")], physiology)

    present = list(totals.mutations)
    order = list(dict.fromkeys([*resistance_genotypes, *present]))
    absent = np.zeros(times.size)
    mutant = {g: totals.mutant[rows, present.index(g)] if g in present else absent for g in order}
    vafs = _vaf(mutant, blood, physiology)

    columns = {
        "time_days": times,
        "alc_1e9_per_l": _alc(blood, physiology),
        "ln_volume_ml": _ln_volume(
            compartments[rows, COMPARTMENTS.index("lymph_node")], physiology
        ),
        "mrd_blood": mrd_b,
        "mrd_marrow": mrd_m,
        "mrd_blood_measured": mrd_assay.measure(mrd_b, rng=rng),
        "mrd_marrow_measured": mrd_assay.measure(mrd_m, rng=rng),
    }
    for column, vaf in vafs.items():  # drawn in column order, after the MRD draws
        columns[column] = mutation_assay.measure(vaf, rng=rng)
    columns["on_treatment"] = on_treatment(times, periods)
    return pd.DataFrame(columns) if as_frame else columns
