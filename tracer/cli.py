"""The `tracer` command. Nothing imports this module; it only parses arguments and reports.

Each command imports what only it needs when it runs (jinja2 for documents, the checker for
`check`, …): every command starts with `import sympy`, the floor, and pays for nothing else
it does not use (tests/test_startup.py lists what `import tracer.cli` loads).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import re
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from . import messages
from .errors import OutputError, TracerError
from .escape import terminal_text
from .evaluation import Trace, evaluate
from .examples import DEFAULT, EXAMPLES, example_spec, example_text
from .formats import CHECK_FORMATS, DOCUMENT_FORMATS, KEY_FORMATS
from .graph import Graph
from .network import build_trace
from .numbers import format_value
from .quantities import Role, Stage
from .spec import Spec, load_spec
from .training import TrainingRun, train

if TYPE_CHECKING:
    from .check import Report, Tolerance
    from .files import Guard

EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit code 2) like every other user error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"tracer: error: {terminal_text(message, keep_lines=False)}"
                                   f" (see {self.prog} --help)\n")


LANG_HELP = "the language of what it writes (default: the spec's lang, else en)"


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tracer", description="Step-by-step backpropagation derivations.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    render_cmd = commands.add_parser("render", help="write the worked example of a spec")
    render_cmd.add_argument("spec", nargs="?", type=Path, help="spec file (default: built-in seed)")
    render_cmd.add_argument("-f", "--format", choices=DOCUMENT_FORMATS,
                            help="md, tex or json (default: from -o's extension, else md)")
    render_cmd.add_argument("-o", "--output", help="output file, or - for stdout"
                            " (default: output/<spec name>.<format>)")
    render_cmd.add_argument("-n", "--iterations", type=int, default=0,
                            help="train for N updates: an error table and chosen derivations")
    render_cmd.add_argument("--show-steps", default="",
                            help="updates to derive in full, e.g. 1,2,10000 (default: 1)")
    render_cmd.add_argument("--lang", help=LANG_HELP)
    render_cmd.add_argument("--every", type=int, default=0,
                            help="rows of the error table every K updates (default: N/10)")
    render_cmd.add_argument("--templates", type=Path, action="append", default=[],
                            help="a folder searched before the built-in templates")
    render_cmd.add_argument("--focus", action="append", default=[],
                            help="derive only the paths through these weights, biases, "
                                 "neurons or layers (comma-separated, or repeated)")
    render_cmd.add_argument("--follow", action="append", default=None,
                            help="the weights or biases whose story is told step by step, "
                                 "e.g. w5,w1 (default: the first weight of the output layer "
                                 "and of the first layer; none: every step in computation "
                                 "order)")
    _force(render_cmd)

    example = commands.add_parser("example", help="print a built-in example spec")
    example.add_argument("name", nargs="?", choices=EXAMPLES, default=DEFAULT)

    names_cmd = commands.add_parser("names", help="list the quantity names in trace order")
    names_cmd.add_argument("spec", nargs="?", type=Path)

    train_cmd = commands.add_parser("train", help="apply N updates and print the error")
    train_cmd.add_argument("spec", nargs="?", type=Path)
    train_cmd.add_argument("-n", "--iterations", type=int, required=True)
    train_cmd.add_argument("--every", type=int, default=0,
                           help="also print E_total every K updates")

    keys = commands.add_parser("keys", help="per-student variants: question sheets and keys")
    keys.add_argument("spec", type=Path, help="an exercise spec with a [randomize] table")
    group = keys.add_mutually_exclusive_group(required=True)
    group.add_argument("--variants", type=int, help="N anonymous variants v001, v002, …")
    group.add_argument("--roster", type=Path, help="a CSV with an id column (name optional)")
    keys.add_argument("--seed", type=int, required=True, help="the exercise seed")
    keys.add_argument("-f", "--format", choices=KEY_FORMATS, default="md")
    keys.add_argument("-o", "--output", type=Path, required=True, help="output folder")
    keys.add_argument("--lang", help=LANG_HELP)
    keys.add_argument("--booklet", action="store_true", help="also every key in one file")
    keys.add_argument("--lms", default="", metavar="LIST",
                      help="also files for learning platforms: moodle, qti, qti-quizzes, "
                           "gift, gradescope (comma-separated)")
    keys.add_argument("--templates", type=Path, action="append", default=[],
                      help="a folder searched before the built-in templates")

    check = commands.add_parser("check", help="mark an answer sheet, or a folder of sheets")
    check.add_argument("spec", type=Path, help="the exercise's spec")
    check.add_argument("sheet", type=Path, help="an answer sheet, or a folder of *.txt sheets")
    check.add_argument("-f", "--format", choices=CHECK_FORMATS, default="text")
    check.add_argument("-o", "--output", help="report file (default: stdout); for a folder,"
                       " the CSV gradebook (default: <folder>/gradebook.csv)")
    check.add_argument("--rtol", type=float, help="relative tolerance (default 1e-3)")
    check.add_argument("--atol", type=float, help="absolute tolerance (default 1e-9)")
    check.add_argument("--sig-figs", type=int, help="agreement to N significant figures")
    check.add_argument("--lang", help=LANG_HELP)
    check.add_argument("--manifest", type=Path,
                       help="from tracer keys: grade each sheet against its own variant")
    _force(check)

    templates = commands.add_parser("templates", help="copy the built-in templates to edit")
    templates.add_argument("action", choices=("export",))
    templates.add_argument("folder", type=Path)

    showcase = commands.add_parser("showcase", help="regenerate the showcase documents")
    showcase.add_argument("folder", nargs="?", type=Path, default=Path("output"))
    _force(showcase)
    return parser


def _force(command: argparse.ArgumentParser) -> None:
    command.add_argument("--force", action="store_true",
                         help="replace files that tracer did not write (never an input)")


def _guard(args: argparse.Namespace, *inputs: Path | None) -> Guard:
    """What this command may not overwrite: its inputs, and other programs' files unless
    --force (templates count as inputs: a report must not land on one)."""
    from .files import Guard

    given = [path for path in inputs if path is not None]
    for folder in getattr(args, "templates", []):
        given += [p for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []
    return Guard(tuple(given), bool(getattr(args, "force", False)))


class _Terminated(Exception):
    """SIGTERM, raised where the program is, so that `finally` blocks and context managers
    clean up (pdflatex is killed, temporary folders removed) as on Ctrl-C."""


def _terminate(signum: int, frame: object) -> NoReturn:
    raise _Terminated


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return int(_COMMANDS[args.command](args))
    except TracerError as exc:
        print(f"tracer: error: {terminal_text(exc.line(), keep_lines=False)}",
              file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
    except _Terminated:
        return 143
    except BrokenPipeError:
        return 0
    except OSError as exc:  # a file system's refusal we did not foresee: still one line
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"tracer: error: {terminal_text(where + str(exc.strerror or exc), keep_lines=False)}",
              file=sys.stderr)
        return EXIT_USER_ERROR
    finally:
        signal.signal(signal.SIGTERM, previous)


def _spec(path: Path | None) -> Spec:
    return example_spec() if path is None else load_spec(path)


def _in_language(spec: Spec, lang: str | None) -> Spec:
    """The spec in the language `--lang` asks for (its own `lang` without the option)."""
    if lang is None:
        return spec
    messages.catalogue(lang, key="--lang")  # a language without a catalogue is an error
    return dataclasses.replace(spec, lang=lang)


def _stem(path: Path | None) -> str:
    return DEFAULT if path is None else path.stem


def _render(args: argparse.Namespace) -> int:
    from .files import stamped, write_files
    from .renderer import environment, render, render_files, render_pdf

    fmt = args.format or _format_from(args.output) or "md"
    symbolic = build_trace(_in_language(_spec(args.spec), args.lang))
    env = environment(args.templates)
    source: Trace | TrainingRun = evaluate(symbolic)
    if args.iterations or args.show_steps:
        _one_step_only(symbolic, "--iterations")
        shown = _steps(args.show_steps, args.iterations)
        if args.every > 0 and args.iterations // args.every > MAX_ROWS:
            raise TracerError(f"gives {args.iterations // args.every:,} rows of the error "
                              f"table, more than {MAX_ROWS:,}", key="--every")
        source = _run(symbolic, args.iterations, args.every, shown)
    focus_on = _listed(args.focus)
    follow = None if args.follow is None else tuple(
        name for name in _listed(args.follow) if name != "none")
    if args.output == "-":
        text = (render_pdf(source, env, args.every, focus_on, follow) if fmt == "pdf"
                else render(source, fmt, env, every=args.every, focus_on=focus_on,
                            follow=follow))
        if isinstance(text, bytes):
            sys.stdout.buffer.write(text)
        else:
            sys.stdout.write(text)
        return 0
    path = _output_path(args.output, _stem(args.spec), fmt)
    stem = path.name.removesuffix(f".{fmt}")
    files = render_files(source, fmt, stem, env, args.every, focus_on, follow)
    files = {path.name if name == f"{stem}.{fmt}" else name: stamped(name, text)
             for name, text in files.items()}
    for written in write_files(path.parent, files, _guard(args, args.spec)):
        print(f"wrote {terminal_text(str(written))}", file=sys.stderr)
    return 0


def _listed(parts: Sequence[str]) -> list[str]:
    """Names given comma-separated, or with the option repeated."""
    return [name.strip() for part in parts for name in part.split(",") if name.strip()]


def _one_step_only(symbolic: Graph, what: str) -> None:
    """A circuit is worked one step: it has no error to train down."""
    if symbolic.spec.circuit is not None:
        raise TracerError("a circuit (kind = \"graph\") is worked one step: its output is "
                          "not an error to train", source=symbolic.spec.source, key=what)


def _output_path(output: str | None, stem: str, fmt: str) -> Path:
    """Where `render` writes: -o's file; in -o's folder (`-o notes/`) or by default in
    output/, `<spec name>.<format>`."""
    if not output:
        return Path("output") / f"{stem}.{fmt}"
    path = Path(output)
    if output.endswith(("/", "\\")) or path.is_dir():
        return path / f"{stem}.{fmt}"
    if not path.parent.is_dir():  # -o into a missing folder is a mistake
        raise OutputError("folder does not exist", source=output)
    named = path.suffix.lstrip(".")
    if named in DOCUMENT_FORMATS and named != fmt:
        raise OutputError(f"the name says {named} but --format is {fmt} (name it "
                          f"{path.stem}.{fmt}, or leave out -f)", source=output)
    return path


def _steps(text: str, iterations: int) -> list[int]:
    """--show-steps "1,2,10000": update numbers within 1..iterations."""
    if iterations < 1:
        raise TracerError(f"must be at least 1, got {iterations}", key="--iterations")
    if not text:
        return [1]
    parts = text.split(",")
    if len(parts) > MAX_SHOWN:
        raise TracerError(f"lists {len(parts)} updates, more than {MAX_SHOWN}",
                          key="--show-steps")
    steps = []
    for part in (part.strip() for part in parts):
        # ASCII digits only: "²".isdigit() is true, and int("²") fails.
        if not re.fullmatch(r"[0-9]{1,12}", part) or not 1 <= int(part) <= iterations:
            raise TracerError(f"{terminal_text(part)!r} is not an update number from 1 to "
                              f"{iterations}", key="--show-steps")
        steps.append(int(part))
    return steps


MAX_ROWS = 10_000  # of a document's error table: a page is about 50
MAX_SHOWN = 100  # updates derived in full: each is a whole trace in memory and in the document


def _run(symbolic: Graph, iterations: int, every: int,
         keep: Sequence[int] = ()) -> TrainingRun:
    """Train, with a progress bar on a terminal once a run takes more than a second."""
    if iterations < 1:
        raise TracerError(f"must be at least 1, got {iterations}", key="--iterations")
    if every < 0:
        raise TracerError(f"must be at least 0, got {every}", key="--every")
    bar = _ProgressBar() if sys.stderr.isatty() else None
    try:
        return train(symbolic, iterations, keep=keep, progress=bar)
    finally:
        if bar:
            bar.close()


class _ProgressBar:
    """A one-line bar on stderr, shown only once a second has passed."""

    def __init__(self, unit: str = "updates") -> None:
        self.start = time.monotonic()
        self.shown = False
        self.unit = unit

    def __call__(self, done: int, total: int) -> None:
        if time.monotonic() - self.start < 1.0:
            return
        filled = 30 * done // total
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} {self.unit}")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


def _format_from(output: str | None) -> str | None:
    suffix = Path(output).suffix.lstrip(".") if output and output != "-" else ""
    return suffix if suffix in DOCUMENT_FORMATS else None


def _example(args: argparse.Namespace) -> int:
    sys.stdout.write(example_text(args.name))
    return 0


def _names(args: argparse.Namespace) -> int:
    for name in build_trace(_spec(args.spec)).names:
        print(name)
    return 0


def _train(args: argparse.Namespace) -> int:
    symbolic = build_trace(_spec(args.spec))
    _one_step_only(symbolic, "train")
    run = _run(symbolic, args.iterations, args.every)
    digits = symbolic.spec.digits
    if args.every:
        print("iteration\tE_total")
        for k in range(0, run.iterations + 1, args.every):
            print(f"{k}\t{format_value(run.errors[k], digits)}")
    print(f"E_total after {run.iterations} updates: {format_value(run.errors[-1], digits)}")
    for name, value in _outputs_after(symbolic, run.last):
        print(f"{name} = {format_value(value, digits)}")
    return 0


def _outputs_after(symbolic: Graph, last: Trace) -> list[tuple[str, float]]:
    """The output neurons after the last update, for every example."""
    output_layer = len(symbolic.spec.layers)
    return [(t.name, last.value(t)) for t in symbolic
            if t.role == Role.OUT and t.stage == Stage.AFTER and t.layer == output_layer]


def _templates(args: argparse.Namespace) -> int:
    from .renderer import export_templates

    for path in export_templates(args.folder):
        print(f"wrote {path}", file=sys.stderr)
    return 0


def _showcase(args: argparse.Namespace) -> int:
    from .showcase import write_showcase

    for path in write_showcase(args.folder, _guard(args)):
        print(f"wrote {path}", file=sys.stderr)
    return 0


def _tolerance(args: argparse.Namespace) -> Tolerance | None:
    """The tolerance the command line sets, or None: the exercise's `[grading]` then."""
    from .check import Tolerance

    if args.sig_figs is not None:
        if args.rtol is not None:
            raise TracerError("give either --sig-figs or --rtol, not both", key="--sig-figs")
        if not 1 <= args.sig_figs <= 15:
            raise TracerError(f"must be from 1 to 15, got {args.sig_figs}", key="--sig-figs")
        return Tolerance.significant_figures(args.sig_figs)
    for key, value in (("--rtol", args.rtol), ("--atol", args.atol)):
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise TracerError(f"must be a number of at least 0, got {value}", key=key)
    if args.rtol is None and args.atol is None:
        return None
    default = Tolerance()
    return Tolerance(default.rtol if args.rtol is None else args.rtol,
                     default.atol if args.atol is None else args.atol)


def _keys(args: argparse.Namespace) -> int:
    from .files import replace_folder
    from .handouts import key_files
    from .keys import MAX_STUDENTS, Student, make_variants, read_roster
    from .renderer import environment

    if args.variants is not None and not 1 <= args.variants <= MAX_STUDENTS:
        raise TracerError(f"must be from 1 to {MAX_STUDENTS}, got {args.variants}",
                          key="--variants")
    symbolic = build_trace(_in_language(load_spec(args.spec), args.lang))
    entries: list[tuple[str, Student | None]]
    if args.roster is not None:
        entries = [(student.id, student) for student in read_roster(args.roster)]
    else:
        width = len(str(args.variants))
        entries = [(f"v{k:0{width}d}", None) for k in range(1, args.variants + 1)]
    platforms = _platforms(args.lms)
    variants = make_variants(symbolic, args.seed, entries)
    env = environment(args.templates)
    bar = _ProgressBar("PDF documents") if sys.stderr.isatty() else None
    try:
        files = key_files(symbolic, variants, args.seed, args.format, args.booklet, env,
                          platforms, lambda line: _warn(f"warning: {line}"), bar)
    finally:
        if bar:
            bar.close()
    inputs = _guard(args, args.spec, args.roster).inputs
    done = replace_folder(args.output, files, inputs)
    print(f"wrote {len(variants)} variants ({len(files)} files) to "
          f"{terminal_text(str(args.output))}"
          + (" (the earlier keys there are replaced)" if done == "replaced" else ""),
          file=sys.stderr)
    return 0


def _platforms(text: str) -> tuple[str, ...]:
    """`moodle,gift` as platform names, each once, in the order given."""
    from .lms import FORMATS

    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if name not in FORMATS:
            raise TracerError(f"unknown platform {name[:40]!r} (one of: {', '.join(FORMATS)})",
                              key="--lms")
    return tuple(dict.fromkeys(names))


def _check(args: argparse.Namespace) -> int:
    from .check import Checker, read_sheet
    from .files import stamped, write_atomic

    tolerance = _tolerance(args)
    symbolic = build_trace(_in_language(load_spec(args.spec), args.lang))
    if args.sheet.is_dir() or args.manifest is not None:
        return _check_folder(args, symbolic, tolerance)
    checker = Checker(evaluate(symbolic), tolerance)
    text = read_sheet(args.sheet)
    _warn_of_variant(symbolic, text)
    report = checker.mark(text)
    text = _report(report, checker.trace, args.format)
    if args.output and args.output != "-":
        text = str(stamped(f"report.{args.format}", text))  # the format's mark, any name
        write_atomic(Path(args.output), text, _guard(args, args.spec, args.sheet))
    else:
        sys.stdout.write(terminal_text(text))
    return 0 if report.passed else 1


def _report(report: Report, trace: Trace, fmt: str) -> str:
    """A check report as `text` (a table for the grader), `md` or `html` (feedback), `json`
    or `gradescope`."""
    from .report import feedback_sheet, report_json, report_text

    if fmt == "json":
        return json.dumps({"generator": "tracer", **report_json(report)}, indent=2) + "\n"
    if fmt == "gradescope":  # results.json, read by Gradescope: no key of ours in it
        from .report import gradescope_json

        return json.dumps(gradescope_json(report, trace.symbolic.spec.digits, _words(trace)),
                          indent=2,
                          ensure_ascii=False) + "\n"
    if fmt in ("md", "html"):
        from .renderer import render_feedback
        from .webpage import page

        web = page(trace) if fmt == "html" else None
        return render_feedback(feedback_sheet(report, trace, fmt=fmt), fmt=fmt, web=web)
    return report_text(report, trace.symbolic.spec.digits, _words(trace))


def _words(trace: Trace) -> messages.Catalogue:
    return messages.catalogue(trace.symbolic.spec.lang)


def _check_folder(args: argparse.Namespace, symbolic: Graph,
                  tolerance: Tolerance | None) -> int:
    """A class: every sheet of the folder marked (against its own variant when there is a
    manifest), the gradebook and the feedback files written beside each other."""
    from .files import write_atomic, write_files
    from .marking import FEEDBACK, class_files, manifest_of, mark_class, mark_sheets, sheets_in
    from .report import row_score

    if args.output == "-":
        raise TracerError("a folder's gradebook is a file (with feedback files beside it): "
                          "give its path, or leave -o out", key="-o")
    sheets = sheets_in(args.sheet)
    manifest = manifest_of(args.sheet, args.manifest)
    if manifest is None:
        marked = mark_sheets(symbolic, sheets, tolerance, _warn)
    else:
        marked = mark_class(symbolic, sheets, manifest, tolerance, _warn)
        print(f"tracer: each sheet was marked against its variant in "
              f"{terminal_text(str(manifest), keep_lines=False)}", file=sys.stderr)
    path = Path(args.output) if args.output else args.sheet / "gradebook.csv"
    made = class_files(marked)
    guard = _guard(args, args.spec, manifest, *sheets)
    guard.check(path)  # before any feedback file is written
    write_files(path.parent / FEEDBACK, made.feedback, guard)
    write_atomic(path, made.gradebook, guard)
    rows = [m.row for m in marked]
    if args.format == "json":
        print(json.dumps({"generator": "tracer", "students": [
            {"student_id": r.student_id, "student_name": r.student_name,
             "sheet": r.sheet or None, "note": r.note or None, **_summary(r.report)}
            for r in rows]}, indent=2))
    else:
        for row in rows:
            print("\t".join(terminal_text(cell, keep_lines=False) for cell in (
                row.student_id or row.sheet, row_score(row, 3), row.note) if cell))
    print(f"wrote {path} and {path.parent / FEEDBACK}/", file=sys.stderr)
    return 0 if all(r.report is not None and r.report.passed for r in rows) else 1


def _warn_of_variant(symbolic: Graph, text: str) -> None:
    """A variant's sheet checked against the exercise that draws the variants is marked
    against numbers that are not the student's: say so."""
    from .answers import variant_named

    variant = variant_named(text)
    if variant and symbolic.spec.randomize:
        _warn(f"warning: this is variant {variant}'s sheet, marked against the exercise's own "
              f"numbers: check it against its variant's spec ({variant}.toml of the keys)")


def _summary(report: Report | None) -> dict[str, object]:
    from .report import report_json

    return report_json(report) if report else {"results": [], "score": 0.0, "counts": {}}


def _warn(message: str) -> None:
    print(f"tracer: {terminal_text(message, keep_lines=False)}", file=sys.stderr)


_COMMANDS = {"render": _render, "example": _example, "names": _names, "train": _train,
             "keys": _keys, "check": _check, "templates": _templates, "showcase": _showcase}
