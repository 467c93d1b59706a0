"""The `tracer` command. Nothing imports this module; it only parses arguments and reports."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from .errors import TracerError
from .evaluate import Trace, evaluate
from .examples import DEFAULT, EXAMPLES, example_spec, example_text
from .numbers import format_value
from .render import FORMATS, render, write_atomic
from .showcase import write_showcase
from .spec import Spec, load_spec
from .trace import Kind, Stage, SymbolicTrace, build_trace
from .train import TrainingRun, train

EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit code 2) like every other user error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tracer", description="Step-by-step backpropagation derivations.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    render_cmd = commands.add_parser("render", help="write the worked example of a spec")
    render_cmd.add_argument("spec", nargs="?", type=Path, help="spec file (default: built-in seed)")
    render_cmd.add_argument("-f", "--format", choices=FORMATS,
                            help="md, tex or json (default: from -o's extension, else md)")
    render_cmd.add_argument("-o", "--output", help="output file, or - for stdout"
                            " (default: output/<spec name>.<format>)")
    render_cmd.add_argument("-n", "--iterations", type=int, default=0,
                            help="train for N updates: an error table and chosen derivations")
    render_cmd.add_argument("--show-steps", default="",
                            help="updates to derive in full, e.g. 1,2,10000 (default: 1)")
    render_cmd.add_argument("--every", type=int, default=0,
                            help="rows of the error table every K updates (default: N/10)")

    example = commands.add_parser("example", help="print a built-in example spec")
    example.add_argument("name", nargs="?", choices=EXAMPLES, default=DEFAULT)

    names_cmd = commands.add_parser("names", help="list the quantity names in trace order")
    names_cmd.add_argument("spec", nargs="?", type=Path)

    train_cmd = commands.add_parser("train", help="apply N updates and print the error")
    train_cmd.add_argument("spec", nargs="?", type=Path)
    train_cmd.add_argument("-n", "--iterations", type=int, required=True)
    train_cmd.add_argument("--every", type=int, default=0,
                           help="also print E_total every K updates")

    showcase = commands.add_parser("showcase", help="regenerate the showcase documents")
    showcase.add_argument("folder", nargs="?", type=Path, default=Path("output"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(_COMMANDS[args.command](args))
    except TracerError as exc:
        print(f"tracer: error: {exc.line()}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _spec(path: Path | None) -> Spec:
    return example_spec() if path is None else load_spec(path)


def _stem(path: Path | None) -> str:
    return DEFAULT if path is None else path.stem


def _render(args: argparse.Namespace) -> int:
    fmt = args.format or _format_from(args.output) or "md"
    symbolic = build_trace(_spec(args.spec))
    if args.iterations or args.show_steps:
        shown = _steps(args.show_steps, args.iterations)
        text = render(_run(symbolic, args.iterations, args.every, shown), fmt,
                      every=args.every)
    else:
        text = render(evaluate(symbolic), fmt)
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    path = Path(args.output) if args.output else Path("output") / f"{_stem(args.spec)}.{fmt}"
    if not args.output:
        path.parent.mkdir(exist_ok=True)
    write_atomic(path, text)
    print(f"wrote {path}", file=sys.stderr)
    return 0


def _steps(text: str, iterations: int) -> list[int]:
    """--show-steps "1,2,10000": update numbers within 1..iterations."""
    if iterations < 1:
        raise TracerError(f"must be at least 1, got {iterations}", key="--iterations")
    if not text:
        return [1]
    steps = []
    for part in text.split(","):
        if not part.strip().isdigit() or not 1 <= int(part) <= iterations:
            raise TracerError(f"{part.strip()!r} is not an update number from 1 to "
                              f"{iterations}", key="--show-steps")
        steps.append(int(part))
    return steps


def _run(symbolic: SymbolicTrace, iterations: int, every: int,
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
    return suffix if suffix in FORMATS else None


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


def _outputs_after(symbolic: SymbolicTrace, last: Trace) -> list[tuple[str, float]]:
    """The output neurons after the last update, for every example."""
    output_layer = len(symbolic.spec.layers)
    return [(t.name, last[t.name]) for t in symbolic
            if t.kind == Kind.OUT and t.stage == Stage.AFTER and t.layer == output_layer]


def _showcase(args: argparse.Namespace) -> int:
    for path in write_showcase(args.folder):
        print(f"wrote {path}", file=sys.stderr)
    return 0


_COMMANDS = {"render": _render, "example": _example, "names": _names, "train": _train,
             "showcase": _showcase}
