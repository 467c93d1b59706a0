"""The package's layering, read from its source: no import cycle (imports inside functions
and under TYPE_CHECKING count), every import goes down the layers, jinja2 and file writing
stay in the rendering layer, nothing imports the CLI, and only `names` builds or takes
apart quantity names."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import tracer

PACKAGE = Path(tracer.__file__).parent

# Lower layers first; a module may import its own layer or lower ones only.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "messages", "reading", "numbers", "escape", "acyclic", "memo", "derived",
     "functions", "palette", "geometry", "safeexpr", "quantities", "tomlout", "mathfmt",
     "randomize", "grading", "published", "formats", "notation", "mathml"),
    ("names",),  # the naming scheme
    ("circuitspec",),  # a circuit's part of a spec
    ("spec", "examples"),
    ("graph", "circuit", "network"),  # the graph, and the circuit and network that build one
    ("codegen", "evaluation", "training"),
    ("focus", "answers", "misconceptions", "check", "keys", "comparison"),  # above the graph
    ("steps", "lesson", "document", "diagram", "sheets", "report", "lms", "webpage",
     "circuitdoc", "circuitfigure"),  # view models
    ("files", "pdf", "sandbox", "renderer", "moodle", "gift", "qti"),  # rendering and files
    ("handouts", "marking", "gradescope", "showcase"),  # what a command writes, put together
    ("cli",),
    ("__init__", "__main__"),
)
RANK = {module: rank for rank, layer in enumerate(LAYERS) for module in layer}


def modules() -> list[str]:
    return sorted(path.stem for path in PACKAGE.glob("*.py"))


def tree(module: str) -> ast.Module:
    return ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))


def imports(module: str) -> set[str]:
    """Every module of the package `module` imports, wherever the import statement is."""
    found = set()
    for node in ast.walk(tree(module)):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tracer"):
            parts = (node.module or "").split(".")
            found |= {parts[1]} if len(parts) > 1 else {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("tracer.")}
    return {name for name in found if (PACKAGE / f"{name}.py").exists()} - {module}


def external(module: str) -> set[str]:
    """Top-level names of the other packages `module` imports."""
    found = set()
    for node in ast.walk(tree(module)):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_every_module_has_a_layer() -> None:
    assert set(modules()) == set(RANK), "place new modules in LAYERS"


def test_no_import_cycle() -> None:
    graph = {module: imports(module) for module in modules()}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import cycle: {' -> '.join((*path, module))}"
        if module in done:
            return
        for other in sorted(graph[module]):
            visit(other, (*path, module))
        done.add(module)

    for module in modules():
        visit(module, ())


@pytest.mark.parametrize("module", modules())
def test_imports_go_down_the_layers(module: str) -> None:
    upward = {other for other in imports(module) if RANK[other] > RANK[module]}
    assert not upward, f"{module} (layer {RANK[module]}) imports higher layers: {upward}"


def closure(module: str) -> set[str]:
    seen, stack = set(), [module]
    while stack:
        for other in imports(stack.pop()):
            if other not in seen:
                seen.add(other)
                stack.append(other)
    return seen


def test_the_renderer_never_sees_the_checker_or_the_commands() -> None:
    for module in ("renderer", "document", "sheets", "diagram"):
        assert not closure(module) & {"check", "report", "answers", "misconceptions", "keys",
                                      "handouts", "cli"}, module


def test_only_the_renderer_imports_jinja2() -> None:
    # and the sandbox it runs a user's templates in
    assert {m for m in modules() if "jinja2" in external(m)} == {"renderer", "sandbox"}


def test_only_the_files_layer_writes() -> None:
    """os, tempfile, shutil and subprocess (and with them writing and running anything) are
    in `files` (atomic writes) and `pdf` (pdflatex in a temporary folder) only."""
    writers = {m for m in modules() if external(m) & {"os", "tempfile", "shutil", "subprocess"}}
    assert writers == {"files", "pdf"}
    for module in set(modules()) - writers:
        source = (PACKAGE / f"{module}.py").read_text(encoding="utf-8")
        if module == "reading":  # opens the user's files, to read them only
            source = source.replace('open(path, "rb")', "")
        assert not re.search(r"\.write_(text|bytes)\(|\bopen\(", source), module


def test_nothing_imports_the_command_line() -> None:
    assert [m for m in modules() if "cli" in imports(m)] == ["__main__"]


def test_no_function_shadows_a_module() -> None:
    """`tracer.trace` is a function: a module of that name would be hidden by it."""
    assert not set(tracer.__all__) & set(modules())


# -- names ---------------------------------------------------------------------------------

# Fragments of quantity names: a string holding one builds or takes apart a name.
NAME_FRAGMENT = re.compile(r"@|_new\b|_after\b|/d|\bdE|^(net|out|delta|target|E|w|b|d)_?$|"
                           r"^E_total$|^eta$|\b(net|out|delta|target)_")


def strings(module: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every string in the module's code: docstrings are prose and format
    specs (`{k:03d}`) are not text, so both are skipped."""
    parsed = tree(module)
    skipped = set()
    for node in ast.walk(parsed):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
                      ) and body and isinstance(body[0], ast.Expr) and isinstance(
                body[0].value, ast.Constant):
            skipped.add(id(body[0].value))
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            skipped |= {id(part) for part in ast.walk(node.format_spec)}
    for node in ast.walk(parsed):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                id(node) not in skipped):
            yield node.lineno, node.value


# Strings that look like name fragments and are not: (module, text).
NOT_NAMES = {
    ("escape", "@"),  # a spreadsheet formula starts with @
    ("functions", "w"), ("functions", "b"),  # generic sympy symbols of net = w·x + b
    ("derived", "w"),
    # roles, the `kind` of each quantity in JSON
    ("quantities", "target"), ("quantities", "net"), ("quantities", "out"),
    ("quantities", "delta"),
    ("training", "d"),  # array's type code for doubles
    ("check", "d"),  # the same, for the variants' values
    # Greek letters spelled out (η, δ, ∂): the notation, read into names by `names`
    ("notation", "eta"), ("notation", "delta"), ("notation", "d"),
    ("geometry", "eta"), ("geometry", "delta"),  # LaTeX commands a figure sets as δ, η
    ("gradescope", "w"), ("qti", "w"),  # zipfile's mode
    ("moodle", "@@PLUGINFILE@@"),  # Moodle's marker for a question's own file
}


@pytest.mark.parametrize("module", [m for m in modules() if m != "names"])
def test_only_names_builds_or_parses_names(module: str) -> None:
    found = [(line, text) for line, text in strings(module)
             if NAME_FRAGMENT.search(text) and (module, text) not in NOT_NAMES]
    assert not found, f"{module} handles name strings (use fields, or tracer.names): {found}"


def test_the_fragment_pattern_catches_the_old_ways() -> None:
    """The check above must fail on what modules used to do."""
    for text in ("@", "_new", "dE_total/", "/d", "delta_", "w", "net_", "E_total", "eta",
                 "target_", "_after"):
        assert NAME_FRAGMENT.search(text), text
