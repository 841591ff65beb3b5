"""Masks on the way to tfjs: where tfjs-layers computes with the mask Keras computes with, and which explicit
mask arguments it can do without.

Keras 3 saves the mask a layer consumes as an explicit ``mask`` argument computed by ``ops.numpy.NotEqual``
(and ``ops.numpy.Any``) nodes (spec.md 15.12). tfjs-layers 4.22 has no such nodes and no such argument: it
attaches a mask itself where Embedding(mask_zero) or Masking makes one and passes it along by its own rules
(``supportsMasking``, ``computeMask``), then hands each layer the mask of its first input. So an explicit mask
is dropped when it is exactly the mask tfjs attaches there, and the nodes computing it are left out; every
call whose result depends on a mask is checked to get the same mask in both frameworks. Masks are named by
where they come from (a token), which depends only on the graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import Collector
from ..evaluator._masking import ANY, NOT_EQUAL, OR_MERGES, RECURRENT, Roles, output_masks, roles
from ..flatgraph import Call
from ._support import MERGE_LAYERS

# A mask's origin: ("ne", value, c) is value != c (Embedding mask_zero: c = 0), ("any-ne", value, c) is
# any(value != c) over the last axis (Masking), ("or", ...) Keras' merge of masks, ("tfjs-merge", call) the
# mask a tfjs merge layer passes on, ("value", name) an explicit mask of another origin.
Token = tuple[Any, ...]

# Layers with supportsMasking whose computeMask passes the first input's mask on (tfjs-layers 4.22 source).
TFJS_CARRIERS = frozenset((
    "Dense", "Activation", "ReLU", "PReLU", "Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout",
    "AlphaDropout", "BatchNormalization", "LayerNormalization", "TimeDistributed",
))


@dataclass
class MaskPlan:
    """``data``: per call, the indices of its inputs that tfjs' inbound node gets (an explicit mask is not one);
    ``skipped``: the calls that only compute masks tfjs attaches itself; ``mask_dropped``: calls whose explicit
    mask argument is left out."""

    data: dict[int, list[int]] = field(default_factory=dict)
    skipped: set[int] = field(default_factory=set)
    mask_dropped: set[int] = field(default_factory=set)


def plan_masks(calls: list[Call], model_outputs: list[str], out: Collector) -> MaskPlan:
    """Which inputs each call passes to tfjs, which mask nodes to leave out, and every call where tfjs would
    compute with another mask than Keras (each a finding in ``out``)."""
    plan = MaskPlan()
    parts: dict[int, Roles] = {}
    for i, call in enumerate(calls):
        r = roles(call.layer.type, call.arguments, len(call.inputs))
        n = len(call.inputs)
        # Only arguments that name the node's own inputs are followed (the exporter refuses the others).
        if isinstance(r, Roles) and not r.named and all(k < n for k in r.data) and \
                (not isinstance(r.mask, int) or r.mask < n) and not isinstance(r.mask, list):
            parts[i] = r
        plan.data[i] = r.data if i in parts and isinstance(r, Roles) and isinstance(r.mask, int) else list(range(n))
    expressions = _mask_expressions(calls, parts)
    keras: dict[str, Token | None] = {}
    tfjs: dict[str, Token | None] = {}
    for i, call in enumerate(calls):
        if call.layer.type in (NOT_EQUAL, ANY) or i not in parts:
            continue
        r = parts[i]
        data = [call.inputs[k] for k in r.data]
        k_in, t_in = [keras.get(v) for v in data], [tfjs.get(v) for v in data]
        k_call: Token | None
        if isinstance(r.mask, int):
            mask_value = call.inputs[r.mask]
            k_call = expressions.get(mask_value, ("value", mask_value))
            plan.mask_dropped.add(i)
        else:
            k_call = k_in[0] if len(data) == 1 else None
        _check(call, k_call, t_in[0] if t_in else None, out)
        for v, m in zip(call.outputs, _keras_outputs(call, data, k_in)):
            keras[v] = m
        for v, m in zip(call.outputs, _tfjs_outputs(call, i, data, t_in)):
            tfjs[v] = m
    plan.skipped = _mask_only(calls, parts, model_outputs)
    return plan


def _mask_expressions(calls: list[Call], parts: dict[int, Roles]) -> dict[str, Token]:
    """The values computed by NotEqual(x, c) and Any(NotEqual(x, c), axis=-1): the masks Embedding and
    Masking attach, written out as Keras writes them."""
    found: dict[str, Token] = {}
    for i, call in enumerate(calls):
        r = parts.get(i)
        if r is None or len(call.outputs) != 1:
            continue
        if call.layer.type == NOT_EQUAL and len(r.data) == 1 and list(r.constants) == [1]:
            found[call.outputs[0]] = ("ne", call.inputs[r.data[0]], r.constants[1])
        elif call.layer.type == ANY and len(r.data) == 1 and call.layer.config.get("axis") in (-1, [-1]) \
                and not call.layer.config.get("keepdims", False):
            inner = found.get(call.inputs[r.data[0]])
            if inner is not None and inner[0] == "ne":
                found[call.outputs[0]] = ("any-ne", inner[1], inner[2])
    return found


def _mask_only(calls: list[Call], parts: dict[int, Roles], model_outputs: list[str]) -> set[int]:
    """The NotEqual and Any calls whose every result is only an explicit mask argument or feeds another of them."""
    uses: dict[str, list[tuple[int, bool]]] = {}
    for i, call in enumerate(calls):
        r = parts.get(i)
        for k, v in enumerate(call.inputs):
            as_mask = r is not None and (r.mask == k or call.layer.type in (NOT_EQUAL, ANY))
            uses.setdefault(v, []).append((i, as_mask))
    skipped = set()
    for i, call in reversed(list(enumerate(calls))):
        if call.layer.type not in (NOT_EQUAL, ANY):
            continue
        if all(v not in model_outputs and all(as_mask and (calls[j].layer.type not in (NOT_EQUAL, ANY) or j in skipped)
                                              for j, as_mask in uses.get(v, []))
               for v in call.outputs):
            skipped.add(i)
    return skipped


def _check(call: Call, k_call: Token | None, t_call: Token | None, out: Collector) -> None:
    kind, config = call.layer.type, call.layer.config
    inner_kind = config["layer"].get("class_name") if _well_formed(config) else None
    at, name = call.pointer, call.path
    if kind in RECURRENT or kind == "Bidirectional":
        if k_call != t_call:
            out.add("TFJS_UNSUPPORTED", at, f"layer {name!r}: tfjs-layers 4.22 would compute it with "
                    f"{_describe(t_call)}, Keras with {_describe(k_call)}")
            return
        inner_config = _inner(config) if kind == "Bidirectional" else config
        zero = inner_config.get("return_sequences") is True if kind == "Bidirectional" else \
            config.get("zero_output_for_mask") is True
        if k_call is not None and zero:
            why = "Bidirectional sets zero_output_for_mask with return_sequences" if kind == "Bidirectional" \
                else "zero_output_for_mask"
            out.add("TFJS_UNSUPPORTED", at, f"layer {name!r} gets a mask: Keras outputs 0 at masked steps "
                    f"({why}), tfjs-layers 4.22 repeats the previous state there")
    elif (k_call is not None or t_call is not None) and "Softmax" in (kind, inner_kind):
        out.add("TFJS_UNSUPPORTED", at, f"layer {name!r} gets {_describe(k_call or t_call)}: tfjs-layers 4.22's "
                "Softmax adds the (batch, time) mask to scores of another shape and throws when it predicts")
    elif k_call is not None and "GlobalAveragePooling1D" in (kind, inner_kind):
        out.add("TFJS_UNSUPPORTED", at, f"layer {name!r} gets {_describe(k_call)}: Keras averages the unmasked "
                "steps only, tfjs-layers 4.22 ignores the mask and averages all of them")


def _keras_outputs(call: Call, data: list[str], k_in: list[Token | None]) -> list[Token | None]:
    kind, config = call.layer.type, call.layer.config
    rest: list[Token | None] = [None] * (len(call.outputs) - 1)
    if kind in ("Bidirectional", "TimeDistributed") and not _well_formed(config):
        return [None, *rest]  # the wrapper is refused for its config; no mask to follow
    if kind == "Embedding" and config.get("mask_zero") is True:
        return [("ne", data[0], 0.0), *rest]
    if kind == "Masking":
        return [("any-ne", data[0], config.get("mask_value", 0.0)), *rest]
    result = output_masks(kind, config, list(k_in), [], call.outputs)
    if kind in OR_MERGES and result[0] is not None:
        result[0] = ("or", *k_in)  # the static pass marks it True; name it by its parts
    return result


def _tfjs_outputs(call: Call, index: int, data: list[str], t_in: list[Token | None]) -> list[Token | None]:
    kind, config = call.layer.type, call.layer.config
    none: list[Token | None] = [None] * len(call.outputs)
    first = t_in[0] if t_in else None
    if kind == "Embedding" and config.get("mask_zero") is True:
        return [("ne", data[0], 0.0), *none[1:]]
    if kind == "Masking":
        return [("any-ne", data[0], config.get("mask_value", 0.0)), *none[1:]]
    if kind in TFJS_CARRIERS:
        return [first, *none[1:]]
    if kind in RECURRENT or kind == "Bidirectional":
        inner = _inner(config) if kind == "Bidirectional" else config
        if inner.get("return_sequences") is not True:
            return none
        both = kind == "Bidirectional" and "merge_mode" in config and config["merge_mode"] is None
        return [first, first, *none[2:]] if both else [first, *none[1:]]
    if kind in MERGE_LAYERS and any(m is not None for m in t_in):
        return [("tfjs-merge", index), *none[1:]]
    return none


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else repr(value)


def _well_formed(config: dict[str, Any]) -> bool:
    """Whether a wrapper's ``layer`` is a layer object (the exporter refuses it otherwise)."""
    layer = config.get("layer")
    return isinstance(layer, dict) and isinstance(layer.get("config"), dict)


def _inner(config: dict[str, Any]) -> dict[str, Any]:
    return config["layer"]["config"] if _well_formed(config) else {}


def _describe(token: Token | None) -> str:
    if token is None:
        return "no mask"
    if token[0] == "ne":
        return f"the mask {token[1]} != {_number(token[2])}"
    if token[0] == "any-ne":
        return f"the mask Masking({_number(token[2])}) makes of {token[1]}"
    if token[0] == "or":
        return "the OR of its inputs' masks"
    if token[0] == "tfjs-merge":
        return "the mask a tfjs merge layer passes on (its first input's, with an extra axis)"
    return f"the mask {token[1]}"
