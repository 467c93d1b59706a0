"""The naming scheme: the one module that turns a typed reference into a name and back.

Canonical names are ASCII and stable (answer sheets, JSON and `ask` lists use them):
`i1`, `w5`, `b1`, `b_h1`, `target_o1`, `eta`, `net_h1`, `out_o1`, `E_o1`, `E_total`,
`delta_o1`, `dE_total/dw5`, `w5_new`, `net_h1_after`; with several examples, per-example
quantities end in `@k` (`out_o1@2`). Each name has its LaTeX symbol, and answer sheets may
use a few other spellings (`dE/dw5`, `∂E_total/∂w5`, `w5+`, `dE_total/dnet_o1` for δ) and
the notation of the documents (`δ_{o1}`, `w_{5}`, `w5⁺`: see `notation`).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from functools import cached_property

from . import notation
from .quantities import Bias, Input, Neuron, Ref, Role, Unit, Value, Weight
from .safeexpr import ALIASES, FUNCTIONS

_INDEXED = re.compile(r"^([A-Za-z]+)(\d+)$")


def neuron(layer: str, index: int) -> str:
    """Neuron `index` (1-based) of the layer named `layer`: h1, o2."""
    return f"{layer}{index}"


# Names a quantity has or could have: an input w1_new would be the update of w1 (every name
# with _after starts net_, out_ or E_).
_RESERVED = re.compile(r"^(w\d+|b\d+|b_.*|eta|(net|out|E|target|delta)_.*|E|d.*/.*|[wb]\d+_new)$")
_NAME_SYNTAX = re.compile(r"[A-Za-z0-9_/@]{1,80}")
_NUMBERS = re.compile(r"\d+")
MAX_SUGGESTED = 200  # characters: a longer name is not a near miss (and difflib is quadratic)


def reserved(identifier: str) -> str:
    """Why an input may not be named `identifier` (it could be taken for a quantity: w1,
    net_h1, x_new), or nothing."""
    if _RESERVED.fullmatch(identifier):
        return "clashes with a quantity name (w1, b1, w1_new, eta, net_..., ...)"
    return ""


# A circuit's own names: x, q, f; df/dx; dq/dx; w_new; and df/dx_direct, the local
# derivative of the output's direct edge from x where x also reaches the output another way
# (its total gradient df/dx sums both).
_DIRECT = "_direct"
_CIRCUIT_RESERVED = re.compile(r"^(eta|e|.*_new|.*_direct|.*_after)$")


def circuit_reserved(identifier: str) -> str:
    """Why a circuit value may not be named `identifier` (a function, Euler's e, η, or a
    name the scheme makes: w_new, df/dx_direct), or nothing."""
    if identifier in FUNCTIONS or identifier in ALIASES or identifier in ("max", "min"):
        return "is the name of a function"
    if _CIRCUIT_RESERVED.fullmatch(identifier):
        return "clashes with a name tracer gives (eta, e, ..._new, ..._direct, ..._after)"
    return ""


def direct(ref: Ref, output: Unit) -> Ref:
    """The local derivative `ref` (of the output), marked as its direct edge only."""
    return dataclasses.replace(ref, unit=output)


def could_be_name(text: str) -> bool:
    """Whether `text` is written like a quantity name (checked against a trace later), in
    any spelling `NameTable.resolve` reads."""
    return bool(_NAME_SYNTAX.fullmatch(_respelled(_spelled(text))))


# -- canonical names ----------------------------------------------------------------------
# A trace names every one of its terms once: 24,000 of them for 4,608 weights. These are
# written as few calls as can be.

_PREFIX = {Role.TARGET: "target_", Role.NET: "net_", Role.OUT: "out_", Role.ERROR: "E_",
           Role.DELTA: "delta_"}


def name(ref: Ref) -> str:
    """The canonical name of a quantity."""
    role, unit = ref.role, ref.unit
    if ref.of is not None and ref.wrt is not None:  # a derivative
        text = f"d{name(ref.of)}/d{name(ref.wrt)}"
        if unit is not None:  # a circuit's direct edge into the output
            text += _DIRECT
    elif role is Role.RATE:
        text = "eta"
    elif unit is None and role is Role.ERROR:
        text = "E_total"
    elif unit is None:
        raise ValueError(f"a {role} quantity needs a unit")
    elif role is Role.UPDATE:
        text = _unit(unit) + "_new"
    else:
        text = _PREFIX.get(role, "") + _unit(unit)
    if ref.after:
        text += "_after"
    return f"{text}@{ref.example}" if ref.example else text


def _unit(unit: Unit) -> str:
    """The name of what a quantity belongs to: w5, b1, b_h1, i1, h1."""
    if type(unit) is Weight:
        return f"w{unit.number}"
    if type(unit) is Bias:
        return f"b{unit.layer}" if unit.neuron is None else f"b_{unit.neuron.name}"
    assert isinstance(unit, (Input, Neuron, Value))
    return unit.name


# -- LaTeX symbols ------------------------------------------------------------------------

def upright(word: str) -> str:
    """A word in math as a word, upright (\\mathrm{net}), not a product of italic letters;
    one letter stays a variable (x). `_` escaped."""
    text = word.replace("_", r"\_")
    return text if len(word) == 1 else rf"\mathrm{{{text}}}"


def identifier_latex(identifier: str) -> str:
    """LaTeX for a spec identifier: i1 -> i_{1}, x -> x; other names upright, `_` escaped
    (bias_in -> \\mathrm{bias\\_in}, x_1 -> \\mathrm{x\\_1})."""
    match = _INDEXED.fullmatch(identifier)
    if match:
        return f"{upright(match.group(1))}_{{{match.group(2)}}}"
    return upright(identifier)


def _subscript(identifier: str) -> str:
    """A neuron name as a subscript body: h1 stays h1 (a letter and its number), hid_a1
    becomes \\mathrm{hid\\_a1}."""
    match = _INDEXED.fullmatch(identifier)
    if match and len(match.group(1)) == 1:
        return identifier
    return upright(identifier)


_STEM = {Role.TARGET: upright("target"), Role.NET: upright("net"), Role.OUT: upright("out"),
         Role.ERROR: "E", Role.DELTA: r"\delta"}
TOTAL_ERROR_LATEX = r"E_{\mathrm{total}}"
_SHARED = frozenset({Role.WEIGHT, Role.BIAS, Role.RATE})  # one value for every example


def latex(ref: Ref) -> str:
    """The LaTeX symbol of a quantity: \\mathrm{net}_{h1}, {\\mathrm{out}_{o1}}^{(2)},
    {w_{5}}^{+}, ∂E/∂w; words upright."""
    return _latex(ref, ref.example)


def _latex(ref: Ref, example: int) -> str:
    """`ref`'s symbol for training example `example` (0: none)."""
    role, unit = ref.role, ref.unit
    if ref.of is not None and ref.wrt is not None:  # of each example, where it has one
        top = _latex(ref.of, 0 if ref.of.role in _SHARED else example)
        bottom = _latex(ref.wrt, 0 if ref.wrt.role in _SHARED else example)
        fraction = rf"\frac{{\partial {top}}}{{\partial {bottom}}}"
        return fraction if unit is None else rf"\left.{fraction}\right|_{{\mathrm{{direct}}}}"
    if role is Role.UPDATE:
        return _plus(_unit_latex(unit), example)
    if role is Role.RATE:
        text = r"\eta"
    elif unit is None and role is Role.ERROR:
        text = TOTAL_ERROR_LATEX
    elif unit is None:
        raise ValueError(f"a {role} quantity needs a unit")
    elif type(unit) is Neuron:
        text = f"{_STEM[role]}_{{{_subscript(unit.name)}}}"
    elif type(unit) is Value and role is Role.NODE:
        text = identifier_latex(unit.name)
    else:
        text = _unit_latex(unit)
    text = f"{{{text}}}^{{({example})}}" if example else text
    return _plus(text, 0) if ref.after else text


def _plus(symbol: str, example: int) -> str:
    """w_{5} -> {w_{5}}^{+}: updated, or after the update; online, {w_{5}}^{+(k)}."""
    mark = f"+({example})" if example else "+"
    return f"{{{symbol}}}^{{{mark}}}"


def _unit_latex(unit: Unit | None) -> str:
    if type(unit) is Weight:
        return f"w_{{{unit.number}}}"
    if type(unit) is Bias:
        body = str(unit.layer) if unit.neuron is None else _subscript(unit.neuron.name)
        return f"b_{{{body}}}"
    assert isinstance(unit, (Input, Value))
    return identifier_latex(unit.name)


# The generic symbols of the loss written for any output neuron k.
GENERIC_OUT, GENERIC_TARGET = r"\mathrm{out}_{k}", r"\mathrm{target}_{k}"


# -- randomized exercises -----------------------------------------------------------------

def randomize_key(ref: Ref) -> str:
    """The `[randomize]` key that draws a given value: weights.w5, biases.b_h1, inputs.i1,
    targets.o1, learning_rate."""
    if ref.role == Role.RATE:
        return "learning_rate"
    if type(ref.unit) is Value:
        return f"values.{ref.unit.name}"
    group = {Role.WEIGHT: "weights", Role.BIAS: "biases", Role.INPUT: "inputs",
             Role.TARGET: "targets"}[ref.role]
    assert ref.unit is not None
    return f"{group}.{_unit(ref.unit)}"


# -- names as students write them ---------------------------------------------------------

def aliases(ref: Ref) -> tuple[str, ...]:
    """Other spellings of a quantity's name: dE/dw5 for dE_total/dw5; dE_total/dnet_o1,
    dE/dnet_o1 and deltao1 for delta_o1."""
    suffix = f"@{ref.example}" if ref.example else ""
    found = []
    if ref.role in (Role.LOCAL, Role.PATH, Role.GRADIENT) and ref.of is not None and (
            ref.of.role == Role.ERROR and ref.of.unit is None and ref.wrt is not None):
        found.append(f"dE/d{name(ref.wrt)}{suffix}")
    if ref.role == Role.DELTA:
        net = name(Ref(Role.NET, ref.unit))
        assert ref.unit is not None
        found += [f"dE_total/d{net}{suffix}", f"dE/d{net}{suffix}",
                  f"delta{_unit(ref.unit)}{suffix}"]
    if ref.after:  # printed {E_{total}}^{+}: written E_total⁺, E_total+, E_total'
        found.append(f"{name(dataclasses.replace(ref, after=False, example=0))}_new{suffix}")
    return tuple(found)


# A run of the characters names are made of: a name starts a run, and ends it or a `/` in it.
# In a formula, a run may end in an update mark (w5^+ from w5⁺, or w5'); a plain + there is
# an addition, and marks the update only at the end of a line's name (w5+ = 0.35).
_RUN = re.compile(r"([A-Za-z0-9_@/]+)(\^\+|')?")
_UPDATE_MARK = re.compile(r"(?<=[A-Za-z0-9_])(?:\^\+|\+|')$")
_UPDATED = "_new"

# Spellings read as another wherever they stand, when the name as written is not known:
# Etotal and E_tot for E_total (unambiguous: a neuron's name ends in a digit), and an index
# after an underscore, as the documents print w_{5} and i_{1} (w_5 for w5; not in net_h_1,
# where it belongs to a neuron's name).
_TOTAL = re.compile(r"(?<![A-Za-z0-9_])(d?)E_?tot(?:al)?(?![A-Za-z0-9])")
_INDEX = re.compile(r"(?<![A-Za-z0-9_])([A-Za-z]+)_(\d+)(?![A-Za-z0-9])")


def _spelled(written: str) -> str:
    """A line's name in ASCII (see `notation`), without spaces, its update mark (w5⁺,
    w5', w5^+, w5+) spelled as the update's name."""
    text = re.sub(r"\s+", "", notation.normalize(written))
    return _UPDATE_MARK.sub(_UPDATED, text)


def _respelled(text: str) -> str:
    """`text` with Etotal, E_tot and w_5 spelled E_total and w5."""
    if "_" not in text and "tot" not in text:  # most runs of a formula (numbers, i1)
        return text
    return _INDEX.sub(r"\1\2", _TOTAL.sub(r"\1E_total", text))


class NameMatcher:
    """Finds canonical names (and their aliases) in formula text, longest first.

    The text is cut into runs of name characters (letters, digits, `_`, `@`, `/`); a name is
    the longest spelling that is a run or the part of one before a `/` in it (`dE/dw5`, or
    `out_h1` of `out_h1/2`): a few dictionary look-ups a run. (One regular expression
    alternating over every spelling accepted the same names, but a [32, 32, 32] trace has
    19,700 of them: 3.5 s to compile, 0.1 s to scan a 1,000-character formula.)
    """

    def __init__(self, names: Mapping[str, str]) -> None:
        """`names`: every accepted spelling -> its canonical name."""
        self._names = dict(names)

    def substitute(self, text: str) -> tuple[str, tuple[str, ...]]:
        """The text with each name replaced by a placeholder `_q<i>`, and the names (text
        in ASCII: see `notation.normalize`)."""
        found: dict[str, int] = {}  # canonical name -> its placeholder's number
        pieces: list[str] = []
        done = 0  # where `text` is copied up to (in `read` while a run is rewritten)
        for word in _RUN.finditer(text):
            read, matches, end = self._read(word)
            source, offset = text, word.start()
            if read is not None:  # respelled, or with its mark: the whole run replaced
                pieces.append(text[done:word.start()])
                source, offset, done = read, 0, 0
            for start, match in matches:
                number = found.setdefault(self._names[match], len(found))
                pieces += [source[done:offset + start], f" _q{number} "]
                done = offset + start + len(match)
            if read is not None:
                pieces.append(read[done:])
                done = end
        pieces.append(text[done:])
        return "".join(pieces), tuple(found)

    def _read(self, word: re.Match[str]) -> tuple[str | None, list[tuple[int, str]], int]:
        """The run as read when that is not as written, the names in it (offset, spelling)
        and where it ends in the text: with its update mark when run and mark are an
        update's name (w5^+), or respelled when that finds more names (Etotal, w_5), so
        known spellings come first."""
        run, mark = word.groups()
        if mark:
            for candidate in (run + _UPDATED, _respelled(run + _UPDATED)):
                matches = list(self._names_in(candidate))
                if matches and matches[-1][0] + len(matches[-1][1]) == len(candidate):
                    return candidate, matches, word.end()
        matches = list(self._names_in(run))
        if matches and ("/" not in run or sum(1 + match.count("/") for _, match in matches)
                        > run.count("/")):
            return None, matches, word.end(1)  # a name in every piece between the /s
        respelled = _respelled(run)
        more = list(self._names_in(respelled)) if respelled != run else []
        if len(more) > len(matches):
            return respelled, more, word.end(1)
        return None, matches, word.end(1)

    def _names_in(self, run: str) -> Iterator[tuple[int, str]]:
        """(offset, spelling) of each name in a run: the longest at its start, then the same
        after each `/` that follows (`out_h1/out_h2` is a quotient of two names)."""
        start = 0
        while start < len(run):
            match = self._longest(run[start:])
            if match is not None:
                yield start, match
                start += len(match)
            slash = run.find("/", start)
            if slash < 0:
                return
            start = slash + 1

    def _longest(self, run: str) -> str | None:
        """The longest spelling that is `run` or ends before one of its `/`, if any."""
        end = len(run)
        while end > 0:
            if run[:end] in self._names:
                return run[:end]
            end = run.rfind("/", 0, end)
        return None


class NameTable:
    """The canonical names of one trace and every spelling that stands for one of them."""

    def __init__(self, refs: Iterable[tuple[str, Ref]]) -> None:
        """`refs`: (canonical name, reference) of every quantity, in trace order."""
        self._pairs = list(refs)
        self.canonical = tuple(text for text, _ in self._pairs)
        self._known = frozenset(self.canonical)

    @cached_property
    def spellings(self) -> Mapping[str, str]:
        """Every accepted spelling and its canonical name (made when a sheet first uses
        one that is not canonical, or a formula: 24,000 names for 4,608 weights)."""
        spellings = {text: text for text in self.canonical}
        for text, ref in self._pairs:
            for alias in aliases(ref):
                if alias not in self._known:
                    spellings.setdefault(alias, text)
        return spellings

    @cached_property
    def matcher(self) -> NameMatcher:
        """Finds these names in formulas."""
        return NameMatcher(self.spellings)

    def resolve(self, written: str) -> str | None:
        """The canonical name for a name as written, or None: any spelling of `spellings`,
        in the notation of the documents (∂E_{total}/∂w_{5}, δ_o1, η: see `notation`),
        with an update mark (w5⁺, w5', w5^+, w5+ for w5_new), Etotal or E_tot for E_total,
        w_5 for w5; spaces ignored."""
        text = _spelled(written)
        return self._lookup(text) or self._lookup(_respelled(text))

    def _lookup(self, text: str) -> str | None:
        return text if text in self._known else self.spellings.get(text)

    def suggest(self, written: str) -> str:
        """` (did you mean w5?)` for a near miss, or nothing (see `closest`)."""
        close = self.closest(written)
        return f" (did you mean {close}?)" if close else ""

    def closest(self, written: str) -> str:
        """The name nearest a near miss, or nothing. Names are compared by shape first
        (`dE_total/dw#`), then by their numbers within the closest shape: difflib over
        every name of a [32, 32, 32] trace took 0.2 s a name."""
        text = _respelled(_spelled(written))  # net_{h3} is compared as net_h3
        if len(text) > MAX_SUGGESTED:
            return ""
        shapes = difflib.get_close_matches(_NUMBERS.sub("#", text), list(self._shapes), n=1)
        if not shapes:
            return ""
        family = self._shapes[shapes[0]]
        numbers = " ".join(_NUMBERS.findall(text))
        close = [numbers] if numbers in family else difflib.get_close_matches(
            numbers, list(family), n=1, cutoff=0.0)
        return family[close[0]] if close else ""

    @cached_property
    def _shapes(self) -> dict[str, dict[str, str]]:
        """Canonical names by shape (numbers as #), each by its numbers: 29 shapes hold the
        10,821 names of a [32, 32, 32] trace."""
        shapes: dict[str, dict[str, str]] = {}
        for text in self.canonical:
            numbers = " ".join(_NUMBERS.findall(text))
            shapes.setdefault(_NUMBERS.sub("#", text), {}).setdefault(numbers, text)
        return shapes
