"""SBML reactions -> the engine's linear branching process (:class:`cllsim.engine.Network`).

Each kinetic law is classified by evaluating it at several species amounts:

* **zero order**: the rate does not depend on any dynamic species; it is ``a`` events per
  day (model time units are read as days);
* **first order in X**: ``rate(X) = c * X`` in the amount of X, checked at X = 0, 1, 2, 3 and
  10 with every other species held, and ``c >= 0`` per day.

Boundary and constant species are dropped from both sides (they never change); then the net
change of one event decides what the reaction is:

==========================  =============================  ===============================
zero order, rate ``a``      change ``+k X``                inflow[X] += a, inflow_size = k
first order, rate ``c X``   ``-X``                         death[X] += c
first order, rate ``c X``   ``+X``                         birth[X] += c
first order, rate ``c X``   ``-X +Y``                      move edge (X, Y), rate c
first order, rate ``c X``   ``+Y`` (X not consumed)        spawn edge (X, Y), rate c
==========================  =============================  ===============================

Anything else is refused with one line naming the reaction and the reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from cllsim.engine import Network
from cllsim.errors import SpecError
from cllsim.sbml.mathml import Expr, evaluate
from cllsim.sbml.symbols import Symbols, whole_amount

__all__ = ["Reaction", "build_network"]

_ONLY = "cllsim simulates zero- and first-order reactions only"
_PROBES = (0.0, 1.0, 2.0, 3.0, 10.0)
_TIMES = (0.0, 1.0, 17.3)
_ORDINALS = {2: "second", 3: "third", 4: "fourth"}


@dataclass(frozen=True)
class Reaction:
    """One SBML reaction as plain data.

    Attributes
    ----------
    id : str
    reactants, products : tuple of (species id, stoichiometry)
    law : Expr or None
        The kinetic law (None when the reaction has none).
    local : mapping of local parameter id to value
    reversible, fast : bool
    """

    id: str
    reactants: tuple[tuple[str, float], ...]
    products: tuple[tuple[str, float], ...]
    law: Expr | None
    local: Mapping[str, float] = field(default_factory=dict)
    reversible: bool = False
    fast: bool = False


@dataclass
class _Rates:
    """Accumulates the network's rates while reactions are translated."""

    types: list[str]
    birth: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    death: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    inflow: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    inflow_size: dict[str, tuple[int, str]] = field(default_factory=dict)
    moves: dict[tuple[str, str], float] = field(default_factory=lambda: defaultdict(float))
    spawns: dict[tuple[str, str], float] = field(default_factory=lambda: defaultdict(float))


def build_network(reactions: Sequence[Reaction], symbols: Symbols) -> Network | None:
    """Translate ``reactions`` into a :class:`Network` over the model's dynamic species.

    Parameters
    ----------
    reactions : sequence of Reaction
    symbols : Symbols
        Values of the model's species, parameters and compartments.

    Returns
    -------
    Network or None
        Types are the dynamic species (not boundary, not constant, no assignment rule) in
        document order; None when the model has none.

    Raises
    ------
    SpecError
        One line naming the reaction (or species) and what cllsim cannot simulate.
    """
    types = symbols.dynamic_species()
    initial = [_whole_initial(s, symbols) for s in types]
    acc = _Rates(types=types)
    for reaction in reactions:
        _translate(reaction, symbols, acc)
    if not types:
        return None
    moves = list(acc.moves)
    spawns = list(acc.spawns)
    return Network(
        types=tuple(types),
        initial=np.array(initial, dtype=np.int64),
        birth=[acc.birth.get(t, 0.0) for t in types],
        death=[acc.death.get(t, 0.0) for t in types],
        moves=moves,
        move_rate=[acc.moves[e] for e in moves],
        spawns=spawns,
        spawn_rate=[acc.spawns[e] for e in spawns],
        inflow=[acc.inflow.get(t, 0.0) for t in types],
        inflow_size=[acc.inflow_size.get(t, (1, ""))[0] for t in types],
    )


def _whole_initial(species: str, symbols: Symbols) -> int:
    amount = symbols.initial_amount(species)
    whole = whole_amount(amount)
    if whole is None:
        raise SpecError(
            f"species {species!r}: initial amount must be a whole number >= 0 "
            f"(molecules or cells), got {amount!r}"
        )
    return whole


def _translate(reaction: Reaction, symbols: Symbols, acc: _Rates) -> None:
    where = f"reaction {reaction.id!r}"
    if reaction.reversible:
        raise SpecError(
            f"{where}: reversible reactions are not supported; "
            "write the forward and backward directions as two irreversible reactions"
        )
    if reaction.fast:
        raise SpecError(f"{where}: fast reactions are not supported")
    if reaction.law is None:
        raise SpecError(f"{where} has no kinetic law")
    dynamic = set(acc.types)
    consumed = _side(where, "reactant", reaction.reactants, symbols, dynamic)
    produced = _side(where, "product", reaction.products, symbols, dynamic)
    order, source, rate = _kinetics(reaction, symbols, acc.types)
    for species, k in consumed.items():
        if k > 1:
            raise SpecError(
                f"{where}: reactant {species!r} has stoichiometry {k}; {_ONLY} "
                "(each reactant consumed once)"
            )
    if len(consumed) > 1:
        raise SpecError(f"{where} consumes more than one species ({', '.join(consumed)}); {_ONLY}")
    delta: dict[str, int] = defaultdict(int)
    for species, k in consumed.items():
        delta[species] -= k
    for species, k in produced.items():
        delta[species] += k
    delta = {s: k for s, k in delta.items() if k != 0}
    reactant = next(iter(consumed), None)
    if order == 0:
        if reactant is not None:
            raise SpecError(
                f"{where} consumes {reactant!r} at a rate that does not depend on "
                f"{reactant!r} (rate law is zero order); {_ONLY}, first order in the reactant"
            )
        _zero_order(where, delta, rate, acc)
        return
    if reactant is not None and reactant != source:
        raise SpecError(
            f"{where}: rate law depends on {source!r}, not on its reactant {reactant!r}; {_ONLY}"
        )
    _first_order(where, source, delta, rate, acc)


def _side(
    where: str,
    role: str,
    refs: Sequence[tuple[str, float]],
    symbols: Symbols,
    dynamic: set[str],
) -> dict[str, int]:
    """Whole stoichiometries of the dynamic species on one side of a reaction."""
    out: dict[str, int] = defaultdict(int)
    for species, stoich in refs:
        info = symbols.species.get(species)
        if info is None:
            raise SpecError(f"{where}: {role} {species!r} is not a species of the model")
        if not np.isfinite(stoich) or stoich < 0 or stoich != round(stoich):
            raise SpecError(
                f"{where}: {role} {species!r} has stoichiometry {stoich!r}; "
                "cllsim needs whole numbers >= 0 (molecules or cells per event)"
            )
        if species in dynamic:
            out[species] += round(stoich)
        elif not (info.boundary or info.constant):
            raise SpecError(
                f"{where}: {role} {species!r} is set by an assignment rule and cannot also "
                "be changed by a reaction"
            )
    return {s: k for s, k in out.items() if k > 0}


def _kinetics(reaction: Reaction, symbols: Symbols, types: list[str]) -> tuple[int, str, float]:
    """Return (0, "", a) for a zero-order law, (1, X, c) for ``c * X``; raise otherwise."""
    where = f"reaction {reaction.id!r}"

    def rate(amounts: Mapping[str, float], time: float = 0.0) -> float:
        try:
            value = evaluate(
                reaction.law,  # type: ignore[arg-type]
                lambda n: symbols.value(n, amounts, time, reaction.local),
                time,
            )
        except SpecError as err:
            raise SpecError(f"{where}: rate law: {err}") from err
        return float(value)

    base = dict.fromkeys(types, 1.0)
    ref = rate(base)
    if any(not _same(rate(base, t), ref) for t in _TIMES):
        raise SpecError(f"{where}: rate law depends on time; {_ONLY}, with rates constant in time")
    depends = [s for s in types if any(not _same(rate({**base, s: x}), ref) for x in _PROBES)]
    if len(depends) > 1:
        raise SpecError(
            f"{where}: rate law depends on more than one species ({', '.join(depends)}); {_ONLY}"
        )
    if not depends:
        if not np.isfinite(ref) or ref < 0:
            raise SpecError(f"{where}: rate must be a finite number >= 0 per day, got {ref!r}")
        return 0, "", ref
    x = depends[0]
    values = [rate({**base, x: v}) for v in _PROBES]
    c = values[1]
    if not all(np.isfinite(values)) or not all(
        _same(v, c * p) for v, p in zip(values, _PROBES, strict=True)
    ):
        raise SpecError(f"{where}: rate law is {_describe(x, values)} in {x}; {_ONLY}")
    if c < 0:
        raise SpecError(
            f"{where}: rate law is negative: {c!r} * {x} per day; a rate constant must be >= 0"
        )
    return 1, x, c


def _describe(x: str, values: list[float]) -> str:
    """How a non-proportional rate law depends on ``x`` (values at ``_PROBES``)."""
    r0, r1, r2 = values[0], values[1], values[2]
    if np.isfinite(r1) and np.isfinite(r2) and r1 > 0 and r2 > 0 and _same(r0, 0.0):
        power = float(np.log2(r2 / r1))
        n = round(power)
        if n >= 2 and abs(power - n) < 1e-9:
            return f"{_ORDINALS.get(n, f'order-{n}')} order"
    if np.isfinite(r0) and not _same(r0, 0.0):
        return f"not proportional to {x} (rate {r0!r} at {x} = 0)"
    return "not first order"


def _same(a: float, b: float) -> bool:
    return bool(np.isclose(a, b, rtol=1e-9, atol=1e-12) or (np.isnan(a) and np.isnan(b)))


def _zero_order(where: str, delta: dict[str, int], rate: float, acc: _Rates) -> None:
    if not delta:
        return
    if len(delta) > 1 or next(iter(delta.values())) < 0:
        change = ", ".join(f"{k:+d} {s}" for s, k in delta.items())
        raise SpecError(
            f"{where}: a zero-order reaction must add whole numbers of one species; it changes "
            f"{change}"
        )
    ((species, k),) = delta.items()
    if species in acc.inflow_size and acc.inflow_size[species][0] != k:
        other = acc.inflow_size[species][1]
        raise SpecError(
            f"{where} adds {k} {species!r} per event but {other} adds "
            f"{acc.inflow_size[species][0]}; cllsim allows one inflow size per species"
        )
    acc.inflow_size.setdefault(species, (k, where))
    acc.inflow[species] += rate


def _first_order(where: str, x: str, delta: dict[str, int], c: float, acc: _Rates) -> None:
    if not delta:
        return
    others = {s: k for s, k in delta.items() if s != x}
    own = delta.get(x, 0)
    if not others and own == -1:
        acc.death[x] += c
    elif not others and own == 1:
        acc.birth[x] += c
    elif len(others) == 1 and next(iter(others.values())) == 1 and own in (-1, 0):
        (y,) = others
        (acc.moves if own == -1 else acc.spawns)[(x, y)] += c
    else:
        change = ", ".join(f"{k:+d} {s}" for s, k in delta.items())
        raise SpecError(
            f"{where}: each event changes {change}; a reaction first order in {x!r} may only "
            f"remove one {x} (death), add one {x} (birth), turn one {x} into one other species "
            f"(move) or add one other species (spawn); {_ONLY}"
        )
