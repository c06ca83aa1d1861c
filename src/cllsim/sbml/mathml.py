"""SBML MathML as a small expression tree, and its evaluation.

libsbml's ``ASTNode`` is converted once into plain frozen dataclasses (:class:`Num`,
:class:`Name`, :class:`Time`, :class:`Apply`), so nothing downstream holds libsbml objects.
Evaluation works on floats and on numpy arrays alike (element-wise), which lets an assignment
rule such as ``y = 2 * X`` be evaluated on every run's recorded counts at once.

Supported: numbers, names, the ``time`` and ``avogadro`` csymbols, ``pi`` and ``e``, ``+ - * /``,
power (``^`` and ``pow``), unary minus, ``exp``, ``ln``, ``log`` (base 10 or a given base),
``root``/``sqrt``, ``abs``, ``floor``, ``ceiling``, and the relations ``< <= > >=`` (only as
event triggers; :func:`evaluate` rejects them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import libsbml
import numpy as np
from numpy.typing import NDArray

from cllsim.errors import SpecError

__all__ = ["Apply", "Expr", "Name", "Num", "Time", "evaluate", "from_ast", "names_in"]

Value = float | NDArray[np.float64]


@dataclass(frozen=True)
class Num:
    """A number."""

    value: float


@dataclass(frozen=True)
class Name:
    """A reference to a species, parameter, compartment or local parameter by its id."""

    id: str


@dataclass(frozen=True)
class Time:
    """The ``time`` csymbol (model time, read as days)."""


@dataclass(frozen=True)
class Apply:
    """An operator (``plus``, ``minus``, ``neg``, ``times``, ``divide``, ``power``, ``exp``,
    ``ln``, ``log``, ``root``, ``abs``, ``floor``, ``ceiling``, ``geq``, ``gt``, ``leq``,
    ``lt``) applied to its arguments."""

    op: str
    args: tuple[Expr, ...]


Expr = Num | Name | Time | Apply

_OPS = {
    libsbml.AST_PLUS: "plus",
    libsbml.AST_MINUS: "minus",
    libsbml.AST_TIMES: "times",
    libsbml.AST_DIVIDE: "divide",
    libsbml.AST_POWER: "power",
    libsbml.AST_FUNCTION_POWER: "power",
    libsbml.AST_FUNCTION_EXP: "exp",
    libsbml.AST_FUNCTION_LN: "ln",
    libsbml.AST_FUNCTION_LOG: "log",
    libsbml.AST_FUNCTION_ROOT: "root",
    libsbml.AST_FUNCTION_ABS: "abs",
    libsbml.AST_FUNCTION_FLOOR: "floor",
    libsbml.AST_FUNCTION_CEILING: "ceiling",
    libsbml.AST_RELATIONAL_GEQ: "geq",
    libsbml.AST_RELATIONAL_GT: "gt",
    libsbml.AST_RELATIONAL_LEQ: "leq",
    libsbml.AST_RELATIONAL_LT: "lt",
}
_NUMBERS = (libsbml.AST_INTEGER, libsbml.AST_REAL, libsbml.AST_REAL_E, libsbml.AST_RATIONAL)
_CONSTANTS = {
    libsbml.AST_CONSTANT_PI: float(np.pi),
    libsbml.AST_CONSTANT_E: float(np.e),
    libsbml.AST_NAME_AVOGADRO: 6.02214076e23,
}
RELATIONS = ("geq", "gt", "leq", "lt")


def from_ast(node: libsbml.ASTNode | None, where: str) -> Expr:
    """Convert a libsbml ``ASTNode`` into an :data:`Expr`.

    Parameters
    ----------
    node : libsbml.ASTNode
        The math of a kinetic law, rule, assignment or trigger.
    where : str
        What the math belongs to, for messages (``"reaction 'Birth': rate law"``).

    Raises
    ------
    SpecError
        When the math is missing or uses an operator outside the supported set.
    """
    if node is None:
        raise SpecError(f"{where} has no math")
    kind = node.getType()
    if kind in _NUMBERS:
        return Num(float(node.getValue()))
    if kind in _CONSTANTS:
        return Num(_CONSTANTS[kind])
    if kind == libsbml.AST_NAME:
        return Name(str(node.getName()))
    if kind == libsbml.AST_NAME_TIME:
        return Time()
    if kind not in _OPS:
        label = node.getName() or libsbml.formulaToL3String(node)
        raise SpecError(
            f"{where} uses {label!r}, which cllsim cannot evaluate; supported are numbers, "
            "names, time, + - * / ^, pow, exp, ln, log, root, abs, floor, ceiling"
        )
    op = _OPS[kind]
    args = tuple(from_ast(node.getChild(i), where) for i in range(node.getNumChildren()))
    if op == "minus" and len(args) == 1:
        return Apply("neg", args)
    if op == "log" and len(args) == 1:
        return Apply("log", (Num(10.0), *args))
    if op == "root" and len(args) == 1:
        return Apply("root", (Num(2.0), *args))
    if op in ("plus", "times") and not args:
        return Num(0.0 if op == "plus" else 1.0)
    want = 2 if op in ("minus", "divide", "power", "log", "root", *RELATIONS) else None
    want = 1 if op in ("exp", "ln", "abs", "floor", "ceiling") else want
    if want is not None and len(args) != want:
        raise SpecError(f"{where}: {op} takes {want} argument(s), got {len(args)}")
    return Apply(op, args)


def names_in(expr: Expr) -> set[str]:
    """The ids an expression refers to."""
    if isinstance(expr, Name):
        return {expr.id}
    if isinstance(expr, Apply):
        return set().union(*(names_in(a) for a in expr.args))
    return set()


def evaluate(expr: Expr, resolve: Callable[[str], Value], time: Value) -> Value:
    """Evaluate ``expr`` with names looked up by ``resolve`` and the time csymbol = ``time``.

    Works element-wise when ``resolve`` or ``time`` give arrays.  Division by zero gives
    ``inf``/``nan`` (no warning); callers check finiteness where it matters.

    Raises
    ------
    SpecError
        For a relation (a boolean has no numeric value here).
    """
    with np.errstate(all="ignore"):
        return _eval(expr, resolve, time)


def _eval(expr: Expr, resolve: Callable[[str], Value], time: Value) -> Value:
    match expr:
        case Num(value):
            return np.float64(value)
        case Name(ident):
            return resolve(ident)
        case Time():
            return time
        case Apply(op, args):
            v = [_eval(a, resolve, time) for a in args]
            return _apply(op, v)
    raise TypeError(f"not an expression: {expr!r}")  # pragma: no cover


def _apply(op: str, v: list[Value]) -> Value:
    if op == "plus":
        out = v[0]
        for x in v[1:]:
            out = out + x
        return out
    if op == "times":
        out = v[0]
        for x in v[1:]:
            out = out * x
        return out
    if op == "minus":
        return v[0] - v[1]
    if op == "neg":
        return -v[0]
    if op == "divide":
        return np.divide(v[0], v[1])
    if op == "power":
        return np.power(np.float64(v[0]), v[1])
    if op == "exp":
        return np.exp(v[0])
    if op == "ln":
        return np.log(v[0])
    if op == "log":
        return np.log(v[1]) / np.log(v[0])
    if op == "root":
        return np.power(np.float64(v[1]), 1.0 / np.float64(v[0]))
    if op == "abs":
        return np.abs(v[0])
    if op == "floor":
        return np.floor(v[0])
    if op == "ceiling":
        return np.ceil(v[0])
    raise SpecError(
        f"a relation ({op}) has no numeric value; relations are allowed only in event triggers"
    )
