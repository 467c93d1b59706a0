"""The notation students copy from our documents and type, spelled in ASCII.

`normalize` is the one place where a sheet's glyphs become the ASCII the parser reads: the
Greek letters the documents print (η, σ, δ, ∂) spelled out, the minus and multiplication
signs people type (− – · ⋅ × ∗), ½, superscript powers (x², x⁻¹), the update mark ⁺, primes
(′ ’), a no-break space, LaTeX braces (`net_{h1}`, `e^{-x}`) and upright words
(`\\mathrm{net}_{h1}`, `E_{\\mathrm{total}}`). It knows nothing of a
network's names: what a name means (`w5^+`, `Etotal`) is `names`'s business, what `e^x`
means is `safeexpr`'s. Any other non-ASCII character is left in place, so that the caller
refuses it and `foreign` can say which it is.
"""

from __future__ import annotations

import re
import unicodedata

# One glyph, one ASCII spelling. Only glyphs with a single meaning in a derivation: √, ÷ or
# Cyrillic look-alikes are refused rather than guessed.
GLYPHS = {
    "η": "eta", "σ": "sigma", "δ": "delta", "∂": "d",  # as the documents print them
    "−": "-", "–": "-",  # U+2212 minus sign, U+2013 en dash
    "·": "*", "⋅": "*", "×": "*", "∗": "*",  # middle dot, \cdot as rendered, times, asterisk
    "½": "(0.5)",  # in brackets: ½(x) and ½x are products (see safeexpr); 2½ is 2.5
    "⁺": "^+",  # w5⁺, the updated weight
    "′": "'", "’": "'",  # a prime, and the apostrophe word processors put for '
    "\u00a0": " ",  # no-break space (copied from a PDF or a web page)
}
_GLYPH = re.compile("|".join(map(re.escape, GLYPHS)))
_MIXED_HALF = re.compile(r"(?<=\d)½")  # 2½: a mixed number, not 2·½
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_POWER = re.compile("(⁻?)([⁰¹²³⁴⁵⁶⁷⁸⁹]+)")  # x², x¹⁰, x⁻¹
_ATOM_IN_BRACES = re.compile(r"(?:(?<=_)|(?<![A-Za-z0-9_]))\{([A-Za-z0-9_]+)\}")  # _{h1}, {w_5}
_UPRIGHT = re.compile(r"\\mathrm\{((?:[A-Za-z0-9]|\\?_)+)\}")  # \mathrm{net}_{h1}: a word
_PLUS_IN_BRACES = re.compile(r"\^\{\+\}")  # {w_{5}}^{+}
_EXPONENT_IN_BRACES = re.compile(r"\^\{([^{}]*)\}")  # e^{-x}


def normalize(text: str) -> str:
    """`text` with the accepted notation spelled in ASCII; idempotent, and plain ASCII
    formulas (names, numbers, + - * / ^ and brackets) come back unchanged."""
    if text.isascii() and "{" not in text:
        return text  # most lines of most sheets
    text = _GLYPH.sub(lambda match: GLYPHS[match.group()], _MIXED_HALF.sub(".5", text))
    text = _POWER.sub(_power, text)
    return _without_braces(text)


def _power(match: re.Match[str]) -> str:
    digits = match.group(2).translate(_SUPERSCRIPT)
    return f"^(-{digits})" if match.group(1) else f"^{digits}"


def _without_braces(text: str) -> str:
    """LaTeX braces that group a subscript, an atom or an exponent, innermost first
    (`e^{-net_{h1}}`); other braces are left for the parser to refuse. Each round removes
    a pair, so this ends."""
    if "{" not in text or _depth(text) > MAX_BRACES:
        return text  # deeper: left for the parser to refuse, each round would cost a pass
    while True:
        done = _UPRIGHT.sub(lambda match: match.group(1).replace(r"\_", "_"), text)
        done = _ATOM_IN_BRACES.sub(r"\1", done)
        done = _PLUS_IN_BRACES.sub("^+", done)
        done = _EXPONENT_IN_BRACES.sub(r"^(\1)", done)
        if done == text:
            return text
        text = done


MAX_BRACES = 8  # nested braces read: net_{h1} in e^{-net_{h1}} is two


def _depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        depth += (char == "{") - (char == "}")
        deepest = max(deepest, depth)
    return deepest


def foreign(text: str) -> str:
    """The first character of `text` that stays non-ASCII after `normalize`, named
    (`U+221A SQUARE ROOT`: a zero-width space is invisible between quotes), or nothing."""
    for char in normalize(text):
        if not char.isascii():
            name = unicodedata.name(char, "")
            return f"U+{ord(char):04X} {name}".rstrip()
    return ""


# -- Chinese around the answers ---------------------------------------------------------------
# What Chinese input methods type and Chinese sheets write around an answer: full-width forms
# of ASCII signs and digits (＝ （ ） － ＋ ： ０-９, one for one; not letters: ｏut_h1 is
# refused, it only looks like a name), the ideographic space, labels such as 答：, 解: or
# 隐藏层净输入：, words before a name, and remarks after the value.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)
               if not chr(code - 0xFEE0).isalpha()} | {0x3000: 0x20}
_IDEOGRAPH = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK = f"{_IDEOGRAPH}\u3001-\u303f"  # ideographs, and the CJK punctuation 、。「」【】
_LABEL = re.compile(  # 答：, 解:, （1）答：
    f"^\\s*(?:\\(\\d{{1,3}}\\)\\s*)?[{_CJK}]*[{_IDEOGRAPH}][{_CJK}]*\\s*:\\s*")
_WORDS_BEFORE = re.compile(f"^\\s*[{_CJK}]+\\s+")  # 权重 w5 = …
_REMARK = re.compile(f"\\s*\\(?\\s*[{_CJK}].*$")  # … = 0.36 （保留四位小数）, … = 0.36。
_ANY_IDEOGRAPH = re.compile(f"[{_IDEOGRAPH}]")
_CLOSING = "，。；！？、,;"  # sentence punctuation after the value (not ASCII . : 0.5.)


def labelled(line: str) -> str:
    """An answer line with the Chinese around it taken away: full-width ASCII forms made
    ASCII, a label before the answer (`答：`) or words before its name dropped, a remark
    after its value made a `#` comment; a line of prose without `=` becomes a comment.
    ASCII lines come back unchanged; what is left of the answer is read as before (so a
    name or formula holding Chinese is still refused, by the reader)."""
    if line.isascii():
        return line
    text, _, comment = line.partition("#")
    text = text.rstrip().rstrip(_CLOSING).translate(_FULL_WIDTH)  # 0.36， ends a sentence
    if "#" in text:  # ＃ was a comment's mark
        text, more = text.split("#", 1)
        comment = more + comment
    text = _WORDS_BEFORE.sub("", _LABEL.sub("", text))
    if "=" not in text:
        return f"# {line}" if _ANY_IDEOGRAPH.search(text) else text
    name, _, rest = text.partition("=")
    kept = _REMARK.sub("", rest)
    if kept.strip() and kept != rest:  # w5 = 王 keeps its 王, for the reader to refuse
        rest, comment = kept, rest[len(kept):] + comment
    return f"{name}={rest}" + (f" #{comment}" if comment else "")
