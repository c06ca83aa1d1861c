"""Imports go down the data flow only (STYLE §1): a stage never imports a later one."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "cllsim"

# rank of each top-level module or subpackage in the flow; a module may import only ranks
# strictly below its own (or its own package).  Base modules rank 0.
RANK = {
    "errors": 0,
    "units": 0,
    "seeding": 0,
    "outputs": 0,
    "model": 1,
    "pkpd": 2,
    "engine": 3,
    "sbml": 4,
    "clinic": 5,
    "trials": 6,
    "navigate": 6,
    "calibrate": 7,
    "report": 7,
    "runs": 8,
    "navigator_runs": 8,
    "trial_runs": 8,
    "demo": 9,
    "cli": 9,
    "__init__": 0,
}
MODEL_MAY_IMPORT = {"errors", "units"}


def _part(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _imported_parts(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            if name == "cllsim":
                found.add("__init__")
            elif name.startswith("cllsim."):
                found.add(name.split(".")[1])
    return found


MODULES = sorted(p for p in SRC.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_follow_the_flow(path):
    part = _part(path)
    assert part in RANK, f"{part} has no place in the flow; add it to RANK"
    for other in _imported_parts(path) - {part}:
        assert other in RANK, f"{path.name} imports unknown part {other}"
        assert RANK[other] < RANK[part] or other == "__init__", (
            f"{path.relative_to(SRC)} ({part}) imports cllsim.{other}, a later stage"
        )
        if part == "model":
            assert other in MODEL_MAY_IMPORT


def test_init_files_only_reexport():
    """``__init__.py`` holds imports, ``__all__`` and a docstring, no logic (STYLE §1)."""
    for init in SRC.rglob("__init__.py"):
        if init.parent == SRC:
            continue  # the top-level one also reads the installed version
        tree = ast.parse(init.read_text())
        for node in tree.body:
            ok = (
                isinstance(node, ast.Import | ast.ImportFrom)
                or (
                    isinstance(node, ast.Assign) and node.targets[0].id == "__all__"  # type: ignore[attr-defined]
                )
                or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
            )
            assert ok, f"{init.relative_to(SRC)} line {node.lineno}: only re-exports belong here"
