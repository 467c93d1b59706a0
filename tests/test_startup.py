"""Every command starts with `import sympy`, the floor, and loads nothing it does not use:
the modules each one imports are listed here (benchmarks/startup.py times them)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent

# What every command needs: the spec, the graph, its evaluation and the command line.
CORE = {
    "tracer", "tracer.acyclic", "tracer.cli", "tracer.codegen", "tracer.derived",
    "tracer.circuit", "tracer.circuitspec", "tracer.safeexpr",  # a spec may be a circuit
    "tracer.errors", "tracer.escape", "tracer.evaluation", "tracer.examples", "tracer.formats",
    "tracer.functions", "tracer.grading", "tracer.graph", "tracer.memo", "tracer.names",
    "tracer.messages",  # the spec's `lang` is one of the catalogues' languages
    "tracer.network",
    "tracer.notation",
    "tracer.published",  # a spec's [published] table
    "tracer.numbers", "tracer.quantities", "tracer.randomize", "tracer.reading", "tracer.spec",
    "tracer.training",
}
RENDERING = {"tracer.renderer", "tracer.sandbox", "tracer.document", "tracer.diagram",
             "tracer.geometry", "tracer.palette",
             "tracer.files", "tracer.focus", "tracer.mathfmt", "tracer.sheets",
             "tracer.circuitdoc", "tracer.circuitfigure", "tracer.steps", "tracer.lesson",
             "tracer.comparison"}
CHECKING = {"tracer.check", "tracer.answers", "tracer.misconceptions", "tracer.safeexpr"}
# Loaded by nothing a command does: sympy's units and tensors (a `solve`, or an evaluated
# sum), and urllib through xml.sax for one escape function.
NEVER = {"sympy.physics.units", "sympy.tensor.tensor", "sympy.combinatorics", "xml.sax",
         "urllib.request"}


def loaded(code: str) -> set[str]:
    """The modules loaded after running `code` in a new interpreter."""
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    return set(json.loads(done.stdout.splitlines()[-1]))


def ours(modules: set[str]) -> set[str]:
    return {m for m in modules if m == "tracer" or m.startswith("tracer.")}


def test_importing_the_command_line_loads_the_core_only() -> None:
    modules = loaded("import tracer.cli")
    assert ours(modules) == CORE
    assert not modules & (NEVER | {"jinja2"})


def test_a_command_that_writes_no_document_needs_no_renderer() -> None:
    modules = loaded("from tracer.cli import main\nmain(['names'])\nmain(['train', '-n', '3'])")
    assert ours(modules) == CORE
    assert not modules & (NEVER | {"jinja2"})


def test_rendering_loads_the_renderer_and_not_the_checker() -> None:
    modules = loaded("from tracer.cli import main\nmain(['render', '-o', '-'])")
    assert ours(modules) == CORE | RENDERING
    assert "jinja2" in modules and not modules & NEVER


def test_checking_loads_the_checker(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.txt"
    sheet.write_text("net_h1 = 0.3775\nw5_new = 0.4\nnet_o1 = 0.4*0.59 + 0.6\n", encoding="utf-8")
    modules = loaded(f"from tracer.cli import main\nmain(['check', 'ex.toml', {str(sheet)!r}])"
                     .replace("ex.toml", str(ROOT / "examples" / "homework.toml")))
    assert ours(modules) >= CHECKING and "jinja2" not in modules
    assert not modules & NEVER
