"""The package's layout holds what the README's architecture section says: every module is
listed there, imports go one way (down the layers), no module grows past ~600 lines and no
function past ~80."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import excelkort

PACKAGE = Path(excelkort.__file__).parent
README = PACKAGE.parent / "README.md"

#: the layers, top to bottom: a module may import from its own layer and the ones above it
LAYERS = (
    {"errors", "model", "period", "numtext", "textfile", "atomic", "files", "runlock", "__init__"},
    {"numbers"},
    {"xlsx"},
    {"inputs"},
    {"scorecard", "actionplan"},
    {"steps", "report"},
    {"api"},
    {"clitext", "cli"},
)
MAX_MODULE_LINES = 620
MAX_FUNCTION_LINES = 80


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _layer(path: Path) -> int:
    rel = path.relative_to(PACKAGE)
    key = rel.parts[0] if len(rel.parts) > 1 else rel.stem
    return next(i for i, names in enumerate(LAYERS) if key in names)


def _imported(path: Path) -> list[Path]:
    """The package modules (or packages) a module imports, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    base = path.parent
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            folder = base
            for _ in range(node.level - 1):
                folder = folder.parent
            target = folder.joinpath(*(node.module or "").split(".")) if node.module else folder
            out.append(target)
    return out


def test_every_module_is_in_the_readme():
    section = README.read_text(encoding="utf-8").split("## Arkitektur", 1)[1]
    listed = set(re.findall(r"\| `([\w/]+\.py)` \|", section))
    modules = {str(p.relative_to(PACKAGE)) for p in _modules() if p.name != "__init__.py"}
    assert sorted(modules - listed) == [], "modules missing from the README's architecture section"
    assert sorted(listed - modules) == [], "the README lists modules that do not exist"


def test_imports_go_down_the_layers():
    upward = []
    for path in _modules():
        own = _layer(path)
        for target in _imported(path):
            probe = target.with_suffix(".py") if target.with_suffix(".py").exists() else target / "__init__.py"
            if probe.exists() and probe.resolve() != PACKAGE / "__init__.py" and _layer(probe) > own:
                upward.append(f"{path.relative_to(PACKAGE)} → {probe.relative_to(PACKAGE)}")
    assert upward == []



def test_modules_and_functions_stay_small():
    too_long = []
    for path in _modules():
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines > MAX_MODULE_LINES:
            too_long.append(f"{path.relative_to(PACKAGE)}: {lines} lines")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES and "long because" not in (ast.get_docstring(node) or ""):
                    too_long.append(f"{path.relative_to(PACKAGE)}: {node.name}() {n} lines")
    assert too_long == []
