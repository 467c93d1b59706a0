"""The catalogue of bad input: every case exits 2 with one line naming the file and the key
(or line) and the problem, prints no traceback, and creates or changes no file."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tracer
from tracer.cli import main
from tracer.errors import TracerError
from tracer.keys import parse_roster

SEED = tracer.example_text("seed")
EXERCISE = (Path(__file__).parent.parent / "examples" / "homework.toml").read_text(
    encoding="utf-8")
SOFTMAX = tracer.example_text("softmax")


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


@dataclass(frozen=True)
class Case:
    id: str
    args: list[str]
    message: str  # a piece of the one-line error
    files: dict[str, str | bytes] = field(default_factory=dict)


def _wide(width: int) -> str:
    row = "[" + ", ".join(["0.01"] * width) + "]"
    return ('loss = "half_squared_error"\nlearning_rate = 0.5\n[inputs]\n'
            + "".join(f"i{k} = 0.1\n" for k in range(1, width + 1)) + "[targets]\n"
            + "".join(f"o{k} = 0.5\n" for k in range(1, width + 1))
            + '[[layers]]\nname = "o"\nactivation = "sigmoid"\n'
            + f"weights = [{', '.join([row] * width)}]\nbias = 0.1\n")


WIDE_320 = _wide(320)


def spec_case(id: str, text: str, message: str, command: str = "render") -> Case:
    return Case(id, [command, "net.toml"], f"net.toml: {message}", {"net.toml": text})


CASES = [
    Case("missing spec", ["render", "missing.toml"], "missing.toml: file not found"),
    Case("spec is a folder", ["render", "folder"], "folder: is a directory", {"folder/x": ""}),
    Case("spec not utf-8", ["render", "net.toml"], "net.toml: cannot read file",
         {"net.toml": b"title = \"\xff\"\n"}),
    spec_case("toml syntax", edit(SEED, "learning_rate = 0.5", "learning_rate = 0.5 0.6"),
              "invalid TOML: Expected newline or end of document after a statement (at line 5"),
    spec_case("toml duplicate key", edit(SEED, "i2 = 0.10", "i1 = 0.10"), "invalid TOML"),
    spec_case("unknown key", edit(SEED, "learning_rate", "learnng_rate"),
              "learnng_rate: unknown key (did you mean 'learning_rate'?)"),
    spec_case("wrong type", edit(SEED, "learning_rate = 0.5", 'learning_rate = "0.5"'),
              "learning_rate: must be a number, got a string ('0.5')"),
    spec_case("bool as number", edit(SEED, "i1 = 0.05", "i1 = true"),
              "inputs.i1: must be a number, got a boolean (true)"),
    spec_case("weights shape", edit(SEED, "[[0.15, 0.20], [0.25, 0.30]]", "[[0.15], [0.25]]"),
              "layers[1].weights[1]: has 1 weights, expected 2"),
    spec_case("bias length", edit(SEED, "bias = 0.35", "bias = [0.35, 0.1, 0.2]"),
              "layers[1].bias: has 3 values, expected 2"),
    spec_case("target missing", edit(SEED, "o2 = 0.99", ""),
              "targets: missing a target for output neuron o2"),
    spec_case("target unknown neuron", edit(SEED, "o2 = 0.99", "o2 = 0.99\no3 = 0.5"),
              "targets.o3: is not an output neuron"),
    spec_case("no layers", "layers = []\n" + SEED.split("[[layers]]")[0],
              "layers: needs at least one entry"),
    spec_case("empty weights", edit(SEED, "[[0.15, 0.20], [0.25, 0.30]]", "[]"),
              "layers[1].weights: must be a non-empty list of rows"),
    spec_case("unknown activation", edit(SEED, 'activation = "sigmoid"', 'activation = "relU"'),
              "layers[1].activation: unknown activation 'relU' (did you mean 'relu'?)"),
    spec_case("unknown loss", edit(SEED, '"half_squared_error"', '"hinge"'),
              "loss: unknown value 'hinge'"),
    spec_case("loss does not fit", edit(SEED, '"half_squared_error"', '"cross_entropy"'),
              "loss: 'cross_entropy' does not fit output activation 'sigmoid'"),
    spec_case("softmax hidden", edit(SOFTMAX, 'activation = "tanh"', 'activation = "softmax"'),
              "layers[1].activation: softmax couples a layer's outputs: output layer only"),
    spec_case("nan", edit(SEED, "i1 = 0.05", "i1 = nan"), "inputs.i1: must be a finite number"),
    spec_case("inf", edit(SEED, "o1 = 0.01", "o1 = -inf"), "targets.o1: must be a finite number"),
    spec_case("huge", edit(SEED, "i1 = 0.05", "i1 = 1e300"), "inputs.i1: 1e+300 is too large"),
    spec_case("learning rate 0", edit(SEED, "learning_rate = 0.5", "learning_rate = 0"),
              "learning_rate: must be greater than 0, got 0"),
    spec_case("learning rate negative", edit(SEED, "learning_rate = 0.5", "learning_rate = -1"),
              "learning_rate: must be greater than 0, got -1"),
    spec_case("digits 0", edit(SEED, "learning_rate = 0.5", "learning_rate = 0.5\ndigits = 0"),
              "digits: must be between 1 and 15, got 0"),
    spec_case("digits 99", edit(SEED, "learning_rate = 0.5", "learning_rate = 0.5\ndigits = 99"),
              "digits: must be between 1 and 15, got 99"),
    spec_case("duplicate layer names", edit(SEED, 'name = "o"', 'name = "h"'),
              "layers[2].name: neuron name h1 is already used by layers[1]"),
    spec_case("input named like a weight", edit(SEED, "i1 = 0.05", "w1 = 0.05"),
              "inputs.w1: clashes with a quantity name"),
    spec_case("slope on sigmoid", edit(SEED, "bias = 0.35", "bias = 0.35\nslope = 0.2"),
              "layers[1].slope: only leaky_relu takes a slope, not sigmoid"),
    spec_case("log of an output that is exactly 0",
              edit(edit(SOFTMAX, "[[0.5, -0.6], [0.7, 0.8], [-0.9, 0.1]]",
                        "[[5000.0, -6000.0], [7000.0, 8000.0], [-9000.0, 1000.0]]"),
                   "o2 = 0.0", "o2 = 0.5"),
              "E_o2: cannot be computed: outside the function's domain (math domain error)"),
    Case("output folder missing", ["render", "-o", "nowhere/seed.md"],
         "nowhere/seed.md: folder does not exist"),
    Case("output folder is a file", ["render", "-o", "plain.txt/seed.md"],
         "plain.txt/seed.md: folder does not exist", {"plain.txt": "x"}),
    Case("train iterations 0", ["train", "-n", "0"], "--iterations: must be at least 1, got 0"),
    Case("render iterations -5", ["render", "-n", "-5"], "--iterations: must be at least 1"),
    Case("show-steps outside the run", ["render", "-n", "3", "--show-steps", "1,7"],
         "--show-steps: '7' is not an update number from 1 to 3"),
    Case("every negative", ["train", "-n", "3", "--every", "-2"], "--every: must be at least 0"),
    Case("broken template", ["render", "--templates", "mine"],
         "mine/worked.md.j2:2: template error: Expected an expression",
         {"mine/worked.md.j2": "title\n{% if %}\n"}),
    Case("template runtime error", ["render", "--templates", "mine"],
         "mine/worked.md.j2:2: template error: ZeroDivisionError: division by zero",
         {"mine/worked.md.j2": "title\n{{ 1/0 }}\n"}),
    Case("template making ten billion characters", ["render", "--templates", "mine"],
         "mine/worked.md.j2:2: template budget: '*' would make more than 50000000 characters",
         {"mine/worked.md.j2": "title\n{{ 'a' * 10**10 }}\n"}),
    Case("template folder missing", ["render", "--templates", "none"],
         "none: --templates: is not a folder of templates"),
    Case("unknown focus name", ["render", "--focus", "w5,w99"],
         "--focus: unknown name 'w99'"),
    Case("unknown command", ["frobnicate"], "invalid choice: 'frobnicate'"),
    Case("unknown example", ["example", "mnist"], "invalid choice: 'mnist'"),
    Case("unknown format", ["render", "-f", "docx"], "invalid choice: 'docx'"),
    Case("variants 0", ["keys", "ex.toml", "--variants", "0", "--seed", "1", "-o", "out"],
         "--variants: must be from 1", {"ex.toml": EXERCISE}),
    Case("roster duplicate ids", ["keys", "ex.toml", "--roster", "r.csv", "--seed", "1", "-o",
                                  "out"], "r.csv: line 3: duplicate id 's1'",
         {"ex.toml": EXERCISE, "r.csv": "id,name\ns1,A\ns1,B\n"}),
    Case("roster empty", ["keys", "ex.toml", "--roster", "r.csv", "--seed", "1", "-o", "out"],
         "r.csv: empty roster", {"ex.toml": EXERCISE, "r.csv": ""}),
    Case("roster without id column", ["keys", "ex.toml", "--roster", "r.csv", "--seed", "1",
                                      "-o", "out"], "r.csv: line 1: the header has no id column",
         {"ex.toml": EXERCISE, "r.csv": "name\nAda\n"}),
    Case("randomize low > high", ["keys", "ex.toml", "--variants", "2", "--seed", "1", "-o",
                                  "out"], "ex.toml: randomize.inputs: low (1) is greater",
         {"ex.toml": edit(EXERCISE, "low = 0.0, high = 1.0", "low = 1.0, high = 0.0")}),
    Case("randomize unknown key", ["keys", "ex.toml", "--variants", "2", "--seed", "1", "-o",
                                   "out"], "ex.toml: randomize.weight: unknown key (did you mean",
         {"ex.toml": edit(EXERCISE, "weights = { low", "weight = { low")}),
    Case("exercise without randomize", ["keys", "net.toml", "--variants", "2", "--seed", "1",
                                        "-o", "out"], "net.toml: has no [randomize] table",
         {"net.toml": SEED}),
    Case("check missing sheet", ["check", "net.toml", "none.txt"], "none.txt: file not found",
         {"net.toml": SEED}),
    Case("check sheet not utf-8", ["check", "net.toml", "s.txt"],
         "s.txt: cannot read file (not UTF-8 text: byte 10)",
         {"net.toml": SEED, "s.txt": b"net_h1 = \xff\n"}),
    Case("check sig-figs 0", ["check", "net.toml", "s.txt", "--sig-figs", "0"],
         "--sig-figs: must be from 1 to 15", {"net.toml": SEED, "s.txt": "net_h1 = 1\n"}),
    Case("check negative rtol", ["check", "net.toml", "s.txt", "--rtol", "-1"],
         "--rtol: must be a number of at least 0", {"net.toml": SEED, "s.txt": "net_h1 = 1\n"}),
    Case("check empty folder", ["check", "net.toml", "sheets"],
         "sheets: no *.txt answer sheets in the folder", {"net.toml": SEED, "sheets/a.md": ""}),
    Case("check bad manifest", ["check", "net.toml", "sheets", "--manifest", "m.json"],
         "m.json: not a manifest written by tracer keys",
         {"net.toml": SEED, "sheets/a.txt": "net_h1 = 1\n", "m.json": "{\"variants\": 3}"}),
    # Numbers and nesting TOML allows but Python cannot take as given.
    spec_case("integer beyond floats", edit(SEED, "i1 = 0.05", "i1 = 1" + "0" * 400),
              "inputs.i1: an integer of about 401 digits is too large"),
    spec_case("hexadecimal integer of 5,000 digits",
              edit(SEED, "i1 = 0.05", "i1 = 0x" + "f" * 5000),
              "inputs.i1: an integer of about 6,021 digits is too large"),
    spec_case("integer beyond 4,300 digits", edit(SEED, "i1 = 0.05", "i1 = 1" + "0" * 5000),
              "invalid TOML: an integer of more than 4,300 digits"),
    spec_case("arrays nested 2,000 deep", edit(SEED, "i2 = 0.10",
                                               "i2 = 0.10\nx = " + "[" * 2000 + "]" * 2000),
              "invalid TOML: arrays or tables nested too deeply"),
    spec_case("digits of 300 digits", edit(SEED, "learning_rate", "digits = 1" + "0" * 300
                                           + "\nlearning_rate"),
              "digits: must be between 1 and 15, got an integer of about 301 digits"),
    spec_case("escape sequence in a key", edit(SEED, "learning_rate = 0.5",
                                                'learning_rate = 0.5\n"lr\\u001b[2J" = 1'),
              "lr\\x1b[2J: unknown key"),
    spec_case("trace beyond the limit", WIDE_320,
              "layers: the trace would hold about 514,895 quantities, more than the limit of "
              "100,000"),
    spec_case("escape sequence in the title",
              edit(SEED, 'title = "A step', 'title = "\\u001b[2JA step'),
              "title: must be one line of text (it holds '\\x1b')"),
    spec_case("learning rate shown as 0", edit(SEED, "learning_rate = 0.5",
                                               "learning_rate = 0.0001\ndigits = 3"),
              "learning_rate: 0.0001 shows as 0 at 3 decimals"),
    Case("drawn learning rate shown as 0", ["keys", "ex.toml", "--variants", "2", "--seed", "1",
                                            "-o", "out"],
         "ex.toml: randomize.learning_rate: 0.0001 shows as 0 at 3 decimals",
         {"ex.toml": edit(edit(EXERCISE, "[0.1, 0.25, 0.5]", "[0.1, 0.0001]"),
                          "learning_rate = 0.5", "learning_rate = 0.5\ndigits = 3")}),
    Case("spec that never ends", ["render", "/dev/zero"],
         "/dev/zero: larger than the limit of 2,000,000 bytes"),
    Case("check sheet that never ends", ["check", "net.toml", "/dev/zero"],
         "/dev/zero: larger than the limit of 5,000,000 bytes", {"net.toml": SEED}),
    Case("show-steps superscript", ["render", "-n", "3", "--show-steps", "\u00b2"],
         "--show-steps: '\u00b2' is not an update number from 1 to 3"),
    Case("show-steps too many", ["render", "-n", "300", "--show-steps",
                                 ",".join(map(str, range(1, 202)))],
         "--show-steps: lists 201 updates, more than 100"),
    Case("sheet file name too long", ["render", "-o", "y" * 300 + ".md"], "File name too long"),
    Case("output onto a device", ["render", "-o", "/dev/null", "--force"],
         "/dev/null: is not a regular file"),
    Case("error table of a million rows", ["render", "-n", "1000000", "--every", "1"],
         "--every: gives 1,000,000 rows of the error table, more than 10,000"),
    Case("train beyond the iteration limit", ["train", "-n", "100000000"],
         "--iterations: 100,000,000 updates: the limit is 10,000,000"),
    # Files: an input is never replaced; another program's file only with --force.
    Case("report onto the spec", ["check", "net.toml", "s.txt", "-o", "net.toml"],
         "net.toml: is an input of this command: choose another output",
         {"net.toml": SEED, "s.txt": "net_h1 = 0.3775\n"}),
    Case("report onto the sheet with --force", ["check", "net.toml", "s.txt", "-o", "s.txt",
                                                "--force"],
         "s.txt: is an input of this command", {"net.toml": SEED, "s.txt": "net_h1 = 1\n"}),
    Case("render over a file tracer did not write", ["render", "-o", "notes.md"],
         "notes.md: exists and was not written by tracer (--force replaces it)",
         {"notes.md": "my own notes\n"}),
    Case("showcase over a teacher's seed.md", ["showcase", "site"],
         "site/seed.md: exists and was not written by tracer", {"site/seed.md": "mine\n"}),
    # Grading a class: the numbers must be the students' own, or nothing is marked.
    Case("variant sheets without their manifest", ["check", "ex.toml", "inbox"],
         "inbox/s1.txt: is variant s1's sheet, and the exercise draws each variant's numbers",
         {"ex.toml": EXERCISE, "inbox/s1.txt": "# Variant s1, student: s1\nnet_h1 = 1\n"}),
    Case("manifest of another spec", ["check", "ex.toml", "inbox"],
         "inbox/manifest.json: was written for another version of ex.toml",
         {"ex.toml": EXERCISE, "inbox/a.txt": "net_h1 = 1\n",
          "inbox/manifest.json": '{"fingerprint": "0123456789abcdef", "variants": ['
                                 '{"variant": "a", "values": {"w1": 0.5}}]}'}),
    Case("manifest with a value deleted", ["check", "ex.toml", "inbox"],
         "inbox/manifest.json: variants[2].values: variant 'b' and variant 'a' do not draw "
         "the same values ('w2')",
         {"ex.toml": EXERCISE, "inbox/a.txt": "net_h1 = 1\n",
          "inbox/manifest.json": '{"variants": [{"variant": "a", "values": {"w1": 0.5, '
                                 '"w2": 0.5}}, {"variant": "b", "values": {"w1": 0.4}}]}'}),
    spec_case("grading table typo", SEED + "\n[grading]\ndecimal = 4\n",
              "grading.decimal: unknown key", "names"),
    Case("manifest value the spec does not give", ["check", "ex.toml", "inbox"],
         "inbox/manifest.json: variants[1].values: 'zz' is no given value of ex.toml",
         {"ex.toml": EXERCISE, "inbox/a.txt": "net_h1 = 1\n",
          "inbox/manifest.json": '{"variants": [{"variant": "a", "values": {"zz": 1}}]}'}),
    Case("a folder's gradebook to stdout", ["check", "net.toml", "sheets", "-o", "-"],
         "-o: a folder's gradebook is a file", {"net.toml": SEED, "sheets/a.txt": "x = 1\n"}),
    Case("ask for a given value", ["check", "net.toml", "a.txt"],
         "net.toml: ask[2]: 'w5' is given by the exercise",
         {"net.toml": 'ask = ["net_h1", "w5"]\n' + SEED, "a.txt": "net_h1 = 1\n"}),
    Case("gradebook over a sheet", ["check", "net.toml", "sheets", "-o", "sheets/a.txt"],
         "sheets/a.txt: is an input of this command",
         {"net.toml": SEED, "sheets/a.txt": "net_h1 = 0.3775\n"}),
    Case("keys into the exercise's folder", ["keys", "ex.toml", "--variants", "2", "--seed", "1",
                                             "-o", "."],
         ".: holds ex.toml, an input of this command: choose another folder",
         {"ex.toml": EXERCISE}),
    Case("keys into a folder of other files", ["keys", "ex.toml", "--variants", "2", "--seed",
                                               "1", "-o", "mine"],
         "mine: is not empty and not an earlier output of tracer keys",
         {"ex.toml": EXERCISE, "mine/notes.txt": "x"}),
    Case("format and file name disagree", ["render", "-f", "tex", "-o", "report.md"],
         "report.md: the name says md but --format is tex (name it report.tex, or leave out -f)"),
]


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            if p.is_file() else "dir" for p in sorted(folder.rglob("*"))}


def run(args: list[str]) -> int:
    try:
        return main(args)
    except SystemExit as exit_:  # argparse's own usage errors
        return int(exit_.code or 0)


def test_catalogue_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    for name, content in case.files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    before = snapshot(tmp_path)
    assert run(case.args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("tracer: error: ")
    assert case.message in lines[0], lines[0]
    assert "Traceback" not in captured.err
    assert "\x1b" not in captured.err  # escape sequences are shown, never sent
    assert snapshot(tmp_path) == before


def test_interrupted_write_keeps_the_previous_file(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "seed.md"
    target.write_text("<!-- Generated by tracer -->\nprevious", encoding="utf-8")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    monkeypatch.chdir(tmp_path)
    assert run(["render", "-o", "seed.md"]) == 2
    assert target.read_text(encoding="utf-8") == "<!-- Generated by tracer -->\nprevious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed.md"]  # no temporary left


def test_numbers_stay_finite_or_name_the_quantity() -> None:
    # sigmoid of −1000 is computed stably (no overflow), and exactly 0 in floats
    data = tracer.spec_to_dict(tracer.example_spec())
    data["inputs"] = {"i1": -1000.0, "i2": 0.0}
    data["layers"][0]["weights"] = [[10.0, 0.0], [10.0, 0.0]]
    trace = tracer.trace(tracer.spec_from_dict(data))
    assert trace["out_h1"] == 0.0
    assert "nan" not in tracer.render(trace, "md").lower()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_roster_reader_raises_only_user_errors(text: str) -> None:
    try:
        students = parse_roster(text)
    except TracerError as error:
        assert "\n" not in error.line()
        return
    assert len({s.id for s in students}) == len(students)
    assert all(s.id for s in students)


@pytest.mark.parametrize("fmt", ["md", "tex", "json"])
@pytest.mark.parametrize("example", ["seed", "seed-sequential", "softmax"])
def test_rendering_twice_is_byte_identical(example: str, fmt: str) -> None:
    spec = tracer.example_spec(example)
    first = tracer.render(tracer.trace(spec), fmt)
    second = tracer.render(tracer.trace(tracer.example_spec(example)), fmt)
    assert first == second
