"""User text (titles, descriptions) is inert in LaTeX and Markdown."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from tracer.escape import latex_text, markdown_text
from tracer.mathfmt import broken_sum

# After escaping, a backslash may only start one of these.
LATEX_ESCAPES = re.compile(
    r"\\(textbackslash\{\}|textasciicircum\{\}|textasciitilde\{\}|textless\{\}|"
    r"textgreater\{\}|textbar\{\}|textquotesingle\{\}|textasciigrave\{\}|kern0pt\{\}|"
    r"[{}$&#_%])"
)


def test_latex_hostile_title() -> None:
    assert latex_text(r"50% of \input{x} & $y$") == (
        r"50\% of \textbackslash{}input\{x\} \& \$y\$"
    )


def test_latex_caret_cannot_spell_a_backslash() -> None:
    assert "^^" not in latex_text("^^5cinput")


@given(st.text(max_size=200))
def test_latex_escaped_text_has_only_known_commands(text: str) -> None:
    escaped = latex_text(text)
    assert LATEX_ESCAPES.sub("", escaped).count("\\") == 0
    for special in "{}$&#_%^~":
        stripped = LATEX_ESCAPES.sub("", escaped)
        assert special not in stripped
    assert "\n" not in escaped


def test_markdown_escapes_math_and_markup() -> None:
    assert markdown_text("$x$ *a* <b>") == r"\$x\$ \*a\* &lt;b&gt;"


@given(st.text(max_size=200))
def test_markdown_escaped_text_has_no_raw_specials(text: str) -> None:
    escaped = markdown_text(text)
    unescaped = re.sub(r"\\.", "", escaped)
    for special in "$`*_[]<>|":
        assert special not in unescaped
    assert "\n" not in escaped


@given(st.lists(st.sampled_from([r"w_{1} \cdot i_{1}", r"\left(-0.25\right) \cdot 0.593269992",
                                 r"\frac{1}{2} \left(a + b\right)^{2}", "b_{1}"]),
                min_size=1, max_size=80),
       st.sampled_from([" + ", " - "]))
def test_a_long_sum_is_broken_only_between_its_terms(terms: list[str], sign: str) -> None:
    form = sign.join(terms)
    broken = broken_sum(form)
    assert broken.replace(" \\\\\n&\\qquad", "") == form  # only line breaks are added
    for line in broken.split("\\\\\n"):
        assert line.count(r"\left") == line.count(r"\right")  # never inside brackets
        assert line.count("{") == line.count("}")
