"""Tests of cllsim.sbml.reactions and .events: what cllsim refuses, and how it says so.

Every refusal is one line that starts with the file path and names the reaction (or event or
species) and the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sbml_helpers import reaction, times

from cllsim.errors import InputFileError
from cllsim.sbml import read_sbml

ONLY = "cllsim simulates zero- and first-order reactions only"
TWO_SPECIES = "".join(
    f'<species id="{s}" compartment="C" initialAmount="10" hasOnlySubstanceUnits="true" '
    'boundaryCondition="false" constant="false"/>'
    for s in ("X", "Y")
)
MATH = '<math xmlns="http://www.w3.org/1998/Math/MathML">{}</math>'


def refused(path: Path, message: str) -> str:
    with pytest.raises(InputFileError, match=message) as info:
        read_sbml(path)
    text = str(info.value)
    assert text.startswith(f"{path}: ")
    assert "\n" not in text
    return text


def test_second_order_reaction(write_model: Callable[..., Path]) -> None:
    species = (
        '<species id="P" compartment="C" initialAmount="10" hasOnlySubstanceUnits="true" '
        'boundaryCondition="false" constant="false"/>'
        '<species id="P2" compartment="C" initialAmount="0" hasOnlySubstanceUnits="true" '
        'boundaryCondition="false" constant="false"/>'
    )
    path = write_model(reaction("Dimerisation", "P:2", "P2", times("k", "P", "P")), species=species)
    text = refused(path, "reaction 'Dimerisation': rate law is second order in P")
    assert text.endswith(ONLY)


def test_negative_rate_constant(write_model: Callable[..., Path]) -> None:
    path = write_model(
        reaction("Death", "X", "", times("k", "X")),
        parameters='<parameter id="k" value="-0.1" constant="true"/>',
    )
    refused(path, r"reaction 'Death': rate law is negative: -0.1 \* X per day")


def test_negative_zero_order_rate(write_model: Callable[..., Path]) -> None:
    path = write_model(reaction("In", "", "X", "<cn>-2</cn>"))
    refused(path, r"reaction 'In': rate must be a finite number >= 0 per day, got -2.0")


def test_one_x_into_two_y(write_model: Callable[..., Path]) -> None:
    path = write_model(reaction("Split", "X", "Y:2", times("k", "X")), species=TWO_SPECIES)
    refused(path, r"reaction 'Split': each event changes -1 X, \+2 Y; a reaction first order")


@pytest.mark.parametrize(
    ("reactants", "products", "message"),
    [
        ("Q", "", r"reaction 'R': reactant 'Q' is not a species of the model"),
        ("X", "Q", r"reaction 'R': product 'Q' is not a species of the model"),
    ],
)
def test_unknown_species(
    write_model: Callable[..., Path], reactants: str, products: str, message: str
) -> None:
    refused(write_model(reaction("R", reactants, products, times("k", "X"))), message)


def test_unknown_symbol_in_rate_law(write_model: Callable[..., Path]) -> None:
    path = write_model(reaction("R", "X", "", times("kk", "X")))
    refused(path, r"reaction 'R': rate law: unknown symbol 'kk'")


@pytest.mark.parametrize(
    ("reactions", "message"),
    [
        (
            reaction("R", "X:1.5", "", times("k", "X")),
            r"reaction 'R': reactant 'X' has stoichiometry 1.5; cllsim needs whole numbers",
        ),
        (
            reaction("R", "X Y", "", times("k", "X")),
            r"reaction 'R' consumes more than one species \(X, Y\)",
        ),
        (
            reaction("R", "X", "", times("k", "X", "Y")),
            r"reaction 'R': rate law depends on more than one species \(X, Y\)",
        ),
        (
            reaction("R", "X", "", times("k", "Y")),
            r"reaction 'R': rate law depends on 'Y', not on its reactant 'X'",
        ),
        (
            reaction("R", "X", "", "<ci>k</ci>"),
            r"reaction 'R' consumes 'X' at a rate that does not depend on 'X'",
        ),
        (
            reaction("R", "X", "", "<apply><plus/><ci>k</ci><ci>X</ci></apply>"),
            r"reaction 'R': rate law is not proportional to X \(rate 0.1 at X = 0\)",
        ),
        (
            reaction(
                "R",
                "",
                "X",
                "<apply><times/><ci>k</ci><csymbol encoding='text' "
                "definitionURL='http://www.sbml.org/sbml/symbols/time'>t</csymbol></apply>",
            ),
            r"reaction 'R': rate law depends on time",
        ),
        (
            reaction("A", "", "X:2", "<ci>k</ci>") + reaction("B", "", "X:3", "<ci>k</ci>"),
            r"reaction 'B' adds 3 'X' per event but reaction 'A' adds 2",
        ),
        (
            reaction("R", "X", "X:3", times("k", "X")),
            r"reaction 'R': each event changes \+2 X",
        ),
    ],
)
def test_unsupported_reactions(
    write_model: Callable[..., Path], reactions: str, message: str
) -> None:
    refused(write_model(reactions, species=TWO_SPECIES), message)


def test_reversible_reaction(write_model: Callable[..., Path]) -> None:
    text = reaction("R", "X", "", times("k", "X")).replace(
        'reversible="false"', 'reversible="true"'
    )
    refused(write_model(text), r"reaction 'R': reversible reactions are not supported")


def test_fractional_initial_amount(write_model: Callable[..., Path]) -> None:
    species = (
        '<species id="X" compartment="C" initialConcentration="3" hasOnlySubstanceUnits="false" '
        'boundaryCondition="false" constant="false"/>'
    )
    path = write_model(
        reaction("D", "X", "", times("k", "X")), species=species, compartment_size="0.5"
    )
    refused(path, r"species 'X': initial amount must be a whole number >= 0 .*got 1.5")


def test_rate_rule(write_model: Callable[..., Path]) -> None:
    extra = (
        f'<listOfRules><rateRule variable="k">{MATH.format("<cn>1</cn>")}</rateRule></listOfRules>'
    )
    params = '<parameter id="k" value="0.1" constant="false"/>'
    path = write_model(reaction("D", "X", "", times("k", "X")), parameters=params, extra=extra)
    refused(path, r"rate rule for 'k' is not supported")


def event(trigger: str, variable: str = "X", value: str = "<cn>5</cn>", delay: str = "") -> str:
    return (
        '<listOfEvents><event id="E" useValuesFromTriggerTime="true">'
        '<trigger initialValue="false" persistent="true">'
        f"{MATH.format(trigger)}</trigger>{delay}"
        f'<listOfEventAssignments><eventAssignment variable="{variable}">'
        f"{MATH.format(value)}</eventAssignment></listOfEventAssignments></event></listOfEvents>"
    )


TIME = "<csymbol encoding='text' definitionURL='http://www.sbml.org/sbml/symbols/time'>t</csymbol>"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (event("<apply><gt/><ci>X</ci><cn>5</cn></apply>"), "only triggers of the form"),
        (event(f"<apply><geq/>{TIME}<cn>5</cn></apply>", variable="k"), "assigns parameter 'k'"),
        (event(f"<apply><geq/>{TIME}<cn>5</cn></apply>", value="<ci>X</ci>"), "depends on"),
        (event(f"<apply><geq/>{TIME}<cn>5</cn></apply>", value="<cn>2.5</cn>"), "whole number"),
        (
            event(
                f"<apply><geq/>{TIME}<cn>5</cn></apply>",
                delay=f"<delay>{MATH.format('<cn>1</cn>')}</delay>",
            ),
            "delayed events are not supported",
        ),
    ],
)
def test_unsupported_events(write_model: Callable[..., Path], extra: str, message: str) -> None:
    path = write_model(reaction("D", "X", "", times("k", "X")), extra=extra)
    refused(path, rf"event 'E'.*{message}")


def test_event_time_from_parameter_and_reversed_relation(
    write_model: Callable[..., Path],
) -> None:
    """'T <= t' with parameter T = 7 fires at day 7."""
    params = (
        '<parameter id="k" value="0.1" constant="true"/>'
        '<parameter id="T" value="7" constant="true"/>'
    )
    extra = event(f"<apply><leq/><ci>T</ci>{TIME}</apply>", value="<cn>3</cn>")
    model = read_sbml(
        write_model(reaction("D", "X", "", times("k", "X")), parameters=params, extra=extra)
    )
    (ev,) = model.events
    assert (ev.time_days, ev.type, ev.action, ev.value) == (7.0, "X", "set", 3.0)
