"""Homework answer keys: reproducible per-student variants, their files, and bad input."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tracer
from tracer.check import Checker
from tracer.cli import main
from tracer.errors import SpecError, TracerError
from tracer.escape import spreadsheet_safe
from tracer.files import stamped
from tracer.handouts import key_files
from tracer.keys import (
    Student,
    make_variants,
    parse_roster,
    read_manifest,
    safe_file_ids,
    variant_spec,
)
from tracer.renderer import render_files
from tracer.spec import parse_spec
from tracer.tomlout import to_toml

ROOT = Path(__file__).parent.parent
EXERCISE = ROOT / "examples" / "homework.toml"
ROSTER = ROOT / "examples" / "roster.csv"


def keys_for(ids: list[str], seed: int = 7, fmt: str = "md") -> dict[str, str]:
    symbolic = tracer.build_trace(tracer.load_spec(EXERCISE))
    entries: list[tuple[str, Student | None]] = [(i, Student(i, f"Name {i}")) for i in ids]
    files = key_files(symbolic, make_variants(symbolic, seed, entries), seed, fmt)
    return {name: text for name, text in files.items() if isinstance(text, str)}


def test_reruns_are_byte_identical() -> None:
    assert keys_for(["a", "b", "c"]) == keys_for(["a", "b", "c"])
    assert keys_for(["a"], fmt="tex") == keys_for(["a"], fmt="tex")


def test_a_students_numbers_do_not_depend_on_the_others() -> None:
    full, fewer = keys_for(["a", "b", "c"]), keys_for(["c", "a"])
    for name in ("a.key.md", "a.question.md", "a.toml", "c.key.md"):
        assert full[name] == fewer[name]
    assert full["a.toml"] != full["b.toml"]
    assert keys_for(["a"], seed=8)["a.toml"] != full["a.toml"]


def test_variant_spec_rerenders_to_its_key_and_keys_are_correct() -> None:
    files = keys_for(["s1", "s2"])
    manifest = json.loads(files["manifest.json"])
    base = tracer.load_spec(EXERCISE)
    for entry in manifest["variants"]:
        spec = parse_spec(files[entry["files"]["spec"]], "variant.toml")
        assert not spec.randomize
        trace = tracer.trace(spec)
        # the key links its figures, SVG files beside it named as `tracer render` names them
        rendered = render_files(trace, "md", entry["variant"], follow=())  # keys: every step
        # ... and names its student under the title, where the rendered spec names no one
        named = f"**Name {entry['variant']} ({entry['variant']})**\n\n"
        key = files[entry["files"]["key"]]
        assert named in key
        assert stamped("key.md", rendered[f"{entry['variant']}.md"]) == key.replace(named, "")
        assert all(files[name] == stamped(name, text) for name, text in rendered.items()
                   if name.endswith(".svg"))
        for name, value in entry["values"].items():
            assert trace[name] == value
        assert variant_spec(base, entry["values"]) == parse_spec(
            files[entry["files"]["spec"]], base.source)
        sheet = files[entry["files"]["answers"]]
        assert [line.split(" =")[0] for line in sheet.splitlines()
                if line and not line.startswith("#")] == list(base.ask)
        question = files[entry["files"]["question"]]
        assert "`dE_total/dw5`" in question and "Name s" in question


def test_filled_answer_sheet_checks_correct_against_its_variant() -> None:
    files = keys_for(["s1"])
    trace = tracer.trace(parse_spec(files["s1.toml"]))
    answers = "".join(line + f"{trace[line.split(' =')[0]]}\n" if not line.startswith("#")
                      and line else line + "\n" for line in files["s1.answers.txt"].splitlines())
    report = Checker(trace).mark(answers)
    assert report.passed and len(report.results) == 12


def test_manifest_lists_students_seeds_and_values() -> None:
    files = keys_for(["s1", "s2"])
    rows = list(csv.DictReader(files["manifest.csv"].splitlines()))
    data = json.loads(files["manifest.json"])
    assert [r["student_id"] for r in rows] == ["s1", "s2"]
    assert data["seed"] == 7
    assert data["variants"][0]["student"] == {"id": "s1", "name": "Name s1"}
    assert set(data["variants"][0]["values"]) == {
        "i1", "i2", "w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "target_o1", "eta"}
    assert float(rows[1]["w5"]) == data["variants"][1]["values"]["w5"]


SAFE_ID = re.compile(r"[A-Za-z0-9._-]+")
DEVICES = {"con", "prn", "aux", "nul", *(f"{p}{n}" for p in ("com", "lpt") for n in range(10))}


@st.composite
def hostile_ids(draw: st.DrawFn) -> list[str]:
    """Distinct ids, with traps: case twins, device names, and the hash-suffixed form that
    another id in the list would get."""
    plain = st.text(min_size=1, max_size=80)
    traps = st.sampled_from(["Ann", "ann", "ANN", "CON", "nul", "com1", "LPT9", "con.txt",
                             "Nul.tar.gz", "student", "..", "a" * 70, "a" * 71])
    ids = draw(st.lists(st.one_of(plain, traps), min_size=1, max_size=8))
    ids += [f"{i[:51]}-{hashlib.sha256(i.encode()).hexdigest()[:8]}"
            for i in draw(st.lists(st.sampled_from(ids), max_size=3))]
    return list(dict.fromkeys(draw(st.permutations(ids))))


@settings(max_examples=300, deadline=None)
@given(hostile_ids())
def test_file_ids_are_safe_and_unique(ids: list[str]) -> None:
    safe = safe_file_ids(ids)
    assert len(safe) == len(ids)
    assert len({s.lower() for s in safe}) == len(safe)
    for name in safe:
        assert SAFE_ID.fullmatch(name) and len(name) <= 60, name
        assert not name.startswith(".")
        assert name.split(".")[0].lower() not in DEVICES, name
    assert safe_file_ids(ids) == safe  # stable: a rerun writes the same files


def test_hash_suffixed_ids_do_not_collide() -> None:
    """`Ann` once got `Ann-17239b6e`, the very id of a third student: 3 variants, 10 files."""
    ids = ["Ann", "ann", "Ann-17239b6e"]
    safe = safe_file_ids(ids)
    assert safe[2] == "Ann-17239b6e"  # a unique id keeps its own name
    assert len({s.lower() for s in safe}) == 3
    files = keys_for(ids)
    assert len(files) == 3 * (4 + 3) + 2  # and each variant's three figures (SVG)
    manifest = json.loads(files["manifest.json"])
    assert sorted(v["variant"] for v in manifest["variants"]) == sorted(safe)


@pytest.mark.parametrize(("raw", "safe"), [
    ("CON", "CON_"), ("nul", "nul_"), ("com1", "com1_"), ("LPT9", "LPT9_"), ("aux", "aux_"),
    ("con.txt", "con_.txt"), ("Prn.tar.gz", "Prn_.tar.gz"), ("console", "console"),
    ("com10", "com10"), ("con." + "x" * 70, "con_." + "x" * 55),
])
def test_windows_device_names_are_not_file_names(raw: str, safe: str) -> None:
    assert safe_file_ids([raw]) == [safe]
    assert f"{safe}.answers.txt" in keys_for([raw])


def test_emoji_title_gives_a_readable_variant_spec() -> None:
    """JSON's escapes wrote 😀 as \\ud83d\\ude00, which TOML rejects."""
    title = "Backprop 😀 𝔼 \u200c \"quoted\" \\ end"  # (a title refuses bidi overrides)
    description = "Two\nlines\x00\ttab\r\n\U0010ffff 👩‍🔬"
    data = tomllib.loads(EXERCISE.read_text(encoding="utf-8"))
    symbolic = tracer.build_trace(tracer.spec_from_dict(
        {**data, "title": title, "description": description}))
    files = key_files(symbolic, make_variants(symbolic, 7, [("s1", None)]), 7, "md")
    variant = files["s1.toml"]
    assert isinstance(variant, str)
    assert "\\ud83d" not in variant and "😀" in variant
    spec = parse_spec(variant, "s1.toml")
    assert (spec.title, spec.description) == (title, description)


@settings(max_examples=500, deadline=None)
@given(st.text(), st.text())
def test_any_string_and_key_round_trip_through_toml(text: str, key: str) -> None:
    assume(key not in ("title", "table", "rows"))  # the dict below would merge two entries
    data = {"title": text, key: 1.5, "table": {key: text}, "rows": [{key: [text, 2]}]}
    back = tomllib.loads(to_toml(data, header=text))
    assert back["title"] == text and back["table"] == {key: text}
    assert back[key] == 1.5 and back["rows"] == [{key: [text, 2]}]


def test_bidi_and_control_characters_do_not_reach_the_files() -> None:
    """An RTL override reorders what a spreadsheet or an editor shows: `s1\u202etxt.exe`
    would read as another student's id."""
    student = Student("s1\u202egpj.exe\u2066", "=HYPERLINK(\"x\")\u202e\x1b[2J\u2028Bob")
    symbolic = tracer.build_trace(tracer.load_spec(EXERCISE))
    variants = make_variants(symbolic, 1, [(student.id, student)])
    files = key_files(symbolic, variants, 1, "md")
    hidden = ("\u202e", "\u2066", "\x1b", "\u2028")
    for name in ("manifest.csv", "s1_gpj.exe.answers.txt", "s1_gpj.exe.toml"):
        text = files[name]
        assert isinstance(text, str)
        assert not any(ch in text for ch in hidden), name
    row = next(csv.DictReader(str(files["manifest.csv"]).splitlines()))
    assert row["student_id"] == "s1\ufffdgpj.exe\ufffd"
    assert row["student_name"].startswith("'=HYPERLINK")  # still quoted as a formula
    assert tracer.spec_from_dict(tomllib.loads(str(files["s1_gpj.exe.toml"])))


@pytest.mark.parametrize(("cell", "safe"), [
    ("=1+1", "'=1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("-2", "-2"), ("+1.5", "+1.5"),
    ("-inf", "'-inf"), ("\t=1", "\ufffd=1"), ("a\u202eb", "a\ufffdb"), ("\u202e=1", "\ufffd=1"),
    ("a\r\nb", "a\ufffd\ufffdb"), ("Zoë 😀", "Zoë 😀"),
])
def test_spreadsheet_safe(cell: str, safe: str) -> None:
    assert spreadsheet_safe(cell) == safe


def test_a_drawn_value_the_spec_rejects_names_its_rule() -> None:
    """A learning rate drawn as 0 was reported at the spec's `learning_rate`, a valid 0.5."""
    spec = tracer.load_spec(EXERCISE)
    with pytest.raises(SpecError) as error:
        variant_spec(spec, {"eta": 0.0})
    assert error.value.key == "randomize.learning_rate"
    assert "drew 0 for" in error.value.message and "greater than 0" in error.value.message
    with pytest.raises(SpecError) as error:  # any value the spec rules reject, too
        variant_spec(spec, {"w1": 0.5, "w5": 2e6})
    assert error.value.key == "randomize.weights"
    assert "drew 2e+06 for w5" in error.value.message


def test_manifest_names_the_spec_file_not_its_path(workdir: Path) -> None:
    spec = (workdir / "ex.toml").resolve()
    assert main(["keys", str(spec), "--variants", "2", "--seed", "7", "-o", "out"]) == 0
    manifest = json.loads((workdir / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["spec"] == "ex.toml"
    assert set(manifest) == {"generator", "exercise", "spec", "fingerprint", "seed", "format",
                             "variants"}
    values = read_manifest(workdir / "out" / "manifest.json")
    assert list(values) == ["v1", "v2"] and values["v1"] == manifest["variants"][0]["values"]


GOOD_ENTRY = '{"variant": "v1", "values": {"w5": 0.5}}'


def values_entry(value: str) -> str:
    return f'{{"variants": [{{"variant": "v1", "values": {{"w5": {value}}}}}]}}'


@pytest.mark.parametrize(("text", "message"), [
    pytest.param('{"variants": [3]}', "variants[1]: must be an object, not int", id="int"),
    pytest.param('{"variants": [null]}', "variants[1]: must be an object", id="null"),
    pytest.param('{"variants": [{"variant": 5, "values": {}}]}',
                 "variants[1].variant: must be a non-empty", id="variant-not-str"),
    pytest.param(values_entry("NaN"), "'w5' must be a finite", id="nan"),
    pytest.param(values_entry("Infinity"), "must be a finite", id="inf"),
    pytest.param(values_entry("1e999"), "must be a finite", id="overflowing-float"),
    pytest.param(values_entry("1" + "0" * 400), "must be a finite", id="400-digit-int"),
    pytest.param(values_entry("true"), "must be a finite", id="bool"),
    pytest.param(values_entry('"0.5"'), "must be a finite", id="string"),
    pytest.param('{"variants": [{"variant": "v1", "values": [1]}]}',
                 "variants[1].values: must be", id="values-list"),
    pytest.param(f'{{"variants": [{GOOD_ENTRY}, {GOOD_ENTRY}]}}',
                 "variants[2].variant: duplicate variant 'v1'", id="duplicate"),
    pytest.param('{"variants": {"v1": 1}}', "not a manifest written by tracer keys",
                 id="variants-dict"),
    pytest.param("[" * 100_000 + "]" * 100_000, "not a manifest written by tracer keys",
                 id="deep-nesting"),
    pytest.param(values_entry("1" + "0" * 5000), "not a manifest written by tracer keys",
                 id="5000-digit-int"),
])
def test_bad_manifests_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TracerError) as error:
        read_manifest(path)
    assert message in error.value.line() and "\n" not in error.value.line()
    assert error.value.source == str(path)


def test_manifest_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_bytes(b'{"variants": "\\xff"}')
    with pytest.raises(TracerError, match="not a manifest written by tracer keys"):
        read_manifest(path)


def test_huge_manifest_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    with path.open("wb") as file:
        file.truncate(50_000_001)  # sparse: no 50 MB written
    with pytest.raises(TracerError, match="larger than the limit of 50,000,000 bytes"):
        read_manifest(path)


def test_manifest_values_are_floats(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text('{"variants": [{"variant": "v1", "values": {"w5": 1, "eta": 0.5}}]}',
                    encoding="utf-8")
    values = read_manifest(path)
    assert values == {"v1": {"w5": 1.0, "eta": 0.5}}
    assert all(type(v) is float and math.isfinite(v) for v in values["v1"].values())


def test_hostile_student_names_are_escaped() -> None:
    symbolic = tracer.build_trace(tracer.load_spec(EXERCISE))
    student = Student("../../etc/x", "$\\input{/etc/passwd}$ <b>\nnet_h1 = 1")
    variants = make_variants(symbolic, 1, [(student.id, student)])
    files = key_files(symbolic, variants, 1, "tex")
    assert all(isinstance(text, str) for text in files.values())
    assert set(files) >= {"etc_x.question.tex", "etc_x.answers.txt"}
    assert "\\input{/etc" not in files["etc_x.question.tex"]
    assert "\\textbackslash{}input" in files["etc_x.question.tex"]
    sheet = files["etc_x.answers.txt"]
    assert isinstance(sheet, str)
    assert all(line.startswith("#") or " = " in line or not line for line in sheet.splitlines())
    assert "\nnet_h1 = 1" not in sheet


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty roster"),
        ("name\nAda\n", "no id column"),
        ("id,name\n", "lists no students"),
        ("id,name\na,Ada\na,Bob\n", "line 3: duplicate id 'a'"),
        ("id,name\n,Ada\n", "line 2: the id is empty"),
        ("id\na,extra\n", "line 2: more cells"),
    ],
)
def test_bad_rosters(text: str, message: str) -> None:
    with pytest.raises(TracerError, match=message):
        parse_roster(text, "roster.csv")


def test_roster_with_bom_crlf_and_extra_columns() -> None:
    students = parse_roster("\ufeffID,Name,Section\r\ns1,Ada,A\r\n\r\ns2,Bob,B\r\n")
    assert [(s.id, s.name, dict(s.extra)) for s in students] == [
        ("s1", "Ada", {"section": "A"}), ("s2", "Bob", {"section": "B"})]


def test_degenerate_draws_are_redrawn_or_refused() -> None:
    data = {
        "loss": "half_squared_error", "learning_rate": 0.5, "digits": 2,
        "inputs": {"x": 1.0}, "targets": {"o1": 0.5},
        "layers": [{"name": "h", "activation": "relu", "weights": [[0.5]], "bias": 0.0},
                   {"name": "o", "activation": "sigmoid", "weights": [[1.0]], "bias": 0.0}],
        "randomize": {"weights.w1": {"choices": [0.0, 0.5]}},
    }
    symbolic = tracer.build_trace(tracer.spec_from_dict(data))
    # w1 = 0 puts the ReLU on its kink (net = 0): every seed ends up with w1 = 0.5 ...
    for seed in range(20):
        (variant,) = make_variants(symbolic, seed, [("v1", None)])
        assert variant.values == {"w1": 0.5}
    # ... and a second variant could only repeat the first: refused, nothing drawn
    with pytest.raises(TracerError, match="no non-degenerate variant"):
        make_variants(symbolic, 3, [("v1", None), ("v2", None)])


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ex.toml").write_text(EXERCISE.read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


def test_keys_command_and_manifest_grading(workdir: Path) -> None:
    assert main(["keys", "ex.toml", "--roster", str(ROSTER), "--seed", "7", "-o", "out",
                 "--booklet"]) == 0
    out = workdir / "out"
    booklet = (out / "booklet.md").read_text(encoding="utf-8")
    assert booklet.count("## Summary") == 4
    # The first student first (after the "Generated by tracer" comment files.py may add).
    assert booklet.removeprefix("<!-- Generated by tracer -->\n").startswith(
        "# Answer keys: Homework: one step of backpropagation\n\n"
        "1. [Ada Lovelace (s001)](#key-1)\n")
    assert '<a id="key-1"></a>\n\n# Ada Lovelace (s001)\n\n# Homework: one step' in booklet
    first = sorted(p.name for p in out.iterdir())
    assert main(["keys", "ex.toml", "--roster", str(ROSTER), "--seed", "7", "-o", "out2",
                 "--booklet"]) == 0
    for name in first:
        assert (out / name).read_bytes() == (workdir / "out2" / name).read_bytes(), name
    sheets = workdir / "sheets"
    sheets.mkdir()
    for entry in json.loads((out / "manifest.json").read_text(encoding="utf-8"))["variants"]:
        trace = tracer.trace(tracer.load_spec(out / entry["files"]["spec"]))
        asked = tracer.load_spec(out / entry["files"]["spec"]).ask
        (sheets / entry["files"]["answers"]).write_text(
            "".join(f"{name} = {trace[name]}\n" for name in asked), encoding="utf-8")
    assert main(["check", "ex.toml", "sheets", "--manifest", "out/manifest.json"]) == 0
    rows = list(csv.DictReader((sheets / "gradebook.csv").read_text(encoding="utf-8-sig")
                               .splitlines()))
    assert [row["score"] for row in rows] == ["1.0000"] * 4
    assert main(["check", "ex.toml", "sheets"]) == 1  # against the base numbers: wrong


@pytest.mark.parametrize(
    ("args", "files", "message"),
    [
        (["--variants", "0"], {}, "--variants: must be from 1"),
        (["--roster", "r.csv"], {"r.csv": "id\na\na\n"}, "r.csv: line 3: duplicate id"),
        (["--roster", "r.csv"], {"r.csv": ""}, "r.csv: empty roster"),
        (["--roster", "missing.csv"], {}, "missing.csv: file not found"),
    ],
)
def test_keys_bad_input_writes_nothing(workdir: Path, capsys: pytest.CaptureFixture[str],
                                       args: list[str], files: dict[str, str],
                                       message: str) -> None:
    for name, text in files.items():
        (workdir / name).write_text(text, encoding="utf-8")
    assert main(["keys", "ex.toml", *args, "--seed", "1", "-o", "out"]) == 2
    assert message in capsys.readouterr().err
    assert not (workdir / "out").exists()


@pytest.mark.parametrize(
    ("edit", "key", "message"),
    [
        (('weights = { low = 0.05, high = 0.95', 'weights = { low = 0.95, high = 0.05'),
         "randomize.weights", "low (0.95) is greater than high (0.05)"),
        (('"targets.o1" =', '"targets.o9" ='), "randomize.targets.o9",
         "names no value of this network"),
        (('learning_rate = { choices', 'learnin_rate = { choices'), "randomize.learnin_rate",
         "did you mean 'learning_rate'"),
        (('learning_rate = { choices = [0.1', 'learning_rate = { choices = [-0.1'),
         "randomize.learning_rate", "greater than 0"),
        (('learning_rate = { choices = [0.1, 0.25, 0.5] }',
          'learning_rate = { low = 0.001, high = 0.004, decimals = 2 }'),
         "randomize.learning_rate", "draws round to 0 at 2 decimals"),
        (('inputs  = { low = 0.0, high = 1.0, decimals = 2 }',
          'inputs  = { low = 0.0, high = 1.0, decimals = 20 }'), "randomize.inputs.decimals",
         "from 0 to 9"),
        (('"net_h1", "out_h1"', '"net_h1", "out_h9"'), "ask[2]", "unknown quantity 'out_h9'"),
    ],
)
def test_bad_randomize_and_ask(workdir: Path, capsys: pytest.CaptureFixture[str],
                               edit: tuple[str, str], key: str, message: str) -> None:
    text = EXERCISE.read_text(encoding="utf-8")
    assert edit[0] in text
    (workdir / "ex.toml").write_text(text.replace(*edit), encoding="utf-8")
    assert main(["keys", "ex.toml", "--variants", "3", "--seed", "1", "-o", "out"]) == 2
    err = capsys.readouterr().err
    assert f"ex.toml: {key}: " in err and message in err
    assert not (workdir / "out").exists()


@pytest.mark.skipif(__import__("shutil").which("pdflatex") is None,
                    reason="pdflatex not installed")
def test_pdf_keys(workdir: Path) -> None:
    """PDFs, and a manifest that names them, written from its records: ".tex" in the title
    or the spec's name stays as it is (the manifest was once patched as text)."""
    text = EXERCISE.read_text(encoding="utf-8").replace(
        'title = "Homework: one step of backpropagation"', 'title = "Why .tex files matter"')
    (workdir / "hw.tex.toml").write_text(text, encoding="utf-8")
    assert main(["keys", "hw.tex.toml", "--variants", "2", "--seed", "3", "-f", "pdf", "-o",
                 "out", "--booklet"]) == 0
    names = sorted(p.name for p in (workdir / "out").iterdir())
    assert names == ["booklet.pdf", "manifest.csv", "manifest.json", "v1.answers.txt",
                     "v1.key.pdf", "v1.question.pdf", "v1.toml", "v2.answers.txt",
                     "v2.key.pdf", "v2.question.pdf", "v2.toml"]
    assert (workdir / "out" / "v1.key.pdf").read_bytes().startswith(b"%PDF")
    manifest = json.loads((workdir / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "pdf"
    assert manifest["variants"][0]["files"]["key"] == "v1.key.pdf"
    assert (manifest["exercise"], manifest["spec"]) == ("Why .tex files matter", "hw.tex.toml")


def test_300_variants_draw_no_zero_unless_a_rule_allows_it() -> None:
    """The inputs of the example are drawn from [0, 1] at 2 decimals: about 1 in 200 draws
    rounds to 0 (and a range around 0 gives −0.0), which made a term vanish."""
    text = (Path(__file__).parent.parent / "examples" / "homework.toml").read_text(
        encoding="utf-8").replace("inputs  = { low = 0.0, high = 1.0, decimals = 2 }",
                                  "inputs  = { low = -0.3, high = 0.3, decimals = 2 }")
    graph = tracer.network.build_trace(tracer.parse_spec(text))
    variants = make_variants(graph, 3, [(f"v{k}", None) for k in range(300)])
    drawn = [value for variant in variants for value in variant.values.values()]
    assert len(drawn) == 300 * 12 and 0.0 not in drawn
    assert not any(math.copysign(1, value) < 0 and value == 0 for value in drawn)
    allowed = tracer.network.build_trace(tracer.parse_spec(text.replace(
        "decimals = 2 }\n\"targets", "decimals = 2, allow_zero = true }\n\"targets", 1)))
    zeros = [v for variant in make_variants(allowed, 3, [(f"v{k}", None) for k in range(300)])
             for v in variant.values.values() if v == 0]
    assert zeros and all(math.copysign(1, v) > 0 for v in zeros)  # 0.0, never −0.0


def test_a_range_that_draws_only_zero_is_refused() -> None:
    text = (Path(__file__).parent.parent / "examples" / "homework.toml").read_text(
        encoding="utf-8").replace("inputs  = { low = 0.0, high = 1.0, decimals = 2 }",
                                  "inputs  = { low = 0.0, high = 0.004, decimals = 2 }")
    with pytest.raises(SpecError, match=r"randomize\.inputs: draws only 0 at 2 decimals"):
        tracer.parse_spec(text)
