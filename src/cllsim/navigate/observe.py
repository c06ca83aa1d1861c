"""What the clinic sees of a simulated patient, fast: one count vector in, values out.

The same formulas as :mod:`cllsim.clinic.measures` (ALC, lymph-node volume, MRD in blood and
marrow, VAF in blood; constants from :class:`~cllsim.clinic.Physiology`), computed from the
engine's internal count vector with precomputed masks instead of a tidy table, because a
navigation evaluates them at every visit of thousands of simulated paths.  A test checks
that both give the same numbers.  :class:`ProgressionTracker` applies the iwCLL 2018
progression rule of :func:`cllsim.clinic.progression` one visit at a time.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from cllsim.clinic import DEFAULT_PHYSIOLOGY, IWCLL_2018, IwcllCriteria, Physiology
from cllsim.model import CompiledModel

__all__ = ["CHANNELS", "MUTATIONS", "Observer", "ProgressionTracker"]

#: Resistance mutations whose allele fraction is observed (reference/cll.md).
MUTATIONS = ("BTK_C481S", "PLCG2", "BCL2_G101V", "TP53")
#: Observed quantities, in the order of :meth:`Observer.values`.
CHANNELS = (
    "alc_1e9_per_l",
    "ln_volume_ml",
    "mrd_blood",
    "mrd_marrow",
    *tuple(f"vaf_{g}" for g in MUTATIONS),
)


class Observer:
    """True clinical values of count vectors of one compiled model.

    Parameters
    ----------
    cm : CompiledModel
    physiology : Physiology
    """

    def __init__(self, cm: CompiledModel, physiology: Physiology = DEFAULT_PHYSIOLOGY):
        comp = cm.reported_compartment
        self._blood = (comp == 0).astype(np.float64)
        self._ln = (comp == 1).astype(np.float64)
        self._marrow = (comp == 2).astype(np.float64)
        mut = np.zeros((len(MUTATIONS), cm.n_types))
        for k, g in enumerate(MUTATIONS):
            for j in range(cm.n_types):
                name = cm.genotypes[cm.type_genotype[j]]
                if g in name.split("+") and comp[j] == 0:
                    mut[k, j] = physiology.mutant_allele_fraction(g)
        self._mut = mut
        self._p = physiology
        self._normal_leuk = physiology.normal_leukocytes_1e9_per_l * 1e9 * physiology.blood_volume_l

    def values(self, counts: NDArray) -> NDArray[np.float64]:
        """float64[..., 8]: the :data:`CHANNELS` of ``counts`` (int64[..., n_types])."""
        x = np.asarray(counts, dtype=np.float64)
        blood = x @ self._blood
        p = self._p
        out = np.empty((*x.shape[:-1], len(CHANNELS)))
        out[..., 0] = blood / p.blood_volume_l / 1e9 + p.normal_lymphocytes_1e9_per_l
        out[..., 1] = (x @ self._ln) / p.ln_cells_per_ml
        out[..., 2] = blood / (blood + self._normal_leuk)
        marrow = x @ self._marrow
        out[..., 3] = marrow / (marrow + p.normal_marrow_nucleated_cells)
        out[..., 4:] = (x @ self._mut.T) / (blood + self._normal_leuk)[..., None]
        return out


class ProgressionTracker:
    """iwCLL 2018 progression, one visit at a time (as :func:`cllsim.clinic.progression`).

    ``start(values)`` sets the baseline (the visit at treatment start); ``update(values,
    on_btki)`` returns the reason if this visit is progression, else None: lymph-node SPD
    proxy (volume ** 2/3) >= 1.5 x its nadir with the largest node abnormal, or
    ALC >= 1.5 x its nadir and >= 5e9/L while not on a BTK inhibitor.
    """

    def __init__(self, criteria: IwcllCriteria = IWCLL_2018):
        self._c = criteria
        self._min_size = criteria.abnormal_size
        self.active = False
        self._nadir_size = math.inf
        self._nadir_alc = math.inf

    def start(self, values: NDArray) -> None:
        """Baseline: the visit at (or just before) treatment start."""
        self.active = True
        self._nadir_size = float(self._c.ln_size(np.array(values[1])))
        self._nadir_alc = float(values[0])

    def update(self, values: NDArray, *, on_btki: bool) -> str | None:
        """The progression reason at this visit, or None (then the nadirs are updated)."""
        if not self.active:
            return None
        size = float(self._c.ln_size(np.array(values[1])))
        alc = float(values[0])
        factor = 1.0 + self._c.rise_fraction
        if size >= factor * self._nadir_size and size >= self._min_size:
            return "lymph node enlargement"
        if alc >= factor * self._nadir_alc and alc >= self._c.pd_min_alc_1e9_per_l and not on_btki:
            return "lymphocytosis"
        self._nadir_size = min(self._nadir_size, size)
        self._nadir_alc = min(self._nadir_alc, alc)
        return None
