"""The vocabulary of a trace: what a quantity is (its role), when it is computed (its stage),
and typed references to what it belongs to.

Plain frozen data, no sympy and no name strings: `names` turns a `Ref` into its canonical
name and LaTeX, `graph` holds the terms that carry them. A network builder and a circuit
builder describe their quantities with the same references.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a quantity is. The values are the `kind` of each quantity in JSON output."""

    INPUT = "input"
    WEIGHT = "weight"
    BIAS = "bias"
    TARGET = "target"
    RATE = "learning_rate"
    NET = "net"
    OUT = "out"
    ERROR = "error"
    LOCAL = "local_derivative"  # ∂E/∂out, ∂out/∂net, ∂net/∂w, ∂net/∂out: from sympy.diff
    DELTA = "delta"  # ∂E_total/∂net
    PATH = "path"  # one output's share of a hidden neuron's ∂E_total/∂out (a chain product)
    GRADIENT = "gradient"  # ∂E_total/∂out of a hidden neuron, ∂E_total/∂p of a parameter
    UPDATE = "update"
    NODE = "node"  # a computed value of a circuit (a graph spec's [nodes])


GIVEN_ROLES = frozenset({Role.INPUT, Role.WEIGHT, Role.BIAS, Role.TARGET, Role.RATE})
PARAMETER_ROLES = frozenset({Role.WEIGHT, Role.BIAS})
DERIVATIVE_ROLES = frozenset({Role.LOCAL, Role.PATH, Role.GRADIENT})


class Stage(StrEnum):
    GIVEN = "given"
    FORWARD = "forward"
    ERROR = "error"
    BACKWARD = "backward"
    AFTER = "after"


@dataclass(frozen=True, slots=True)
class Input:
    """An input of the network: its 1-based position and its spec identifier (i1)."""

    index: int
    name: str


@dataclass(frozen=True, slots=True)
class Neuron:
    """A neuron: 1-based layer and position in it, and its name (h1)."""

    layer: int
    index: int
    name: str


@dataclass(frozen=True, slots=True)
class Weight:
    """A weight: the edge from `source` into `target`, and its number in the post's
    numbering (layer by layer, neuron by neuron, input by input)."""

    number: int
    source: Input | Neuron
    target: Neuron

    @property
    def layer(self) -> int:
        return self.target.layer


@dataclass(frozen=True, slots=True)
class Bias:
    """A bias of layer `layer`: one neuron's own, or (neuron None) shared by the layer."""

    layer: int
    neuron: Neuron | None = None


@dataclass(frozen=True, slots=True)
class Value:
    """A named value of a circuit: a leaf of `[values]` or a node of `[nodes]`, with its
    1-based position among all of them and its spec identifier (x, q, f)."""

    index: int
    name: str


Unit = Input | Neuron | Weight | Bias | Value
Parameter = Weight | Bias


@dataclass(frozen=True, slots=True)
class Ref:
    """A typed reference to one quantity.

    `unit` is what the quantity belongs to: the input, neuron or parameter (for an update,
    the parameter updated; for E_total, none). A derivative is of `of` with respect to
    `wrt`, both without an example; `example` (1-based, 0 for none) says which training
    example the quantity is for, `after` that it is recomputed after the update.
    """

    role: Role
    unit: Unit | None = None
    of: Ref | None = None
    wrt: Ref | None = None
    example: int = 0
    after: bool = False


RATE = Ref(Role.RATE)
TOTAL_ERROR = Ref(Role.ERROR)


def derivative(role: Role, of: Ref, wrt: Ref, example: int = 0) -> Ref:
    """∂of/∂wrt for one example (`of` and `wrt` are taken without their example)."""
    return Ref(role, of=_plain(of), wrt=_plain(wrt), example=example)


def _plain(ref: Ref) -> Ref:
    return Ref(ref.role, ref.unit, ref.of, ref.wrt, 0, ref.after) if ref.example else ref
