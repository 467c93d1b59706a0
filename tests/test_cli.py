"""The command line: commands, defaults, one-line errors with exit code 2, nothing written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tracer
from tracer.cli import main
from tracer.numbers import format_value
from tracer.renderer import render_files

SEED = tracer.example_text("seed")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_render_default_writes_output_seed_md(workdir: Path) -> None:
    assert main(["render"]) == 0
    text = (workdir / "output" / "seed.md").read_text(encoding="utf-8")
    files = render_files(tracer.trace(tracer.example_spec()), "md", "seed")
    assert text == files["seed.md"]
    assert sorted(p.name for p in (workdir / "output").iterdir()) == sorted(files)
    assert "![The network with its initial weights](seed.network.svg)" in text


def test_render_spec_to_named_file_infers_format(workdir: Path) -> None:
    (workdir / "net.toml").write_text(SEED, encoding="utf-8")
    assert main(["render", "net.toml", "-o", "doc.tex"]) == 0
    assert (workdir / "doc.tex").read_text(encoding="utf-8").startswith("\\documentclass")
    assert main(["render", "net.toml", "-f", "json"]) == 0
    data = json.loads((workdir / "output" / "net.json").read_text(encoding="utf-8"))
    assert data["quantities"][0] == {
        "name": "i1", "kind": "input", "value": 0.05, "formula": None, "latex": "i_{1}",
        "formula_latex": None, "depends_on": [],
    }
    by_name = {q["name"]: q for q in data["quantities"]}
    assert by_name["dE_total/dw5"]["formula"] == "delta_o1*dnet_o1/dw5"
    assert by_name["dE_total/dw5"]["depends_on"] == ["delta_o1", "dnet_o1/dw5"]


def test_render_to_stdout(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "-f", "json", "-o", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["title"].startswith("A step by step")
    assert not (workdir / "output").exists()


def test_example_names_train(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["example", "seed"]) == 0
    assert capsys.readouterr().out == SEED
    assert main(["names"]) == 0
    names = capsys.readouterr().out.split()
    assert names[:3] == ["i1", "i2", "w1"]
    assert names[-1] == "E_total_after"
    assert names == list(tracer.build_trace(tracer.example_spec()).names)
    assert main(["train", "--iterations", "10000"]) == 0
    out = capsys.readouterr().out
    assert "E_total after 10000 updates: 0.000035102" in out
    assert "out_o1_after = 0.01591362" in out


def test_train_every(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "-n", "4", "--every", "2"]) == 0
    errors = tracer.train(tracer.build_trace(tracer.example_spec()), 4).errors
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        "iteration\tE_total",
        *(f"{k}\t{format_value(errors[k], 9)}" for k in (0, 2, 4)),
    ]
    assert lines[1] == "0\t0.298371109"


def test_render_training_run(workdir: Path) -> None:
    assert main(["render", "-n", "100", "--show-steps", "1,100", "--every", "50",
                 "-o", "t.md"]) == 0
    text = (workdir / "t.md").read_text(encoding="utf-8")
    assert "## Training" in text and "## Update 1\n" in text and "## Update 100\n" in text
    run = tracer.train(tracer.build_trace(tracer.example_spec()), 100)
    assert f"| 100 | {format_value(run.errors[100], 9)} |" in text
    assert f"| 50 | {format_value(run.errors[50], 9)} |" in text
    assert "after 100 updates." in text


BAD_SPEC = SEED.replace("learning_rate = 0.5", "learning_rate = -0.5")


@pytest.mark.parametrize(
    ("args", "files", "message"),
    [
        (["render", "missing.toml"], {}, "missing.toml: file not found"),
        (["render", "bad.toml"], {"bad.toml": BAD_SPEC}, "bad.toml: learning_rate: must be"),
        (["render", "bad.toml", "-o", "x.md"], {"bad.toml": BAD_SPEC}, "bad.toml: learning_rate"),
        (["render", "-o", "nowhere/x.md"], {}, "nowhere/x.md: folder does not exist"),
        (["train", "-n", "0"], {}, "--iterations: must be at least 1"),
        (["train", "-n", "3", "--every", "-1"], {}, "--every: must be at least 0"),
        (["render", "-f", "pdfx"], {}, "invalid choice"),
        (["names", "bad.toml"], {"bad.toml": "x = "}, "bad.toml: invalid TOML"),
        (["frobnicate"], {}, "invalid choice"),
        (["render", "-n", "5", "--show-steps", "1,9"], {}, "--show-steps: '9' is not an update"),
        (["render", "--show-steps", "x"], {}, "--iterations: must be at least 1"),
        (["render", "-n", "-3"], {}, "--iterations: must be at least 1"),
    ],
)
def test_user_errors(workdir: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                     files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (workdir / name).write_text(text, encoding="utf-8")
    before = sorted(p.name for p in workdir.rglob("*"))
    assert run(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in workdir.rglob("*")) == before


def run(args: list[str]) -> int:
    """main(), with argparse's own exit turned into a return code."""
    try:
        return main(args)
    except SystemExit as exit_:
        return int(exit_.code or 0)


def test_failed_render_keeps_previous_output(workdir: Path) -> None:
    (workdir / "out.md").write_text("previous", encoding="utf-8")
    (workdir / "bad.toml").write_text(BAD_SPEC, encoding="utf-8")
    assert main(["render", "bad.toml", "-o", "out.md"]) == 2
    assert (workdir / "out.md").read_text(encoding="utf-8") == "previous"


def test_module_entry_point_has_no_traceback(workdir: Path) -> None:
    (workdir / "bad.toml").write_text("[[layers]]\nname = 3\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    done = subprocess.run([sys.executable, "-m", "tracer", "render", "bad.toml"],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("tracer: error: bad.toml: ")
    assert "Traceback" not in done.stderr
    assert not (workdir / "output").exists()
