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
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import names
from .errors import NumericError, SpecError, TracerError
from .escape import spreadsheet_safe
from .evaluation import Trace, evaluate
from .graph import Graph, Term
from .quantities import PARAMETER_ROLES, Bias, Input, Neuron, Ref, Role, Stage, Weight
from .randomize import draw, variant_seed
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
    are kept. A UTF-8 BOM and CRLF line ends are accepted."""
    source = str(path)
    try:
        if path.stat().st_size > ROSTER_LIMIT:
            raise TracerError(f"larger than {ROSTER_LIMIT} bytes", source=source)
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise TracerError("file not found", source=source) from None
    except UnicodeDecodeError:
        raise TracerError("not UTF-8 text", source=source) from None
    except OSError as exc:
        raise TracerError(f"cannot read ({exc.strerror})", source=source) from None
    return parse_roster(text, source)


def parse_roster(text: str, source: str = "<roster>") -> list[Student]:
    try:
        rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    except csv.Error as exc:
        raise TracerError(f"not a CSV file ({exc})", source=source) from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise TracerError("empty roster (a header row with an id column is needed)",
                          source=source)
    header = [cell.strip().lower() for cell in rows[0]]
    if "id" not in header:
        raise TracerError("line 1: the header has no id column", source=source)
    students: list[Student] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
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


def safe_file_ids(ids: Sequence[str]) -> list[str]:
    """File-name-safe forms of ids: letters, digits, `.`, `_`, `-`; no leading dot; at most
    60 characters; made unique (case-insensitively) with a short hash where needed."""
    safe = []
    for raw in ids:
        text = re.sub(r"[^A-Za-z0-9._-]", "_", raw)
        text = re.sub(r"[._-]*\.[._-]*", ".", re.sub(r"_+", "_", text))  # no "..": one dot
        text = text.strip("._-")[:60].rstrip("._-") or "student"
        safe.append(text)
    counts: dict[str, int] = {}
    for text in safe:
        counts[text.lower()] = counts.get(text.lower(), 0) + 1
    return [text if counts[text.lower()] == 1 else
            f"{text[:51]}-{hashlib.sha256(raw.encode()).hexdigest()[:8]}"
            for text, raw in zip(safe, ids, strict=True)]


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
            values = draw(spec.randomize, keys, rng)
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
    Draws that cannot be computed, and draws equal to an earlier variant's, are redrawn too."""
    graph = trace.symbolic
    spec = graph.spec
    shown_zero = 0.5 * 10.0 ** -spec.digits
    for term, value in zip(graph.terms, trace.values, strict=True):
        if term.stage == Stage.AFTER or abs(value) >= shown_zero:
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
    """Forward pass, E_total, every parameter gradient and every new parameter."""

    def asked_by_default(term: Term) -> bool:
        if term.role in (Role.NET, Role.OUT, Role.UPDATE):
            return True
        if term.role == Role.GRADIENT and term.wrt is not None:
            return graph.terms[term.wrt].role in PARAMETER_ROLES
        return term.role == Role.ERROR and term.ref.unit is None  # E_total

    return tuple(term.name for term in graph if term.stage != Stage.AFTER
                 and asked_by_default(term))


def asked(graph: Graph) -> tuple[str, ...]:
    """The spec's `ask` list, checked against the trace, or the default."""
    spec = graph.spec
    for index, name in enumerate(spec.ask, start=1):
        if name not in graph:
            close = difflib.get_close_matches(name, graph.names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SpecError(f"unknown quantity {name!r}{hint}", source=spec.source,
                            key=f"ask[{index}]")
    return spec.ask or default_ask(graph)


def variant_spec(spec: Spec, values: Mapping[str, float]) -> Spec:
    """The exercise with the drawn values in place and no [randomize]: a plain spec."""
    data = spec_to_dict(spec)
    refs = {names.name(ref): ref for ref, _ in spec.givens}
    for name, value in values.items():
        _place(data, refs[name], value)
    return spec_from_dict(data, spec.source)


def _place(data: dict[str, Any], ref: Ref, value: float) -> None:
    """Put one drawn value into spec data, at its place in the spec."""
    unit = ref.unit
    entry = data["examples"][ref.example - 1] if ref.example else data
    if ref.role == Role.RATE:
        data["learning_rate"] = value
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
    lines = [f"# Answer sheet: {_one_line(spec.title)}",
             f"# Variant {variant.file_id}, student: {who}",
             "# One answer per line: name = value, or name = formula = value. "
             "Lines starting with # are ignored.",
             ""]
    lines += [f"{name} = " for name in wanted]
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    """User text for a one-line comment: control characters (line breaks too) become spaces."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


@dataclass(frozen=True)
class Manifest:
    """What `tracer keys` wrote: per variant its student, seed, drawn values and files."""

    exercise: str
    spec: str
    seed: int
    format: str  # of the documents: md, tex or pdf
    variants: tuple[Variant, ...]
    files: Mapping[str, Mapping[str, str]]  # variant -> role (question, key, …) -> file

    def json(self) -> str:
        entries = [{
            "variant": v.file_id,
            "student": None if v.student is None else {
                "id": v.student.id, "name": v.student.name, **dict(v.student.extra)},
            "seed": v.seed,
            "values": dict(v.values),
            "files": dict(self.files[v.file_id]),
        } for v in self.variants]
        data = {"exercise": self.exercise, "spec": self.spec, "seed": self.seed,
                "format": self.format, "variants": entries}
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


def read_manifest(path: Path) -> dict[str, dict[str, float]]:
    """Variant id -> its drawn values, from a manifest.json written by `key_files`."""
    source = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TracerError("file not found", source=source) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TracerError(f"not a manifest written by tracer keys ({exc})",
                          source=source) from None
    try:
        return {str(entry["variant"]): {str(k): float(v) for k, v in entry["values"].items()}
                for entry in data["variants"]}
    except (KeyError, TypeError, ValueError, AttributeError):
        raise TracerError("not a manifest written by tracer keys", source=source) from None
