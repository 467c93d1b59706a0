"""Homework answer keys: seeded per-student variants of a randomized exercise.

Everything is built in memory (documents, variant specs, blank answer sheets, the manifest)
and only then written, so a bad roster or an impossible draw writes nothing. The symbolic
trace and the formula LaTeX are built once; each variant only evaluates and formats numbers.
"""

from __future__ import annotations

import csv
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
from .evaluate import Trace, evaluate
from .randomize import draw, variant_seed
from .spec import Spec, spec_from_dict, spec_to_dict
from .tomlout import to_toml
from .trace import Kind, Stage, SymbolicTrace, Term, given_keys

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


def make_variants(symbolic: SymbolicTrace, seed: int,
                  entries: Sequence[tuple[str, Student | None]]) -> list[Variant]:
    """One variant per (variant key, student): drawn from a generator seeded by the exercise
    seed and the key, redrawn while degenerate (see `degenerate`)."""
    spec = symbolic.spec
    if len(entries) > 1 and not spec.randomize:
        raise SpecError("has no [randomize] table: every variant would be the same",
                        source=spec.source)
    keys = given_keys(spec)
    file_ids = safe_file_ids([key for key, _ in entries])
    variants: list[Variant] = []
    seen: set[tuple[float, ...]] = set()
    for (key, student), file_id in zip(entries, file_ids, strict=True):
        variant_rng_seed = variant_seed(seed, key)
        rng = random.Random(variant_rng_seed)
        for _ in range(MAX_ATTEMPTS):
            values = draw(spec.randomize, keys, rng)
            signature = tuple(values.values())
            trace = _evaluated(symbolic, values)
            if trace is not None and signature not in seen and not degenerate(trace):
                break
        else:
            raise TracerError(f"no non-degenerate variant in {MAX_ATTEMPTS} draws for {key!r}"
                              " (widen the [randomize] ranges)", source=spec.source)
        seen.add(signature)
        variants.append(Variant(file_id, student, variant_rng_seed, values, trace))
    return variants


def _evaluated(symbolic: SymbolicTrace, values: Mapping[str, float]) -> Trace | None:
    try:
        return evaluate(symbolic, values)
    except NumericError:
        return None


def degenerate(trace: Trace) -> bool:
    """A draw a student could not work sensibly, at the digits shown:
    - a ReLU or leaky ReLU whose net input shows as 0 (on its kink);
    - an activation derivative ∂out/∂net that shows as 0 (a saturated sigmoid or tanh).
    Draws that cannot be computed, and draws equal to an earlier variant's, are redrawn too."""
    spec = trace.symbolic.spec
    shown_zero = 0.5 * 10.0 ** -spec.digits
    for term, value in zip(trace.symbolic.terms, trace.values, strict=True):
        if term.stage == Stage.AFTER:
            continue
        layer = spec.layers[term.layer - 1] if term.layer else None
        kinked = layer is not None and layer.activation in ("relu", "leaky_relu")
        if term.kind == Kind.NET and kinked and abs(value) < shown_zero:
            return True
        if term.kind == Kind.LOCAL and term.name.startswith("dout_") and abs(value) < shown_zero:
            off_diagonal = term.name.split("/d")[1].split("@")[0].removeprefix("net_") != (
                term.name.split("/")[0].removeprefix("dout_"))
            if not off_diagonal:
                return True
    return False


def default_ask(symbolic: SymbolicTrace) -> tuple[str, ...]:
    """Forward pass, E_total, every parameter gradient and every new parameter."""

    def parameter_gradient(term: Term) -> bool:
        wrt = term.name.split("/d", 1)[-1].split("@")[0]
        return (term.kind == Kind.GRADIENT and wrt in symbolic
                and symbolic[wrt].kind in (Kind.WEIGHT, Kind.BIAS))

    return tuple(
        term.name for term in symbolic
        if term.stage != Stage.AFTER and (
            term.kind in (Kind.NET, Kind.OUT, Kind.UPDATE) or parameter_gradient(term)
            or term.name.split("@")[0] == names.TOTAL_ERROR)
    )


def asked(symbolic: SymbolicTrace) -> tuple[str, ...]:
    """The spec's `ask` list, checked against the trace, or the default."""
    spec = symbolic.spec
    for index, name in enumerate(spec.ask, start=1):
        if name not in symbolic:
            import difflib

            close = difflib.get_close_matches(name, symbolic.names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SpecError(f"unknown quantity {name!r}{hint}", source=spec.source,
                            key=f"ask[{index}]")
    return spec.ask or default_ask(symbolic)


def variant_spec(spec: Spec, values: Mapping[str, float]) -> Spec:
    """The exercise with the drawn values in place and no [randomize]: a plain spec."""
    data = spec_to_dict(spec)
    for name, value in values.items():
        _place(data, spec, name, value)
    return spec_from_dict(data, spec.source)


def _place(data: dict[str, object], spec: Spec, name: str, value: float) -> None:
    """Put one drawn value (canonical name) into spec data."""
    base, _, example = name.partition("@")
    tables = data.get("examples", [data])
    assert isinstance(tables, list)
    entry = tables[int(example) - 1 if example else 0]
    if base == names.LEARNING_RATE:
        data["learning_rate"] = value
    elif base.startswith("target_"):
        entry["targets"][base.removeprefix("target_")] = value
    elif base in dict(spec.inputs):
        entry["inputs"][base] = value
    else:
        _place_parameter(data, spec, base, value)


def _place_parameter(data: dict[str, object], spec: Spec, name: str, value: float) -> None:
    layers = data["layers"]
    assert isinstance(layers, list)
    number = 0
    for index, layer in enumerate(spec.layers):
        for j, row in enumerate(layer.weights):
            for i in range(len(row)):
                number += 1
                if name == names.weight(number):
                    layers[index]["weights"][j][i] = value
                    return
        if name == names.shared_bias(index + 1):
            layers[index]["bias"] = value
            return
        if isinstance(layer.bias, tuple) and name in [names.neuron_bias(n) for n in
                                                      layer.neurons]:
            layers[index]["bias"][layer.neurons.index(name.removeprefix("b_"))] = value
            return
    raise KeyError(name)


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


def manifest_json(spec: Spec, seed: int, fmt: str, variants: Sequence[Variant],
                  files: Mapping[str, Mapping[str, str]]) -> str:
    entries = []
    for variant in variants:
        student = variant.student
        entries.append({
            "variant": variant.file_id,
            "student": None if student is None else {
                "id": student.id, "name": student.name, **dict(student.extra)},
            "seed": variant.seed,
            "values": dict(variant.values),
            "files": dict(files[variant.file_id]),
        })
    data = {"exercise": spec.title, "spec": spec.source, "seed": seed, "format": fmt,
            "variants": entries}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def manifest_csv(variants: Sequence[Variant]) -> str:
    drawn = list(dict.fromkeys(name for v in variants for name in v.values))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["variant", "student_id", "student_name", "seed", *drawn])
    for v in variants:
        student = v.student or Student("")
        writer.writerow([v.file_id, spreadsheet_safe(student.id),
                         spreadsheet_safe(student.name), v.seed,
                         *(repr(v.values[name]) if name in v.values else "" for name in drawn)])
    return out.getvalue()


def key_files(symbolic: SymbolicTrace, variants: Sequence[Variant], seed: int, fmt: str,
              booklet: bool = False, env: Any = None) -> dict[str, str]:
    """Every file of the answer keys, by name: per variant its question sheet, its key (the
    full derivation), its plain spec and a blank answer sheet; then the manifest."""
    from .render import environment, render, render_question  # the renderer uses jinja2

    spec = symbolic.spec
    wanted = asked(symbolic)
    env = env or environment()
    files: dict[str, str] = {}
    listed: dict[str, dict[str, str]] = {}
    for variant in variants:
        who = "" if variant.student is None else " ".join(
            part for part in (variant.student.name, f"({variant.student.id})") if part)
        names_of = {"question": f"{variant.file_id}.question.{fmt}",
                    "key": f"{variant.file_id}.key.{fmt}",
                    "spec": f"{variant.file_id}.toml",
                    "answers": f"{variant.file_id}.answers.txt"}
        files[names_of["question"]] = render_question(variant.trace, fmt, wanted, who, env)
        files[names_of["key"]] = render(variant.trace, fmt, env)
        files[names_of["spec"]] = variant_toml(spec, variant)
        files[names_of["answers"]] = blank_sheet(spec, variant, wanted)
        listed[variant.file_id] = names_of
    if booklet:
        files[f"booklet.{fmt}"] = _booklet(files, variants, fmt)
    files["manifest.json"] = manifest_json(spec, seed, fmt, variants, listed)
    files["manifest.csv"] = manifest_csv(variants)
    return files


def pdf_key_files(symbolic: SymbolicTrace, variants: Sequence[Variant], seed: int,
                  booklet: bool = False, env: Any = None) -> dict[str, str | bytes]:
    """The LaTeX key files, each document compiled to PDF (the manifest names the PDFs)."""
    from .render import compile_pdf

    files: dict[str, str | bytes] = {}
    for name, text in key_files(symbolic, variants, seed, "tex", booklet, env).items():
        if name.endswith(".tex"):
            files[name.removesuffix(".tex") + ".pdf"] = compile_pdf(text)
        elif name.startswith("manifest."):
            files[name] = text.replace(".tex", ".pdf").replace('"format": "tex"',
                                                                '"format": "pdf"')
        else:
            files[name] = text
    return files


def _booklet(files: Mapping[str, str], variants: Sequence[Variant], fmt: str) -> str:
    """All keys in one file: Markdown keys one after another, or LaTeX bodies in one document."""
    keys = [files[f"{v.file_id}.key.{fmt}"] for v in variants]
    if fmt == "md":
        return "\n---\n\n".join(keys)
    preamble = keys[0].split("\\begin{document}")[0]
    bodies = [key.split("\\begin{document}", 1)[1].rsplit("\\end{document}", 1)[0]
              for key in keys]
    return preamble + "\\begin{document}\n" + "\n\\clearpage\n".join(bodies) + (
        "\\end{document}\n")


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
