"""The environment a user's templates run in: sandboxed, and on a budget.

User templates run sandboxed and on a budget (`TemplateBudget`), so that a broken or hostile
template ends as one line naming its file and line, never as a traceback, a hang or a machine
out of memory. One render may take 60 s (`TEMPLATE_SECONDS`), write 200 million characters
(`TEMPLATE_OUTPUT_CHARS`), make no value (a string, or a list as printed) of more than 50
million characters (`TEMPLATE_VALUE_CHARS`) nor a number of more than 10,000 digits
(`TEMPLATE_INT_DIGITS`), and grow the process by 1 GiB (`TEMPLATE_MEMORY_BYTES`). Operators
(`*`, `**`, `%`, `+`, `~`), filters, globals and string methods that could make more are refused
before they run; time and memory are checked by a timer on the main thread, and between
pieces of output and calls elsewhere. A user's templates are read only from inside their
folder: a link out of it is refused. The built-in templates alone render without any of this.
Only `renderer` uses this module; like it, this module imports jinja2.
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import dataclasses
import functools
import inspect
import math
import re
import signal
import sys
import threading
import time
import types
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sized
from pathlib import Path
from typing import Any, cast

import jinja2
import jinja2.compiler
import jinja2.exceptions
import jinja2.nodes
import jinja2.runtime
import jinja2.sandbox
import jinja2.utils
from jinja2.filters import make_attrgetter
from jinja2.loaders import split_template_path

from .errors import TracerError

# The template budget (see the module docstring): far above what any document needs (a
# [48, 48, 48] network's is 15 million characters, its template run in about 2 s on the
# budget, using 15 MiB), far below what would hang or exhaust the machine.
TEMPLATE_SECONDS = 60.0
TEMPLATE_OUTPUT_CHARS = 200_000_000
TEMPLATE_VALUE_CHARS = 50_000_000  # room for a whole document as one string
TEMPLATE_INT_DIGITS = 10_000  # Python prints at most 4,300 digits anyway
TEMPLATE_MEMORY_BYTES = 1 << 30
TICK_SECONDS = 0.05  # how often the main thread's timer looks at the clock and the memory


@dataclasses.dataclass(frozen=True)
class TemplateBudget:
    """What one render of a user's templates may use."""

    seconds: float = TEMPLATE_SECONDS
    output_chars: int = TEMPLATE_OUTPUT_CHARS
    value_chars: int = TEMPLATE_VALUE_CHARS
    int_digits: int = TEMPLATE_INT_DIGITS
    memory_bytes: int = TEMPLATE_MEMORY_BYTES


class FolderLoader(jinja2.FileSystemLoader):
    """A user's folder of templates, read only inside: a link out of it (jinja2 refuses `..`
    itself) would show any file the user can read, e.g. `leak.md.j2 -> ~/.ssh/id_rsa` in a
    shared folder. Links that stay inside are fine."""

    def __init__(self, folder: Path) -> None:
        super().__init__(str(folder))
        self.folder = folder
        self.inside = folder.resolve()

    def get_source(self, environment: jinja2.Environment, template: str
                   ) -> tuple[str, str, Callable[[], bool]]:
        path = self.folder.joinpath(*split_template_path(template))
        if path.is_file() and not path.resolve().is_relative_to(self.inside):
            raise TracerError("is a link to a file outside the --templates folder; not "
                              "reading it", source=str(path))
        return super().get_source(environment, template)


class OverBudget(BaseException):
    """A render ran out of time or memory. Raised from a timer wherever the template happens
    to be, so, like KeyboardInterrupt, nothing on the way out may catch it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _TooLarge(jinja2.exceptions.SecurityError):
    """A template asked for a value larger than its budget. An ordinary template error, so
    that jinja2's constant folding at compile time gives up and leaves it to the render."""


def error_place(exc: BaseException) -> str | None:
    """`file:line` of the innermost template frame in the traceback of `exc`: jinja2 rewrites
    template frames (jinja2.debug) to carry the template's file and line; those it has not
    rewritten (an OverBudget passes it by) carry the template object itself. For a
    RecursionError, the place that recurs most: where the stack ran out is a matter of
    chance (a line of the template's setup as often as its recursive call)."""
    places = list(_template_places(exc))
    if not places:
        return None
    if isinstance(exc, RecursionError):
        counts = collections.Counter(places)
        return max(places, key=lambda place: counts[place])  # ties: the outermost
    return places[-1]


def _template_places(exc: BaseException) -> Iterator[str]:
    tb = exc.__traceback__
    while tb is not None:
        names = tb.tb_frame.f_globals
        template = names.get("__jinja_template__")
        if "__jinja_exception__" in names:
            yield f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
        elif isinstance(template, jinja2.Template):
            line = template.get_corresponding_lineno(tb.tb_lineno)
            yield f"{template.filename or template.name}:{line}"
        tb = tb.tb_next


def error_text(exc: BaseException) -> str:
    """The message of a template's error as part of one line."""
    if isinstance(exc, OverBudget | _TooLarge):
        text = f"template budget: {exc.message}"
    elif isinstance(exc, jinja2.TemplateNotFound):
        text = f"template not found: {exc.message}"
    elif isinstance(exc, jinja2.TemplateError):
        text = f"template error: {exc.message}"
    else:  # Python's own errors read better with their kind: `KeyError: 'x'`
        text = f"template error: {type(exc).__name__}" + (f": {exc}" if str(exc) else "")
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:299] + "…"


# -- the budget: time and memory -------------------------------------------------------------


def _memory_in_use() -> int:
    """Resident memory of this process in bytes: from /proc where there is one (Linux), else
    its peak so far; 0 where neither is known (Windows)."""
    try:
        import resource
    except ImportError:
        return 0
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize()
    except (OSError, IndexError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


@dataclasses.dataclass(frozen=True)
class _Meter:
    """One render's budget as a deadline on the monotonic clock and a ceiling on the memory
    of the process (0: not measured)."""

    budget: TemplateBudget
    deadline: float
    memory_ceiling: int

    @classmethod
    def start(cls, budget: TemplateBudget) -> _Meter:
        used = _memory_in_use()
        return cls(budget, time.monotonic() + budget.seconds,
                   used + budget.memory_bytes if used else 0)

    def over(self, written: int = 0, memory: bool = True) -> str | None:
        """Why the render must stop now, if it must."""
        if written > self.budget.output_chars:
            return f"wrote more than {self.budget.output_chars} characters"
        if time.monotonic() > self.deadline:
            return f"took longer than {self.budget.seconds:g} s"
        if memory and self.memory_ceiling and _memory_in_use() > self.memory_ceiling:
            return f"used more than {self.budget.memory_bytes >> 20} MiB of memory"
        return None


_METER: contextvars.ContextVar[_Meter | None] = contextvars.ContextVar("template_meter",
                                                                      default=None)


def _tick() -> None:
    """The clock, looked at by each operator, filter and call of a template: off the main
    thread no timer does (memory is looked at between pieces of output)."""
    meter = _METER.get()
    if meter is not None and time.monotonic() > meter.deadline:
        raise OverBudget(f"took longer than {meter.budget.seconds:g} s")


@contextlib.contextmanager
def _metered(meter: _Meter) -> Iterator[None]:
    """Run a render on `meter`: the hooks of the environment see it, and on the main thread
    a timer checks it even while the template loops without calling anything."""
    token = _METER.set(meter)
    try:
        if threading.current_thread() is threading.main_thread() and hasattr(
                signal, "setitimer"):
            with _ticking(meter):
                yield
        else:
            yield
    finally:
        _METER.reset(token)


@contextlib.contextmanager
def _ticking(meter: _Meter) -> Iterator[None]:
    """SIGALRM every TICK_SECONDS while the render runs; then the previous handler and
    timer again (what was left of that timer, counted from now)."""
    armed = True

    def tick(signum: int, frame: types.FrameType | None) -> None:
        nonlocal armed
        reason = meter.over() if armed else None
        if reason:
            armed = False  # once: the way out must not be interrupted again
            raise OverBudget(reason)

    previous = signal.signal(signal.SIGALRM, tick)
    delay, interval = signal.setitimer(signal.ITIMER_REAL, TICK_SECONDS, TICK_SECONDS)
    started = time.monotonic()
    try:
        yield
    finally:
        try:
            armed = False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
            if delay:
                left = max(delay - (time.monotonic() - started), 1e-6)
                signal.setitimer(signal.ITIMER_REAL, left, interval)


def guarded_render(env: GuardedEnvironment, template: jinja2.Template,
                    context: Mapping[str, object]) -> str:
    """The template rendered piece by piece, so that its output is counted as it is made;
    a render over its budget is stopped where the template is, to name the line."""
    meter = _Meter.start(env.budget)
    chunks: list[str] = []
    written = 0
    with _metered(meter):
        stream = cast(Generator[str, None, None], template.generate(**context))
        for chunk in stream:
            chunks.append(chunk)
            written += len(chunk)
            reason = meter.over(written, memory=len(chunks) % 4096 == 0)
            if reason:
                stream.throw(OverBudget(reason))
    return "".join(chunks)


# -- the budget: sizes -----------------------------------------------------------------------

_OPAQUE = 64  # what another object prints as, about: `<function …>`, a jinja2 Macro
_LOG10_2 = math.log10(2)


def _digits(number: int) -> int:
    return int(abs(number).bit_length() * _LOG10_2) + 2


_LEAVES = (str, bytes, bytearray, int, float, complex, type(None))


def _parts(value: object) -> list[object] | None:
    """What `str(value)` shows inside `value`, if it is a container (None if not)."""
    if isinstance(value, _LEAVES):
        return None
    if isinstance(value, Mapping):
        return [*value.keys(), *value.values()]
    if isinstance(value, list | tuple | set | frozenset | deque):
        return list(value)
    if isinstance(value, jinja2.utils.Namespace):  # prints as <Namespace {…}>
        try:
            return list(object.__getattribute__(value, "_Namespace__attrs").values())
        except AttributeError:
            return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [getattr(value, field.name) for field in dataclasses.fields(value)]
    return None


def _leaf_size(value: object) -> int:
    if isinstance(value, str | bytes | bytearray):
        return len(value)
    if isinstance(value, int):
        return _digits(value)
    return 24 if isinstance(value, float | complex) else _OPAQUE


def _printed_size(value: object, limit: int) -> int:
    """About how many characters `str(value)` has, never more than `limit + 1`. A part shared
    by many containers counts wherever it is shown (as `str` shows it), yet is walked once:
    lists that hold the same list twice, nested 60 deep, cost 60 steps, not 2**60."""
    if isinstance(value, _LEAVES):
        return min(_leaf_size(value), limit + 1)
    sizes: dict[int, int] = {}
    keep: list[list[object]] = []  # every part alive until the end, so no id is reused
    stack: list[tuple[object, int, list[object] | None]] = [(value, 0, None)]
    while stack:
        item, own, nested = stack.pop()
        if nested is not None:  # the containers inside it are done
            sizes[id(item)] = min(own + sum(sizes[id(part)] for part in nested), limit + 1)
            continue
        parts = None if id(item) in sizes or isinstance(item, _LEAVES) else _parts(item)
        if parts is None:
            sizes.setdefault(id(item), min(_leaf_size(item), limit + 1))
            continue
        keep.append(parts)
        sizes[id(item)] = 5  # while open: a container inside itself prints as [...]
        own, nested = 2 + 2 * len(parts), []
        for part in parts:
            if isinstance(part, _LEAVES):
                own += _leaf_size(part)
            else:
                nested.append(part)
        stack.append((item, own, nested))
        stack.extend((part, 0, None) for part in nested)
    return sizes[id(value)]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _ints(values: Iterable[object]) -> list[int]:
    return [value for value in values if isinstance(value, int) and not isinstance(value, bool)]


def _int(value: object) -> int:
    """A size argument as the filter or method would take it (0 if it would refuse it)."""
    return value if isinstance(value, int) else 0


def _refuse(size: int, budget: TemplateBudget, what: str) -> None:
    if size > budget.value_chars:
        raise _TooLarge(f"{what} would make more than {budget.value_chars} characters")


def _refuse_digits(digits: int, budget: TemplateBudget, what: str) -> None:
    if digits > budget.int_digits:
        raise _TooLarge(f"{what} would make a number of more than {budget.int_digits} digits")


def _printed(value: object, budget: TemplateBudget) -> int:
    return _printed_size(value, budget.value_chars)


def _text(value: object, budget: TemplateBudget, what: str) -> str:
    """`str(value)`, once it is known to fit the budget."""
    if not isinstance(value, str):
        _refuse(_printed(value, budget), budget, what)
    return str(value)


_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?")
_BRACE_SPEC = re.compile(r"\{[^{}]*?:([^{}]*)\}")
_NESTED_BRACE = re.compile(r"\{[^{}]*\{")
_SPACES = " \t\n\r\v\f"


def _number(digits: str) -> int:
    """A width or precision written in a format (any longer than 12 digits is huge)."""
    return int(digits) if digits.isdigit() and len(digits) <= 12 else (
        10**12 if digits.isdigit() else 0)


def _format_values(args: object) -> list[object]:
    """The values a `%` or `str.format` formats: a tuple's items, a mapping's values."""
    if isinstance(args, Mapping):
        return list(args.values())
    return list(args) if isinstance(args, tuple) else [args]


def _percent_size(fmt: str | bytes, args: object, budget: TemplateBudget) -> int:
    """`fmt % args`: the format, its widths and precisions, the values; and a `*` width
    taken from the values."""
    text = fmt.decode("latin-1") if isinstance(fmt, bytes) else fmt
    values = _format_values(args)
    size = len(text) + _printed(values, budget) + sum(
        _number(group or "") for match in _PRINTF.finditer(text) for group in match.groups())
    if "*" in text:
        size += sum(map(abs, _ints(values)))
    return size


def _brace_size(fmt: str, values: list[object], budget: TemplateBudget) -> int:
    """`fmt.format(…)`: the format, the numbers in its specs, the values; and widths taken
    from the values (`{:{}}`)."""
    size = len(fmt) + _printed(values, budget) + sum(
        _number(run) for spec in _BRACE_SPEC.findall(fmt) for run in re.findall(r"\d+", spec))
    if _NESTED_BRACE.search(fmt):
        size += sum(map(abs, _ints(values)))
    return size


def _replace_size(text: str | bytes, old: str | bytes, new: str | bytes, count: object) -> int:
    hits = text.count(old)  # type: ignore[arg-type]  # str with str, bytes with bytes
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(len(new) - len(old), 0)


def _check_binop(operator: str, left: object, right: object, budget: TemplateBudget) -> None:
    """Refuse `left <operator> right` if its result would be over the budget."""
    what = f"{operator!r}"
    if _is_int(left) and _is_int(right):
        a, b = cast(int, left), cast(int, right)
        if operator == "*":
            _refuse_digits(_digits(a) + _digits(b), budget, what)
        elif operator == "**" and abs(a) > 1 and b > 0:
            _refuse_digits(math.ceil(abs(a).bit_length() * b * _LOG10_2), budget, what)
        return
    sequences = (str, bytes, list, tuple)
    if operator == "*":
        seq, times = (left, right) if _is_int(right) else (right, left)
        if isinstance(seq, sequences) and _is_int(times):
            _refuse(_printed(seq, budget) * max(cast(int, times), 0), budget, what)
    elif operator == "%" and isinstance(left, str | bytes):
        _refuse(_percent_size(left, right, budget), budget, what)
    elif operator == "+" and isinstance(left, sequences) and isinstance(right, sequences):
        _refuse(_printed(left, budget) + _printed(right, budget), budget, what)


# -- the budget: filters, globals and methods ------------------------------------------------

_Check = Callable[[Mapping[str, Any], "GuardedEnvironment", str], None]
_MethodCheck = Callable[[Any, tuple[Any, ...], Mapping[str, Any], TemplateBudget, str], None]


def _first(args: Mapping[str, Any]) -> Any:
    return next(iter(args.values()), None)


def _scaled(factor: int) -> _Check:
    """The check of a filter whose result is at most `factor` times its value printed
    (escaping makes up to six characters of one, `upper` three of `ﬃ`)."""
    def check(args: Mapping[str, Any], env: GuardedEnvironment, what: str) -> None:
        _refuse(factor * _printed(_first(args), env.budget), env.budget, what)
    return check


def _check_center(args: Mapping[str, Any], env: GuardedEnvironment, what: str) -> None:
    text = _text(args["value"], env.budget, what)
    _refuse(max(len(text), _int(args["width"])), env.budget, what)


def _check_indent(args: Mapping[str, Any], env: GuardedEnvironment, what: str) -> None:
    budget, width = env.budget, args["width"]
    text = _text(args["s"], budget, what)
    step = len(_text(width, budget, what)) if isinstance(width, str) else _int(width)
    lines = text.count("\n") + (1 if args["first"] else 0)
    # jinja makes the indentation string first, even for a text of one line
    _refuse(len(text) + max(lines, 1) * step, budget, what)


def _check_format(args: Mapping[str, Any], env: GuardedEnvironment, what: str) -> None:
    text = _text(args["value"], env.budget, what)
    _refuse(_percent_size(text, args["kwargs"] or args["args"], env.budget), env.budget, what)


def _check_join(args: Mapping[str, Any], env: GuardedEnvironment, what: str) -> None:
    value, separator, attribute = list(args.values())[:3]  # (value, d, attribute)
    items = list(value)
    if attribute is not None:
        items = list(map(make_attrgetter(env, attribute), items))
    separator = _text(separator, env.budget, what)
    _refuse(_printed(items, env.budget) + len(items) * len(separator), env.budget, what)


def _check_replace(args: Mapping[str, Any], env: GuardedEnvironment, what: str) -> None:
    text, old, new = (_text(args[key], env.budget, what) for key in ("s", "old", "new"))
    _refuse(_replace_size(text, old, new, args["count"]), env.budget, what)


def _check_truncate(args: Mapping[str, Any], env: GuardedEnvironment, what: str) -> None:
    size = sum(len(_text(args[key], env.budget, what)) for key in ("s", "end"))
    _refuse(size, env.budget, what)


def _check_wordwrap(args: Mapping[str, Any], env: GuardedEnvironment, what: str) -> None:
    text = _text(args["s"], env.budget, what)
    wrap = _text(args["wrapstring"] or env.newline_sequence, env.budget, what)
    lines = len(text) // max(_int(args["width"]), 1) + sum(map(text.count, _SPACES)) + 1
    _refuse(len(text) + lines * len(wrap), env.budget, what)


def _check_urlize(args: Mapping[str, Any], env: GuardedEnvironment, what: str) -> None:
    text = _text(args["value"], env.budget, what)
    extra = list(args.values())[1:]  # its attributes of each link, such as rel="…"
    link = 64 + sum(len(value) for value in extra if isinstance(value, str))
    _refuse(3 * len(text) + (sum(map(text.count, _SPACES)) + 1) * link, env.budget, what)


def _check_batch(args: Mapping[str, Any], env: GuardedEnvironment, what: str) -> None:
    if args["fill_with"] is not None:  # the last batch is filled up to `linecount` items
        each = _printed(args["fill_with"], env.budget) + 2
        _refuse(_int(args["linecount"]) * each, env.budget, what)


def _check_slice(args: Mapping[str, Any], env: GuardedEnvironment, what: str) -> None:
    each = _printed(args["fill_with"], env.budget) + 4  # a list, and maybe its filler
    _refuse(_int(args["slices"]) * each, env.budget, what)


def _check_tojson(args: Mapping[str, Any], env: GuardedEnvironment, what: str) -> None:
    indent = args["indent"]
    step = len(_text(indent, env.budget, what)) if isinstance(indent, str) else _int(indent)
    _refuse(6 * _printed(args["value"], env.budget) * (1 + step), env.budget, what)


def _check_sum(args: Mapping[str, Any], env: GuardedEnvironment, what: str) -> None:
    items, start = args["iterable"], args["start"]
    if not isinstance(start, int | float) and isinstance(items, Sized):
        # adding lists or strings copies the sum so far each time: count the copying
        size = _printed(items, env.budget) + _printed(start, env.budget)
        _refuse(len(items) * size, env.budget, what)


def _check_round(args: Mapping[str, Any], env: GuardedEnvironment, what: str) -> None:
    if _is_int(args["value"]) and _int(args["precision"]) < 0:  # round(5, -n) makes 10**n
        _refuse_digits(-_int(args["precision"]), env.budget, what)


def _check_lipsum(args: Mapping[str, Any], env: GuardedEnvironment, what: str) -> None:
    words = max(_int(args["max"]), 1)  # words of a paragraph, each with its space and comma
    _refuse(_int(args["n"]) * (words * 16 + 16), env.budget, what)


# By name: filters, and the globals `lipsum` (and `range`, which jinja2's sandbox caps at
# 100,000 numbers, checked for the time only).
_CHECKS: dict[str, _Check] = {
    "batch": _check_batch, "center": _check_center, "format": _check_format,
    "indent": _check_indent, "join": _check_join, "lipsum": _check_lipsum,
    "replace": _check_replace, "round": _check_round, "slice": _check_slice,
    "sum": _check_sum, "tojson": _check_tojson, "truncate": _check_truncate,
    "urlize": _check_urlize, "wordwrap": _check_wordwrap,
    **dict.fromkeys(("safe", "string", "striptags", "trim", "wordcount"), _scaled(1)),
    **dict.fromkeys(("capitalize", "lower", "title", "upper"), _scaled(3)),
    **dict.fromkeys(("e", "escape", "forceescape", "pprint", "xmlattr"), _scaled(6)),
    "urlencode": _scaled(12),  # %XX for each byte of UTF-8
}


def _arg(args: tuple[Any, ...], kwargs: Mapping[str, Any], index: int, name: str,
         default: object) -> Any:
    return args[index] if len(args) > index else kwargs.get(name, default)


def _check_pad(owner: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any],
               budget: TemplateBudget, what: str) -> None:
    _refuse(max(len(owner), _int(_arg(args, kwargs, 0, "width", 0))), budget, what)


def _check_expandtabs(owner: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any],
                      budget: TemplateBudget, what: str) -> None:
    tabs = owner.count("\t" if isinstance(owner, str) else b"\t")
    _refuse(len(owner) + tabs * _int(_arg(args, kwargs, 0, "tabsize", 8)), budget, what)


def _check_str_replace(owner: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any],
                       budget: TemplateBudget, what: str) -> None:
    if len(args) >= 2:
        count = _arg(args, kwargs, 2, "count", -1)
        _refuse(_replace_size(owner, args[0], args[1], count), budget, what)


def _check_str_join(owner: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any],
                    budget: TemplateBudget, what: str) -> None:
    items = args[0] if args else ()
    if isinstance(items, Sized):
        _refuse(_printed(items, budget) + len(items) * len(owner), budget, what)


def _check_translate(owner: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any],
                     budget: TemplateBudget, what: str) -> None:
    table = args[0] if args else None
    if isinstance(owner, str) and isinstance(table, Mapping | list | tuple):
        values = table.values() if isinstance(table, Mapping) else table
        longest = max((len(value) for value in values if isinstance(value, str)), default=1)
        _refuse(len(owner) * max(longest, 1), budget, what)


def _check_to_bytes(owner: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any],
                    budget: TemplateBudget, what: str) -> None:
    _refuse(_int(_arg(args, kwargs, 0, "length", 1)), budget, what)


# Methods of str and bytes (and int.to_bytes) whose result can be far longer than the string.
_METHOD_CHECKS: dict[str, _MethodCheck] = {
    "center": _check_pad, "ljust": _check_pad, "rjust": _check_pad, "zfill": _check_pad,
    "expandtabs": _check_expandtabs, "join": _check_str_join, "replace": _check_str_replace,
    "translate": _check_translate, "to_bytes": _check_to_bytes,
}


class _GuardedCodeGenerator(jinja2.compiler.CodeGenerator):
    """Compiles `a ~ b` to a call of the environment, which looks at the parts first."""

    @jinja2.compiler.optimizeconst
    def visit_Concat(self, node: jinja2.nodes.Concat, frame: jinja2.compiler.Frame) -> None:
        if frame.eval_ctx.volatile:  # joined as jinja2 joins them
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        else:
            join = "markup_join" if frame.eval_ctx.autoescape else "str_join"
        self.write(f"environment.checked_concat({join}, (")
        for part in node.nodes:
            self.visit(part, frame)
            self.write(", ")
        self.write("))")


class GuardedEnvironment(jinja2.sandbox.SandboxedEnvironment):
    """jinja2's sandbox on a budget: the operators, filters, globals and methods that can
    make large values look at their operands and arguments first, every `{{ … }}` at what
    it prints, and all of them at the clock."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})
    code_generator_class = _GuardedCodeGenerator

    def __init__(self, budget: TemplateBudget, **options: Any) -> None:
        super().__init__(**options)
        self.budget = budget
        self.finalize = self.checked_output
        self.filters = {name: self._guarded(name, f"|{name}", func)
                        for name, func in self.filters.items()}
        for name in ("range", "lipsum"):
            func = cast(Callable[..., Any], self.globals[name])
            self.globals[name] = self._guarded(name, f"{name}()", func)

    def _guarded(self, name: str, what: str, func: Callable[..., Any]) -> Callable[..., Any]:
        """`func` (a filter or a global) looking at the clock, and at its arguments if it
        has a check."""
        check = _CHECKS.get(name)
        if check is None:
            @functools.wraps(func)
            def timed(*args: Any, **kwargs: Any) -> Any:
                _tick()
                return func(*args, **kwargs)
            return timed
        inner = inspect.unwrap(func)  # jinja2's async variants wrap the filter
        signature = inspect.signature(inner)
        takes = getattr(inner, "jinja_pass_arg", None) is not None  # a context, env, …
        lead = 1 if getattr(func, "jinja_pass_arg", None) is not None and not takes else 0

        @functools.wraps(func)
        def checked(*args: Any, **kwargs: Any) -> Any:
            _tick()
            try:  # `lead`: what an async variant is given, and does not pass on
                bound = signature.bind(*args[lead:], **kwargs)
            except TypeError:
                return func(*args, **kwargs)  # wrong arguments: the filter says which
            bound.apply_defaults()
            names = list(bound.arguments)[1 if takes else 0:]
            if names and isinstance(bound.arguments[names[0]], Iterator):
                bound.arguments[names[0]] = list(bound.arguments[names[0]])  # look once
            check({key: bound.arguments[key] for key in names}, self, what)
            return func(*args[:lead], *bound.args, **bound.kwargs)
        return checked

    def checked_output(self, value: Any) -> Any:
        """Each `{{ … }}` (the finalize of the environment): a value that would print over
        the budget is refused before it becomes text."""
        _tick()
        if not isinstance(value, str):
            _refuse(_printed(value, self.budget), self.budget, "printing a value")
        return value

    def checked_concat(self, join: Callable[[Iterable[Any]], str], parts: tuple[Any, ...]
                       ) -> str:
        _tick()
        _refuse(_printed(parts, self.budget), self.budget, "'~'")
        return join(parts)

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any,
                   right: Any) -> Any:
        _tick()
        _check_binop(operator, left, right, self.budget)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any,
             **kwargs: Any) -> Any:
        _tick()
        name, owner = getattr(__obj, "__name__", None), getattr(__obj, "__self__", None)
        check = _METHOD_CHECKS.get(name) if isinstance(name, str) else None
        if check is not None and isinstance(owner, str | bytes | bytearray | int):
            if name == "join" and args:
                args = (list(args[0]), *args[1:])  # a generator's items, looked at once
            check(owner, args, kwargs, __self.budget, f"{type(owner).__name__}.{name}()")
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """`str.format` and `format_map`, sandboxed by jinja2, and checked first."""
        format_ = super().wrap_str_format(value)
        if format_ is None:
            return None
        fmt, name, budget = str(value.__self__), value.__name__, self.budget

        @functools.wraps(format_)
        def checked(*args: Any, **kwargs: Any) -> str:
            values = [*args, *kwargs.values()]
            values += [item for arg in args if isinstance(arg, Mapping) for item in arg.values()]
            _refuse(_brace_size(fmt, values, budget), budget, f"str.{name}()")
            return format_(*args, **kwargs)
        return checked
