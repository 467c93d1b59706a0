"""The LaTeX tracer writes, as MathML Core: math a browser typesets with no script or font.

Only the vocabulary tracer's documents and templates use (fractions, ∂, sub- and
superscripts, \\cdot, \\left( \\right), \\sum, Greek letters, \\text, aligned and cases
environments, a few functions and spaces). Anything else is an error, never dropped: a page
must not show a formula with a part silently missing. Text is escaped for XML here.

A symbol whose LaTeX is in `symbols` (LaTeX -> quantity name) is wrapped in a focusable
`<mrow class="q" data-q="name">`: the page highlights its step and path from it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import TracerError


class MathError(TracerError):
    """LaTeX outside the subset this module sets."""


_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[A-Za-z]+|[0-9]+(?:\.[0-9]+)?|\.[0-9]+|\s+|.", re.S)

def _words(text: str) -> list[str]:
    # Names in one string: a list of them would read as quantity names (test_architecture).
    return text.split()


_GREEK = dict(zip(_words(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu "
    "nu xi pi rho sigma tau upsilon phi varphi chi psi omega"),
    "αβγδϵεζηθϑικλμνξπρστυϕφχψω", strict=True))
_UPRIGHT_GREEK = dict(zip(_words("Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega"),
                          "ΓΔΘΛΞΠΣΥΦΨΩ", strict=True))
_OPERATORS = {
    "cdot": "⋅", "times": "×", "pm": "±", "mp": "∓", "leq": "≤", "le": "≤", "geq": "≥",
    "ge": "≥", "neq": "≠", "ne": "≠", "approx": "≈", "to": "→", "rightarrow": "→",
    "leftarrow": "←", "gets": "←", "cdots": "⋯", "ldots": "…", "dots": "…", "mid": "∣",
    "in": "∈", "sum": "∑", "prod": "∏", "propto": "∝", "equiv": "≡", "circ": "∘",
    "{": "{", "}": "}", "|": "‖", "lvert": "|", "rvert": "|",
}
_IDENTIFIERS = {"partial": "∂", "infty": "∞", "nabla": "∇", "ell": "ℓ", "_": "_", "%": "%",
                "#": "#", "&": "&", "$": "$", "prime": "′"}
_FUNCTIONS = frozenset(_words("log ln exp max min tanh sinh cosh sin cos tan sgn arg det"))
_SPACES = {",": "0.167em", ":": "0.222em", ";": "0.278em", " ": "0.25em", "quad": "1em",
           "qquad": "2em", "!": "-0.167em"}
_TEXT_COMMANDS = frozenset({"text", "textrm", "mathrm", "operatorname", "mathit"})
_FRACTIONS = frozenset({"frac", "dfrac", "tfrac"})
_ENVIRONMENTS = frozenset({"aligned", "cases", "matrix", "array"})
_LARGE = frozenset({"∑", "∏"})  # limits go under and over in display math
_CHAR_OPERATORS = {"-": "−", "'": "′", "*": "∗", "~": "\u00a0"}
_FENCES = "()[]|.,;:+=<>/!"

# A sign after an operator, or first, is unary: MathML would space it as a binary one.
_SIGNS = {f"<mo>{sign}</mo>": f'<mo form="prefix">{sign}</mo>' for sign in "−+±"}
_BEFORE_UNARY = ("<mo", "<munder")  # an operator, or a sum with its limits: ∑_k −t
_TALL = ("<mfrac", "<mtable", "<munder", "<mover", "<msqrt")
_CELL_ENDS = frozenset({"&", r"\\", r"\end"})
MAX_DEPTH = 60  # groups nested: tracer's deepest is about 8


def to_mathml(latex: str, *, display: bool = False,
              symbols: Mapping[str, str] | None = None) -> str:
    """`latex` as one `<math>` element (block for display math)."""
    body = _Parser(latex, symbols or {}).parse()
    mode = ' display="block"' if display else ""
    return f"<math{mode}>{body}</math>"


_INLINE = re.compile(r"\$([^$]+)\$")
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


def prose(html: str, symbols: Mapping[str, str] | None = None) -> str:
    """HTML text with each `$…$` in it set as inline MathML. Escaped free text has no `$`
    (escape.html_text writes it as `&#36;`), so only a template's own math is set."""
    return _INLINE.sub(lambda m: to_mathml(_unescape(m.group(1)), symbols=symbols), html)


def _unescape(html: str) -> str:
    return html.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class _Atom:
    xml: str
    start: int  # where its LaTeX starts and ends in the source
    end: int
    large: bool = False  # ∑: scripts become limits


class _Parser:
    """Recursive descent over the tokens; each method returns MathML text."""

    def __init__(self, source: str, symbols: Mapping[str, str]) -> None:
        self.source = source
        self.symbols = symbols
        self.tokens = [(m.group(), m.start()) for m in _TOKEN.finditer(source)
                       if not m.group().isspace()]
        self.at = 0
        self.depth = 0

    def fail(self, what: str) -> MathError:
        return MathError(f"cannot set {what} as MathML in {self.source[:80]!r}")

    def peek(self) -> str:
        return self.tokens[self.at][0] if self.at < len(self.tokens) else ""

    def where(self) -> int:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else len(self.source)

    def take(self) -> str:
        if self.at >= len(self.tokens):
            raise self.fail("an unfinished formula")
        self.at += 1
        return self.tokens[self.at - 1][0]

    def expect(self, token: str) -> None:
        found = self.take()
        if found != token:
            raise self.fail(f"{found!r} where {token!r} belongs")

    def parse(self) -> str:
        body = "".join(self.annotated(self.atoms(frozenset())))  # <math> is a row already
        if self.at < len(self.tokens):
            raise self.fail(repr(self.peek()))
        return body

    def row(self, stops: frozenset[str]) -> str:
        """Atoms up to (not including) a token in `stops`, as one element."""
        atoms = self.atoms(stops)
        parts = self.annotated(atoms)
        return parts[0] if len(parts) == 1 else f"<mrow>{''.join(parts)}</mrow>"

    def atoms(self, stops: frozenset[str]) -> list[_Atom]:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail("groups nested too deeply")
        atoms: list[_Atom] = []
        while self.peek() and self.peek() not in stops:
            if self.peek() in ("&", r"\\"):
                raise self.fail(f"{self.peek()!r} outside an environment")
            atom = self.scripted(self.atom())
            if atom.xml in _SIGNS and (not atoms or atoms[-1].xml.startswith(_BEFORE_UNARY)):
                atom = _Atom(_SIGNS[atom.xml], atom.start, atom.end)  # = −0.02: no gap
            atoms.append(atom)
        self.depth -= 1
        return atoms

    def annotated(self, atoms: list[_Atom]) -> list[str]:
        """The atoms' MathML; a run of up to four atoms that spells a known symbol is one
        focusable group (a single atom is the common case: w_{5}, \\frac{…}{…})."""
        parts, i = [], 0
        while i < len(atoms):
            for j in range(min(len(atoms), i + 4), i, -1):
                name = self.symbols.get(self.source[atoms[i].start:atoms[j - 1].end])
                if name is not None:
                    inner = _MARK.sub("", "".join(a.xml for a in atoms[i:j]))  # one symbol
                    if j - i > 1:
                        inner = f"<mrow>{inner}</mrow>"
                    parts.append(_TAG.sub(rf'\1 class="q" data-q="{_attribute(name)}" '
                                          'tabindex="0"', inner, count=1))
                    i = j
                    break
            else:
                parts.append(atoms[i].xml)
                i += 1
        return parts

    def scripted(self, base: _Atom) -> _Atom:
        """The base with the sub- and superscripts that follow it."""
        scripts: dict[str, str] = {}
        while self.peek() in ("_", "^") and self.peek() not in scripts:
            kind = self.take()
            scripts[kind] = self.atom().xml
        if not scripts:
            return base
        end = self.tokens[self.at - 1][1] + len(self.tokens[self.at - 1][0])
        tags = ("munder", "mover", "munderover") if base.large else ("msub", "msup", "msubsup")
        if "_" in scripts and "^" in scripts:
            xml = f"<{tags[2]}>{base.xml}{scripts['_']}{scripts['^']}</{tags[2]}>"
        elif "_" in scripts:
            xml = f"<{tags[0]}>{base.xml}{scripts['_']}</{tags[0]}>"
        else:
            xml = f"<{tags[1]}>{base.xml}{scripts['^']}</{tags[1]}>"
        return _Atom(xml, base.start, end)

    def atom(self) -> _Atom:
        start = self.where()
        token = self.take()
        xml, large = self.element(token), token in (r"\sum", r"\prod")
        end = self.tokens[self.at - 1][1] + len(self.tokens[self.at - 1][0])
        return _Atom(xml, start, end, large)

    def element(self, token: str) -> str:
        if token == "{":
            inner = self.row(frozenset("}"))
            self.expect("}")
            return inner
        if not token.isascii():  # tracer's math is ASCII; its text is in \text
            raise self.fail(repr(token))
        if token[0].isalpha():
            return f"<mi>{token}</mi>"
        if token[0].isdigit() or token[0] == ".":
            return f"<mn>{token}</mn>" if token != "." else "<mo>.</mo>"
        if token[0] == "\\":
            return self.command(token[1:])
        if token in _CHAR_OPERATORS:
            return f"<mo>{_CHAR_OPERATORS[token]}</mo>"
        if token in _FENCES:
            return f"<mo>{xml_text(token)}</mo>"
        raise self.fail(repr(token))

    def command(self, name: str) -> str:
        """A control sequence: a symbol, a space, or a construct with arguments."""
        if name in _GREEK:
            return f"<mi>{_GREEK[name]}</mi>"
        if name in _UPRIGHT_GREEK:
            return f'<mi mathvariant="normal">{_UPRIGHT_GREEK[name]}</mi>'
        if name in _OPERATORS:
            return f"<mo>{xml_text(_OPERATORS[name])}</mo>"
        if name in _IDENTIFIERS:
            return f"<mi>{xml_text(_IDENTIFIERS[name])}</mi>"
        if name in _FUNCTIONS:
            return f'<mi mathvariant="normal">{name}</mi>'
        if name in _SPACES:
            return f'<mspace width="{_SPACES[name]}"/>'
        return self.construct(name)

    def construct(self, name: str) -> str:
        if name in _FRACTIONS:
            return f"<mfrac>{self.argument()}{self.argument()}</mfrac>"
        if name == "sqrt":
            return f"<msqrt>{self.argument()}</msqrt>"
        if name in _TEXT_COMMANDS:
            return self.text(name)
        if name == "textcolor":
            return self.coloured()
        if name == "left":
            return self.fenced()
        if name == "begin":
            return self.environment()
        raise self.fail(f"\\{name}")

    def argument(self) -> str:
        return self.atom().xml

    def text(self, name: str) -> str:
        """\\text{…} and its kin: the braces' content as characters, not math."""
        self.expect("{")
        start, depth = self.at, 1
        while depth:
            token = self.take()
            depth += {"{": 1, "}": -1}.get(token, 0)
        words = self.source[self.tokens[start][1]:self.tokens[self.at - 1][1]]
        if "\\" in words or "{" in words:
            raise self.fail(f"commands inside \\{name}")
        if name == "text" or not words.strip().isalpha():
            return f"<mtext>{xml_text(words)}</mtext>"
        return f'<mi mathvariant="normal">{xml_text(words.strip())}</mi>'

    def coloured(self) -> str:
        """\\textcolor{#D55E00}{…}: a chain-rule factor in its colour (tracer.palette)."""
        self.expect("{")
        start = self.at
        while self.peek() not in ("}", ""):
            self.take()
        end = self.tokens[self.at][1] if self.at < len(self.tokens) else len(self.source)
        colour = self.source[self.tokens[start][1]:end].strip()
        self.expect("}")
        if not _COLOUR.fullmatch(colour):
            raise self.fail(f"the colour {colour!r}")
        return f'<mstyle mathcolor="{colour}">{self.argument()}</mstyle>'

    def fenced(self) -> str:
        """\\left( … \\right): the brackets stretch around their content."""
        opening = self.take()
        inner = self.row(frozenset({r"\right"}))
        self.expect(r"\right")
        # Chromium sets a stretched bracket around one line of text with gaps on both sides:
        # brackets stretch only around what is taller than a line.
        tall = any(tag in inner for tag in _TALL)
        return (f"<mrow>{self.delimiter(opening, tall)}{inner}"
                f"{self.delimiter(self.take(), tall)}</mrow>")

    def delimiter(self, token: str, tall: bool) -> str:
        if token == ".":
            return ""
        symbol = _OPERATORS.get(token[1:], "") if token.startswith("\\") else token
        if symbol not in ("(", ")", "[", "]", "{", "}", "|", "‖") or not symbol:
            raise self.fail(f"the delimiter {token!r}")
        return f'<mo stretchy="{"true" if tall else "false"}">{symbol}</mo>'

    def environment(self) -> str:
        """aligned (right = left pairs), cases (a brace and left-aligned columns)."""
        self.expect("{")
        name = self.take()
        self.expect("}")
        if name not in _ENVIRONMENTS:
            raise self.fail(f"the environment {name!r}")
        if name == "array":  # a column spec such as {cc}
            self.argument()
        rows = []
        while True:
            rows.append(self.table_row())
            if self.peek() != r"\\":
                break
            self.take()
        self.expect(r"\end")
        for token in ("{", name, "}"):
            self.expect(token)
        # MathML Core has no columnalign: the page's style sheet aligns by the class
        table = f'<mtable class="{name}" displaystyle="true">{"".join(rows)}</mtable>'
        if name == "cases":
            return f'<mrow><mo stretchy="true">{{</mo>{table}</mrow>'
        return table

    def table_row(self) -> str:
        cells = []
        while True:
            cells.append(f"<mtd>{self.row(_CELL_ENDS)}</mtd>")
            if self.peek() != "&":
                return f"<mtr>{''.join(cells)}</mtr>"
            self.take()


_MARK = re.compile(' class="q" data-q="[^"]*" tabindex="0"')
_TAG = re.compile("^(<[a-z]+)")


def _attribute(text: str) -> str:
    return xml_text(text).replace('"', "&quot;")
