"""The network spec: a small TOML file read with `tomllib`, validated with exact types.

Every problem is reported as one `SpecError` naming the file, the key path and what is wrong.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, NoReturn

from . import messages, names
from .circuitspec import CIRCUIT_KEYS, Circuit, read_circuit
from .errors import SpecError
from .functions import ACTIVATIONS, LOSSES
from .grading import Grading, parse_grading
from .numbers import shows_as_zero
from .published import Published, parse_published
from .quantities import RATE, Bias, Input, Neuron, Ref, Role, Value, Weight
from .randomize import Rule, parse_rules, targets_of
from .reading import read_text

IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
UPDATE_ORDERS = ("simultaneous", "sequential")
MAX_DIGITS = 15
MAX_TITLE = 200
MAX_DESCRIPTION = 2000
# Far beyond any worked example, small enough that a typo cannot ask for a huge trace.
MAX_NEURONS = 4096
# A trace of 100,000 quantities builds in about 5 s; its full document takes a minute, 1 GB
# and 125 MB of Markdown (see the README's limits). Checked from the sizes before building.
MAX_TERMS = 100_000

TOP_KEYS = (
    "title", "description", "loss", "learning_rate", "update_biases", "update_order", "digits",
    "carry", "inputs", "targets", "examples", "mode", "batch_reduction", "layers", "ask",
    "randomize", "grading", "published", "lang", "kind",
)
KINDS = ("network", "graph")
MAX_ASK = 10000
MAX_SPEC_BYTES = 2_000_000
LAYER_KEYS = ("name", "activation", "weights", "bias", "slope")
EXAMPLE_KEYS = ("inputs", "targets")
CARRY = ("exact", "rounded")
MODES = ("batch", "online")
REDUCTIONS = ("mean", "sum")
MAX_EXAMPLES = 1000


@dataclass(frozen=True)
class LayerSpec:
    """One fully connected layer: row j of `weights` holds the weights into neuron j."""

    name: str
    activation: str
    weights: tuple[tuple[float, ...], ...]
    bias: float | tuple[float, ...]
    slope: float = 0.0  # the activation's parameter (leaky_relu), if it has one

    @property
    def size(self) -> int:
        return len(self.weights)

    @cached_property
    def neurons(self) -> tuple[str, ...]:
        """Neuron names in order: h1, h2."""
        return tuple(names.neuron(self.name, j) for j in range(1, self.size + 1))


@dataclass(frozen=True)
class Example:
    """One training example: input values in input order, targets in output-neuron order."""

    inputs: tuple[tuple[str, float], ...]
    targets: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Spec:
    title: str
    description: str
    loss: str
    learning_rate: float
    update_biases: bool
    update_order: str
    digits: int
    examples: tuple[Example, ...]
    layers: tuple[LayerSpec, ...]
    carry: str = "exact"
    mode: str = "batch"
    batch_reduction: str = "mean"
    ask: tuple[str, ...] = ()  # quantities a question sheet asks for (default: see keys)
    randomize: tuple[Rule, ...] = ()  # how variants of the exercise are drawn
    grading: Grading = field(default_factory=Grading)  # how answers are marked
    published: Published | None = None  # a source's figures, compared where they arise
    source: str = "<spec>"
    lang: str = messages.DEFAULT  # the language of the documents, sheets and feedback
    # kind = "graph": a circuit of named expressions (no layers; `examples` holds its
    # values as the one example's inputs)
    circuit: Circuit | None = None

    @property
    def inputs(self) -> tuple[tuple[str, float], ...]:
        """The first example's inputs (their names are the same in every example)."""
        return self.examples[0].inputs

    @property
    def targets(self) -> tuple[tuple[str, float], ...]:
        return self.examples[0].targets

    @property
    def several(self) -> bool:
        """Several training examples: their quantities carry @k."""
        return len(self.examples) > 1

    @property
    def online(self) -> bool:
        """One update per example, in order (else one update from the batch)."""
        return self.several and self.mode == "online"

    # -- the parameter index: every input, neuron, weight and bias as a typed unit --------
    @cached_property
    def input_units(self) -> tuple[Input, ...]:
        return tuple(Input(i, name) for i, (name, _) in enumerate(self.inputs, start=1))

    @cached_property
    def neuron_units(self) -> tuple[tuple[Neuron, ...], ...]:
        """Per layer, its neurons."""
        return tuple(tuple(Neuron(index, j, name) for j, name in enumerate(layer.neurons, 1))
                     for index, layer in enumerate(self.layers, start=1))

    @cached_property
    def weight_units(self) -> tuple[tuple[tuple[Weight, ...], ...], ...]:
        """Per layer, per neuron, per input: the weights, numbered as in the post (layer by
        layer, neuron by neuron, input by input). The only place weights are numbered."""
        layers, number = [], 0
        sources: tuple[Input | Neuron, ...] = self.input_units
        for neurons in self.neuron_units:
            rows = []
            for target in neurons:
                rows.append(tuple(Weight(number + i, source, target)
                                  for i, source in enumerate(sources, start=1)))
                number += len(sources)
            layers.append(tuple(rows))
            sources = neurons
        return tuple(layers)

    @cached_property
    def bias_units(self) -> tuple[tuple[Bias, ...], ...]:
        """Per layer, the bias of each neuron (the same one where the layer shares it)."""
        return tuple(
            tuple(Bias(index, n) for n in neurons) if isinstance(layer.bias, tuple)
            else (Bias(index),) * len(neurons)
            for index, (layer, neurons) in enumerate(
                zip(self.layers, self.neuron_units, strict=True), start=1))

    @cached_property
    def givens(self) -> tuple[tuple[Ref, float], ...]:
        """Every given value with its reference, in trace order: each example's inputs, each
        layer's weights then biases, each example's targets, the learning rate. A circuit's:
        its values (the trained ones as weights), then the learning rate if it trains any."""
        if self.circuit is not None:
            return _circuit_givens(self.circuit, self.learning_rate)
        numbered = (list(enumerate(self.examples, start=1)) if self.several
                    else [(0, self.examples[0])])
        givens: list[tuple[Ref, float]] = []
        for k, example in numbered:
            givens += [(Ref(Role.INPUT, unit, example=k), value) for unit, (_, value)
                       in zip(self.input_units, example.inputs, strict=True)]
        for layer, weights, biases in zip(self.layers, self.weight_units, self.bias_units,
                                          strict=True):
            for units, values in zip(weights, layer.weights, strict=True):
                givens += [(Ref(Role.WEIGHT, w), v) for w, v in zip(units, values, strict=True)]
            values = layer.bias if isinstance(layer.bias, tuple) else (layer.bias,)
            givens += [(Ref(Role.BIAS, b), v) for b, v in zip(dict.fromkeys(biases), values,
                                                              strict=True)]
        for k, example in numbered:
            targets = dict(example.targets)
            givens += [(Ref(Role.TARGET, n, example=k), targets[n.name])
                       for n in self.neuron_units[-1]]
        givens.append((RATE, self.learning_rate))
        return tuple(givens)

    @property
    def estimated_terms(self) -> int:
        """About how many quantities the trace of this spec holds, from its sizes alone (from
        0.75 to 1.5 times the count: tests/test_spec.py): refused beyond MAX_TERMS before any
        is built."""
        if self.circuit is not None:  # at most a value, a gradient and an update a name,
            return 4 * len(self.circuit.names)  # and a local derivative an edge: bounded
        width = len(self.inputs)
        parameters = neurons = 0
        for layer in self.layers:
            parameters += layer.size * width + (layer.size if isinstance(layer.bias, tuple)
                                                else 1)
            neurons += layer.size
            width = layer.size
        per_example = ((4 if self.online else 3) * parameters + 8 * neurons
                       + len(self.inputs) + 10)
        if self.layers[-1].activation == "softmax":  # the Jacobian: every pair of outputs
            per_example += 2 * width * width
        return len(self.examples) * per_example + 2 * parameters

    def randomizable(self) -> dict[str, str]:
        """Each given value's name and the `[randomize]` key that draws it (w5 ->
        weights.w5, i1@2 -> inputs.i1, target_o1 -> targets.o1, eta -> learning_rate).

        Values are drawn in this order; targets come in the order the spec lists them, as
        they always have, so that a spec and a seed keep giving the same variants.
        """
        if self.circuit is not None:
            return {names.name(ref): names.randomize_key(ref) for ref, _ in self.givens}
        outputs = {n.name: n for n in self.neuron_units[-1]}
        targets = [Ref(Role.TARGET, outputs[name], example=k if self.several else 0)
                   for k, example in enumerate(self.examples, start=1)
                   for name, _ in example.targets]
        refs = [ref for ref, _ in self.givens if ref.role not in (Role.TARGET, Role.RATE)]
        return {names.name(ref): names.randomize_key(Ref(ref.role, ref.unit))
                for ref in [*refs, *targets, RATE]}


def _circuit_givens(circuit: Circuit, rate: float) -> tuple[tuple[Ref, float], ...]:
    givens = [(Ref(Role.WEIGHT if name in circuit.parameters else Role.INPUT,
                   Value(index, name)), value)
              for index, (name, value) in enumerate(circuit.values, start=1)]
    return (*givens, (RATE, rate)) if circuit.parameters else tuple(givens)


def _circuit_dict(spec: Spec, circuit: Circuit) -> dict[str, Any]:
    data: dict[str, Any] = {"title": spec.title, "description": spec.description,
                            "kind": "graph", "digits": spec.digits, "carry": spec.carry}
    if circuit.parameters:
        data["learning_rate"] = spec.learning_rate
        data["parameters"] = list(circuit.parameters)
    if spec.ask:
        data["ask"] = list(spec.ask)
    if spec.grading != Grading():
        data["grading"] = {key: value for key, value in vars(spec.grading).items()
                           if value is not None and value != getattr(Grading(), key)}
    data["values"] = dict(circuit.values)
    data["nodes"] = {node.name: node.text for node in circuit.nodes}
    return data


def spec_to_dict(spec: Spec) -> dict[str, Any]:
    """The spec as plain data that `spec_from_dict` reads back to an equal spec."""
    if spec.circuit is not None:
        return _circuit_dict(spec, spec.circuit)
    data: dict[str, Any] = {
        "title": spec.title, "description": spec.description, "loss": spec.loss,
        "learning_rate": spec.learning_rate, "update_biases": spec.update_biases,
        "update_order": spec.update_order, "digits": spec.digits, "carry": spec.carry,
    }
    if spec.lang != messages.DEFAULT:
        data["lang"] = spec.lang
    if spec.ask:
        data["ask"] = list(spec.ask)
    if spec.grading != Grading():
        data["grading"] = {key: value for key, value in vars(spec.grading).items()
                           if value is not None and value != getattr(Grading(), key)}
    if spec.published:
        data["published"] = spec.published.as_dict()
    if not spec.several:
        data["inputs"] = dict(spec.inputs)
        data["targets"] = dict(spec.targets)
    else:
        data["examples"] = [{"inputs": dict(e.inputs), "targets": dict(e.targets)}
                            for e in spec.examples]
        data["mode"] = spec.mode
        data["batch_reduction"] = spec.batch_reduction
    data["layers"] = [_layer_dict(layer) for layer in spec.layers]
    return data


def _layer_dict(layer: LayerSpec) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": layer.name, "activation": layer.activation,
        "weights": [list(row) for row in layer.weights],
        "bias": list(layer.bias) if isinstance(layer.bias, tuple) else layer.bias,
    }
    if ACTIVATIONS[layer.activation].parameter:
        data["slope"] = layer.slope
    return data


def load_spec(path: Path | str) -> Spec:
    """Read and validate a spec file."""
    return parse_spec(read_text(Path(path), MAX_SPEC_BYTES, SpecError), str(path))


def parse_spec(text: str, source: str = "<spec>") -> Spec:
    """Parse TOML text into a validated Spec."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"invalid TOML: {exc}", source=source) from None
    except ValueError:  # an integer beyond Python's 4,300-digit conversion limit
        raise SpecError("invalid TOML: an integer of more than 4,300 digits",
                        source=source) from None
    except RecursionError:
        raise SpecError("invalid TOML: arrays or tables nested too deeply",
                        source=source) from None
    return spec_from_dict(data, source)


def spec_from_dict(data: Mapping[str, Any], source: str = "<spec>") -> Spec:
    """Validate plain data (as TOML gives it) into a Spec."""
    read = _Reader(source)
    kind = read.choice(data, "kind", KINDS, "network")
    if kind == "graph":
        return _circuit_spec(data, read)
    read.known_keys(data, TOP_KEYS, "")
    examples = read.examples(data)
    layers = tuple(
        read.layer(raw, f"layers[{index}]")
        for index, raw in enumerate(read.array_of_tables(data, "layers"), start=1)
    )
    spec = Spec(
        title=read.title(data),
        description=read.description(data),
        loss=read.choice(data, "loss", tuple(LOSSES), None),
        learning_rate=read.positive(data, "learning_rate"),
        update_biases=read.boolean(data, "update_biases", True),
        update_order=read.choice(data, "update_order", UPDATE_ORDERS, "simultaneous"),
        digits=read.integer(data, "digits", 9, 1, MAX_DIGITS),
        examples=examples,
        layers=layers,
        carry=read.choice(data, "carry", CARRY, "exact"),
        mode=read.choice(data, "mode", MODES, "batch"),
        batch_reduction=read.choice(data, "batch_reduction", REDUCTIONS, "mean"),
        ask=read.names(data, "ask"),
        randomize=parse_rules(data["randomize"], read.fail, read.number)
        if "randomize" in data else (),
        grading=parse_grading(data["grading"], read.fail, read.number)
        if "grading" in data else Grading(),
        published=parse_published(data["published"], read.fail, read.number)
        if "published" in data else None,
        source=source,
        lang=read.choice(data, "lang", messages.languages(), messages.DEFAULT),
    )
    _check_structure(spec, read, listed="examples" in data)
    return spec


def _circuit_spec(data: Mapping[str, Any], read: _Reader) -> Spec:
    """A `kind = "graph"` spec: a circuit of named expressions (see `circuitspec`)."""
    read.known_keys(data, CIRCUIT_KEYS, "")
    circuit = read_circuit(data, read.fail, read.number)
    spec = Spec(
        title=read.title(data), description=read.description(data), loss="",
        learning_rate=read.positive(data, "learning_rate") if circuit.parameters else 0.0,
        update_biases=False, update_order="simultaneous",
        digits=read.integer(data, "digits", 9, 1, MAX_DIGITS),
        examples=(Example(circuit.values, ()),), layers=(),
        carry=read.choice(data, "carry", CARRY, "exact"), ask=read.names(data, "ask"),
        randomize=parse_rules(data["randomize"], read.fail, read.number)
        if "randomize" in data else (),
        grading=parse_grading(data["grading"], read.fail, read.number)
        if "grading" in data else Grading(),
        source=read.source, circuit=circuit)
    _check_rules(spec, read)
    return spec


def _check_structure(spec: Spec, read: _Reader, listed: bool) -> None:
    """Shapes, names and the loss/activation fit, once every field has the right type."""
    width = len(spec.inputs)
    for index, layer in enumerate(spec.layers, start=1):
        key = f"layers[{index}]"
        for row, weights in enumerate(layer.weights, start=1):
            if len(weights) != width:
                read.fail(
                    f"{key}.weights[{row}]",
                    f"has {len(weights)} weights, expected {width} (one per input to the layer)",
                )
        if isinstance(layer.bias, tuple) and len(layer.bias) != layer.size:
            read.fail(f"{key}.bias", f"has {len(layer.bias)} values, expected {layer.size}")
        width = layer.size
    _check_names(spec, read)
    for index, example in enumerate(spec.examples, start=1):
        _check_example(spec, example, f"examples[{index}]." if listed else "", read)
    _check_fit(spec, read)
    _check_rules(spec, read)
    if spec.estimated_terms > MAX_TERMS:
        read.fail("layers", f"the trace would hold about {spec.estimated_terms:,} quantities, "
                  f"more than the limit of {MAX_TERMS:,}: use fewer examples, layers or "
                  "neurons")


def _check_rules(spec: Spec, read: _Reader) -> None:
    """Every rule draws some value of this network, within the values' allowed ranges."""
    trained = spec.circuit is None or bool(spec.circuit.parameters)
    if trained and shows_as_zero(spec.learning_rate, spec.digits):
        read.fail("learning_rate", f"{spec.learning_rate:g} shows as 0 at {spec.digits} "
                  "decimals (digits): every update would read w − 0·∂E/∂w")
    keys = spec.randomizable()
    for rule in spec.randomize:
        path = f"randomize.{rule.key}"
        drawn = targets_of(rule, keys)
        if not drawn:
            read.fail(path, "names no value of this network")
        low, high = rule.bounds
        if rule.key == "learning_rate" and low <= 0:
            read.fail(path, "the learning rate must be greater than 0")
        if rule.key == "learning_rate" and shows_as_zero(low, spec.digits):
            read.fail(path, f"{low:g} shows as 0 at {spec.digits} decimals (digits): a "
                            "variant would be told η = 0")
        if rule.key.startswith("targets") and spec.circuit is None and LOSSES[
                spec.loss].unit_targets and (
                low < 0 or high > 1):
            read.fail(path, f"targets must lie in [0, 1] for {spec.loss}")


def _check_example(spec: Spec, example: Example, prefix: str, read: _Reader) -> None:
    """Same input names in every example; one target per output neuron, in range."""
    names = tuple(name for name, _ in spec.inputs)
    if tuple(name for name, _ in example.inputs) != names:
        read.fail(f"{prefix}inputs", f"must name the inputs {', '.join(names)} in this order")
    expected = spec.layers[-1].neurons
    given = tuple(name for name, _ in example.targets)
    for name in given:
        if name not in expected:
            read.fail(f"{prefix}targets.{name}", f"is not an output neuron"
                      f"{_did_you_mean(name, expected)} (output neurons: {', '.join(expected)})")
    for name in expected:
        if name not in given:
            read.fail(f"{prefix}targets", f"missing a target for output neuron {name}")
    if LOSSES[spec.loss].unit_targets:
        for name, value in example.targets:
            if not 0 <= value <= 1:
                read.fail(f"{prefix}targets.{name}", f"must lie in [0, 1] for {spec.loss}")


def _check_fit(spec: Spec, read: _Reader) -> None:
    """Activations where they are defined; a loss that fits the output activation."""
    for index, layer in enumerate(spec.layers, start=1):
        activation = ACTIVATIONS[layer.activation]
        if activation.normalized and index != len(spec.layers):
            read.fail(f"layers[{index}].activation",
                      f"{layer.activation} couples a layer's outputs: output layer only")
    output = spec.layers[-1].activation
    fits = LOSSES[spec.loss].fits
    if fits and output not in fits:
        read.fail("loss", f"{spec.loss!r} does not fit output activation {output!r}"
                  f" (it needs {' or '.join(fits)})")


def _check_names(spec: Spec, read: _Reader) -> None:
    """Layer and input names must give distinct neuron names that are not quantity names."""
    seen: dict[str, str] = {}
    for name, _ in spec.inputs:
        clash = names.reserved(name)
        if clash:
            read.fail(f"inputs.{name}", clash)
        seen[name] = f"inputs.{name}"
    for index, layer in enumerate(spec.layers, start=1):
        if not IDENTIFIER.fullmatch(layer.name) or layer.name[-1].isdigit():
            read.fail(f"layers[{index}].name", f"{layer.name!r} must be letters, digits or _,"
                      " start with a letter and not end with a digit")
        for neuron in layer.neurons:
            if neuron in seen:
                read.fail(f"layers[{index}].name",
                          f"neuron name {neuron} is already used by {seen[neuron]}")
            seen[neuron] = f"layers[{index}]"


def _short(value: int) -> str:
    """An integer for a message: a 4,000-digit one would fill the screen."""
    if abs(value) < 10**20:
        return str(value)
    # str() refuses past 4,300 digits (TOML's 0xfff… passes its parser): count from bits
    digits = int(abs(value).bit_length() * math.log10(2)) + 1
    return f"an integer of about {digits:,} digits"


def _did_you_mean(word: str, options: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _Reader:
    """Typed access to the raw TOML data; the first problem found is raised with its key path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> NoReturn:
        raise SpecError(message, source=self.source, key=key)

    def known_keys(self, table: Mapping[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                self.fail(prefix + key, f"unknown key{_did_you_mean(key, allowed)}")

    def required(self, table: Mapping[str, Any], key: str, path: str) -> Any:
        if key not in table:
            self.fail(path, "is missing")
        return table[key]

    def number(self, value: Any, path: str) -> float:
        # Exact types: TOML's `true` is an int to isinstance, and "0.5" must not pass.
        if type(value) not in (int, float):
            self.fail(path, f"must be a number, got {_describe(value)}")
        if type(value) is int and abs(value) > 10**6:  # float() of 10**400 overflows
            self.fail(path, f"{_short(value)} is too large (limit 1e6 in absolute value)")
        number = float(value)
        if not math.isfinite(number):
            self.fail(path, f"must be a finite number, got {value}")
        if abs(number) > 1e6:
            self.fail(path, f"{value} is too large (limit 1e6 in absolute value)")
        return number

    def positive(self, data: Mapping[str, Any], key: str) -> float:
        number = self.number(self.required(data, key, key), key)
        if number <= 0:
            self.fail(key, f"must be greater than 0, got {number:g}")
        return number

    def integer(self, data: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
        value = data.get(key, default)
        if type(value) is not int:
            self.fail(key, f"must be an integer, got {_describe(value)}")
        if not low <= value <= high:
            self.fail(key, f"must be between {low} and {high}, got {_short(value)}")
        return int(value)

    def boolean(self, data: Mapping[str, Any], key: str, default: bool) -> bool:
        value = data.get(key, default)
        if type(value) is not bool:
            self.fail(key, f"must be true or false, got {_describe(value)}")
        return bool(value)

    def string(self, value: Any, path: str) -> str:
        if type(value) is not str:
            self.fail(path, f"must be a string, got {_describe(value)}")
        return str(value)

    def choice(self, data: Mapping[str, Any], key: str, options: tuple[str, ...],
               default: str | None) -> str:
        if key not in data and default is None:
            self.fail(key, f"is missing (one of: {', '.join(options)})")
        value = self.string(data.get(key, default), key)
        if value not in options:
            self.fail(key, f"unknown value {value!r}{_did_you_mean(value, options)}"
                      f" (one of: {', '.join(options)})")
        return value

    def title(self, data: Mapping[str, Any]) -> str:
        title = self.string(data.get("title", "Backpropagation, step by step"), "title")
        if len(title) > MAX_TITLE:
            self.fail("title", f"is longer than {MAX_TITLE} characters")
        # Control characters and bidi overrides; joiners (U+200C in Persian) are text.
        control = next((ch for ch in title if unicodedata.category(ch) in ("Cc", "Zl", "Zp")
                        or "\u202a" <= ch <= "\u202e" or "\u2066" <= ch <= "\u2069"), None)
        if control is not None:
            self.fail("title", f"must be one line of text (it holds {control!r})")
        return title

    def description(self, data: Mapping[str, Any]) -> str:
        text = self.string(data.get("description", ""), "description")
        if len(text) > MAX_DESCRIPTION:
            self.fail("description", f"is longer than {MAX_DESCRIPTION} characters")
        return text

    def names(self, data: Mapping[str, Any], key: str) -> tuple[str, ...]:
        """A list of quantity names (checked against the trace where it is used)."""
        value = data.get(key, [])
        if not isinstance(value, list) or not all(type(v) is str for v in value):
            self.fail(key, "must be a list of quantity names (strings)")
        if len(value) > MAX_ASK:
            self.fail(key, f"has more than {MAX_ASK} names")
        for index, name in enumerate(value, start=1):
            if not names.could_be_name(name):
                self.fail(f"{key}[{index}]", f"{name[:30]!r} is not a quantity name")
        return tuple(value)

    def examples(self, data: Mapping[str, Any]) -> tuple[Example, ...]:
        """[[examples]], or the top-level [inputs] and [targets] as the one example."""
        if "examples" not in data:
            return (Example(self.number_table(data, "inputs"),
                            self.number_table(data, "targets")),)
        for key in ("inputs", "targets"):
            if key in data:
                self.fail(key, "give either [inputs] and [targets] or [[examples]], not both")
        entries = self.array_of_tables(data, "examples")
        if len(entries) > MAX_EXAMPLES:
            self.fail("examples", f"has {len(entries)} entries, more than {MAX_EXAMPLES}")
        examples = []
        for index, entry in enumerate(entries, start=1):
            prefix = f"examples[{index}]."
            self.known_keys(entry, EXAMPLE_KEYS, prefix)
            examples.append(Example(self.number_table(entry, "inputs", prefix),
                                    self.number_table(entry, "targets", prefix)))
        return tuple(examples)

    def number_table(self, data: Mapping[str, Any], key: str,
                     prefix: str = "") -> tuple[tuple[str, float], ...]:
        path = prefix + key
        table = self.required(data, key, path)
        if not isinstance(table, dict):
            self.fail(path, f"must be a table of name = number, got {_describe(table)}")
        if not table:
            self.fail(path, "is empty")
        items = []
        for name, value in table.items():
            if not IDENTIFIER.fullmatch(name):
                self.fail(f"{path}.{name}", "names must be letters, digits or _, starting with"
                          " a letter, at most 32 characters")
            items.append((name, self.number(value, f"{path}.{name}")))
        return tuple(items)

    def array_of_tables(self, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        value = self.required(data, key, key)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.fail(key, f"must be an array of tables ([[{key}]]), got {_describe(value)}")
        if not value:
            self.fail(key, "needs at least one entry")
        return list(value)

    def layer(self, raw: Mapping[str, Any], path: str) -> LayerSpec:
        self.known_keys(raw, LAYER_KEYS, path + ".")
        name = self.string(self.required(raw, "name", f"{path}.name"), f"{path}.name")
        activation = self.string(raw.get("activation", "sigmoid"), f"{path}.activation")
        if activation not in ACTIVATIONS:
            self.fail(f"{path}.activation", f"unknown activation {activation!r}"
                      f"{_did_you_mean(activation, tuple(ACTIVATIONS))}"
                      f" (one of: {', '.join(ACTIVATIONS)})")
        return LayerSpec(name, activation, self.matrix(raw, path), self.bias(raw, path),
                         self.slope(raw, path, activation))

    def slope(self, raw: Mapping[str, Any], path: str, activation: str) -> float:
        definition = ACTIVATIONS[activation]
        if "slope" in raw and definition.parameter != "slope":
            self.fail(f"{path}.slope", f"only leaky_relu takes a slope, not {activation}")
        return self.number(raw.get("slope", definition.default), f"{path}.slope")

    def matrix(self, raw: Mapping[str, Any], path: str) -> tuple[tuple[float, ...], ...]:
        key = f"{path}.weights"
        rows = self.required(raw, "weights", key)
        if not isinstance(rows, list) or not rows:
            self.fail(key, "must be a non-empty list of rows, one row per neuron")
        if len(rows) > MAX_NEURONS:
            self.fail(key, f"has {len(rows)} rows, more than the limit of {MAX_NEURONS}")
        matrix = []
        for j, row in enumerate(rows, start=1):
            if not isinstance(row, list) or not row:
                self.fail(f"{key}[{j}]",
                          f"must be a non-empty list of numbers, got {_describe(row)}")
            matrix.append(tuple(self.number(v, f"{key}[{j}][{i}]") for i, v in enumerate(row, 1)))
        return tuple(matrix)

    def bias(self, raw: Mapping[str, Any], path: str) -> float | tuple[float, ...]:
        key = f"{path}.bias"
        value = raw.get("bias", 0.0)
        if isinstance(value, list):
            return tuple(self.number(v, f"{key}[{i}]") for i, v in enumerate(value, 1))
        return self.number(value, key)


def _describe(value: Any) -> str:
    kinds = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
             list: "a list", dict: "a table"}
    text = kinds.get(type(value), type(value).__name__)
    if type(value) in (bool, int, float):
        return f"{text} ({str(value).lower() if type(value) is bool else value})"
    if type(value) is str:
        return f"{text} ({value[:20]!r})"
    return text
