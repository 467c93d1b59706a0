"""Marking a student's derivation step by step, with error carried forward and diagnoses.

A `Checker` is built once per trace (per variant of an exercise) and marks any number of
sheets. Each line is:
- `correct`: within the tolerance (the exercise's `[grading]`, or atol + rtol·|expected|) of
  the trace's value; an update within it by its change (see `Tolerance.close_change`);
- `carried`: wrong, but equal to what the quantity's own formula gives from the student's own
  earlier values (skipped steps recomputed from those, transitively; true values where the
  student gave nothing upstream);
- `wrong`: otherwise, with the first misconception of the catalogue whose re-derivation gives
  the student's value (directly or carried) and agrees with the sheet, else a rounding;
- `incomplete`: a formula alone, right, where the exercise requires numbers;
- `invalid`: the line cannot be read (the reason is given; other lines are still marked).
Then each quantity the exercise asks for and the sheet does not answer is `missing`; the
score is the credit of the asked quantities' answers (see `Checker._scored`).
A formula part is `equivalent` or `not-equivalent` to the trace's formula, judged by
evaluating both over the network's parameters at several points.

A given value (input, weight, bias, target, learning rate) is fixed by the exercise: a sheet
that restates one is marked on it, `correct` or `wrong`, and every other line is judged from
the true givens (a value that only follows from the student's own givens is not carried).

Costs are bounded per line and per sheet, whatever the text: `answers` reads at most
`MAX_SHEET` characters and `MAX_LINES` answer lines a sheet (`MAX_LINE` characters a line),
`safeexpr` at most `MAX_NODES` nodes a formula. Once a sheet's carried values are known
(one pass over the trace, and one a variant when a diagnosis needs it), a line costs its
formula's evaluation at `POINTS` + 1 points and a comparison a variant, never a walk of the
trace. Only the first `MAX_DIAGNOSED` wrong lines of a sheet are diagnosed: the rest say
so. A checker keeps compiled variants and their values for at most `MAX_CACHED_VARIANTS`
variants (the catalogue makes 17 for one hidden layer, 26 for two, 5 more a hidden layer;
the least recently used are made again when needed), never anything per line.
"""

from __future__ import annotations

import dataclasses
import math
import random
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from . import keys, messages, names
from .acyclic import cycle_collection_paused
from .answers import Line, parse_sheet
from .codegen import Step, compile_formulas, compile_steps, compile_trace
from .errors import TracerError
from .evaluation import Trace, evaluate_vector
from .grading import Grading
from .graph import Graph
from .memo import Lru, per_trace
from .misconceptions import CATALOGUE, Variant
from .numbers import half_unit, is_rounding
from .quantities import Role
from .reading import read_text
from .safeexpr import Formula, FormulaError


class Status(StrEnum):
    CORRECT = "correct"
    CARRIED = "carried"
    WRONG = "wrong"
    INCOMPLETE = "incomplete"  # a formula without the number the exercise requires
    MISSING = "missing"  # asked, and not answered
    INVALID = "invalid"


class Verdict(StrEnum):
    """A formula part compared with the trace's formula."""

    EQUIVALENT = "equivalent"
    NOT_EQUIVALENT = "not-equivalent"


STATUSES = tuple(Status)
POINTS = 4  # random points for formula equivalence, besides the actual values
FORMULA_RTOL = 1e-7
MAX_DIAGNOSED = 200  # wrong lines a sheet searched for a misconception; the rest say so
MAX_CACHED_VARIANTS = 32  # compiled variants (and their values) a checker keeps
MAX_ROUNDED_TERMS = 20_000  # traces re-evaluated rounded for `rounded-carry` (7 of them)
# Diagnoses that are not a wrong rule: the value is right but for its rounding. They earn
# the exercise's `rounding` credit.
ROUNDING = {key: messages.catalogue()(f"misconception.{key}")
            for key in ("rounding", "rounded-carry")}
DIAGNOSES = {**{m.id: m.description for m in CATALOGUE}, **ROUNDING}  # in English


def diagnosis_text(diagnosis: str, t: messages.Catalogue) -> str:
    """A diagnosis (a misconception's id, or a rounding) described in `t`'s language."""
    return t(f"misconception.{diagnosis}")


def status_text(status: Status, t: messages.Catalogue) -> str:
    """A status (correct, carried, …) in `t`'s language."""
    return t(f"status.{status}")


def verdict_text(verdict: Verdict, t: messages.Catalogue) -> str:
    return t(f"verdict.{verdict}")


MAX_SHEET_BYTES = 5_000_000  # an answer sheet's file


def read_sheet(path: Path) -> str:
    """An answer sheet's text (at most MAX_SHEET_BYTES, UTF-8)."""
    return read_text(path, MAX_SHEET_BYTES)


def _joined(t: messages.Catalogue, *reasons: str) -> str:
    return t("language.semicolon").join(reason for reason in reasons if reason)


@dataclass(frozen=True)
class Tolerance:
    rtol: float = 1e-3
    atol: float = 1e-9

    def margin(self, expected: float) -> float:
        """How far from `expected` a value may be: atol + rtol·|expected|."""
        return self.atol + self.rtol * abs(expected)

    def close(self, given: float, expected: float) -> bool:
        return math.isfinite(expected) and abs(given - expected) <= self.margin(expected)

    @classmethod
    def significant_figures(cls, figures: int) -> Tolerance:
        """Agreement to N significant figures: a relative error below 5·10^-N."""
        return cls(rtol=5 * 10.0 ** -figures, atol=1e-12)

    def close_change(self, given: float, expected: float, before: float,
                     written: str = "") -> bool:
        """An updated value judged by its change from `before`: the change within the
        tolerance, give or take the rounding of the figures `written` (no more than the
        value's own tolerance, nor half the change). Judged by the value alone, a gradient
        1 % wrong hides in a weight's last digits."""
        slack = min(half_unit(written), self.rtol * abs(expected),
                    0.5 * abs(before - expected))
        return math.isfinite(expected) and abs(given - expected) <= (
            self.margin(before - expected) + slack)

    @classmethod
    def decimal_places(cls, places: int) -> Tolerance:
        """The value rounded to `places` decimals, or closer (a hair more than half a unit
        of the last place: 0.3775 is 0.37750000000000006 in binary)."""
        return cls(rtol=1e-12, atol=0.5 * 10.0 ** -places * (1 + 1e-9))

    @classmethod
    def of(cls, grading: Grading) -> Tolerance:
        """The tolerance an exercise's `[grading]` table sets (the default without one)."""
        if grading.decimals is not None:
            return cls.decimal_places(grading.decimals)
        if grading.sig_figs is not None:
            return cls.significant_figures(grading.sig_figs)
        default = cls()
        return cls(default.rtol if grading.rtol is None else grading.rtol,
                   default.atol if grading.atol is None else grading.atol)


@dataclass(frozen=True)
class Result:
    line: int
    name: str  # canonical name, or the name as written when it is unknown
    status: Status
    given: float | None = None
    expected: float | None = None
    formula: Verdict | None = None  # None without a formula
    diagnosis: str | None = None  # a misconception id
    reason: str = ""
    carried_value: float | None = None  # what the student's own earlier values give
    written: str = ""  # the number as the sheet writes it (0.3800), if it is a plain one
    # Whether the line counts for the score: the answer to an asked quantity (its last
    # readable line), or a missing one. Restated givens, lines not asked for and answers
    # given again later do not.
    scored: bool = True
    credit: float = 0.0  # what it earns: 1 correct or carried, a share for a rounding


@dataclass(frozen=True)
class Report:
    """A sheet's marks: its lines in order, then a `missing` result per asked quantity it
    does not answer."""

    results: tuple[Result, ...]

    @property
    def counts(self) -> dict[Status, int]:
        return {status: sum(r.status == status for r in self.results) for status in Status}

    @property
    def scored(self) -> tuple[Result, ...]:
        """The asked quantities' answers (each once), missing ones included."""
        return tuple(r for r in self.results if r.scored)

    @property
    def asked_counts(self) -> dict[Status, int]:
        """The statuses of the asked quantities' answers (each counted once)."""
        return {status: n for status in Status
                if (n := sum(r.status == status for r in self.scored))}

    @property
    def score(self) -> float:
        """The credit earned over the asked quantities (the scored results)."""
        scored = self.scored
        return sum(r.credit for r in scored) / len(scored) if scored else 0.0

    @property
    def passed(self) -> bool:
        scored = self.scored
        return bool(scored) and all(r.credit == 1 for r in scored)

    @property
    def lines(self) -> tuple[Result, ...]:
        """The results of the sheet's own lines (without the missing quantities)."""
        return tuple(r for r in self.results if r.status != Status.MISSING)

    def answers(self) -> dict[str, Result]:
        """Each scored quantity's result, by name."""
        return {r.name: r for r in self.scored}


@dataclass(frozen=True)
class _Sheet:
    """What diagnosing a line reads of its sheet, and of the line itself."""

    student: Mapping[int, float]  # the student's values, by position
    recomputed: Sequence[float]  # what each formula gives from them
    carried: Callable[[Variant], list[float]]  # a variant's values carried from them
    right: Sequence[int]  # positions the student gave right
    agreeing: Sequence[int]  # ... right, or carried from their own values
    found: Sequence[str]  # the diagnoses of the sheet's earlier lines, first found first
    formula: Formula | None = None  # the line's own formula, if it gives one
    written: str = ""  # the line's number as written; empty for a formula's value
    formula_wrong: bool = False  # the line's formula is not the trace's


@per_trace  # shared by the checkers of a class's variants: compiled once
def _exact(graph: Graph) -> Graph:
    """The same graph with every value carried exactly (formulas are compared so)."""
    if graph.spec.carry == "exact":
        return graph
    return dataclasses.replace(graph, spec=dataclasses.replace(graph.spec, carry="exact"))


@per_trace  # shared by the checkers of a class's variants: compiled once
def _rounded(graph: Graph, places: int) -> Graph:
    """The same graph with every value carried rounded to `places` decimals (rounding is
    how it is compiled, not what it records)."""
    spec = dataclasses.replace(graph.spec, carry="rounded", digits=places)
    return dataclasses.replace(graph, spec=spec)


class Checker:
    """Marks sheets against one evaluated trace."""

    def __init__(self, trace: Trace, tolerance: Tolerance | None = None,
                 asked: Sequence[str] | None = None) -> None:
        """`tolerance`: the exercise's `[grading]` by default; `asked`: the quantities the
        score is over, the exercise's `ask` list (or its default) unless given."""
        self.trace = trace
        self.symbolic = trace.symbolic
        self.grading = self.symbolic.spec.grading
        self.tolerance = tolerance or Tolerance.of(self.grading)
        self.t = messages.catalogue(self.symbolic.spec.lang)  # the reasons' language
        self.table = names.NameTable((t.name, t.ref) for t in self.symbolic)
        self.givens = [trace.value(term) for term in self.symbolic.givens]
        wanted = keys.asked(self.symbolic) if asked is None else asked
        self.asked = tuple(n for n in dict.fromkeys(wanted)
                           if not self._is_given(self.symbolic.position(n)))
        # Per variant: its compiled formulas, the terms it affects, its values from the
        # true ones (the same for every sheet). Kept with the checker: variants are equal
        # only to themselves. Per group of changed terms (two a variant at most): the
        # terms depending on them.
        self._plans: Lru[Variant, list[tuple[int, Step]]] = Lru(MAX_CACHED_VARIANTS)
        self._truths: Lru[Variant, Sequence[float]] = Lru(MAX_CACHED_VARIANTS)
        self._bases: dict[frozenset[int], tuple[list[tuple[int, Step]], dict[int, int]]] = {}

    @property
    def cached(self) -> int:
        """Entries held by the checker's caches (bounded: see the module's docstring)."""
        return len(self._plans) + len(self._truths) + len(self._bases)

    @cycle_collection_paused()  # the trace is large: a collection walks it, to find nothing
    def mark(self, text: str) -> Report:
        lines = parse_sheet(text, self.table, self.t)
        student = self._student_values(lines)
        recomputed = self.carried(student)
        marked = [self._mark_line(line, student, recomputed) for line in lines]
        formulas = {line.line: line.formulas[-1] for line in lines if line.formulas}
        diagnosed = self._diagnosed(marked, student, recomputed, formulas)
        return Report(tuple(self._scored(list(diagnosed))))

    def unreadable(self, name: str, reason: str) -> Report:
        """The report on a sheet that could not be read: one invalid line, every asked
        quantity missing."""
        return Report(tuple(self._scored([Result(0, name, Status.INVALID, reason=reason)])))

    # -- the score ------------------------------------------------------------------------
    def _scored(self, results: Sequence[Result]) -> Iterator[Result]:
        """The results, each asked quantity's answer scored and credited (the last line that
        could be read, else the last), then one `missing` result per asked quantity the
        sheet does not answer."""
        answer: dict[str, Result] = {}
        for result in results:
            if result.name in self.table.canonical and (
                    result.status != Status.INVALID
                    or answer.get(result.name, result).status == Status.INVALID):
                answer[result.name] = result
        asked = set(self.asked)
        for result in results:
            counted = answer.get(result.name)
            if counted is result:
                yield replace(result, scored=result.name in asked, credit=self._credit(result))
            elif counted is not None:
                yield replace(result, scored=False, reason=_joined(
                    self.t, result.reason, self.t("check.answered_again", line=counted.line)))
            else:
                yield replace(result, scored=False)
        for name in self.asked:
            if name not in answer:
                expected = self.trace.values[self.symbolic.position(name)]
                yield Result(0, name, Status.MISSING, expected=expected,
                             reason=self.t("check.not_answered"))

    def _credit(self, result: Result) -> float:
        if result.status in (Status.CORRECT, Status.CARRIED):
            return 1.0
        if result.diagnosis in ROUNDING:
            return self.grading.rounding
        return 0.0

    # -- values ---------------------------------------------------------------------------
    def _student_values(self, lines: Sequence[Line]) -> dict[int, float]:
        """Position -> the student's value of a computed quantity (the last line naming it
        wins). Given values are the exercise's: a sheet's own are not carried."""
        values: dict[int, float] = {}
        for line in lines:
            if line.name is not None and not line.error and line.number is not None:
                position = self.symbolic.position(line.name)
                if not self._is_given(position):
                    values[position] = line.number
        return values

    def _is_given(self, position: int) -> bool:
        return position < len(self.givens)  # given values come first in a trace

    def carried(self, student: Mapping[int, float]) -> list[float]:
        """Every value as its formula gives it from the student's own values (by position)
        where the student gave them, else from values recomputed the same way; givens as
        given. NaN from a term that cannot be computed on."""
        start = self.givens + [0.0] * (len(self.symbolic.terms) - len(self.givens))
        return self._run(self._plan, start, student)

    @cached_property
    def _plan(self) -> list[tuple[int, Step]]:
        return [(i, step) for i, step in enumerate(self._steps) if step is not None]

    @staticmethod
    def _run(plan: Sequence[tuple[int, Step]], start: Sequence[float],
             student: Mapping[int, float]) -> list[float]:
        """`start` with the terms of `plan` recomputed in order by their steps, each reading
        the student's value where `student` has one (the value the formula gives is what is
        returned for a term itself). From a term that cannot be computed on, NaN."""
        result = list(start)
        values = list(start)
        for position, value in student.items():
            values[position] = value
        done = 0
        try:
            for position, step in plan:
                value = result[position] = step(values)
                values[position] = student.get(position, value)
                done += 1
        except (OverflowError, ZeroDivisionError, ValueError):
            for position, _ in plan[done:]:
                result[position] = math.nan
        return result

    def _mark_line(self, line: Line, student: Mapping[int, float],
                   recomputed: Sequence[float]) -> Result:
        """The line's mark, not yet diagnosed."""
        if line.error or line.name is None:
            return Result(line.line, line.name or line.written, Status.INVALID,
                          reason=line.error)
        position = self.symbolic.position(line.name)
        expected = self.trace.values[position]
        verdict, reason = self._formula_verdict(line)
        if line.unread:
            reason = _joined(self.t, self.t("check.formula_not_read", why=line.unread), reason)
        given = line.number
        if given is None:  # a formula alone: marked by its verdict
            if verdict is None:
                return Result(line.line, line.name, Status.INVALID, expected=expected,
                              reason=reason)
            given = self._formula_value(line.formulas[-1], student)
            status = Status.CORRECT if verdict == Verdict.EQUIVALENT else Status.WRONG
            if self.grading.require_numbers and status == Status.CORRECT:
                status = Status.INCOMPLETE
                reason = _joined(self.t, reason, self.t("check.number_required"))
        else:
            status = self._status(position, given, student, recomputed, line.written_number)
        if status == Status.WRONG and self._is_given(position):
            reason = reason or self.t("check.given")
        own = recomputed[position] if math.isfinite(recomputed[position]) else None
        return Result(line.line, line.name, status, given, expected, verdict, None, reason,
                      own, line.written_number)

    def _diagnosed(self, results: Sequence[Result], student: Mapping[int, float],
                   recomputed: Sequence[float], formulas: Mapping[int, Formula]
                   ) -> Iterator[Result]:
        """The results, each wrong computed value with the misconception that explains it
        (if one does), up to MAX_DIAGNOSED lines; later wrong lines say none was sought."""
        seen: dict[Variant, list[float]] = {}

        def carried(variant: Variant) -> list[float]:
            """The variant's values carried from this sheet's own (computed once a sheet)."""
            if variant not in seen:
                seen[variant] = self.variant_values(variant, recomputed, student)
            return seen[variant]

        truth = self.trace.values
        right = [p for p, value in student.items() if self.tolerance.close(value, truth[p])]
        agreeing = [p for p, value in student.items() if self.tolerance.close(value, truth[p])
                    or self.tolerance.close(value, recomputed[p])]
        found: list[str] = []
        sheet = _Sheet(student, recomputed, carried, right, agreeing, found)
        left = MAX_DIAGNOSED
        for result in results:
            given = result.given
            if result.status != Status.WRONG or given is None or self._is_given(
                    position := self.symbolic.position(result.name)):
                yield result
            elif left > 0:
                left -= 1
                line = replace(sheet, formula=formulas.get(result.line), written=result.written,
                               formula_wrong=result.formula == Verdict.NOT_EQUIVALENT)
                diagnosis = self._diagnose(position, given, line)
                if diagnosis is not None and diagnosis not in found:
                    found.append(diagnosis)
                yield replace(result, diagnosis=diagnosis)
            else:
                yield replace(result, reason=self.t("check.not_diagnosed",
                                                    limit=MAX_DIAGNOSED))

    def _status(self, position: int, given: float, student: Mapping[int, float],
                recomputed: Sequence[float], written: str) -> Status:
        """Correct or carried within the tolerance; an update by its change (w − w_new
        against η·∂E/∂w: the weight alone would hide a wrong gradient in its digits)."""
        expected, carried = self.trace.values[position], recomputed[position]
        if self._near(position, given, expected, written):
            return Status.CORRECT
        before = self._before.get(position)
        if before is None and self.tolerance.close(given, carried):
            return Status.CARRIED
        if before is not None and self.tolerance.close_change(
                given, carried, student.get(before, recomputed[before]), written):
            return Status.CARRIED
        return Status.WRONG

    def _near(self, position: int, given: float, value: float, written: str = "") -> bool:
        """`given` within the tolerance of `value` (an update: by their changes)."""
        before = self._before.get(position)
        if before is None:
            return self.tolerance.close(given, value)
        return self.tolerance.close_change(given, value, self.trace.values[before], written)

    @cached_property
    def _before(self) -> dict[int, int]:
        """Each update's position -> the position of the value it changes (the parameter,
        or in online mode the previous example's update of it)."""
        found: dict[int, int | None] = {}
        for term in self.symbolic.of_role(Role.UPDATE):
            earlier = [p for p in term.parents if self.symbolic.terms[p].ref.unit == term.ref.unit
                       and self.symbolic.terms[p].role in (Role.WEIGHT, Role.BIAS, Role.UPDATE)]
            if term.parents == tuple(earlier[-1:]) and earlier[-1] in found:
                found[term.id] = found[earlier[-1]]  # w5_new, the last example's w5_new@2
            else:
                found[term.id] = earlier[-1] if earlier else term.of
        return {k: v for k, v in found.items() if v is not None}

    # -- formulas -------------------------------------------------------------------------
    def _formula_verdict(self, line: Line) -> tuple[Verdict | None, str]:
        """The verdict on the line's last formula part, and a reason when there is none."""
        if not line.formulas:
            return None, ""
        formula = line.formulas[-1]
        if line.name in formula.names:
            return None, self.t("check.formula_circular")
        agreeing, failure = 0, self.t("check.formula_not_computable")
        for values in self._points:
            try:
                value = formula.evaluate(values)
            except FormulaError as exc:
                failure = self.t("check.formula_error", why=exc.said(self.t))
                continue
            except KeyError:  # a name the exact trace lacks (none should)
                continue
            expected = values[line.name]  # type: ignore[index]
            if not math.isclose(value, expected, rel_tol=FORMULA_RTOL, abs_tol=1e-12):
                return Verdict.NOT_EQUIVALENT, ""
            agreeing += 1
        return (Verdict.EQUIVALENT, "") if agreeing else (None, failure)

    def _formula_value(self, formula: Formula, student: Mapping[int, float]) -> float | None:
        """The formula at the student's own values (true ones where they gave none)."""
        values = {}
        for name in formula.names:  # only these: a wide trace has 10,000 names
            position = self.symbolic.position(name)
            values[name] = student.get(position, self.trace.values[position])
        try:
            return formula.evaluate(values)
        except FormulaError:
            return None

    @cached_property
    def _points(self) -> list[dict[str, float]]:
        """The trace's values (exact carry) at its own numbers and at nearby random points."""
        exact = _exact(self.symbolic)
        function = compile_trace(exact)
        rng = random.Random(0)
        points = []
        for k in range(POINTS + 1):
            scale = 0.0 if k == 0 else 0.15
            vector = [v * (1 + scale * rng.uniform(-1, 1)) + scale * 0.1 * rng.uniform(-1, 1)
                      for v in self.givens]
            try:
                values = function(vector)
            except (OverflowError, ZeroDivisionError, ValueError):
                continue
            if all(map(math.isfinite, values)):
                points.append(dict(zip(exact.names, values, strict=True)))
        return points

    # -- misconceptions -------------------------------------------------------------------
    @cached_property
    def variants(self) -> tuple[Variant, ...]:
        """Every misconception's variants of this trace (their formulas made when needed)."""
        return tuple(v for m in CATALOGUE for v in m.variants(self.symbolic))

    def variant_values(self, variant: Variant, start: Sequence[float] | None = None,
                       student: Mapping[int, float] | None = None) -> list[float]:
        """The values under a variant's rule: `start` (the trace's values, or those carried
        from a student's) with every term its changed formulas affect recomputed, in trace
        order, each from the student's own values where `student` has them. A term that
        cannot be computed, and everything after it, is NaN.

        A term's value is the one its formula gives, before any value of the student's for
        it replaces it for the terms after: so one pass serves every line of a sheet.
        """
        plan = self._variant_plan(variant)
        if variant.shortcut is None:
            return self._run(plan, self.trace.values if start is None else start, student or {})
        # The rule as other given values: the student's own, changed by it, feed the plan.
        values = list(self.trace.values if start is None else start)
        own = dict(student or {})
        for position, value in own.items():
            values[position] = value
        own.update(variant.shortcut.values(values))
        return self._run(plan, self.trace.values if start is None else start, own)

    def _variant_plan(self, variant: Variant) -> list[tuple[int, Step]]:
        """The terms a variant affects, in order, each with its step (its changed formula's,
        or the trace's own)."""
        return self._plans.get(variant, lambda: self._make_plan(variant))

    def _make_plan(self, variant: Variant) -> list[tuple[int, Step]]:
        shortcut = variant.shortcut
        base, index = self._base_plan(shortcut.givens if shortcut else variant.positions)
        plan = list(base)
        if shortcut is None:
            changed = compile_formulas(self.symbolic, variant.formulas())
            for position, step in changed.items():
                plan[index[position]] = (position, step)
        return plan

    def _base_plan(self, sources: frozenset[int]) -> tuple[list[tuple[int, Step]],
                                                           dict[int, int]]:
        """The terms that depend on `sources` (computed ones; given values are read) with
        the trace's own steps, and where each is in that list. Shared by the variants that
        change the same terms (most do); found for every variant in one pass, for the terms
        each changes and for the given values a shortcut changes."""
        if sources not in self._bases:
            shortcuts = [v.shortcut.givens for v in self.variants if v.shortcut]
            groups = list(dict.fromkeys([v.positions for v in self.variants] + shortcuts))
            for group, affected in zip(groups, self.symbolic.descendants_of_each(groups),
                                       strict=True):
                plan = [(i, step) for i in affected if (step := self._steps[i]) is not None]
                self._bases[group] = plan, {i: k for k, (i, _) in enumerate(plan)}
        return self._bases[sources]

    def _diagnose(self, position: int, given: float, sheet: _Sheet) -> str | None:
        """The misconception whose re-derivation gives the student's value, else a rounding
        that does.

        Rules changed at this very step are tried before rules changed upstream, and the
        student's own earlier values before the true ones: the most specific match wins. A
        rule must agree with the line's formula, and a rule applied to the true values
        must not change a value the student got right.
        """
        if self._may_be_rounded(position, given, sheet) and is_rounding(
                sheet.written, self.trace.values[position]):
            return "rounding"  # the right value cut short: likelier than any wrong rule
        # A variant's changed formula reaches this value only if the value depends on one
        # of the terms it changes: skip the rest. A rule already found on the sheet first.
        relevant = [v for v in self.variants if position in self._base_plan(v.positions)[1]]
        relevant.sort(key=lambda v: v.misconception not in sheet.found)
        kept = self._kept(position, given)
        for local in (True, False):
            candidates = [v for v in relevant if (position in v.positions) == local]
            for own in (True, False):
                for variant in candidates:
                    values = sheet.carried(variant) if own else self._true_values(variant)
                    # a weight left as it was is explained only by a rule that keeps it
                    near = values[position] == given if kept else self._near(
                        position, given, values[position], sheet.written)
                    if near and self._consistent(position, values, sheet, own):
                        return variant.misconception
        return self._rounding(position, given, sheet)

    def _kept(self, position: int, given: float) -> bool:
        """An update whose value is the one it updates, as given (w1_new = w1 = 0.67)."""
        before = self._before.get(position)
        return before is not None and given == self.trace.values[before]

    def _consistent(self, position: int, values: Sequence[float], sheet: _Sheet,
                    own: bool) -> bool:
        """Whether a variant's `values` agree with the sheet: the line's formula gives the
        variant's value from them, and the rule changes no value above this line that the
        student wrote as the right rule gives it (right, or from the true values: right)."""
        if sheet.formula is not None:
            at = {name: self.symbolic.position(name) for name in sheet.formula.names}
            known = {name: sheet.student.get(p, values[p]) if own else values[p]
                     for name, p in at.items()}
            try:
                if not self.tolerance.close(sheet.formula.evaluate(known), values[position]):
                    return False
            except FormulaError:
                pass  # no evidence either way
        # The rule must not change a value the student wrote as the right rule gives it.
        base, shown = (sheet.recomputed, sheet.agreeing) if own else (
            self.trace.values, sheet.right)
        return not any(p < position and not self.tolerance.close(values[p], base[p])
                       for p in shown)

    def _may_be_rounded(self, position: int, given: float, sheet: _Sheet) -> bool:
        """Whether a rounding may explain the line: its number is written, its formula is
        not wrong, and an update is not its weight left as it was (w1_new = w1 = 0.67)."""
        return bool(sheet.written) and not sheet.formula_wrong and not self._kept(
            position, given)

    def _rounding(self, position: int, given: float, sheet: _Sheet) -> str | None:
        """`rounding` when the value is the right one (or the carried one) with too few
        figures; `rounded-carry` when it comes from intermediate values rounded. (Not for
        a formula's value: its figures are not the student's.)"""
        if not self._may_be_rounded(position, given, sheet):
            return None
        if is_rounding(sheet.written, sheet.recomputed[position]):
            return "rounding"
        step = self._steps[position]
        for values in self._rounded_traces:
            # from the earlier values rounded: the value itself rounded, or not
            try:
                own = step(values) if step is not None else values[position]
            except (OverflowError, ZeroDivisionError, ValueError):
                continue
            if self._near(position, given, own, sheet.written) or is_rounding(
                    sheet.written, own):
                return "rounded-carry"
        return None

    @cached_property
    def _steps(self) -> Sequence[Step | None]:
        return compile_steps(self.symbolic)

    @cached_property
    def _rounded_traces(self) -> list[list[float]]:
        """The trace's values with every value carried rounded to 2, 3, … decimals (fewer
        than the exercise shows): what a student gets who rounds as they go."""
        spec = self.symbolic.spec
        if len(self.symbolic.terms) > MAX_ROUNDED_TERMS:
            return []
        traces: list[list[float]] = []
        for places in range(2, min(spec.digits, 9)):
            try:
                traces.append(list(evaluate_vector(_rounded(self.symbolic, places),
                                                   self.givens).values))
            except TracerError:  # the rounded values cannot be computed on: no such carry
                continue
        return traces

    def _true_values(self, variant: Variant) -> Sequence[float]:
        """The variant's values from the true ones (the same for every sheet; kept as
        doubles: a third of a list's memory on a wide trace)."""
        return self._truths.get(variant, lambda: array("d", self.variant_values(variant)))
