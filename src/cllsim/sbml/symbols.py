"""The values of an SBML model's symbols: species, parameters, compartments.

SBML gives a species symbol in math the value of its *amount* when the species has
``hasOnlySubstanceUnits="true"`` and of its *concentration* (amount / compartment size)
otherwise.  cllsim simulates amounts (whole numbers of molecules or cells), so this module
converts between the two wherever a species is read or assigned.

Values at time 0 apply initial assignments, then assignment rules, then the declared values.
During a run, only the dynamic species (those the network simulates) change; an assignment
rule is re-evaluated on their current amounts; everything else keeps its value at time 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from cllsim.errors import SpecError
from cllsim.sbml.mathml import Expr, Value, evaluate

__all__ = ["SpeciesInfo", "Symbols", "whole_amount"]


def whole_amount(value: float) -> int | None:
    """``value`` as a whole number >= 0, allowing float round-off (``0.1 * 30``); else None."""
    if not np.isfinite(value) or value < 0:
        return None
    nearest = round(value)
    return nearest if abs(value - nearest) <= 1e-9 * max(1.0, abs(value)) else None


@dataclass(frozen=True)
class SpeciesInfo:
    """What cllsim needs of one SBML species.

    Attributes
    ----------
    id, compartment : str
    amount_units : bool
        ``hasOnlySubstanceUnits``: the symbol in math is the amount (True) or the
        concentration (False).
    boundary, constant : bool
        ``boundaryCondition`` and ``constant``; either keeps the amount fixed by reactions.
    initial_amount, initial_concentration : float or None
        As declared (at most one is set).
    """

    id: str
    compartment: str
    amount_units: bool
    boundary: bool
    constant: bool
    initial_amount: float | None
    initial_concentration: float | None


class Symbols:
    """Look up the value of any symbol of a model, at time 0 or during a run.

    Parameters
    ----------
    species : mapping of id to SpeciesInfo
    parameters, compartments : mapping of id to declared value (None when not set)
    rules : mapping of variable id to the expression of its assignment rule
    initial_assignments : mapping of symbol id to the expression of its initial assignment
    """

    def __init__(
        self,
        *,
        species: Mapping[str, SpeciesInfo],
        parameters: Mapping[str, float | None],
        compartments: Mapping[str, float | None],
        rules: Mapping[str, Expr],
        initial_assignments: Mapping[str, Expr],
    ) -> None:
        self.species = dict(species)
        self.parameters = dict(parameters)
        self.compartments = dict(compartments)
        self.rules = dict(rules)
        self.initial_assignments = dict(initial_assignments)
        self._initial: dict[str, float] = {}
        self._busy: list[str] = []

    def kind(self, name: str) -> str | None:
        """``"species"``, ``"parameter"``, ``"compartment"`` or None for an unknown id."""
        for kind, table in (
            ("species", self.species),
            ("parameter", self.parameters),
            ("compartment", self.compartments),
        ):
            if name in table:
                return kind
        return None

    def dynamic_species(self) -> list[str]:
        """Species whose amounts reactions change: not boundary, not constant, no rule."""
        return [
            s.id
            for s in self.species.values()
            if not (s.boundary or s.constant or s.id in self.rules)
        ]

    # -- time 0 ---------------------------------------------------------------------------

    def initial_amount(self, species: str) -> float:
        """Amount of ``species`` at time 0 (molecules or cells; may be fractional here)."""
        info = self.species[species]
        expr = self.initial_assignments.get(species, self.rules.get(species))
        if expr is not None:
            value = float(self._initial_eval(species, expr))
            return value if info.amount_units else value * self._size0(info)
        if info.initial_amount is not None:
            return info.initial_amount
        if info.initial_concentration is not None:
            return info.initial_concentration * self._size0(info)
        raise SpecError(f"species {species!r} has no initial amount or concentration")

    def initial(self, name: str) -> float:
        """Value of the symbol ``name`` in math at time 0 (species per their units)."""
        if name not in self._initial:
            self._initial[name] = self._initial_uncached(name)
        return self._initial[name]

    def _initial_uncached(self, name: str) -> float:
        kind = self.kind(name)
        if kind is None:
            raise SpecError(f"unknown symbol {name!r}")
        if kind == "species":
            info = self.species[name]
            amount = self.initial_amount(name)
            return amount if info.amount_units else amount / self._size0(info)
        expr = self.initial_assignments.get(name, self.rules.get(name))
        if expr is not None:
            return float(self._initial_eval(name, expr))
        value = (self.parameters if kind == "parameter" else self.compartments)[name]
        if value is None:
            what = "value" if kind == "parameter" else "size"
            raise SpecError(f"{kind} {name!r} has no {what}")
        return value

    def _initial_eval(self, name: str, expr: Expr) -> Value:
        if name in self._busy:
            cycle = " -> ".join([*self._busy[self._busy.index(name) :], name])
            raise SpecError(f"the initial values of {cycle} depend on each other in a cycle")
        self._busy.append(name)
        try:
            return evaluate(expr, self.initial, 0.0)
        finally:
            self._busy.pop()

    def _size0(self, info: SpeciesInfo) -> float:
        size = self.initial(info.compartment)
        if not np.isfinite(size) or size <= 0:
            raise SpecError(
                f"compartment {info.compartment!r} has size {size!r}; species {info.id!r} "
                "needs a size > 0 to convert between amount and concentration"
            )
        return size

    # -- during a run -----------------------------------------------------------------------

    def value(
        self,
        name: str,
        amounts: Mapping[str, Value],
        time: Value,
        local: Mapping[str, float] | None = None,
    ) -> Value:
        """Value of ``name`` in math when the dynamic species have ``amounts`` at ``time``.

        Lookup order: a local parameter of the kinetic law, an assignment rule, a species (its
        amount, or amount / compartment size), a parameter or compartment (value at time 0).
        """
        if local is not None and name in local:
            return np.float64(local[name])
        if name in self.rules:
            return evaluate(self.rules[name], lambda n: self.value(n, amounts, time), time)
        if name in self.species:
            info = self.species[name]
            amount = amounts[name] if name in amounts else self.initial_amount(name)
            if info.amount_units:
                return amount
            return amount / self.value(info.compartment, amounts, time)
        if self.kind(name) is None:
            raise SpecError(f"unknown symbol {name!r}")
        return self.initial(name)

    def amount(self, name: str, amounts: Mapping[str, Value], time: Value) -> Value:
        """Amount of species ``name`` (or value of a parameter or compartment) during a run."""
        if name in amounts:
            return amounts[name]
        value = self.value(name, amounts, time)
        info = self.species.get(name)
        if info is None or info.amount_units:
            return value
        return value * self.value(info.compartment, amounts, time)
