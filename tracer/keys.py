"""Homework answer keys: seeded per-student variants of a randomized exercise.

Variants, rosters, variant specs, blank answer sheets and the manifest; `handouts` renders
the documents and puts every file together in memory before anything is written, so a bad
roster or an impossible draw writes nothing. The graph is built once; each variant only
evaluates it.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import messages, names
from .circuit import gradient_of
from .errors import NumericError, SpecError, TracerError
from .escape import spreadsheet_safe, visible_text
from .evaluation import Trace, evaluate
from .graph import Graph, Term
from .numbers import shows_as_zero
from .quantities import PARAMETER_ROLES, Bias, Input, Neuron, Ref, Role, Stage, Value, Weight
from .randomize import chosen_rules, draw, variant_seed
from .reading import read_text
from .spec import Spec, spec_from_dict, spec_to_dict
from .tomlout import to_toml

MAX_STUDENTS = 10_000
MAX_ATTEMPTS = 50  # draws per variant before giving up on a degenerate exercise
ROSTER_LIMIT = 5_000_000  # bytes


@dataclass(frozen=True)
class Student:
    id: str
    name: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)  # other roster columns, kept


@dataclass(frozen=True)
class Variant:
    file_id: str  # safe for file names
    student: Student | None
    seed: int
    values: Mapping[str, float]  # the drawn values by canonical name
    trace: Trace


def read_roster(path: Path) -> list[Student]:
    """A CSV with a header, an `id` column (required, unique), optional `name`; other columns
    are kept. A UTF-8 BOM and CRLF line ends are accepted; a column named twice or a quote
    left open is an error."""
    return parse_roster(read_text(path, ROSTER_LIMIT), str(path))


def parse_roster(text: str, source: str = "<roster>") -> list[Student]:
    rows = _csv_rows(text.removeprefix("\ufeff"), source)
    if not rows or not any(cell.strip() for cell in rows[0][1]):
        raise TracerError("empty roster (a header row with an id column is needed)",
                          source=source)
    header = _header(rows[0][1], source)
    students: list[Student] = []
    seen: dict[str, int] = {}
    for line, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise TracerError(f"line {line}: more cells than the header has", source=source)
        cells = dict(zip(header, [c.strip() for c in row], strict=False))
        student_id = cells.get("id", "")
        if not student_id:
            raise TracerError(f"line {line}: the id is empty", source=source)
        if student_id in seen:
            raise TracerError(f"line {line}: duplicate id {student_id!r} (first on line "
                              f"{seen[student_id]})", source=source)
        seen[student_id] = line
        extra = {k: v for k, v in cells.items() if k not in ("id", "name")}
        students.append(Student(student_id, cells.get("name", ""), extra))
    if not students:
        raise TracerError("the roster lists no students", source=source)
    if len(students) > MAX_STUDENTS:
        raise TracerError(f"more than {MAX_STUDENTS} students", source=source)
    return students


def _csv_rows(text: str, source: str) -> list[tuple[int, list[str]]]:
    """The rows of a CSV text, each with the line it starts on (a quoted cell may span
    lines). A quote left open is an error: read leniently it would swallow the rest."""
    opened = _open_quote(text)
    if opened is not None:
        raise TracerError(f"line {opened}: a quote opens here and is never closed",
                          source=source)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        while True:
            start = reader.line_num + 1
            row = next(reader, None)
            if row is None:
                return rows
            rows.append((start, row))
    except csv.Error as exc:
        raise TracerError(f"line {reader.line_num}: not a CSV file ({exc})",
                          source=source) from None


_QUOTE_OPENS = re.compile(r'(?:^|(?<=[,\r\n]))"')  # a quote starting a cell
_QUOTE_CLOSES = re.compile(r'(?:[^"]|"")*"(?!")')  # the rest of that cell, to its end quote


def _open_quote(text: str) -> int | None:
    """The line of a quoted cell that never closes, or None. Checked here rather than left
    to csv: without strict mode csv reads such a cell to the end of the file without a
    word, its strict-mode behaviour at the end of the file is not documented, and
    neither would say where the quote opened."""
    position = 0
    while (quote := _QUOTE_OPENS.search(text, position)) is not None:
        closed = _QUOTE_CLOSES.match(text, quote.end())
        if closed is None:
            before = text[:quote.start()]
            return before.count("\n") + before.count("\r") - before.count("\r\n") + 1
        position = closed.end()
    return None


def _header(cells: list[str], source: str) -> list[str]:
    """Column names, stripped and lower-cased: an `id` column and no name twice (the
    second column of a name would silently replace the first)."""
    header = [cell.strip().lower() for cell in cells]
    first: dict[str, int] = {}
    for column, name in enumerate(header, start=1):
        if name in first:
            what = f"column {name!r}" if name else "column without a name"
            raise TracerError(f"line 1: duplicate {what} (columns {first[name]} and "
                              f"{column})", source=source)
        first[name] = column
    if "id" not in header:
        raise TracerError("line 1: the header has no id column", source=source)
    return header


# Names Windows keeps for devices, whatever the extension: CON.txt opens the console.
_RESERVED = frozenset({"con", "prn", "aux", "nul", "conin$", "conout$",
                       *(f"{port}{n}" for port in ("com", "lpt") for n in range(10))})


def safe_file_ids(ids: Sequence[str]) -> list[str]:
    """File-name-safe forms of ids: letters, digits, `.`, `_`, `-`; no leading dot; at most
    60 characters; no Windows device name; unique case-insensitively (file systems that
    ignore case would merge two students' files). Where the plain forms clash, a short hash
    of the id is added, rehashed until it clashes with no id chosen so far."""
    plain = [_plain_file_id(raw) for raw in ids]
    counts: dict[str, int] = {}
    for text in plain:
        counts[text.lower()] = counts.get(text.lower(), 0) + 1
    taken = {text.lower() for text in plain if counts[text.lower()] == 1}
    safe = []
    for raw, text in zip(ids, plain, strict=True):
        if counts[text.lower()] > 1:
            text = _hashed_file_id(raw, text, taken)
            taken.add(text.lower())
        safe.append(text)
    return safe


def _plain_file_id(raw: str) -> str:
    text = re.sub(r"[^A-Za-z0-9._-]", "_", raw)
    text = re.sub(r"[._-]*\.[._-]*", ".", re.sub(r"_+", "_", text))  # no "..": one dot
    text = text.strip("._-")[:60].rstrip("._-") or "student"
    stem, dot, rest = text.partition(".")
    if stem.lower() in _RESERVED:
        text = f"{stem}_{dot}{rest}"[:60].rstrip(".")
    return text


def _hashed_file_id(raw: str, text: str, taken: set[str]) -> str:
    """`text` with 8 hex digits of the id's hash; the first attempt hashes the id alone, as
    earlier versions did, so existing file names stay as they were."""
    attempt = 0
    while True:
        key = raw if attempt == 0 else f"{raw}\x00{attempt}"
        candidate = f"{text[:51]}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"
        if candidate.lower() not in taken:
            return candidate
        attempt += 1


def make_variants(graph: Graph, seed: int,
                  entries: Sequence[tuple[str, Student | None]]) -> list[Variant]:
    """One variant per (variant key, student): drawn from a generator seeded by the exercise
    seed and the key, redrawn while degenerate (see `degenerate`)."""
    spec = graph.spec
    if len(entries) > 1 and not spec.randomize:
        raise SpecError("has no [randomize] table: every variant would be the same",
                        source=spec.source)
    keys = spec.randomizable()
    file_ids = safe_file_ids([key for key, _ in entries])
    variants: list[Variant] = []
    seen: set[tuple[float, ...]] = set()
    for (key, student), file_id in zip(entries, file_ids, strict=True):
        variant_rng_seed = variant_seed(seed, key)
        rng = random.Random(variant_rng_seed)
        for _ in range(MAX_ATTEMPTS):
            try:
                values = draw(spec.randomize, keys, rng)
            except ValueError as exc:  # a rule that draws nothing but 0
                raise SpecError(str(exc), source=spec.source) from None
            signature = tuple(values.values())
            trace = _evaluated(graph, values)
            if trace is not None and signature not in seen and not degenerate(trace):
                break
        else:
            raise TracerError(f"no non-degenerate variant in {MAX_ATTEMPTS} draws for {key!r}"
                              " (widen the [randomize] ranges)", source=spec.source)
        seen.add(signature)
        variants.append(Variant(file_id, student, variant_rng_seed, values, trace))
    return variants


def _evaluated(graph: Graph, values: Mapping[str, float]) -> Trace | None:
    try:
        return evaluate(graph, values)
    except NumericError:
        return None


def degenerate(trace: Trace) -> bool:
    """A draw a student could not work sensibly, at the digits shown:
    - a ReLU or leaky ReLU whose net input shows as 0 (on its kink);
    - an activation derivative ∂out/∂net that shows as 0 (a saturated sigmoid or tanh).
    - of a circuit, a node whose value shows as 0 (its gate's local derivatives, and the
      paths through it, would read 0 or need no work).
    Draws that cannot be computed, and draws equal to an earlier variant's, are redrawn too."""
    graph = trace.symbolic
    spec = graph.spec
    if spec.circuit is not None:
        return any(term.role == Role.NODE and shows_as_zero(value, spec.digits)
                   for term, value in zip(graph.terms, trace.values, strict=True))
    for term, value in zip(graph.terms, trace.values, strict=True):
        if term.stage == Stage.AFTER or not shows_as_zero(value, spec.digits):
            continue
        layer = spec.layers[term.layer - 1] if term.layer else None
        kinked = layer is not None and layer.activation in ("relu", "leaky_relu")
        if term.role == Role.NET and kinked:
            return True
        if term.role == Role.LOCAL and term.of is not None and term.wrt is not None:
            out, net = graph.terms[term.of], graph.terms[term.wrt]
            if out.role == Role.OUT and net.role == Role.NET and out.neuron == net.neuron:
                return True  # on the diagonal: not an off-diagonal softmax term
    return False


def default_ask(graph: Graph) -> tuple[str, ...]:
    """Forward pass, E_total, every parameter gradient and every new parameter; of a
    circuit, every node, the output's gradient with respect to every value, every update."""
    circuit = graph.spec.circuit
    if circuit is not None:
        return (*(node.name for node in circuit.nodes),
                *(gradient_of(graph, name).name for name, _ in circuit.values),
                *(term.name for term in graph.of_role(Role.UPDATE)))

    def asked_by_default(term: Term) -> bool:
        if term.role in (Role.NET, Role.OUT, Role.UPDATE):
            return True
        if term.role == Role.GRADIENT and term.wrt is not None:
            return graph.terms[term.wrt].role in PARAMETER_ROLES
        return term.role == Role.ERROR and term.ref.unit is None  # E_total

    return tuple(term.name for term in graph if term.stage != Stage.AFTER
                 and asked_by_default(term))


def asked(graph: Graph) -> tuple[str, ...]:
    """The spec's `ask` list as canonical names (read as a sheet's names are: `δ_o1`,
    `∂E_total/∂w5`, `w5⁺`), each once, checked against the trace; or the default."""
    spec = graph.spec
    if not spec.ask:
        return default_ask(graph)
    table = names.NameTable((term.name, term.ref) for term in graph)
    found: list[str] = []
    for index, written in enumerate(spec.ask, start=1):
        name = table.resolve(written)
        if name is None:
            close = difflib.get_close_matches(written, graph.names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SpecError(f"unknown quantity {written!r}{hint}", source=spec.source,
                            key=f"ask[{index}]")
        if graph[name].given:
            raise SpecError(f"{written!r} is given by the exercise: ask for what the student "
                            "computes", source=spec.source, key=f"ask[{index}]")
        found.append(name)
    return tuple(dict.fromkeys(found))


def variant_spec(spec: Spec, values: Mapping[str, float]) -> Spec:
    """The exercise with the drawn values in place and no [randomize]: a plain spec. A
    source's printed figures belong to the original values, so a variant drops them."""
    data = spec_to_dict(spec)
    data.pop("published", None)
    refs = {names.name(ref): ref for ref, _ in spec.givens}
    for name, value in values.items():
        _place(data, refs[name], value)
    try:
        return spec_from_dict(data, spec.source)
    except SpecError as error:
        raise _blamed_on_rule(spec, values, refs, error) from None


def _blamed_on_rule(spec: Spec, values: Mapping[str, float], refs: Mapping[str, Ref],
                    error: SpecError) -> SpecError:
    """A drawn value the spec rejects, reported at the `[randomize]` rule that drew it: the
    author can fix the rule, not the base value the error would otherwise name."""
    rules = chosen_rules(spec.randomize, spec.randomizable())
    for name, value in values.items():
        if name in rules and _spec_key(refs[name]) == error.key:
            return SpecError(f"drew {value:g} for {name}, which the spec rejects: "
                             f"{error.message}", source=spec.source,
                             key=f"randomize.{rules[name].key}")
    return SpecError(f"a drawn value makes the spec invalid: {error.key}: {error.message}",
                     source=spec.source, key="randomize")


def _spec_key(ref: Ref) -> str:
    """Where a given value sits in the spec, as the spec reader names it in errors."""
    unit = ref.unit
    prefix = f"examples[{ref.example}]." if ref.example else ""
    if ref.role == Role.RATE:
        return "learning_rate"
    if isinstance(unit, Value):
        return f"values.{unit.name}"
    if ref.role == Role.TARGET and isinstance(unit, Neuron):
        return f"{prefix}targets.{unit.name}"
    if isinstance(unit, Input):
        return f"{prefix}inputs.{unit.name}"
    if isinstance(unit, Weight):
        return f"layers[{unit.layer}].weights[{unit.target.index}][{unit.source.index}]"
    if isinstance(unit, Bias) and unit.neuron is not None:
        return f"layers[{unit.layer}].bias[{unit.neuron.index}]"
    if isinstance(unit, Bias):
        return f"layers[{unit.layer}].bias"
    return ""


def _place(data: dict[str, Any], ref: Ref, value: float) -> None:
    """Put one drawn value into spec data, at its place in the spec."""
    unit = ref.unit
    entry = data["examples"][ref.example - 1] if ref.example else data
    if ref.role == Role.RATE:
        data["learning_rate"] = value
    elif isinstance(unit, Value):
        data["values"][unit.name] = value
    elif ref.role == Role.TARGET and isinstance(unit, Neuron):
        entry["targets"][unit.name] = value
    elif isinstance(unit, Input):
        entry["inputs"][unit.name] = value
    elif isinstance(unit, Weight):
        data["layers"][unit.layer - 1]["weights"][unit.target.index - 1][
            unit.source.index - 1] = value
    elif isinstance(unit, Bias) and unit.neuron is None:
        data["layers"][unit.layer - 1]["bias"] = value
    elif isinstance(unit, Bias) and unit.neuron is not None:
        data["layers"][unit.layer - 1]["bias"][unit.neuron.index - 1] = value


def variant_toml(spec: Spec, variant: Variant) -> str:
    who = f" for {_one_line(variant.student.id)}" if variant.student else ""
    header = (f"Variant {variant.file_id}{who} of {_one_line(spec.title)}.\n"
              "A plain spec: `tracer render` and `tracer check` work on it.")
    return to_toml(spec_to_dict(variant_spec(spec, variant.values)), header)


def blank_sheet(spec: Spec, variant: Variant, wanted: Sequence[str]) -> str:
    student = variant.student
    who = f"{_one_line(student.id)} {_one_line(student.name)}".strip() if student else "-"
    t = messages.catalogue(spec.lang)
    # `# Variant <id>` stays as it is in every language: `answers.variant_named` reads it.
    lines = [f"# {t('answer_sheet.title', title=_one_line(spec.title))}",
             f"# Variant {variant.file_id}{t('answer_sheet.student', student=who)}",
             f"# {t('answer_sheet.how')}",
             ""]
    lines += [f"{name} = " for name in wanted]
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    """User text for a one-line comment: white space (line breaks too) becomes a space; other
    characters that do not show (controls, bidi overrides that would reorder the line)
    become U+FFFD."""
    return visible_text("".join(" " if ch.isspace() else ch for ch in text))


@dataclass(frozen=True)
class Manifest:
    """What `tracer keys` wrote: per variant its student, seed, drawn values and files."""

    exercise: str
    spec: str
    seed: int
    format: str  # of the documents: md, tex or pdf
    variants: tuple[Variant, ...]
    files: Mapping[str, Mapping[str, str]]  # variant -> role (question, key, …) -> file
    fingerprint: str = ""  # of the spec the values were drawn for (see `fingerprint`)
    exports: tuple[str, ...] = ()  # the files for learning platforms, beside the keys

    def json(self) -> str:
        entries = [{
            "variant": v.file_id,
            "student": None if v.student is None else {
                "id": v.student.id, "name": v.student.name, **dict(v.student.extra)},
            "seed": v.seed,
            "values": dict(v.values),
            "files": dict(self.files[v.file_id]),
        } for v in self.variants]
        data: dict[str, object] = {
            "generator": "tracer", "exercise": self.exercise, "spec": self.spec,
            "fingerprint": self.fingerprint, "seed": self.seed, "format": self.format,
            "variants": entries}
        if self.exports:
            data["exports"] = list(self.exports)
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    def csv(self) -> str:
        drawn = list(dict.fromkeys(name for v in self.variants for name in v.values))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["variant", "student_id", "student_name", "seed", *drawn])
        for v in self.variants:
            student = v.student or Student("")
            writer.writerow([v.file_id, spreadsheet_safe(student.id),
                             spreadsheet_safe(student.name), v.seed,
                             *(repr(v.values[name]) if name in v.values else ""
                               for name in drawn)])
        return out.getvalue()


def variant_files(variant: Variant, fmt: str) -> dict[str, str]:
    """The files of one variant by role, for documents in `fmt` (md, tex or pdf)."""
    return {"question": f"{variant.file_id}.question.{fmt}",
            "key": f"{variant.file_id}.key.{fmt}",
            "spec": f"{variant.file_id}.toml",
            "answers": f"{variant.file_id}.answers.txt"}


def fingerprint(spec: Spec) -> str:
    """What grading against a manifest depends on: the network and its values (not its
    title, questions, grading or language, which may change after the keys are handed
    out)."""
    # digits only matter to values carried rounded
    loose = ("title", "description", "ask", "grading", "lang") + (
        ("digits",) if spec.carry == "exact" else ())
    data = {key: value for key, value in spec_to_dict(spec).items() if key not in loose}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def read_manifest(path: Path) -> dict[str, dict[str, float]]:
    """Variant id -> its drawn values, from a manifest.json written by `key_files`."""
    return {variant: values for variant, (values, _) in read_class(path).variants.items()}


@dataclass(frozen=True)
class ClassList:
    """A manifest as grading reads it: per variant (in order) its drawn values and its
    student (id, name and the roster's other columns)."""

    variants: Mapping[str, tuple[dict[str, float], Student | None]]
    fingerprint: str | None  # None in manifests written before it was kept


def read_class(path: Path) -> ClassList:
    source = str(path)
    data = _manifest_json(path, source)
    variants = data.get("variants") if isinstance(data, dict) else None
    if not isinstance(variants, list):
        raise TracerError(f"{NOT_A_MANIFEST} (no list of variants)", source=source)
    found: dict[str, tuple[dict[str, float], Student | None]] = {}
    for index, entry in enumerate(variants, start=1):
        variant, values = _manifest_entry(entry, f"variants[{index}]", source)
        if variant in found:
            raise TracerError(f"duplicate variant {variant!r}", source=source,
                              key=f"variants[{index}].variant")
        found[variant] = values, _manifest_student(entry)
    _same_values_drawn(found, source)
    mark = data.get("fingerprint")
    return ClassList(found, mark if isinstance(mark, str) and mark else None)


def _same_values_drawn(found: Mapping[str, tuple[dict[str, float], Student | None]],
                       source: str) -> None:
    """Every variant draws the same values (a value deleted by hand would silently be the
    spec's own)."""
    first = next(iter(found.items()), None)
    for index, (variant, (values, _)) in enumerate(found.items(), start=1):
        if first is not None and set(values) != set(first[1][0]):
            odd = sorted(set(values) ^ set(first[1][0]))[0]
            raise TracerError(f"variant {variant!r} and variant {first[0]!r} do not draw the "
                              f"same values ({odd!r}): the manifest was edited",
                              source=source, key=f"variants[{index}].values")


def _manifest_student(entry: Mapping[str, Any]) -> Student | None:
    """The variant's student, their fields as text (a hand-edited manifest may hold other
    JSON there: it is shown, not trusted)."""
    raw = entry.get("student")
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        return None
    text = {str(key)[:200]: _one_line(str(value)[:1000]) for key, value in raw.items()
            if isinstance(value, str | int | float)}
    extra = {key: value for key, value in text.items() if key not in ("id", "name")}
    return Student(text["id"], text.get("name", ""), extra)


NOT_A_MANIFEST = "not a manifest written by tracer keys"
MANIFEST_LIMIT = 50_000_000  # bytes


def _manifest_json(path: Path, source: str) -> Any:
    text = read_text(path, MANIFEST_LIMIT)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TracerError(f"{NOT_A_MANIFEST} ({exc})", source=source) from None
    except (ValueError, RecursionError):  # a 5,000-digit integer, or [[[[…]]]] nested deep
        raise TracerError(f"{NOT_A_MANIFEST} (unreadable JSON)", source=source) from None


def _manifest_entry(entry: object, where: str, source: str) -> tuple[str, dict[str, float]]:
    """One variant of a manifest: its id (a string) and its values (finite numbers)."""
    if not isinstance(entry, dict):
        raise TracerError(f"must be an object, not {type(entry).__name__}", source=source,
                          key=where)
    variant, values = entry.get("variant"), entry.get("values")
    if not isinstance(variant, str) or not variant:
        raise TracerError("must be a non-empty string", source=source, key=f"{where}.variant")
    if not isinstance(values, dict):
        raise TracerError("must be an object of name: number", source=source,
                          key=f"{where}.values")
    numbers = {name: _finite(value) for name, value in values.items()}
    for name, number in numbers.items():
        if number is None:
            raise TracerError(f"{name[:40]!r} must be a finite number", source=source,
                              key=f"{where}.values")
    return variant, {name: number for name, number in numbers.items() if number is not None}


def _finite(value: object) -> float | None:
    """A JSON number as a finite float, else None: json.loads reads NaN, 1e999 (inf) and
    400-digit integers; bool is an int to Python but no number here."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None
