"""Read an SBML file with libsbml into a network the engine simulates.

:func:`read_sbml` checks the document, copies what cllsim needs out of libsbml into plain
data (:mod:`~cllsim.sbml.symbols`, :mod:`~cllsim.sbml.reactions`, :mod:`~cllsim.sbml.events`)
and translates it into a :class:`cllsim.engine.Network` and its count events.  Model time
units are read as days.  Every problem is an :class:`~cllsim.errors.InputFileError` whose
one-line message starts with the file path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import libsbml
import numpy as np
from numpy.typing import NDArray

from cllsim.engine import CountEvent, Network
from cllsim.errors import InputFileError, SpecError
from cllsim.sbml.events import Event, build_events
from cllsim.sbml.mathml import from_ast
from cllsim.sbml.reactions import Reaction, build_network
from cllsim.sbml.symbols import SpeciesInfo, Symbols

__all__ = ["SbmlModel", "read_sbml"]


@dataclass(frozen=True, eq=False)
class SbmlModel:
    """An SBML model translated for the engine.

    Attributes
    ----------
    path : Path
        The file it was read from.
    id : str
        The model's id.
    network : Network or None
        One type per dynamic species (not boundary, not constant, no assignment rule); None
        when the model has no dynamic species.
    events : tuple of CountEvent
        The model's time-triggered events.
    symbols : Symbols
        Values of every species, parameter and compartment (for assignment rules and
        reporting).
    """

    path: Path
    id: str
    network: Network | None
    events: tuple[CountEvent, ...]
    symbols: Symbols

    def knows(self, name: str) -> bool:
        """True when ``name`` is a species, parameter or compartment of the model."""
        return self.symbols.kind(name) is not None

    def report(
        self,
        name: str,
        counts: Mapping[str, NDArray[np.float64]],
        times_days: NDArray[np.float64],
        *,
        n_runs: int,
        concentration: bool = False,
    ) -> NDArray[np.float64]:
        """Values of ``name`` in every run at every record time.

        Parameters
        ----------
        name : str
            A species (reported as an amount), parameter or compartment.
        counts : mapping of type name to float64[n_runs, n_times]
            The simulated amounts of the dynamic species.
        times_days : float64[n_times]
        n_runs : int
            Runs behind ``counts``.
        concentration : bool
            Report a species as amount / compartment size instead.

        Returns
        -------
        float64[n_runs, n_times]
            Dynamic species as simulated; assignment rules evaluated on each run's counts;
            boundary and constant species, parameters and compartments at their constant value.
        """
        shape = (n_runs, times_days.size)
        try:
            value = self.symbols.amount(name, counts, times_days)
            if concentration and name in self.symbols.species:
                compartment = self.symbols.species[name].compartment
                value = value / self.symbols.value(compartment, counts, times_days)
        except SpecError as err:
            raise InputFileError(f"{self.path}: {name!r}: {err}") from err
        return np.broadcast_to(np.asarray(value, dtype=np.float64), shape).copy()


def read_sbml(path: str | Path) -> SbmlModel:
    """Read the SBML model in ``path`` and translate it for the engine.

    Parameters
    ----------
    path : str or Path
        An SBML Level 2 or 3 file whose reactions are zero- or first-order in species
        amounts (see :mod:`cllsim.sbml.reactions`).

    Returns
    -------
    SbmlModel

    Raises
    ------
    InputFileError
        One line starting with ``path``: a missing or unreadable file, an SBML error, or a
        feature cllsim cannot simulate (naming the reaction, species or event).

    Examples
    --------
    >>> model = read_sbml("00001-sbml-l3v2.xml")  # doctest: +SKIP
    >>> model.network.birth[0], model.network.death[0]  # doctest: +SKIP
    (array([0.1]), array([0.11]))
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    doc = libsbml.readSBMLFromFile(str(path))
    _check_document(path, doc)
    model = doc.getModel()
    if model is None:
        raise InputFileError(f"{path}: the SBML document holds no model")
    if model.getNumFunctionDefinitions():
        props = libsbml.ConversionProperties()
        props.addOption("expandFunctionDefinitions", True)
        if doc.convert(props) != libsbml.LIBSBML_OPERATION_SUCCESS:
            raise InputFileError(f"{path}: cannot expand the model's function definitions")
        model = doc.getModel()
    try:
        symbols = _symbols(model)
        network = build_network(_reactions(model), symbols)
        events = build_events(_events(model), symbols)
    except InputFileError:
        raise
    except SpecError as err:
        raise InputFileError(f"{path}: {err}") from err
    return SbmlModel(
        path=path, id=model.getId(), network=network, events=tuple(events), symbols=symbols
    )


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _check_document(path: Path, doc: libsbml.SBMLDocument) -> None:
    for i in range(doc.getNumErrors()):
        error = doc.getError(i)
        if error.getSeverity() >= libsbml.LIBSBML_SEV_ERROR:
            line = f"line {error.getLine()}: " if error.getLine() else ""
            raise InputFileError(f"{path}: not valid SBML: {line}{_one_line(error.getMessage())}")


def _symbols(model: libsbml.Model) -> Symbols:
    if model.isSetConversionFactor():
        raise SpecError("conversion factors are not supported")
    species = {}
    for s in model.getListOfSpecies():
        if s.isSetConversionFactor():
            raise SpecError(f"species {s.getId()!r}: conversion factors are not supported")
        species[s.getId()] = SpeciesInfo(
            id=s.getId(),
            compartment=s.getCompartment(),
            amount_units=bool(s.getHasOnlySubstanceUnits()),
            boundary=bool(s.getBoundaryCondition()),
            constant=bool(s.getConstant()),
            initial_amount=s.getInitialAmount() if s.isSetInitialAmount() else None,
            initial_concentration=(
                s.getInitialConcentration() if s.isSetInitialConcentration() else None
            ),
        )
        if s.getCompartment() not in {c.getId() for c in model.getListOfCompartments()}:
            raise SpecError(
                f"species {s.getId()!r} is in unknown compartment {s.getCompartment()!r}"
            )
    rules = {}
    for rule in model.getListOfRules():
        if not rule.isAssignment():
            kind = "rate rule" if rule.isRate() else "algebraic rule"
            target = f" for {rule.getVariable()!r}" if rule.isRate() else ""
            raise SpecError(
                f"{kind}{target} is not supported; cllsim simulates reactions, with "
                "assignment rules and initial assignments"
            )
        rules[rule.getVariable()] = from_ast(
            rule.getMath(), f"assignment rule for {rule.getVariable()!r}"
        )
    return Symbols(
        species=species,
        parameters={
            p.getId(): (p.getValue() if p.isSetValue() else None)
            for p in model.getListOfParameters()
        },
        compartments={
            c.getId(): (c.getSize() if c.isSetSize() else None)
            for c in model.getListOfCompartments()
        },
        rules=rules,
        initial_assignments={
            a.getSymbol(): from_ast(a.getMath(), f"initial assignment to {a.getSymbol()!r}")
            for a in model.getListOfInitialAssignments()
        },
    )


def _references(reaction: libsbml.Reaction, refs: libsbml.ListOf) -> tuple[tuple[str, float], ...]:
    out = []
    for ref in refs:
        where = f"reaction {reaction.getId()!r}: species {ref.getSpecies()!r}"
        if ref.getLevel() < 3 and ref.isSetStoichiometryMath():
            raise SpecError(f"{where}: stoichiometryMath is not supported")
        if ref.getLevel() >= 3 and not ref.isSetStoichiometry():
            raise SpecError(f"{where}: stoichiometry is not set")
        out.append((ref.getSpecies(), float(ref.getStoichiometry())))
    return tuple(out)


def _reactions(model: libsbml.Model) -> list[Reaction]:
    out = []
    for r in model.getListOfReactions():
        law = r.getKineticLaw()
        local: dict[str, float] = {}
        if law is not None:
            if r.getLevel() >= 3:
                params = [law.getLocalParameter(i) for i in range(law.getNumLocalParameters())]
            else:
                params = [law.getParameter(i) for i in range(law.getNumParameters())]
            local = {p.getId(): p.getValue() for p in params}
        out.append(
            Reaction(
                id=r.getId(),
                reactants=_references(r, r.getListOfReactants()),
                products=_references(r, r.getListOfProducts()),
                law=(
                    from_ast(law.getMath(), f"reaction {r.getId()!r}: rate law")
                    if law is not None
                    else None
                ),
                local=local,
                reversible=bool(r.getReversible()),
                fast=bool(r.isSetFast() and r.getFast()),
            )
        )
    return out


def _events(model: libsbml.Model) -> list[Event]:
    out = []
    for e in model.getListOfEvents():
        where = f"event {e.getId()!r}"
        trigger = e.getTrigger()
        math = trigger.getMath() if trigger is not None else None
        out.append(
            Event(
                id=e.getId(),
                trigger=from_ast(math, f"{where}: trigger"),
                initial_value=bool(
                    trigger.getInitialValue()
                    if trigger is not None and trigger.isSetInitialValue()
                    else True
                ),
                has_delay=bool(e.isSetDelay()),
                assignments=tuple(
                    (a.getVariable(), from_ast(a.getMath(), f"{where}: assignment"))
                    for a in e.getListOfEventAssignments()
                ),
            )
        )
    return out
