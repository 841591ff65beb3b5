"""The shape of a catalogue entry: a layer type's members, weights, dtype rule, section and targets.

Plain frozen data, so the evaluator, the exporters, the spec generator and
the tests read one description of each layer type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EVALUATOR = "evaluator"
ONNX = "onnx"
TFJS = "tfjs"
TARGETS = (EVALUATOR, ONNX, TFJS)


class _Required:
    """The default of a member Keras has no default for (an absent one is refused, spec.md 15.1)."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Member:
    """A config member the forward pass reads.

    ``default`` is Keras' value when the member is absent (or :data:`REQUIRED`); ``values`` says in words
    what the member may hold where the general rule of spec.md 15.1 does not; ``only`` lists the values a
    member *has to be* (absent passes), for members whose other values the profile does not define.
    """

    name: str
    default: Any = None
    values: str = ""
    only: tuple[Any, ...] = ()

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class Weight:
    """One weight: its label, its shape as a rule, and when the layer has it.

    ``when`` holds ``(member, value)`` pairs: the weight is there when each member (its default if absent)
    equals its value; empty means always.
    """

    name: str
    shape: str
    when: tuple[tuple[str, Any], ...] = ()


# How a layer's results get their dtype (spec.md 15.2 and 15.15): the key names the rule, the text says it.
DTYPE_RULES = {
    "policy": "float inputs, weights and results rounded to the dtype policy",
    "moves": "policy for floats; integer and bool values keep their dtype",
    "concatenate": "policy if any input is a float; else the inputs' one integer or bool dtype",
    "embedding": "ids used as integers; the table and result in the policy dtype",
    "mask": "bool result; no policy",
    "operation": "no policy: the operands' one float dtype",
    "operation-moves": "no policy: any one dtype, unchanged",
    "export-only": "not in the core profile",
}


@dataclass(frozen=True)
class LayerType:
    """One entry of the catalogue.

    ``section`` is the part of spec.md that defines the type (None: outside the core profile, known to an
    exporter only). ``wraps`` names the member holding a wrapped layer whose weights the wrapper lists
    (Bidirectional: the forward layer's, then the backward layer's).
    """

    type: str
    section: str | None
    members: tuple[Member, ...]
    weights: tuple[Weight, ...]
    dtype: str
    targets: frozenset[str]
    wraps: str | None = None

    def member(self, name: str) -> Member | None:
        for m in self.members:
            if m.name == name:
                return m
        return None

    def required_members(self) -> list[Member]:
        return [m for m in self.members if m.required]

    def supports(self, target: str) -> bool:
        return target in self.targets
