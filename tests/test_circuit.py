"""Circuits (`kind = "graph"`): the spec, the graph, and every number checked against
independent references: each gate's local derivative against sympy.diff of an expression
written here, every ∂out/∂leaf of random circuits against 50-digit central finite
differences (mpmath), the published CS231n numbers, a reused value, a max gate at a tie."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import mpmath
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracer.cli import main
from tracer.errors import SpecError, TracerError
from tracer.evaluation import Trace, evaluate
from tracer.graph import Graph
from tracer.network import build_trace
from tracer.quantities import Role
from tracer.spec import parse_spec

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


def circuit(nodes: dict[str, str], values: dict[str, float], extra: str = "") -> str:
    """A circuit spec's TOML."""
    lines = ['kind = "graph"', extra, "[values]"]
    lines += [f"{name} = {value!r}" for name, value in values.items()]
    lines += ["[nodes]", *(f'{name} = "{text}"' for name, text in nodes.items())]
    return "\n".join(lines) + "\n"


def traced(nodes: dict[str, str], values: dict[str, float], extra: str = "") -> Trace:
    return evaluate(build_trace(parse_spec(circuit(nodes, values, extra))))


# -- published numbers ------------------------------------------------------------------------

def test_cs231n_sum_times_z() -> None:
    """CS231n, "Backpropagation, intuitions": f = (x + y)z at −2, 5, −4."""
    trace = traced({"q": "x + y", "f": "q * z"}, {"x": -2, "y": 5, "z": -4})
    assert trace["q"] == 3 and trace["f"] == -12
    assert [trace["df/dx"], trace["df/dy"], trace["df/dz"]] == [-4, -4, 3]


def test_cs231n_sigmoid_neuron() -> None:
    """CS231n: w = [2, −3, −3], x = [−1, −2]: ∂x = [0.39, −0.59], ∂w = [−0.20, −0.39, 0.20]."""
    trace = traced({"a": "w0*x0", "b": "w1*x1", "s": "a + b + w2", "f": "sigmoid(s)"},
                   {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3})
    assert [round(trace[f"df/d{x}"], 2) for x in ("x0", "x1")] == [0.39, -0.59]
    assert [round(trace[f"df/d{w}"], 2) for w in ("w0", "w1", "w2")] == [-0.20, -0.39, 0.20]


# -- each gate's local derivative against sympy.diff ----------------------------------------

X, Y = sp.symbols("x y", real=True)
GATES: list[tuple[str, sp.Expr]] = [
    ("x + y", X + Y), ("x - y", X - Y), ("x * y", X * Y), ("x / y", X / Y),
    ("x ^ 3", X**3), ("x ** 2.5", X**sp.Rational(5, 2)), ("-x * y", -X * Y),
    ("exp(x) * y", sp.exp(X) * Y), ("log(x) + y", sp.log(X) + Y),
    ("tanh(x) * y", sp.tanh(X) * Y), ("sigmoid(x) * y", Y / (1 + sp.exp(-X))),
    ("relu(x) * y", sp.Max(X, 0) * Y), ("max(x, y)", sp.Max(X, Y)),
    ("min(x, y)", sp.Min(X, Y)), ("abs(x) * y", sp.Abs(X) * Y),
]
POINTS = [(0.7, -1.3), (1.9, 0.4), (0.3, 2.2)]


@pytest.mark.parametrize(("text", "reference"), GATES)
@pytest.mark.parametrize("point", POINTS)
def test_each_gate_against_sympy_diff(text: str, reference: sp.Expr,
                                      point: tuple[float, float]) -> None:
    trace = traced({"g": text, "f": "g + y*0 + x*0"}, {"x": point[0], "y": point[1]})
    at = {X: sp.Float(point[0]), Y: sp.Float(point[1])}
    assert "dg/dx" in trace.symbolic
    for name, symbol in (("x", X), ("y", Y)):
        if f"dg/d{name}" not in trace.symbolic:  # the gate does not use it
            assert symbol not in reference.free_symbols
            continue
        expected = float(sp.diff(reference, symbol).subs(at))
        assert math.isclose(trace[f"dg/d{name}"], expected, rel_tol=1e-12, abs_tol=1e-14)


@pytest.mark.parametrize("gate", ["sigmoid", "tanh", "exp"])
def test_own_output_forms_are_the_derivative(gate: str) -> None:
    """σ' = y(1 − y), tanh' = 1 − y², exp' = y, written in the gate's value, equal sympy's
    derivative of the gate's expression (its `Derivation`)."""
    graph = build_trace(parse_spec(circuit({"f": f"{gate}(x)"}, {"x": 0.3})))
    local = graph["df/dx"]
    assert local.derivation is not None and local.formula is not None
    node = graph["f"]
    assert node.formula is not None
    written = local.formula.xreplace({node.symbol: node.formula})
    assert sp.simplify(written - sp.diff(local.derivation.of, local.derivation.wrt)) == 0


def test_every_local_derivative_is_the_diff_of_its_origin() -> None:
    graph = build_trace(parse_spec(circuit(
        {"a": "x*y + exp(x)", "b": "a / (1 + y^2)", "f": "tanh(a) * b - log(b*b)"},
        {"x": 0.4, "y": -0.8})))
    checked = 0
    for term in graph.of_role(Role.LOCAL):
        assert term.derivation is not None and term.formula is not None
        expected = sp.diff(term.derivation.of, term.derivation.wrt)
        node = graph.terms[term.of] if term.of is not None else None
        assert node is not None and node.formula is not None
        written = term.formula.xreplace({node.symbol: node.formula})
        assert sp.simplify(written - expected) == 0, term.name
        checked += 1
    assert checked == 6


# -- every ∂out/∂leaf against 50-digit finite differences ------------------------------------

@dataclass(frozen=True)
class Expr:
    text: str
    value: Callable[[dict[str, mpmath.mpf]], mpmath.mpf]


UNARY: list[tuple[str, Callable[[mpmath.mpf], mpmath.mpf]]] = [
    ("sigmoid", lambda v: 1 / (1 + mpmath.exp(-v))), ("tanh", mpmath.tanh),
    ("exp", lambda v: mpmath.exp(v / 4)), ("log", lambda v: mpmath.log(1 + v * v)),
]


def _lookup(name: str) -> Callable[[dict[str, mpmath.mpf]], mpmath.mpf]:
    return lambda env: env[name]


@st.composite
def expressions(draw: st.DrawFn, known: list[str], depth: int = 2) -> Expr:
    """A smooth expression over `known` names, with its 50-digit value (written here from
    the text's meaning, not by tracer's reader)."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        name = draw(st.sampled_from(known))
        return Expr(name, _lookup(name))
    kind = draw(st.sampled_from(["+", "-", "*", "call", "square", "div"]))
    left = draw(expressions(known, depth - 1))
    if kind == "call":
        index = draw(st.integers(0, len(UNARY) - 1))
        name, function = UNARY[index]
        if name == "exp":
            return Expr(f"exp(({left.text})/4)", lambda env: function(left.value(env)))
        if name == "log":
            return Expr(f"log(1 + ({left.text})^2)", lambda env: function(left.value(env)))
        return Expr(f"{name}({left.text})", lambda env: function(left.value(env)))
    if kind == "square":
        return Expr(f"({left.text})^2", lambda env: left.value(env) ** 2)
    right = draw(expressions(known, depth - 1))
    if kind == "div":  # a denominator far from 0
        return Expr(f"({left.text}) / (2 + ({right.text})^2)",
                    lambda env: left.value(env) / (2 + right.value(env) ** 2))
    operations: dict[str, Callable[[mpmath.mpf, mpmath.mpf], mpmath.mpf]] = {
        "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}
    operation = operations[kind]
    return Expr(f"({left.text}) {kind} ({right.text})",
                lambda env: operation(left.value(env), right.value(env)))


@st.composite
def random_circuits(draw: st.DrawFn) -> tuple[dict[str, float], list[tuple[str, Expr]]]:
    count = draw(st.integers(1, 3))
    values = {f"v{i}": round(draw(st.floats(-1.5, 1.5)), 3) for i in range(count)}
    known, nodes = list(values), []
    for i in range(draw(st.integers(1, 4))):
        expr = draw(expressions(known))
        nodes.append((f"n{i}", expr))
        known.append(f"n{i}")
    # the output uses every value and node, so each one feeds it
    unused = [name for name in known if not any(name in e.text for _, e in nodes)]
    parts = [name for name in unused if name != nodes[-1][0]]
    out_text = " + ".join([nodes[-1][0], *(f"0.5*{p}" for p in parts)])
    out = Expr(out_text, lambda env: env[nodes[-1][0]] + sum(
        (mpmath.mpf("0.5") * env[p] for p in parts), mpmath.mpf(0)))
    return values, [*nodes, ("out", out)]


def mp_output(values: dict[str, mpmath.mpf], nodes: list[tuple[str, Expr]]) -> mpmath.mpf:
    env = dict(values)
    for name, expr in nodes:
        env[name] = expr.value(env)
    return env[nodes[-1][0]]


@SETTINGS
@given(random_circuits())
def test_every_leaf_gradient_against_50_digit_finite_differences(
        drawn: tuple[dict[str, float], list[tuple[str, Expr]]]) -> None:
    values, nodes = drawn
    trace = traced({name: expr.text for name, expr in nodes}, values)
    with mpmath.workdps(50):
        base = {name: mpmath.mpf(value) for name, value in values.items()}
        assert math.isclose(trace["out"], float(mp_output(base, nodes)), rel_tol=1e-12,
                            abs_tol=1e-12)
        step = mpmath.mpf("1e-20")
        for name in values:
            up, down = dict(base), dict(base)
            up[name] += step
            down[name] -= step
            expected = float((mp_output(up, nodes) - mp_output(down, nodes)) / (2 * step))
            assert math.isclose(trace[f"dout/d{name}"], expected, rel_tol=1e-9,
                                abs_tol=1e-12), name


# -- a reused value, a max gate at a tie --------------------------------------------------------

def test_a_reused_value_sums_its_paths() -> None:
    """x feeds a and b, and the output directly: df/dx = df/da·da/dx + df/db·db/dx +
    df/dx_direct (f = a·b + x with a = 3x, b = x²: df/dx = 9x² + 1)."""
    trace = traced({"a": "3*x", "b": "x^2", "f": "a*b + x"}, {"x": 2})
    graph = trace.symbolic
    assert trace["df/dx"] == 9 * 2**2 + 1
    assert trace["df/dx_direct"] == 1
    gradient = graph["df/dx"]
    assert gradient.role == Role.GRADIENT and isinstance(gradient.formula, sp.Add)
    paths = sp.Add.make_args(gradient.formula)
    assert {str(p) for p in paths} == {"da/dx*df/da", "db/dx*df/db", "df/dx_direct"}
    assert trace["df/da"] == trace["b"] and trace["df/db"] == trace["a"]


@pytest.mark.parametrize(("text", "first", "second"), [
    ("max(x, y)", 1, 0), ("max(y, x)", 0, 1), ("min(x, y)", 1, 0)])
def test_a_max_gate_at_a_tie_routes_to_the_first_argument(text: str, first: int,
                                                          second: int) -> None:
    """Documented in the README and on the term: at a tie the first argument listed takes
    the whole gradient; the other gets 0 (the two still add up to the gradient)."""
    trace = traced({"f": text}, {"x": 1.5, "y": 1.5})
    assert trace["f"] == 1.5
    assert (trace["df/dx"], trace["df/dy"]) == (first, second)
    assert "tie" in trace.symbolic["df/dx"].note


def test_max_routes_to_the_larger() -> None:
    trace = traced({"m": "max(x, y)", "f": "2*m"}, {"x": 4, "y": 1})
    assert (trace["df/dx"], trace["df/dy"]) == (2, 0)


def test_updates_of_parameters() -> None:
    trace = traced({"f": "(w*x - t)^2"}, {"w": 0.5, "x": 2.0, "t": 3.0},
                   'learning_rate = 0.1\nparameters = ["w"]')
    assert trace["df/dw"] == 2 * (0.5 * 2 - 3) * 2
    assert trace["w_new"] == pytest.approx(0.5 - 0.1 * -8)
    assert "x_new" not in trace.symbolic


def test_names_in_order() -> None:
    graph = build_trace(parse_spec(circuit({"q": "x + y", "f": "q * z"},
                                           {"x": -2, "y": 5, "z": -4})))
    assert graph.names == ("x", "y", "z", "q", "f", "df/dq", "df/dz", "dq/dx", "dq/dy",
                           "df/dx", "df/dy")


# -- bad input: one line naming the key ------------------------------------------------------

BAD: list[tuple[str, str, str]] = [
    (circuit({"f": "x + u"}, {"x": 1}), "nodes.f", "unknown name"),
    (circuit({"q": "f * 2", "f": "q + x"}, {"x": 1}), "nodes.q", "defined after it"),
    (circuit({"q": "q + x", "f": "q"}, {"x": 1}), "nodes.q", "itself (a cycle)"),
    (circuit({"x": "2", "f": "x"}, {"x": 1}), "nodes.x", "defined twice"),
    (circuit({"f": "__import__('os')"}, {"x": 1}), "nodes.f", "cannot read"),
    (circuit({"f": "x.real"}, {"x": 1}), "nodes.f", "cannot read"),
    (circuit({"f": "x ** y"}, {"x": 1, "y": 2}), "nodes.f", "exponent must be a number"),
    (circuit({"f": "max(x)"}, {"x": 1}), "nodes.f", "from 2 to"),
    (circuit({"f": "x"}, {"x": 1, "y": 2}), "values.y", "used by no node"),
    (circuit({"q": "x", "f": "x * 2"}, {"x": 1}), "nodes.q", "used by no later node"),
    (circuit({"exp": "x", "f": "exp"}, {"x": 1}), "nodes.exp", "name of a function"),
    (circuit({"w_new": "x", "f": "w_new"}, {"x": 1}), "nodes.w_new", "clashes"),
    (circuit({"f": "x"}, {"eta": 1}), "values.eta", "clashes"),
    (circuit({"f": "x" + " + x" * 200}, {"x": 1}), "nodes.f", "longer than"),
    (circuit({"f": "x"}, {"x": 1}, 'parameters = ["x"]'), "learning_rate", "missing"),
    (circuit({"f": "x"}, {"x": 1}, 'parameters = ["f"]'), "parameters[1]", "not one of"),
    (circuit({"f": "x"}, {"x": 1}, "learning_rate = 0.1"), "learning_rate", "updates nothing"),
    (circuit({"f": "x"}, {"x": 1}, "layers = 3"), "layers", "unknown key"),
    (circuit({"f": "x"}, {"x": 1}, 'kind = "tree"').replace('kind = "graph"\n', ""),
     "kind", "unknown value"),
    ('kind = "graph"\n[nodes]\nf = "1"\n', "values", "non-empty table"),
    (circuit({"f": "2"}, {"x": 1}).replace("x = 1", 'x = "1"'), "values.x", "must be a number"),
    (circuit({"f": "x"}, {"x": 1}).replace('f = "x"', "f = 3"), "nodes.f", "in quotes"),
]


@pytest.mark.parametrize(("text", "key", "message"), BAD)
def test_bad_input_names_its_key(text: str, key: str, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        build_trace(parse_spec(text, "c.toml"))
    assert caught.value.key == key
    assert message in caught.value.message
    assert "\n" not in caught.value.line()


def test_a_value_that_cannot_be_computed_names_its_node() -> None:
    with pytest.raises(TracerError) as caught:
        traced({"q": "x - 1", "f": "log(q)"}, {"x": 1})
    assert caught.value.key == "f" and "cannot be computed" in caught.value.message
    with pytest.raises(TracerError) as caught:
        traced({"q": "x - 1", "f": "1 / q"}, {"x": 1})
    assert caught.value.key == "f"


def test_too_many_nodes() -> None:
    nodes = {f"n{i}": "x" for i in range(201)}
    with pytest.raises(SpecError, match="more than 200"):
        parse_spec(circuit(nodes, {"x": 1}))


def test_a_network_spec_may_say_its_kind() -> None:
    from tracer.examples import example_text

    spec = parse_spec('kind = "network"\n' + example_text("seed"))
    assert spec.circuit is None and isinstance(build_trace(spec), Graph)


EXPRESSION_ALPHABET = st.sampled_from([
    *"xyq+-*/^().,0123456789e _", "exp", "log", "max", "min", "relu", "abs", "sigmoid",
    "tanh", "**", "import", "'", '"', "lambda", "[", "]", "{", "}", ":", "\\", "\n", "√", "·"])


@SETTINGS
@given(st.lists(EXPRESSION_ALPHABET, max_size=30).map("".join))
def test_any_expression_is_read_or_refused_in_one_line(text: str) -> None:
    """Whatever a node holds, tracer reads it or names the key: never a traceback."""
    toml = circuit({"f": "EXPR"}, {"x": 0.5, "y": 2.0}).replace(
        '"EXPR"', json_string(text))
    try:
        trace = evaluate(build_trace(parse_spec(toml, "c.toml")))
    except TracerError as error:
        assert error.key in ("nodes.f", "values.x", "values.y", "f"), error.line()
        assert "\n" not in error.line()
        return
    assert math.isfinite(trace["f"])


def json_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text)


def test_the_command_line_reports_one_line_and_exit_2(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    path = tmp_path / "c.toml"
    path.write_text(circuit({"q": "f * 2", "f": "q + x"}, {"x": 1}), encoding="utf-8")
    assert main(["render", str(path), "-o", "-"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "nodes.q: uses f, which is defined after it" in error


def test_names_and_example_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["example", "circuit"]) == 0
    text = capsys.readouterr().out
    assert 'kind = "graph"' in text and parse_spec(text).circuit is not None
    assert main(["names", str(Path(__file__).parent.parent / "tracer" / "examples" /
                              "circuit.toml")]) == 0
    assert capsys.readouterr().out.split() == [
        "x", "y", "z", "q", "f", "df/dq", "df/dz", "dq/dx", "dq/dy", "df/dx", "df/dy"]


def test_max_of_three_at_a_tie_and_min() -> None:
    tie = traced({"f": "max(x, y, z)"}, {"x": 3, "y": 3, "z": 3})
    assert (tie["df/dx"], tie["df/dy"], tie["df/dz"]) == (1, 0, 0)
    low = traced({"f": "2*min(x, y, z)"}, {"x": 1, "y": -3, "z": 2})
    assert (low["f"], low["df/dx"], low["df/dy"], low["df/dz"]) == (-6, 0, 2, 0)
    kinks = traced({"f": "abs(x) + relu(y)"}, {"x": 0, "y": 0})
    assert (kinks["df/dx"], kinks["df/dy"]) == (0, 0)  # both taken as 0 at 0
