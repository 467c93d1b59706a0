"""The `tracer` command. Nothing imports this module; it only parses arguments and reports.

Each command imports what only it needs when it runs (jinja2 for documents, the checker for
`check`, …): every command starts with `import sympy`, the floor, and pays for nothing else
it does not use (tests/test_startup.py lists what `import tracer.cli` loads).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from .errors import OutputError, TracerError
from .escape import terminal_text
from .evaluation import Trace, evaluate
from .examples import DEFAULT, EXAMPLES, example_spec, example_text
from .formats import CHECK_FORMATS, DOCUMENT_FORMATS, KEY_FORMATS
from .graph import Graph
from .network import build_trace
from .numbers import format_value
from .quantities import Role, Stage
from .reading import read_text
from .spec import Spec, load_spec
from .training import TrainingRun, train

if TYPE_CHECKING:
    from .check import Checker, Report, Tolerance
    from .files import Guard

EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit code 2) like every other user error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"tracer: error: {terminal_text(message, keep_lines=False)}"
                                   f" (see {self.prog} --help)\n")


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
    render_cmd.add_argument("--every", type=int, default=0,
                            help="rows of the error table every K updates (default: N/10)")
    render_cmd.add_argument("--templates", type=Path, action="append", default=[],
                            help="a folder searched before the built-in templates")
    render_cmd.add_argument("--focus", action="append", default=[],
                            help="derive only the paths through these weights, biases, "
                                 "neurons or layers (comma-separated, or repeated)")
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
    keys.add_argument("--booklet", action="store_true", help="also every key in one file")
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


def _stem(path: Path | None) -> str:
    return DEFAULT if path is None else path.stem


def _render(args: argparse.Namespace) -> int:
    from .files import stamped, write_files
    from .renderer import environment, render, render_files, render_pdf

    fmt = args.format or _format_from(args.output) or "md"
    symbolic = build_trace(_spec(args.spec))
    env = environment(args.templates)
    source: Trace | TrainingRun = evaluate(symbolic)
    if args.iterations or args.show_steps:
        shown = _steps(args.show_steps, args.iterations)
        if args.every > 0 and args.iterations // args.every > MAX_ROWS:
            raise TracerError(f"gives {args.iterations // args.every:,} rows of the error "
                              f"table, more than {MAX_ROWS:,}", key="--every")
        source = _run(symbolic, args.iterations, args.every, shown)
    focus_on = [name.strip() for part in args.focus for name in part.split(",") if name.strip()]
    if args.output == "-":
        text = (render_pdf(source, env, args.every, focus_on) if fmt == "pdf"
                else render(source, fmt, env, every=args.every, focus_on=focus_on))
        if isinstance(text, bytes):
            sys.stdout.buffer.write(text)
        else:
            sys.stdout.write(text)
        return 0
    path = _output_path(args.output, _stem(args.spec), fmt)
    stem = path.name.removesuffix(f".{fmt}")
    files = render_files(source, fmt, stem, env, args.every, focus_on)
    files = {path.name if name == f"{stem}.{fmt}" else name: stamped(name, text)
             for name, text in files.items()}
    for written in write_files(path.parent, files, _guard(args, args.spec)):
        print(f"wrote {terminal_text(str(written))}", file=sys.stderr)
    return 0


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

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if time.monotonic() - self.start < 1.0:
            return
        filled = 30 * done // total
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} updates")
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


def _tolerance(args: argparse.Namespace) -> Tolerance:
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
    default = Tolerance()
    return Tolerance(default.rtol if args.rtol is None else args.rtol,
                     default.atol if args.atol is None else args.atol)


MAX_SHEET_BYTES = 5_000_000


def _read_sheet(path: Path) -> str:
    return read_text(path, MAX_SHEET_BYTES)


def _keys(args: argparse.Namespace) -> int:
    from .files import replace_folder
    from .handouts import key_files
    from .keys import MAX_STUDENTS, Student, make_variants, read_roster
    from .renderer import environment

    if args.variants is not None and not 1 <= args.variants <= MAX_STUDENTS:
        raise TracerError(f"must be from 1 to {MAX_STUDENTS}, got {args.variants}",
                          key="--variants")
    symbolic = build_trace(load_spec(args.spec))
    entries: list[tuple[str, Student | None]]
    if args.roster is not None:
        entries = [(student.id, student) for student in read_roster(args.roster)]
    else:
        width = len(str(args.variants))
        entries = [(f"v{k:0{width}d}", None) for k in range(1, args.variants + 1)]
    variants = make_variants(symbolic, args.seed, entries)
    env = environment(args.templates)
    files = key_files(symbolic, variants, args.seed, args.format, args.booklet, env)
    inputs = _guard(args, args.spec, args.roster).inputs
    done = replace_folder(args.output, files, inputs)
    print(f"wrote {len(variants)} variants ({len(files)} files) to "
          f"{terminal_text(str(args.output))}"
          + (" (the earlier keys there are replaced)" if done == "replaced" else ""),
          file=sys.stderr)
    return 0


def _check(args: argparse.Namespace) -> int:
    from .check import Checker
    from .files import stamped, write_atomic

    tolerance = _tolerance(args)
    symbolic = build_trace(load_spec(args.spec))
    if args.manifest is not None:
        return _check_manifest(args, symbolic, tolerance)
    checker = Checker(evaluate(symbolic), tolerance)
    trace = checker.trace
    if args.sheet.is_dir():
        return _check_folder(args, checker)
    report = checker.mark(_read_sheet(args.sheet))
    text = _report(report, trace, args.format)
    if args.output and args.output != "-":
        text = str(stamped(f"report.{args.format}", text))  # the format's mark, any name
        write_atomic(Path(args.output), text, _guard(args, args.spec, args.sheet))
    else:
        sys.stdout.write(terminal_text(text))
    return 0 if report.passed else 1


def _report(report: Report, trace: Trace, fmt: str) -> str:
    """A check report as `text` (a table for the grader), `md` (feedback) or `json`."""
    from .report import feedback_sheet, report_json, report_text

    if fmt == "json":
        return json.dumps({"generator": "tracer", **report_json(report)}, indent=2) + "\n"
    if fmt == "md":
        from .renderer import render_feedback

        return render_feedback(feedback_sheet(report, trace))
    return report_text(report, trace.symbolic.spec.digits)


def _sheets(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise TracerError("is not a folder of answer sheets", source=str(folder))
    sheets = sorted(p for p in folder.glob("*.txt") if p.is_file())
    if not sheets:
        raise TracerError("no *.txt answer sheets in the folder", source=str(folder))
    return sheets


def _check_folder(args: argparse.Namespace, checker: Checker) -> int:
    reports = [(p.name, _mark_file(checker, p, _folder_sheet(p))) for p in _sheets(args.sheet)]
    return _gradebook(args, reports, checker.symbolic)


def _folder_sheet(path: Path) -> str | TracerError:
    """A sheet of a folder, or why it cannot be read: one such sheet must not cost the class
    its gradebook."""
    try:
        return _read_sheet(path)
    except TracerError as exc:
        print(f"tracer: warning: {terminal_text(exc.line(), keep_lines=False)}: marked 0",
              file=sys.stderr)
        return exc


def _mark_file(checker: Checker, path: Path, text: str | TracerError) -> Report:
    from .check import Report, Result, Status

    if isinstance(text, TracerError):
        return Report((Result(0, path.name, Status.INVALID, reason=text.message),))
    return checker.mark(text)


def _check_manifest(args: argparse.Namespace, symbolic: Graph,
                    tolerance: Tolerance) -> int:
    """Each sheet in the folder against its own variant: the manifest's drawn values."""
    from .check import Checker
    from .keys import read_manifest

    variants = read_manifest(args.manifest)
    reports = []
    claimed: dict[str, str] = {}
    for path in _sheets(args.sheet):
        text = _folder_sheet(path)
        variant = _variant_of(path, "" if isinstance(text, TracerError) else text, variants)
        shown = terminal_text(path.name, keep_lines=False)
        if variant is None:
            print(f"tracer: skipped {shown}: its '# Variant' line or its file name must name "
                  "one variant of the manifest", file=sys.stderr)
            continue
        if variant in claimed:
            print(f"tracer: warning: {shown} and {claimed[variant]} are both variant "
                  f"{variant}", file=sys.stderr)
        claimed[variant] = shown
        checker = Checker(evaluate(symbolic, variants[variant]), tolerance)
        reports.append((path.name, _mark_file(checker, path, text)))
    if not reports:
        raise TracerError("no sheet in the folder belongs to a variant of the manifest",
                          source=str(args.sheet))
    return _gradebook(args, reports, symbolic)


_VARIANT_LINE = re.compile(r"^#\s*Variant\s+([A-Za-z0-9._-]+)", re.MULTILINE)


def _variant_of(path: Path, text: str, variants: Mapping[str, object]) -> str | None:
    """The variant a sheet answers: its blank sheet's `# Variant <id>` line, else its file
    name (`<id>.answers.txt` or `<id>.txt`), matched whole: ids may hold dots. A name that
    could be either of two variants (`anna.answers.txt`: `anna`, or `anna.answers`) is none."""
    line = _VARIANT_LINE.search(text[:2000])
    if line and line.group(1) in variants:
        return line.group(1)
    stem = path.name.removesuffix(".txt")
    named = {c for c in (stem.removesuffix(".answers"), stem) if c in variants}
    return named.pop() if len(named) == 1 else None


def _gradebook(args: argparse.Namespace, reports: list[tuple[str, Report]],
               symbolic: Graph) -> int:
    from .files import write_atomic
    from .report import gradebook_csv

    path = Path(args.output) if args.output else args.sheet / "gradebook.csv"
    sheets = [args.sheet / name for name, _ in reports]
    write_atomic(path, gradebook_csv(reports, symbolic.names),
                 _guard(args, args.spec, args.manifest, *sheets))
    for name, report in reports:
        print(f"{terminal_text(name, keep_lines=False)}\t{report.score:.3f}")
    print(f"wrote {path}", file=sys.stderr)
    return 0 if all(report.passed for _, report in reports) else 1


_COMMANDS = {"render": _render, "example": _example, "names": _names, "train": _train,
             "keys": _keys, "check": _check, "templates": _templates, "showcase": _showcase}
