"""Keras masks in the exported graph (spec.md 15.12): which call reads which mask, and which values carry one.

ONNX has no masks, so the exporter does what Keras does at run time, in the graph: a mask is a bool value of
shape (batch, time) computed where Keras makes one (Embedding with mask_zero, Masking, the OR of merged
masks) and handed to the layers that consume it (recurrent layers, Bidirectional, GlobalAveragePooling1D,
Attention, AdditiveAttention) through ``Builder.extras``. Which layers make, carry, consume or refuse a mask
is the evaluator's table (``modeldoc.evaluator._masking``): the rules are written once, for both.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import Finding
from ..evaluator._masking import ANY, ATTENTION, CONSUMERS, NOT_EQUAL, Roles, mask_problem, output_masks, roles
from ..evaluator._ops import is_op
from ..flatgraph import Call, Program
from ._builder import Builder, Extras, Value
from ._config import Config

# Calls whose arguments may pass a mask, tensors by name or constants: their inputs are sorted by role.
ROLE_TYPES = frozenset((*CONSUMERS, "MultiHeadAttention", NOT_EQUAL, ANY))
_BOOL = np.dtype(bool)


def argument_problem(layer_type: str, arguments: Any, n_inputs: int) -> str | None:
    """Why the arguments of a call of a ROLE_TYPES layer are outside what export follows (the evaluator's rule)."""
    parts = roles(layer_type, arguments, n_inputs)
    return parts if isinstance(parts, str) else None


def _parts(call: Call) -> Roles | str:
    if call.layer.type in ROLE_TYPES:
        return roles(call.layer.type, call.arguments, len(call.inputs))
    return Roles(list(range(len(call.inputs))))


def static_findings(program: Program) -> list[Finding]:
    """ONNX_UNSUPPORTED where a mask reaches a layer whose masked form the profile does not define; whether a
    value has a mask depends on the graph alone, so this runs before anything is built."""
    findings: list[Finding] = []
    masked: dict[str, bool] = {}
    for call in program.calls:
        parts = _parts(call)
        if isinstance(parts, str):
            continue  # argument_problems reports it
        data = [masked.get(call.inputs[i], False) for i in parts.data]
        data += [masked.get(call.inputs[i], False) for q, i in parts.named.items() if q in ("query", "value", "key")]
        problem = mask_problem(call.layer.type, call.layer.config, data)
        if problem is None and is_op(call.layer.type) and any(data):
            problem = "a mask reaches an operation, which does not take a Keras mask"
        if problem:
            findings.append(Finding("ONNX_UNSUPPORTED", call.pointer, f"layer {call.path!r}: {problem}"))
        outs = output_masks(call.layer.type, call.layer.config, [True if m else None for m in data], [],
                            [None] * len(call.outputs))
        masked.update({v: m is not None for v, m in zip(call.outputs, outs)})
    return list(dict.fromkeys(findings))  # a shared layer is reported once


def as_bool(b: Builder, mask: Value, hint: str) -> Value:
    """A mask as bool: an explicit mask argument may be any dtype, and any nonzero value counts as true."""
    return b.cast(mask, _BOOL, hint)


def nonzero_steps(b: Builder, x: Value, value: float, hint: str) -> Value:
    """Masking's mask: true at the steps where any feature of ``x`` differs from ``value`` (last axis reduced)."""
    differs = b.op("Not", [b.op("Equal", [x.name, b.scalar(value, x.dtype, hint)], hint)], hint)
    # ReduceMax has no bool kernel: any() as the max of 0/1 integers.
    counted = b.op("Cast", [differs], hint, to=6)  # int32
    any_step = b.reduce("ReduceMax", counted, [-1], False, hint)
    return Value(b.op("Cast", [any_step], hint, to=9), _BOOL, None if x.rank is None else x.rank - 1)  # bool


class Masks:
    """The masks Keras attaches to the values of the graph being built, as ONNX values."""

    def __init__(self, b: Builder) -> None:
        self.b = b
        self.attached: dict[str, Value] = {}

    def inputs(self, call: Call, env: dict[str, Value]) -> tuple[list[Value], Extras]:
        """A call's data inputs and what it passes besides them (its mask, named tensors, flags)."""
        parts = _parts(call)
        if call.layer.type not in ROLE_TYPES or isinstance(parts, str):
            return [env[v] for v in call.inputs], Extras()
        data = [env[call.inputs[i]] for i in parts.data]
        attached = [self.attached.get(call.inputs[i]) for i in parts.data]
        mask: Value | list[Value | None] | None
        # An explicit mask argument wins over the attached one, as in Keras.
        if isinstance(parts.mask, list):
            mask = [None if i is None else env[call.inputs[i]] for i in parts.mask]
        elif parts.mask is not None:
            mask = env[call.inputs[parts.mask]]
        elif call.layer.type in ATTENTION:
            mask = list(attached[:2]) if any(m is not None for m in attached[:2]) else None
        else:
            # Keras fills in the attached mask only when the call passes one tensor (not with initial states).
            mask = attached[0] if len(attached) == 1 else None
        named = {key: env[call.inputs[i]] for key, i in parts.named.items()}
        return data, Extras(mask, named, dict(parts.flags), dict(parts.constants))

    def record(self, call: Call, xs: list[Value], outputs: list[Value]) -> None:
        """Attach to the call's outputs the masks Keras attaches (spec.md 15.12)."""
        parts = _parts(call)
        if isinstance(parts, str):
            return
        in_masks = [self.attached.get(call.inputs[i]) for i in parts.data]
        found = output_masks(call.layer.type, call.layer.config, list(in_masks), [], [None] * len(outputs))
        for name, mask in zip(call.outputs, found):
            if mask is True:  # a new mask: Embedding(mask_zero), Masking, or the OR of merged masks
                mask = self._make(call, xs, in_masks)
            if isinstance(mask, Value):
                self.attached[name] = mask

    def _make(self, call: Call, xs: list[Value], in_masks: list[Value | None]) -> Value:
        b, h = self.b, f"{call.path}/mask"
        if call.layer.type == "Embedding":  # on the ids as given, before Embedding's cast to int32
            x = xs[0]
            zero = b.scalar(0, x.dtype, h)
            return Value(b.op("Not", [b.op("Equal", [x.name, zero], h)], h), _BOOL, x.rank)
        if call.layer.type == "Masking":  # on the input as the layer computes it (in its policy's float dtype)
            value = call.layer.config.get("mask_value")
            policy = Config(call.layer, {}).export_policy()
            x = b.cast(xs[0], np.dtype(policy), h) if policy and xs[0].dtype.kind == "f" else xs[0]
            return nonzero_steps(b, x, 0.0 if value is None else float(value), h)
        masks = [as_bool(b, m, h) for m in in_masks if m is not None]
        y = masks[0].name
        for other in masks[1:]:
            y = b.op("Or", [y, other.name], h)
        return Value(y, _BOOL, masks[0].rank)
