"""Escaping of free text from a spec (titles, descriptions) for LaTeX and Markdown.

Identifiers are checked against a strict pattern when a spec loads; free text is escaped
here character by character. `^` matters in LaTeX: `^^5c` is read as a backslash, so no
blacklist of commands would be enough.
"""

from __future__ import annotations

import math
import re
import unicodedata

_LATEX = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "%": r"\%",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    # typography TeX would apply: O'Neil must not become O’Neil, nor -- an en dash
    "'": r"\textquotesingle{}",
    "`": r"\textasciigrave{}",
    "-": r"-\kern0pt{}",
}

# Characters with a meaning in CommonMark or in GitHub's math and HTML handling.
_MARKDOWN_SPECIAL = set("\\`*_{}[]#|$~^!")


# Beyond Latin-1 these are the characters pdflatex (utf8 inputenc, T1 fonts) sets by itself.
_LATEX_UNICODE = set("–—‘’“”…•€")


def latex_text(text: str) -> str:
    """`text` as literal characters in LaTeX text mode: TeX's specials escaped, every other
    character kept (王, Þ, Ελένη: a PDF of them is compiled with LuaLaTeX, see `pdf`)."""
    return "".join(_LATEX.get(ch, ch) for ch in _printable(text))


def pdflatex_can_set(ch: str) -> bool:
    """Whether pdflatex (utf8 inputenc, T1 fonts) sets `ch`: Latin-1 and a few others."""
    return ord(ch) < 0x100 or ch in _LATEX_UNICODE


def markdown_text(text: str) -> str:
    """`text` as literal characters in Markdown, including GitHub's `$` math."""
    out = []
    for ch in _printable(text):
        if ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch == "&":
            out.append("&amp;")
        elif ch in _MARKDOWN_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
         "$": "&#36;"}  # `$`: a page sets `$…$` in its own prose as math, never in free text


def html_text(text: str) -> str:
    """`text` as literal characters in HTML text or a quoted attribute."""
    return "".join(_HTML.get(ch, ch) for ch in _printable(text))


def _printable(text: str) -> str:
    # Control characters (newlines included) would break a heading or a table row.
    return "".join(ch if ch.isprintable() else " " for ch in text)


def terminal_text(text: str, *, keep_lines: bool = True) -> str:
    """`text` safe to print on a terminal: a control character (an escape sequence could
    clear the screen and draw a fake score) or a bidi override shows as its code, `\\x1b`."""
    kept = "\n\t" if keep_lines else ""
    return "".join(ch if ch in kept or (ch.isprintable() and ch not in _BIDI) else
                   ascii(ch)[1:-1] for ch in text)


# Characters that reorder the text around them: a name could show as another one.
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def spreadsheet_safe(cell: str) -> str:
    """A CSV cell that a spreadsheet will not run: text starting with = + - @ gets a quote.
    Control, format and bidi characters show as U+FFFD: an RTL override could make one
    student's id read as another's, and a line separator could split the row."""
    cell = visible_text(cell)
    if cell[:1] in ("=", "+", "-", "@") and not _is_number(cell):
        return "'" + cell
    return cell


# Control (Cc), format (Cf: bidi overrides, zero-width), lone surrogates, line separators.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def visible_text(text: str) -> str:
    """`text` with every character that is invisible or moves other text replaced by
    U+FFFD, so that what is shown is what is there."""
    return "".join("\ufffd" if unicodedata.category(ch) in _HIDDEN else ch for ch in text)


# Characters XML 1.0 cannot hold (controls but tab and line breaks, lone surrogates, and
# U+FFFE/U+FFFF): a document holding one does not parse.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_chars(text: str) -> str:
    """`text` with every character XML 1.0 cannot hold replaced by U+FFFD (the escaping of
    the others is the XML writer's)."""
    return _NOT_XML.sub("\ufffd", text)


def _is_number(text: str) -> bool:
    try:
        number = float(text)
    except ValueError:
        return False
    return math.isfinite(number)  # "-inf" or "-nan" is no number to a spreadsheet
