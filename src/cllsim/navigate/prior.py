"""The population prior of one patient's parameters, conditioned on the patient's traits.

The navigator does not import the virtual-population module (it sits at the same stage of
the flow); the caller hands it the population's ``draw`` and ``apply`` functions (see
:func:`cllsim.navigator_runs.population_prior`, which uses
:func:`cllsim.trials.population.draw_parameters` and ``apply_parameters``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cllsim.errors import SpecError
from cllsim.model import Scenario

__all__ = ["SKIPPED_PREFIXES", "ParameterPrior"]

#: Parameters the forecast does not infer: set by the first visit (burden) or the patient's
#: traits, or not scenario fields (mortality, shared population multipliers).
SKIPPED_PREFIXES = ("mortality.", "shared.", "patient.burden_cells", "patient.age_years")
_MAX_OVERSAMPLE = 200
#: Relative spread below which a population column counts as one fixed value.
_CONSTANT_RTOL = 1e-9


@dataclass(frozen=True)
class ParameterPrior:
    """A prior over dotted scenario parameters, conditioned on categorical traits.

    Parameters
    ----------
    draw : callable ``(n, rng) -> DataFrame``
        Draws ``n`` parameter rows (one column per dotted name).
    apply : callable ``(Scenario, Mapping) -> Scenario``
        Sets the named parameters of a scenario.
    conditions : mapping
        Categorical parameters fixed by the patient (``{"patient.ighv": "unmutated"}``): rows
        are drawn until enough match, so dependent parameters (``factor_by``) follow them.
    fixed : tuple of str
        Further names not inferred (e.g. ``patient.body_weight_kg`` when the file gives it).
    other_cause_death : callable ``(age_years, row, rng) -> days`` or None
        Days to death from other causes for a patient of that age with the population
        parameters ``row`` (a drawn row: sex, comorbidity hazard ratio); None: no such deaths.
    """

    draw: Callable[[int, np.random.Generator], pd.DataFrame]
    apply: Callable[[Scenario, Mapping[str, Any]], Scenario]
    conditions: Mapping[str, str] = field(default_factory=dict)
    fixed: tuple[str, ...] = ()
    other_cause_death: Callable[[float, pd.Series, np.random.Generator], float] | None = None

    def sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """``n`` rows matching :attr:`conditions` (every column)."""
        rows: list[pd.DataFrame] = []
        have, size = 0, max(2 * n, 16)
        for _ in range(_MAX_OVERSAMPLE):
            d = self.draw(size, rng)
            keep = np.ones(len(d), dtype=bool)
            for name, value in self.conditions.items():
                if name in d.columns:
                    keep &= (d[name] == value).to_numpy()
            rows.append(d[keep])
            have += int(keep.sum())
            if have >= n:
                break
        else:
            raise SpecError(f"the population almost never has {dict(self.conditions)}")
        return pd.concat(rows, ignore_index=True).iloc[:n].reset_index(drop=True)

    def _numeric(self, table: pd.DataFrame) -> list[str]:
        return [
            c
            for c in table.columns
            if not c.startswith(SKIPPED_PREFIXES)
            and c not in self.fixed
            and c not in self.conditions
            and pd.api.types.is_numeric_dtype(table[c])
        ]

    @staticmethod
    def _constant(x: pd.Series) -> bool:
        """Equal in every row up to rounding (a fixed value times a fixed scale varies in
        its last bits)."""
        lo, hi = float(x.min()), float(x.max())
        return hi - lo <= _CONSTANT_RTOL * max(abs(lo), abs(hi))

    def names(self, table: pd.DataFrame) -> tuple[str, ...]:
        """The inferred names among ``table``'s columns: numeric, not skipped, varying."""
        if len(table) <= 1:
            return tuple(self._numeric(table))
        return tuple(c for c in self._numeric(table) if not self._constant(table[c]))

    def constants(self, table: pd.DataFrame) -> dict[str, float]:
        """The population's fixed values among ``table``'s columns (numeric, not skipped,
        the same in every row): not inferred, but part of every member's model, so the
        forecast's base scenario must carry them (the library's defaults may differ, e.g. a
        calibrated marrow egress rate)."""
        if len(table) <= 1:
            return {}
        return {
            c: float(table[c].iloc[0]) for c in self._numeric(table) if self._constant(table[c])
        }

    def scenario(self, base: Scenario, names: tuple[str, ...], theta: NDArray) -> Scenario:
        """``base`` with ``names`` set to ``theta`` (float64[d])."""
        return self.apply(base, {n: float(v) for n, v in zip(names, theta, strict=True)})
