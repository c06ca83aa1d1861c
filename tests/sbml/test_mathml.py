"""Tests of cllsim.sbml.mathml: libsbml ASTNode -> expression -> value."""

from __future__ import annotations

import libsbml
import numpy as np
import pytest

from cllsim.errors import SpecError
from cllsim.sbml.mathml import Apply, Name, Num, Time, evaluate, from_ast, names_in


def expr(formula: str):
    node = libsbml.parseL3Formula(formula)
    assert node is not None, libsbml.getLastParseL3Error()
    return from_ast(node, "test")


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("2 * X + 3", 13.0),
        ("-X", -5.0),
        ("X / 2 / 0.5", 5.0),
        ("X ^ 2", 25.0),
        ("pow(X, 3)", 125.0),
        ("exp(ln(X))", 5.0),
        ("log10(100)", 2.0),
        ("sqrt(X - 1)", 2.0),
        ("abs(1 - X)", 4.0),
        ("floor(X / 2) + ceil(X / 2)", 5.0),
        ("k * X - k", 0.4),
        ("time * 2", 6.0),
    ],
)
def test_evaluate_arithmetic(formula: str, expected: float) -> None:
    values = {"X": 5.0, "k": 0.1}
    assert evaluate(expr(formula), values.__getitem__, 3.0) == pytest.approx(expected)


def test_evaluate_elementwise_on_arrays() -> None:
    counts = np.array([[0.0, 1.0], [2.0, 3.0]])
    out = evaluate(expr("2 * X"), {"X": counts}.__getitem__, np.array([0.0, 1.0]))
    np.testing.assert_array_equal(out, 2 * counts)


def test_tree_and_names() -> None:
    e = expr("k * X - time")
    assert isinstance(e, Apply) and e.op == "minus"
    assert names_in(e) == {"k", "X"}
    assert from_ast(libsbml.parseL3Formula("-Y"), "t") == Apply("neg", (Name("Y"),))
    assert from_ast(libsbml.parseL3Formula("4"), "t") == Num(4.0)
    trigger = libsbml.parseL3Formula("time >= 25")
    trigger.getChild(0).setType(libsbml.AST_NAME_TIME)
    assert from_ast(trigger, "t") == Apply("geq", (Time(), Num(25.0)))


def test_unsupported_function_is_named() -> None:
    with pytest.raises(SpecError, match=r"reaction 'R': rate law uses 'sin'"):
        from_ast(libsbml.parseL3Formula("sin(X)"), "reaction 'R': rate law")


def test_missing_math() -> None:
    with pytest.raises(SpecError, match="has no math"):
        from_ast(None, "reaction 'R': rate law")


def test_relation_has_no_value() -> None:
    with pytest.raises(SpecError, match="relations are allowed only in event triggers"):
        evaluate(expr("X > 1"), {"X": 2.0}.__getitem__, 0.0)
