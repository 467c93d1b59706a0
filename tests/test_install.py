"""A non-editable install of the wheel renders from another folder (templates ship inside)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)],
        check=True, capture_output=True, text=True,
    )
    (found,) = out.glob("tracer-*.whl")
    return found


def test_wheel_contains_templates_and_examples(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "tracer/templates/worked.md.j2" in names
    assert "tracer/templates/worked.tex.j2" in names
    assert "tracer/examples/seed.toml" in names


def test_installed_wheel_renders_from_another_folder(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    # System site-packages provide sympy and jinja2 without a download; the venv's own
    # copy of tracer comes first on sys.path.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                   check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
                   check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run([str(python), "-c", "import tracer; print(tracer.__file__)"],
                           cwd=elsewhere, check=True, capture_output=True, text=True).stdout
    assert where.startswith(str(venv))
    subprocess.run([str(venv / "bin" / "tracer"), "render", "-f", "md", "-o", "-"],
                   cwd=elsewhere, check=True, capture_output=True)
    done = subprocess.run([str(venv / "bin" / "tracer"), "render", "-o", "-"], cwd=elsewhere,
                          check=True, capture_output=True, text=True)
    assert done.stdout == (GOLDEN / "seed.md").read_text(encoding="utf-8")
    subprocess.run([str(venv / "bin" / "tracer"), "render", "-f", "tex", "-o", "seed.tex"],
                   cwd=elsewhere, check=True, capture_output=True)
    assert (elsewhere / "seed.tex").read_text(encoding="utf-8") == (
        GOLDEN / "seed.tex").read_text(encoding="utf-8")
