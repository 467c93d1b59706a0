"""A question pool as Moodle's GIFT text (https://docs.moodle.org/en/GIFT_format).

GIFT holds one answer set per question: Moodle's importer (question/format/gift) takes the
text from the first `{` to the first `}` as the answers, so a question with several
numeric blanks would import as its first blank with the rest left in its text. Each asked
quantity is therefore its own numerical question, `{#value:tolerance}` (tolerance
absolute), carrying its variant's given values; a variant's questions share a category
`$course$/top/<exercise>/<variant>`, under the exercise's category. A quiz that must hand
a student one whole variant should import the Moodle XML (one Cloze question a variant).

GIFT cannot embed a file, so the network's figure is left out. The text is HTML (`[html]`,
the same statement as the Moodle XML one, math in `\\( ... \\)` for MathJax), then escaped
as Moodle's own GIFT export does: a backslash before each of `\\ ~ = # { } :`, and `\\n`
for a line break, as a blank line would end the question.
"""

from __future__ import annotations

from .lms import Blank, Pool, Question
from .moodle import (
    answer_numbers,
    category_path,
    html_text,
    math_html,
    question_name,
    statement_html,
)

_SPECIAL = "\\~=#{}:"


def gift_text(pool: Pool) -> str:
    """The pool as GIFT: the exercise's category, then for each variant its category and
    one numerical question per asked quantity, blocks apart by a blank line. Raises
    TracerError for a value a platform cannot be given."""
    blocks = [_category(category_path(pool.exercise))]
    for question in pool.questions:
        blocks.append(_category(category_path(pool.exercise, question.variant)))
        blocks += [_numerical(pool, question, blank) for blank in question.blanks]
    return "\n\n".join(blocks) + "\n"


def gift_escape(text: str) -> str:
    """Text with GIFT's special characters escaped, on one line."""
    escaped = "".join("\\" + ch if ch in _SPECIAL else ch for ch in text)
    return escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def _category(path: str) -> str:
    # The importer reads the rest of the line as the path after undoing only `\\`.
    return "$CATEGORY: " + path.replace("\\", "\\\\")


def _numerical(pool: Pool, question: Question, blank: Blank) -> str:
    value, tolerance = answer_numbers(question, blank)
    title = f"{question_name(pool, question)} — {blank.name}"
    body = (statement_html(pool, question) + f"\n<p>{math_html(blank.latex)} "
            f"(<code>{html_text(blank.name)}</code> on the answer sheet):</p>")
    return f"::{gift_escape(title)}::[html]{gift_escape(body)}{{#{value}:{tolerance}}}"
