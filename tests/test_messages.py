"""Message catalogues (tracer/messages.py): every key a template or module uses is in every
catalogue with the same placeholders; `--lang zh` and `lang = "zh"` give Chinese question
sheets, keys, feedback, reports and gradebooks; a Chinese sheet is marked as its English
twin; an unknown language is one line and exit 2."""

from __future__ import annotations

import ast
import csv
import dataclasses
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import jinja2
import jinja2.nodes
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tracer
from tracer import messages
from tracer.check import Checker, Status, Verdict
from tracer.circuitdoc import GATES
from tracer.cli import main
from tracer.errors import TracerError
from tracer.evaluation import evaluate
from tracer.examples import example_spec, example_text
from tracer.functions import ACTIVATIONS
from tracer.misconceptions import CATALOGUE
from tracer.network import build_trace
from tracer.notation import labelled
from tracer.renderer import (
    builtin_templates,
    environment,
    render,
    render_circuit_question,
    render_feedback,
    render_pdf,
    render_question,
)
from tracer.report import GRADEBOOK_COLUMNS, REPORT_COLUMNS, feedback_sheet
from tracer.sheets import question_sheet
from tracer.spec import UPDATE_ORDERS, parse_spec

PACKAGE = Path(tracer.__file__).parent
LANGUAGES = messages.languages()
KEY = re.compile(r"^[a-z_]+\.[a-z_-]+$")
CJK = re.compile("[\u4e00-\u9fff]")
MATH_SECTIONS = ("lesson.", "worked.", "published.", "circuit.")  # prose that may hold inline $…$

# Keys Python code builds from data (f"status.{status}"): each family, all its keys.
FAMILIES = {
    "status.": [str(s) for s in Status], "verdict.": [str(v) for v in Verdict],
    "misconception.": [m.id for m in CATALOGUE] + ["rounding", "rounded-carry"],
    "order.": list(UPDATE_ORDERS), "report.": list(REPORT_COLUMNS),
    "gradebook.": [*GRADEBOOK_COLUMNS, "rounding", "rounded-carry"],
    "step.": sorted({a.note for a in ACTIVATIONS.values() if a.note} | {"sums_to_one"}),
    "circuit.rule_": list(GATES),
}


# -- where keys are used -------------------------------------------------------------------
def template_uses(source: str, name: str) -> Iterator[tuple[str, str, frozenset[str]]]:
    """(template, key, placeholders passed) of every `t(...)` call in a template's source;
    a call whose key is not a literal is reported with the key `<not literal>`."""
    tree = jinja2.Environment().parse(source)
    for call in tree.find_all(jinja2.nodes.Call):
        callee = call.node
        if (isinstance(callee, jinja2.nodes.Name) and callee.name == "t") or (
                isinstance(callee, jinja2.nodes.Getattr) and callee.attr == "t"):
            first = call.args[0] if call.args else None
            passed = frozenset(k.key for k in call.kwargs)
            for key in _literal_keys(first):
                yield name, key, passed


def _literal_keys(node: jinja2.nodes.Node | None) -> list[str]:
    """The keys a call's first argument can be: a literal, or `"a" if c else "b"`."""
    if isinstance(node, jinja2.nodes.Const):
        return [str(node.value)]
    if isinstance(node, jinja2.nodes.CondExpr) and node.expr2 is not None:
        return _literal_keys(node.expr1) + _literal_keys(node.expr2)
    return ["<not literal>"]


def all_template_uses() -> list[tuple[str, str, frozenset[str]]]:
    return [use for path in sorted(builtin_templates().glob("*.j2"))
            for use in template_uses(path.read_text(encoding="utf-8"), path.name)]


def _is_catalogue_call(func: ast.expr) -> bool:
    """`t(...)`, `self.t(...)`, `FormulaError(...)`, `messages.catalogue(...)(...)`."""
    return (isinstance(func, ast.Name) and func.id in ("t", "FormulaError")) or (
        isinstance(func, ast.Attribute) and func.attr == "t") or isinstance(func, ast.Call)


def python_uses(source: str, name: str) -> Iterator[tuple[str, str, frozenset[str] | None]]:
    """(module, key, placeholders passed, None where `**values` passes them) of every
    catalogue call of a module; keys built from data are given as `prefix*`."""
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and node.args and _is_catalogue_call(node.func)):
            continue
        first = node.args[0]
        passed = None if any(k.arg is None for k in node.keywords) else frozenset(
            str(k.arg) for k in node.keywords)
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and KEY.match(
                first.value):
            yield name, first.value, passed
        elif isinstance(first, ast.JoinedStr) and isinstance(first.values[0], ast.Constant):
            yield name, str(first.values[0].value) + "*", passed


def all_python_uses() -> list[tuple[str, str, frozenset[str] | None]]:
    return [use for path in sorted(PACKAGE.glob("*.py"))
            for use in python_uses(path.read_text(encoding="utf-8"), path.stem)]


def problems(uses: list[tuple[str, str, frozenset[str] | None]]) -> list[str]:
    """What is wrong with the uses in each catalogue: a key missing, a family not listed,
    placeholders that differ from the message's."""
    found = []
    for lang in LANGUAGES:
        t = messages.catalogue(lang)
        for where, key, passed in uses:
            keys = [prefix + k for prefix in [key[:-1]] for k in FAMILIES.get(prefix, [])
                    ] if key.endswith("*") else [key]
            if not keys:
                found.append(f"{where}: keys made as {key!r}: list the family in FAMILIES")
            for one in keys:
                if not t.has(one):
                    found.append(f"{where}: {one!r} is not in {lang}.toml")
                elif passed is not None and passed != messages.placeholders(t.entries[one]):
                    found.append(f"{where}: {one!r} gets {sorted(passed)}, {lang}.toml has "
                                 f"{sorted(messages.placeholders(t.entries[one]))}")
    return found


def test_every_template_key_is_in_every_catalogue() -> None:
    uses = all_template_uses()
    assert len(uses) > 60, "the scan finds the templates' messages"
    assert {name for name, _, _ in uses} >= {
        "question.md.j2", "question.tex.j2", "booklet.md.j2", "booklet.tex.j2", "check.md.j2",
        "worked.md.j2", "worked.tex.j2", "lesson.md.j2", "lesson.tex.j2"}
    assert not problems(list(uses))


def test_every_python_key_is_in_every_catalogue() -> None:
    uses = all_python_uses()
    assert len(uses) > 60, "the scan finds the modules' messages"
    assert {name for name, _, _ in uses} >= {"check", "answers", "safeexpr", "report",
                                             "marking", "sheets", "keys", "misconceptions",
                                             "document", "steps"}
    assert not problems(uses)


def test_the_scans_catch_a_missing_key_and_a_wrong_placeholder() -> None:
    """The two tests above must fail on a template or a module that errs."""
    template = ('{{ t("feedback.nope") }} {{ t("feedback.for", who=x) }} {{ t(name) }}'
                '{{ doc.t("worked.went" if a else "worked.gone", before=1) }}')
    found = problems(list(template_uses(template, "x.j2")))
    assert any("'worked.gone' is not in" in p for p in found)
    assert any("'worked.went' gets ['before']" in p for p in found)
    assert any("'feedback.nope' is not in" in p for p in found)
    assert any("'feedback.for' gets ['who']" in p for p in found)
    assert any("<not literal>" in p for p in found)
    module = 't("check.nope")\nself.t(f"nofamily.{x}")\nFormulaError("formula.syntax", a=1)\n'
    found = problems(list(python_uses(module, "m")))
    assert any("'check.nope'" in p for p in found)
    assert any("FAMILIES" in p for p in found)
    assert any("'formula.syntax' gets ['a']" in p for p in found)


# -- the catalogues themselves -----------------------------------------------------------
def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    english = messages.catalogue("en").entries
    assert {"en", "zh"} <= set(LANGUAGES)
    for lang in LANGUAGES:
        other = messages.catalogue(lang).entries
        assert set(other) == set(english), lang
        for key, text in english.items():
            assert messages.placeholders(other[key]) == messages.placeholders(text), (lang, key)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_messages_are_plain_text(lang: str) -> None:
    """No markup, none of TeX's specials, no table bar: templates put messages in Markdown
    and LaTeX as they are (the blank answer sheet's comments and the gradebook's CSV are
    plain text files). The worked example's prose may hold inline math, `$…$` without
    braces (a formula with braces is a placeholder the template fills): math reads the same
    in Markdown, LaTeX and HTML."""
    for key, text in messages.catalogue(lang).entries.items():
        bare = re.sub(r"\{[a-z_]+\}", "", text)
        if key.startswith(MATH_SECTIONS):
            bare = re.sub(r"\$[^${}&#%~|]*\$", "", bare)
        if not key.startswith(("answer_sheet.", "gradebook.")):
            assert not re.search(r"[\\{}$&#^_%~|*]", bare), (key, text)


def test_chinese_prose_has_full_width_punctuation() -> None:
    for key, text in messages.catalogue("zh").entries.items():
        assert not re.search(r"[\u4e00-\u9fff][,;:!?()]|[,;:!?(][\u4e00-\u9fff]", text), key
    chinese = "".join(messages.catalogue("zh").entries.values())
    for term in ("学习率", "权重", "偏置", "激活函数", "误差", "损失函数", "反向传播", "更新"):
        assert term in chinese, term


@pytest.mark.parametrize("text", ["{a.b}", "{a[0]}", "{a!r}", "{a:>3}", "{0}"])
def test_a_placeholder_is_a_plain_name(text: str) -> None:
    with pytest.raises(ValueError):
        messages.placeholders(text)


def test_an_unknown_language_is_one_line_and_exit_2(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
        ) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["render", "--lang", "fr", "-o", "-"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--lang" in err and "'fr'" in err and "zh" in err
    Path("fr.toml").write_text('lang = "fr"\n' + example_text("seed"), encoding="utf-8")
    assert main(["render", "fr.toml", "-o", "-"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "fr.toml" in err and "lang" in err
    with pytest.raises(TracerError, match="unknown value"):
        parse_spec('lang = "en-GB"\n' + example_text("seed"))


# -- Chinese out ----------------------------------------------------------------------------
SPEC = example_text("seed") + """
[randomize]
weights = { low = 0.1, high = 0.9, decimals = 2 }
"""


def test_keys_in_chinese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("ex.toml").write_text(SPEC, encoding="utf-8")
    assert main(["keys", "ex.toml", "--variants", "2", "--seed", "3", "-o", "keys",
                 "--booklet", "--lang", "zh"]) == 0
    question = Path("keys/v1.question.md").read_text(encoding="utf-8")
    for words in ("## 网络结构", "## 已知量", "## 求解", "保留 9 位小数", "答题卡上的名称"):
        assert words in question
    sheet = Path("keys/v1.answers.txt").read_text(encoding="utf-8")
    assert "# 答题卡：" in sheet and "# Variant v1，学生：-" in sheet
    assert "参考答案" in Path("keys/booklet.md").read_text(encoding="utf-8")
    assert 'lang = "zh"' in Path("keys/v1.toml").read_text(encoding="utf-8")  # kept
    # the keys are tracer's: made again over themselves without --force
    assert main(["keys", "ex.toml", "--variants", "2", "--seed", "3", "-o", "keys",
                 "--lang", "zh"]) == 0


def test_a_spec_in_chinese_needs_no_option() -> None:
    spec = parse_spec('lang = "zh"\n' + example_text("seed"))
    checker = Checker(evaluate(build_trace(spec)))
    (result,) = [r for r in checker.mark("w5_new = 1\n").results if r.name == "w5_new"]
    assert result.status == Status.WRONG
    missing = checker.mark("").results[0]
    assert missing.reason == "未作答"


WRONG_SHEET = """net_h1 = 0.3775
out_h1 = 0.593269992
dE_total/dout_o1 = -0.74136507
w5_new = 0.4
"""


def test_check_in_chinese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("ex.toml").write_text(example_text("seed"), encoding="utf-8")
    Path("ann.txt").write_text(WRONG_SHEET + "w6_new = 0,4\n", encoding="utf-8")
    assert main(["check", "ex.toml", "ann.txt", "--lang", "zh", "-f", "md", "-o",
                 "ann.md"]) == 1
    feedback = Path("ann.md").read_text(encoding="utf-8")
    for words in ("# 评阅意见", "得分：**", "| 行 | 量 | 你的结果 | 评定 |", "符号反了",
                  "请用小数点", "这一步的完整推导", "未作答"):
        assert words in feedback, words
    assert main(["check", "ex.toml", "ann.txt", "--lang", "zh"]) == 1
    report = capsys.readouterr().out
    assert re.search(r"^行 +量 +评定 +所填 +正确值", report, re.MULTILINE)
    assert "得分 " in report and "Status" not in report
    Path("inbox").mkdir()
    Path("inbox/ann.txt").write_text(WRONG_SHEET, encoding="utf-8")
    assert main(["check", "ex.toml", "inbox", "--lang", "zh"]) == 1
    rows = list(csv.reader(Path("inbox/gradebook.csv").read_text(encoding="utf-8-sig")
                           .splitlines()))
    assert rows[0][:3] == ["学号", "姓名", "得分"] and rows[0][-2:] == ["答卷", "备注"]
    assert "错误" in rows[1] and "未作答" in rows[1]
    assert "可能的错误原因" in Path("inbox/feedback/ann.md").read_text(encoding="utf-8")


def test_english_stays_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("ex.toml").write_text(example_text("seed"), encoding="utf-8")
    Path("inbox").mkdir()
    Path("inbox/ann.txt").write_text(WRONG_SHEET, encoding="utf-8")
    assert main(["check", "ex.toml", "inbox"]) == 1
    header = Path("inbox/gradebook.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("student_id,student_name,score,")
    feedback = Path("inbox/feedback/ann.md").read_text(encoding="utf-8")
    assert "# Feedback:" in feedback and not CJK.search(feedback)


# -- Chinese in: a sheet marked as its English twin -----------------------------------------
@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker(evaluate(build_trace(dataclasses.replace(example_spec(), lang="zh"))))


TWIN = """net_h1 = 0.3775
out_h1 = 0.593269992
net_o1 = 1.105905967
E_o1 = 0.298371109
dE_total/dout_o1 = -0.74136507
w5_new = 0.35891648
w1_new = 0.14969838
dE_total/dw6 = 0.082 * 0.596884378
"""
FULL = str.maketrans("0123456789=()-+*/.", "０１２３４５６７８９＝（）－＋＊／．")
LABELS = ["", "答：", "答:", "解：", "解: ", "隐藏层净输入：", "权重 ", "（1）答："]
REMARKS = ["", "。", "，", "（保留九位小数）", "  # 注意符号", " ＃ 反向传播", "；"]


def marks(checker: Checker, text: str) -> list[tuple[object, ...]]:
    return [(r.line, r.name, r.status, r.given, r.diagnosis, r.credit, r.scored)
            for r in checker.mark(text).results]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(LABELS), st.booleans(), st.sampled_from(REMARKS)),
                min_size=8, max_size=8), st.booleans())
def test_a_chinese_sheet_is_marked_as_its_english_twin(
        checker: Checker, dress: list[tuple[str, bool, str]], prose: bool) -> None:
    lines = TWIN.splitlines()
    chinese = [label + (line.translate(FULL) if full else line) + remark
               for line, (label, full, remark) in zip(lines, dress, strict=True)]
    if prose:  # a line of prose between the answers, at the same line numbers
        lines[2:2] = ["# first the forward pass"]
        chinese[2:2] = ["第一步：前向传播"]
    assert marks(checker, "\n".join(chinese)) == marks(checker, "\n".join(lines))


def test_the_twin_is_not_all_right(checker: Checker) -> None:
    """The property above compares marks that differ from line to line."""
    statuses = {r.status for r in checker.mark(TWIN).results}
    assert {Status.CORRECT, Status.WRONG} <= statuses
    assert any(r.diagnosis for r in checker.mark(TWIN).results)


@given(st.text(max_size=80))
def test_labelled_keeps_ascii_and_never_raises(text: str) -> None:
    done = labelled(text)
    if text.isascii():
        assert done == text
    assert not set(done) & set("＝（）－＋＊／０１２３４５６７８９")  # read as ASCII
    assert labelled(done).split("#")[0].strip() == done.split("#")[0].strip()


@pytest.mark.parametrize("line", ["答：ｏut_h1 = 0.5", "net_h1 = 王", "答：net_h1 = ｅxp(1)"])
def test_chinese_does_not_open_the_whitelist(checker: Checker, line: str) -> None:
    """Full-width letters stay refused (they only look like names); Chinese inside a
    formula is a remark, and what is left of the line must still be a number."""
    (result,) = checker.mark(line + "\n").lines
    assert result.status == Status.INVALID


def test_reasons_in_chinese(checker: Checker) -> None:
    report = checker.mark("net_h1 = 0,3775\nw9 = 1\nout_h1 = exp(\nnet_h1\nw5_new = 王\n")
    reasons = [r.reason for r in report.lines]
    assert "请用小数点" in reasons[0]
    assert "未知的量名" in reasons[1]
    assert "不是合法的公式" in reasons[2]
    assert "应写成" in reasons[3]
    assert "‘王’：含有非 ASCII 字符" in reasons[4]
    assert all(CJK.search(reason) for reason in reasons)


# -- PDF -----------------------------------------------------------------------------------
HAVE_TEX = all(shutil.which(tool) for tool in ("lualatex", "pdftotext"))
needs_tex = pytest.mark.skipif(not HAVE_TEX and os.environ.get("TRACER_REQUIRE_TEX") != "1",
                               reason="TeX not installed")


@needs_tex
def test_a_chinese_question_sheet_reads_back_from_its_pdf(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("ex.toml").write_text(SPEC, encoding="utf-8")
    assert main(["keys", "ex.toml", "--variants", "1", "--seed", "3", "-o", "keys",
                 "-f", "pdf", "--lang", "zh"]) == 0
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", "keys/v1.question.pdf", "-"],
                          check=True, capture_output=True, text=True).stdout
    text = "".join(done.split())
    for words in ("网络结构", "已知量", "完成一步训练（各参数同时更新），求出下列各量",
                  "答题卡上的名称"):
        assert words in text, words


def test_only_cjk_documents_load_ctex(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("ex.toml").write_text(SPEC, encoding="utf-8")
    for lang in ("en", "zh"):
        assert main(["keys", "ex.toml", "--variants", "1", "--seed", "3", "-o", lang,
                     "-f", "tex", "--booklet", "--lang", lang]) == 0
        for name in ("v1.question.tex", "booklet.tex"):
            loads = "{ctex}" in Path(lang, name).read_text(encoding="utf-8")
            assert loads == (lang == "zh"), (lang, name)


def test_a_users_template_reaches_the_messages(tmp_path: Path) -> None:
    """An override (sandboxed) calls `t` as the built-ins do."""
    (tmp_path / "question.md.j2").write_text(
        '{% extends "builtin/question.md.j2" %}{# course NN 101 #}\n', encoding="utf-8")
    (tmp_path / "check.md.j2").write_text('{{ t("feedback.worked") }}|{{ t.lang }}\n',
                                          encoding="utf-8")
    trace = evaluate(build_trace(dataclasses.replace(example_spec(), lang="zh")))
    env = environment([tmp_path])
    assert "## 求解" in render_question(question_sheet(trace, "md", ["w5_new"]), "md", env)
    sheet = feedback_sheet(Checker(trace).mark(""), trace)
    assert render_feedback(sheet, env) == "这一步的完整推导：|zh\n"


def test_keys_made_in_english_are_graded_in_chinese(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The manifest's fingerprint does not hold the language."""
    monkeypatch.chdir(tmp_path)
    Path("ex.toml").write_text(SPEC, encoding="utf-8")
    assert main(["keys", "ex.toml", "--variants", "1", "--seed", "3", "-o", "keys"]) == 0
    Path("inbox").mkdir()
    shutil.copy("keys/manifest.json", "inbox/manifest.json")
    Path("inbox/v1.txt").write_text("答：net_h1 ＝ 0.5\n", encoding="utf-8")
    assert main(["check", "ex.toml", "inbox", "--lang", "zh"]) == 1
    rows = list(csv.reader(Path("inbox/gradebook.csv").read_text(encoding="utf-8-sig")
                           .splitlines()))
    assert rows[0][0] == "学号" and rows[1][0] == "v1" and "错误" in rows[1]


def test_a_third_language_is_a_catalogue_file(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    for path in messages.FOLDER.glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    english = (messages.FOLDER / "en.toml").read_text(encoding="utf-8")
    (tmp_path / "xx.toml").write_text(english.replace('"Compute"', '"Kompute"'),
                                      encoding="utf-8")
    monkeypatch.setattr(messages, "FOLDER", tmp_path)
    monkeypatch.chdir(tmp_path)
    Path("ex.toml").write_text('lang = "xx"\n' + SPEC, encoding="utf-8")
    assert main(["keys", "ex.toml", "--variants", "1", "--seed", "3", "-o", "keys"]) == 0
    assert "## Kompute" in Path("keys/v1.question.md").read_text(encoding="utf-8")


# -- the worked example in Chinese ----------------------------------------------------------
def prose(markdown: str) -> str:
    """The prose of a Markdown document: without display and inline math, tables, code,
    figures and blockquote marks."""
    text = re.sub(r"\$\$.*?\$\$", " ", markdown, flags=re.DOTALL)
    text = re.sub(r"```.*?```", " ", text, flags=re.DOTALL)
    text = re.sub(r"\$[^$\n]+\$", " ", text)
    lines = [line for line in text.splitlines()
             if not line.lstrip().startswith(("|", "![", "`"))]
    return "\n".join(lines)


def chinese_share(markdown: str) -> float:
    """Chinese characters among the prose's letters (Latin and Chinese)."""
    letters = [c for c in prose(markdown) if c.isalpha()]
    return len([c for c in letters if CJK.match(c)]) / max(1, len(letters))


def seed_in(lang: str, fmt: str) -> str:
    spec = dataclasses.replace(example_spec("seed"), lang=lang)
    return tracer.render(tracer.trace(spec), fmt)


def test_the_chinese_seed_is_mostly_chinese() -> None:
    chinese, english = seed_in("zh", "md"), seed_in("en", "md")
    assert chinese_share(chinese) >= 0.6, chinese_share(chinese)  # the title is the spec's
    assert chinese_share(english) == 0.0
    assert len(prose(chinese)) > 2000, "the lesson's prose is there"
    for words in ("## 前向传播", "## 反向传播：输出层 o", "### 追踪 $w_{5}$", "**链式法则**",
                  "**综合起来**", "**误差项**", "梯度下降", "学习率",
                  "> **对照原文** 原文给出的值为",
                  "| 参数 | 梯度 | 数值 | 更新前 | 更新后 |", "**神经元 o2**", "## 汇总"):
        assert words in chinese, words
    # symbols and numbers are the English document's, formula for formula
    def maths(text: str) -> list[str]:
        return re.findall(r"\$\$.*?\$\$", text, flags=re.DOTALL)
    assert maths(chinese) == maths(english)


def test_chinese_markdown_bold_closes() -> None:
    """CommonMark closes `**` after punctuation only before a space or punctuation, and
    opens it before punctuation only after one (`**更新。**梯度` stays literal): every bold
    of the Chinese seed opens and closes."""
    punctuation = r"[$。，：；！？（）“”]"
    for match in re.finditer(r"(^|.)\*\*(.+?)\*\*(.|$)", seed_in("zh", "md"), re.MULTILINE):
        before, bold, after = match.groups()
        if re.search(punctuation + "$", bold):
            assert not after or not after.isalnum(), match.group(0)
        if re.match(punctuation, bold):
            assert not before or not before.isalnum(), match.group(0)


def test_the_chinese_notes_and_settings(tmp_path: Path) -> None:
    """A step's note and the settings rows come from the catalogue too."""
    leaky = tracer.load_spec(Path(__file__).parent / "data" / "leaky.toml")
    text = tracer.render(tracer.trace(dataclasses.replace(leaky, lang="zh")), "md")
    assert "在 net = 0 处" in text and "At net = 0" not in text
    assert "| 更新顺序 | 同时 |" in seed_in("zh", "md")


@needs_tex
def test_the_chinese_seed_pdf_reads_back(tmp_path: Path) -> None:
    pdf = tmp_path / "seed.zh.pdf"
    pdf.write_bytes(render_pdf(tracer.trace(dataclasses.replace(example_spec("seed"),
                                                                  lang="zh"))))
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    text = "".join(done.split())
    for words in ("反向传播是神经网络从样本中学习的方法", "由链式法则",
                  "综合起来，把三个因子相乘，就得到梯度", "它称为该神经元的误差项", "对照原文",
                  "0.35891648", "0.149780716"):
        assert words in text, words


def test_the_chinese_seed_page() -> None:
    """`--lang zh -f html`: the page's language, and no English word of the templates (the
    words left are the spec's title, names and the loss's identifier)."""
    page = seed_in("zh", "html")
    assert '<html lang="zh">' in page and '<html lang="en">' in seed_in("en", "html")
    text = re.sub(r"<(math|svg|script|style)\b.*?</\1>", " ", page, flags=re.DOTALL)
    text = re.sub(r"<[^>]+>", " ", text)
    spec_words = set(re.findall(r"[A-Za-z]{4,}", example_spec("seed").title)) | {
        "half", "squared", "error", "sigmoid", "logistic", "Enter"}
    assert set(re.findall(r"[A-Za-z]{4,}", text)) <= spec_words
    for words in ("追踪", "链式法则", "对照原文", "误差项", "汇总", "放大字号"):
        assert words in text, words


@needs_tex
def test_the_chinese_seed_stays_in_the_margins(tmp_path: Path) -> None:
    """ctex breaks the Chinese prose: no overfull box over 1 pt (as for the English seed)."""
    from tests.test_latex import compile_pdf
    compile_pdf(seed_in("zh", "tex"), tmp_path)
    log = (tmp_path / "doc.log").read_text(encoding="utf-8", errors="replace")
    assert "ctex" in log
    overfull = [float(points) for points in
                re.findall(r"Overfull \\[hv]box \(([\d.]+)pt too", log)]
    assert not [points for points in overfull if points > 1.0], overfull


# -- circuits ------------------------------------------------------------------------------
def _prose(markdown: str) -> str:
    """A Markdown document's own words: no math, no title (the spec's text), no markup."""
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", " ", markdown, flags=re.S)
    return "\n".join(line for line in text.splitlines()
                     if not line.startswith(("# ", "<!--", "|")))


@pytest.mark.parametrize("example", ["circuit", "sigmoid-neuron", "reuse"])
def test_a_chinese_circuit_document_is_written_in_chinese(example: str) -> None:
    """Its prose is Chinese (the gates' names, max or ReLU, may stay), and every format
    renders; the English one keeps its words."""
    trace = evaluate(build_trace(dataclasses.replace(example_spec(example), lang="zh")))
    prose = _prose(render(trace, "md"))
    chinese = len(re.findall(r"[\u4e00-\u9fff]", prose))
    latin = len(re.findall(r"[A-Za-z]", prose))
    assert chinese > 300 and latin < chinese / 10, (chinese, latin)
    for word in ("前向传播", "反向传播", "上游梯度", "局部梯度", "计算图"):
        assert word in prose
    assert "反向传播" in render(trace, "tex") and "反向传播" in render(trace, "html")
    figure = {"circuit": "given.svg"}
    for fmt in ("md", "tex"):  # the question sheet too
        sheet = render_circuit_question(trace, fmt, ["f"], "", figure)
        assert "计算图" in sheet and "Compute" not in sheet
    english = _prose(render(evaluate(build_trace(example_spec(example))), "md"))
    assert not re.search(r"[\u4e00-\u9fff]", english) and "Backward pass" in english


def test_every_gate_has_its_rule() -> None:
    """Each function the circuits' reader accepts is a gate with a rule in the catalogues
    (tests above check every listed gate's key exists in every language)."""
    from tracer.safeexpr import ALIASES, FUNCTIONS, VARIADIC

    assert {ALIASES.get(name, name) for name in [*FUNCTIONS, *VARIADIC]} <= set(GATES)
