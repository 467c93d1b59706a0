"""A class's folder of answer sheets marked, put together in memory before anything is
written: each sheet matched to its student's variant (by the manifest `tracer keys` wrote, the
sheet's `# Variant` line or its file name), marked, and the gradebook and feedback files made
from the marks. One row per student of the manifest, handed in or not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import messages
from .answers import variant_named
from .check import Checker, Report, Tolerance, read_sheet
from .errors import TracerError
from .evaluation import evaluate
from .files import stamped
from .graph import Graph
from .keys import ClassList, Student, fingerprint, read_class, safe_file_ids
from .renderer import render_feedback
from .report import GradebookRow, feedback_sheet, gradebook_csv

MANIFEST = "manifest.json"
FEEDBACK = "feedback"  # the folder of feedback files, beside the gradebook
Warn = Callable[[str], None]


@dataclass(frozen=True)
class Marked:
    """One student's (or one sheet's) marks."""

    row: GradebookRow
    checker: Checker | None  # None for a student who handed no sheet in
    file_id: str = ""  # names the feedback file: the variant's id, or the sheet's stem


def sheets_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise TracerError("is not a folder of answer sheets", source=str(folder))
    sheets = sorted(p for p in folder.glob("*.txt") if p.is_file())
    if not sheets:
        raise TracerError("no *.txt answer sheets in the folder", source=str(folder))
    return sheets


def manifest_of(folder: Path, given: Path | None) -> Path | None:
    """The manifest to grade by: the one given, else the folder's own."""
    if given is not None:
        return given
    found = folder / MANIFEST
    return found if found.is_file() else None


def mark_sheets(graph: Graph, sheets: Sequence[Path], tolerance: Tolerance | None,
                warn: Warn) -> list[Marked]:
    """Every sheet against the exercise itself; a row per sheet, named by its file. Sheets
    of an exercise's variants are refused: they need their own numbers."""
    checker = Checker(evaluate(graph), tolerance)
    t = checker.t
    texts = [(path, _text(path, warn)) for path in sheets]
    for path, text in texts:
        variant = None if isinstance(text, TracerError) else variant_named(text)
        if variant and graph.spec.randomize:
            raise TracerError(
                f"is variant {variant}'s sheet, and the exercise draws each variant's "
                f"numbers: put the manifest.json of `tracer keys` in the folder, or give "
                "--manifest", source=str(path))
    return [Marked(GradebookRow(_stem(path), "", (), path.name, _mark(checker, path, text),
                                _note(text, t)), checker, _stem(path))
            for path, text in texts]


def mark_class(graph: Graph, sheets: Sequence[Path], manifest: Path,
               tolerance: Tolerance | None, warn: Warn) -> list[Marked]:
    """Every sheet against its own variant; a row per variant of the manifest in its order
    (empty for a student without a sheet), then a row per sheet that names no variant (not
    marked)."""
    listed = read_class(manifest)
    _check_manifest(graph, listed, manifest)
    handed: dict[str, list[tuple[Path, str | TracerError]]] = {}
    unmatched = []
    for path in sheets:
        text = _text(path, warn)
        variant = variant_of(path, "" if isinstance(text, TracerError) else text,
                             listed.variants)
        if variant is None:
            warn(f"{path.name}: its '# Variant' line or its file name must name one variant "
                 "of the manifest: listed at the end of the gradebook, not marked")
            unmatched.append(_unmatched(path, messages.catalogue(graph.spec.lang)))
        else:
            handed.setdefault(variant, []).append((path, text))
    if not handed:
        raise TracerError("no sheet in the folder belongs to a variant of the manifest",
                          source=str(manifest.parent))
    return [_marked(graph, variant, values, student, handed.get(variant, []), tolerance, warn)
            for variant, (values, student) in listed.variants.items()] + unmatched


def _check_manifest(graph: Graph, listed: ClassList, manifest: Path) -> None:
    """The manifest was made from this spec, and draws values the spec gives."""
    if listed.fingerprint not in (None, fingerprint(graph.spec)):
        raise TracerError(f"was written for another version of {graph.spec.source}: its "
                          "network or given values have changed since the keys were made",
                          source=str(manifest))
    givens = {term.name for term in graph.givens}
    for index, (values, _) in enumerate(listed.variants.values(), start=1):
        unknown = sorted(set(values) - givens)
        if unknown:
            raise TracerError(f"{unknown[0][:40]!r} is no given value of "
                              f"{graph.spec.source}", source=str(manifest),
                              key=f"variants[{index}].values")


def _marked(graph: Graph, variant: str, values: Mapping[str, float], student: Student | None,
            sheets: Sequence[tuple[Path, str | TracerError]], tolerance: Tolerance | None,
            warn: Warn) -> Marked:
    """A student's row: their sheet marked (the last by name, when they handed in more than
    one: the gradebook names the others), or none."""
    who = student or Student(variant)
    extra = tuple(who.extra.items())
    t = messages.catalogue(graph.spec.lang)
    if not sheets:
        return Marked(GradebookRow(who.id, who.name, extra, "", None, t("note.no_sheet")),
                      None)
    (path, text), others = sheets[-1], [p.name for p, _ in sheets[:-1]]
    note = _note(text, t)
    if others:
        note = t("language.semicolon").join(filter(None, [
            note, t("note.also_handed_in", files=t.join(others))]))
        warn(f"{', '.join(others)} and {path.name} are all variant {variant}: "
             f"{path.name} is marked")
    checker = Checker(evaluate(graph, values), tolerance)
    report = _mark(checker, path, text)
    return Marked(GradebookRow(who.id, who.name, extra, path.name, report, note), checker,
                  variant)


def _unmatched(path: Path, t: messages.Catalogue) -> Marked:
    return Marked(GradebookRow("", "", (), path.name, None, t("note.no_variant")), None)


def _note(text: str | TracerError, t: messages.Catalogue) -> str:
    return t("note.unreadable", why=text.message) if isinstance(text, TracerError) else ""


def _text(path: Path, warn: Warn) -> str | TracerError:
    """A sheet, or why it cannot be read: one such sheet must not cost the class its
    gradebook."""
    try:
        return read_sheet(path)
    except TracerError as exc:
        warn(f"warning: {exc.line()}: marked 0")
        return exc


def _mark(checker: Checker, path: Path, text: str | TracerError) -> Report:
    if isinstance(text, TracerError):
        return checker.unreadable(path.name, text.message)
    return checker.mark(text)


def _stem(path: Path) -> str:
    return path.name.removesuffix(".txt").removesuffix(".answers")




def variant_of(path: Path, text: str, variants: Mapping[str, object]) -> str | None:
    """The variant a sheet answers: its blank sheet's `# Variant <id>` line, else its file
    name (`<id>.answers.txt` or `<id>.txt`), matched whole: ids may hold dots. A name that
    could be either of two variants (`anna.answers.txt`: `anna`, or `anna.answers`) is none."""
    line = variant_named(text)
    if line is not None:  # a variant not listed: another class's, or of other keys
        return line if line in variants else None
    stem = path.name.removesuffix(".txt")
    named = {c for c in (stem.removesuffix(".answers"), stem) if c in variants}
    return named.pop() if len(named) == 1 else None


@dataclass(frozen=True)
class ClassFiles:
    gradebook: str  # CSV
    feedback: Mapping[str, str]  # file name -> Markdown, one a sheet marked


def class_files(marked: Sequence[Marked]) -> ClassFiles:
    """The gradebook and a Markdown feedback file per sheet marked, named by its variant's
    id or its sheet's stem, made safe and unique (`anna.txt` and `anna.answers.txt`)."""
    checker = next(m.checker for m in marked if m.checker is not None)
    asked = checker.asked
    done = [m for m in marked if m.checker is not None and m.row.report is not None]
    feedback = {}
    for entry, safe in zip(done, safe_file_ids([m.file_id for m in done]), strict=True):
        assert entry.checker is not None and entry.row.report is not None  # see `done`
        name = f"{safe}.md"
        feedback[name] = str(stamped(name, render_feedback(
            feedback_sheet(entry.row.report, entry.checker.trace, _who(entry.row)))))
    return ClassFiles(gradebook_csv([m.row for m in marked], asked, checker.t), feedback)


def _who(row: GradebookRow) -> str:
    """Ada Lovelace (s001), or the sheet's name for a sheet without a student."""
    if row.student_name:
        return f"{row.student_name} ({row.student_id})"
    return row.student_id or row.sheet
