"""The typed graph: parents, references, names and walks, checked against independent
readings (sympy's own free symbols, a plain recursive walk, the post's numbering)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import tracer
from tracer import names
from tracer.graph import Graph
from tracer.quantities import (
    DERIVATIVE_ROLES,
    TOTAL_ERROR,
    Bias,
    Input,
    Neuron,
    Ref,
    Role,
    Weight,
)

from .strategies import networks

DATA = Path(__file__).parent / "data"
SPECS = [*tracer.EXAMPLES, *sorted(p.stem for p in DATA.glob("*.toml"))]


def graph_of(name: str) -> Graph:
    if name in tracer.EXAMPLES:
        return tracer.build_trace(tracer.example_spec(name))
    return tracer.build_trace(tracer.load_spec(DATA / f"{name}.toml"))


@pytest.fixture(scope="module", params=SPECS)
def graph(request: pytest.FixtureRequest) -> Graph:
    return graph_of(request.param)


def test_parents_are_the_symbols_of_the_formula(graph: Graph) -> None:
    """Every symbol of every formula is a term's own (no generic symbol of functions.py is
    left, even where an input has its name), and the parents are exactly those terms."""
    ids = {term.symbol: term.id for term in graph}
    for term in graph:
        symbols: set[sp.Symbol] = set()
        for expr in (term.formula, term.numeric):
            symbols |= set() if expr is None else expr.free_symbols
        assert symbols <= set(ids), term.name
        assert term.parents == tuple(sorted(ids[s] for s in symbols)), term.name
        assert all(p < term.id for p in term.parents)  # recorded in topological order


def test_names_and_symbols_come_from_the_references(graph: Graph) -> None:
    assert [term.id for term in graph] == list(range(len(graph)))
    assert len({term.ref for term in graph}) == len(graph)
    for term in graph:
        assert term.name == names.name(term.ref)
        assert term.latex == names.latex(term.ref)
        assert graph.find(term.ref) is term and graph[term.name] is term
    assert graph.givens == tuple(t for t in graph if t.formula is None)
    assert [t.id for t in graph.givens] == list(range(len(graph.givens)))


def _plain(ref: Ref) -> Ref:
    return Ref(ref.role, ref.unit, ref.of, ref.wrt, 0, ref.after)


def test_derivatives_point_to_what_they_are_of_and_with_respect_to(graph: Graph) -> None:
    for term in graph:
        if term.role in DERIVATIVE_ROLES:
            assert term.of is not None and term.wrt is not None
            of, wrt = graph.terms[term.of], graph.terms[term.wrt]
            assert (_plain(of.ref), _plain(wrt.ref)) == (term.ref.of, term.ref.wrt)
            assert of.example in (0, term.example) and wrt.example in (0, term.example)
        if term.role == Role.DELTA:  # δ = ∂E_total/∂net
            assert term.of is not None and term.wrt is not None
            assert graph.terms[term.of].ref.unit is None
            assert graph.terms[term.wrt].ref == Ref(Role.NET, term.ref.unit, example=term.example)
        if term.role == Role.UPDATE:
            assert term.of is not None and graph.terms[term.of].ref.unit == term.ref.unit


def test_chain_factors_are_the_three_derivatives(graph: Graph) -> None:
    if graph.spec.circuit is not None:  # upstream ∂f/∂node, then the edge's ∂node/∂value
        for term in (t for t in graph if t.chain):
            upstream, local = (graph.terms[i] for i in term.chain)
            assert upstream.wrt == local.of and local.wrt == term.wrt
            assert upstream.of == term.of
        return
    for term in (t for t in graph if t.chain):
        d_out, d_act, d_net = (graph.terms[i] for i in term.chain)
        assert d_out.ref.wrt is not None and d_out.ref.wrt.role == Role.OUT
        assert d_act.ref.of == d_out.ref.wrt and d_act.ref.wrt is not None
        assert d_net.ref.of == d_act.ref.wrt and d_net.wrt == term.wrt


def _ancestors(graph: Graph, position: int, seen: set[int]) -> set[int]:
    """Everything a term depends on, read from sympy's free symbols, recursively."""
    formula = graph.terms[position].evaluated
    for symbol in set() if formula is None else formula.free_symbols:
        parent = graph.ids.get(symbol.name)
        if parent is not None and parent not in seen:
            seen.add(parent)
            _ancestors(graph, parent, seen)
    return seen


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(SPECS), st.randoms(use_true_random=False))
def test_walks_agree_with_a_recursive_reading(name: str, rng: random.Random) -> None:
    graph = graph_of(name)
    start = rng.sample(range(len(graph)), 3)
    expected = set(start)
    for position in start:
        expected |= _ancestors(graph, position, set())
    assert graph.ancestors(start) == expected
    chosen = set(rng.sample(range(len(graph)), 2))
    below = {p for p in range(len(graph)) if p in chosen or _ancestors(graph, p, set()) & chosen}
    assert graph.descendants(chosen) == below
    within = graph.ancestors([start[0]])
    assert graph.descendants(chosen, within=within) == below & within
    groups = [chosen, set(start), set()]
    assert graph.descendants_of_each(groups) == [sorted(graph.descendants(g)) for g in groups]


@settings(max_examples=10, deadline=None)
@given(networks(max_examples=2))
def test_parents_of_random_networks(spec: tracer.Spec) -> None:
    graph = tracer.build_trace(spec)
    ids = graph.ids
    for term in graph:
        used = set() if term.formula is None else term.formula.free_symbols
        assert set(term.parents) >= {ids[s.name] for s in used if s.name in ids}


def test_the_post_numbering_of_weights() -> None:
    spec = tracer.example_spec("seed")
    h1, o1 = Neuron(1, 1, "h1"), Neuron(2, 1, "o1")
    assert spec.weight_units[0][0][1] == Weight(2, Input(2, "i2"), h1)
    assert spec.weight_units[1][0][0] == Weight(5, h1, o1)
    w5 = Ref(Role.WEIGHT, spec.weight_units[1][0][0])
    assert names.name(w5) == "w5" and names.latex(w5) == "w_{5}"
    assert [names.name(ref) for ref, _ in spec.givens] == [
        "i1", "i2", "w1", "w2", "w3", "w4", "b1", "w5", "w6", "w7", "w8", "b2", "target_o1",
        "target_o2", "eta"]
    assert names.name(Ref(Role.BIAS, Bias(1, h1))) == "b_h1"


def test_names_of_derived_quantities() -> None:
    o1, h1 = Neuron(2, 1, "o1"), Neuron(1, 1, "h1")
    w5 = Ref(Role.WEIGHT, Weight(5, h1, o1))
    gradient = Ref(Role.GRADIENT, of=TOTAL_ERROR, wrt=w5, example=2)
    assert names.name(gradient) == "dE_total/dw5@2"
    assert names.latex(gradient) == r"\frac{\partial {E_{\mathrm{total}}}^{(2)}}{\partial w_{5}}"
    assert names.name(Ref(Role.UPDATE, w5.unit, example=3)) == "w5_new@3"
    assert names.name(Ref(Role.OUT, h1, after=True)) == "out_h1_after"
    assert names.latex(Ref(Role.OUT, h1, example=2, after=True)) == (
        r"{{\mathrm{out}_{h1}}^{(2)}}^{+}")
    assert names.name(Ref(Role.PATH, of=Ref(Role.ERROR, o1), wrt=Ref(Role.OUT, h1))) == (
        "dE_o1/dout_h1")


def test_every_name_and_alias_resolves(graph: Graph) -> None:
    table = names.NameTable((t.name, t.ref) for t in graph)
    for term in graph:
        assert table.resolve(term.name) == term.name
        for alias in names.aliases(term.ref):
            assert table.resolve(alias) == term.name


def test_names_as_students_write_them() -> None:
    graph = graph_of("seed")
    table = names.NameTable((t.name, t.ref) for t in graph)
    for written, canonical in [("dE/dw5", "dE_total/dw5"), ("∂E_total/∂w5", "dE_total/dw5"),
                               ("w5+", "w5_new"), ("dE_total/dnet_o1", "delta_o1"),
                               ("δ_o1", "delta_o1"), ("deltao1", "delta_o1"),
                               (" dE / dout_h1 ", "dE_total/dout_h1"), ("w55", None)]:
        assert table.resolve(written) == canonical, written


def test_generic_symbol_names_as_inputs() -> None:
    """Inputs named like the generic symbols the definitions are written in (x, y, t, a, w,
    b, i) are terms of their own: no formula reads one in place of a generic symbol."""
    spec = tracer.spec_from_dict({
        "loss": "binary_cross_entropy", "learning_rate": 0.5,
        "inputs": {"x": 0.1, "y": 0.2, "t": 0.3, "a": 0.4, "i": 0.5},
        "targets": {"o1": 0.5},
        "layers": [{"name": "h", "activation": "leaky_relu", "weights": [[0.1] * 5] * 2,
                    "bias": 0.1},
                   {"name": "o", "activation": "sigmoid", "weights": [[0.3, -0.2]],
                    "bias": 0.0}]})
    graph = tracer.build_trace(spec)
    ids = {term.symbol: term.id for term in graph}
    for term in graph:
        assert term.formula is None or term.formula.free_symbols <= set(ids), term.name
