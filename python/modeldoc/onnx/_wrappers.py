"""Bidirectional and TimeDistributed (spec.md 15.13): a wrapped layer's config inside the wrapper's, its
weights in the wrapper's list.

Bidirectional runs the forward and the backward recurrent layer as two exports of that layer (ONNX LSTM/GRU/
RNN, or the masked Scan of ``_scan`` when a mask reaches the wrapper), reverses the backward sequence into
time order, and merges. TimeDistributed applies its layer to every step at once: (batch, time, ...) is
reshaped to (batch·time, ...), the layer is exported on that, and the result is reshaped back; that is the
same as Keras' layer on each ``x[:, t]``, since every layer it may wrap acts on each batch row alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

from ..document import Layer
from ..errors import ModelDocError
from ..evaluator._masking import ATTENTION, RECURRENT
from ..evaluator._wrappers import pair_problems
from ..flatgraph import Call
from ..profile import weight_names
from ._builder import Builder, Extras, Value
from ._config import Config, Op, Unsupported
from ._recurrent import OPS as RECURRENT_OPS

_MERGES = ("concat", "sum", "mul", "ave", None)
# What TimeDistributed may not wrap (spec.md 15.13): layers that take several inputs or read the time axis.
_NOT_WRAPPABLE = frozenset((*RECURRENT, "Bidirectional", "TimeDistributed", "MultiHeadAttention", *ATTENTION,
                            "Masking", "ops.numpy.NotEqual", "ops.numpy.Any"))
_BEFORE_START = -(2**63)  # a Slice end that, with step -1, includes index 0 whatever the length


def _inner(cfg: Config, member: str, allowed: Any) -> tuple[str, dict[str, Any]]:
    """The wrapped layer's class name and config; a finding (and Unsupported) when it is not one of ``allowed``."""
    value = cfg.get(member)
    if (not isinstance(value, dict) or not isinstance(value.get("config", {}), dict)
            or value.get("class_name") not in allowed):
        name = value.get("class_name") if isinstance(value, dict) else None
        cfg.reject(member, f"{cfg.type} wraps {name!r}, which export does not take here")
        raise Unsupported
    return str(value["class_name"]), dict(value.get("config", {}))


def _parse_inner(cfg: Config, member: str, kind: str, config: dict[str, Any], weights: list[str],
                 parse: Any) -> tuple[Layer, Any]:
    """The wrapped layer as a Layer of its own (made once, so a shared wrapper shares its initializers) and its
    parsed parameters; its findings are reported inside the wrapper's member (weights: at the wrapper's)."""
    layer = Layer(str(config.get("name", member)), kind, config, weights)
    inner = Config(layer, cfg.tensors, f"{cfg.pointer}/config/{member}")
    inner.label = cfg.label
    try:
        params = parse(inner)
    finally:
        weights_at = f"{inner.pointer}/weights"
        cfg.findings.extend(replace(f, pointer=f"{cfg.pointer}/weights") if f.pointer == weights_at else f
                            for f in inner.findings)
    if _policy(config) != _policy(cfg.layer.config):
        cfg.reject(member, f"the wrapped layer computes in {_policy(config)}, the wrapper in "
                   f"{_policy(cfg.layer.config)}")
    return layer, params


def _policy(config: dict[str, Any]) -> Any:
    """The dtype policy name a config gives (None when it gives none)."""
    value = config.get("dtype")
    return (value.get("config") or {}).get("name") if isinstance(value, dict) else value


def _sub_call(call: Call, layer: Layer, member: str) -> Call:
    return Call(layer, call.inputs, call.outputs, {}, f"{call.path}/{layer.name}", f"{call.pointer}/config/{member}")


@dataclass(frozen=True)
class _Bidirectional:
    kind: str
    merge_mode: str | None
    layers: tuple[tuple[Layer, Any], tuple[Layer, Any]]
    sequences: bool
    states: int


def _parse_bidirectional(cfg: Config) -> _Bidirectional:
    merge_mode = cfg.layer.config.get("merge_mode", "concat")
    if merge_mode not in _MERGES:
        cfg.reject("merge_mode", f"merge_mode={merge_mode!r} is not concat, sum, mul, ave or null")
    kind, forward = _inner(cfg, "layer", RECURRENT)
    # Without backward_layer Keras copies the forward config with go_backwards flipped to true.
    backward = _inner(cfg, "backward_layer", (kind,))[1] if cfg.has("backward_layer") else {**forward,
                                                                                            "go_backwards": True}
    sequences = forward.get("return_sequences", False) is True
    for member, why in pair_problems(forward, backward):
        cfg.reject(member, f"the wrapped layer {why}")
    weights = cfg.layer.weights
    n_forward, n_backward = len(weight_names(kind, forward)), len(weight_names(kind, backward))
    if len(weights) != n_forward + n_backward:
        cfg.reject_at("/weights", f"Bidirectional({kind}) needs {n_forward} + {n_backward} weights, the layer "
                      f"lists {len(weights)}")
        raise Unsupported
    parse = RECURRENT_OPS[kind].parse
    # Keras sets zero_output_for_mask of both layers to return_sequences, whatever their config says.
    fwd = _parse_inner(cfg, "layer", kind, {**forward, "zero_output_for_mask": sequences}, weights[:n_forward], parse)
    bwd = _parse_inner(cfg, "backward_layer", kind, {**backward, "zero_output_for_mask": sequences},
                       weights[n_forward:], parse)
    return _Bidirectional(kind, merge_mode, (fwd, bwd), sequences, 2 if kind == "LSTM" else 1)


def _emit_bidirectional(b: Builder, p: _Bidirectional, xs: list[Value], call: Call) -> list[Value]:
    h = call.path
    if len(xs) not in (1, 1 + 2 * p.states):
        raise ModelDocError.of("ONNX_UNSUPPORTED", call.pointer, f"Bidirectional({p.kind}) takes a sequence and "
                               f"optionally {2 * p.states} initial states, the call passes {len(xs)}")
    results = []
    for k, ((layer, params), member) in enumerate(zip(p.layers, ("layer", "backward_layer"))):
        given = xs[1 + k * p.states:1 + (k + 1) * p.states]
        # Both read the wrapper's mask, which b.extras still holds.
        results.append(RECURRENT_OPS[p.kind].emit(b, params, [xs[0], *given], _sub_call(call, layer, member)))
    (y, *fwd_states), (y_rev, *bwd_states) = results
    if p.sequences:  # back in time order: the backward layer stacks its outputs last step first
        reverse = [b.ints([-1], h), b.ints([_BEFORE_START], h), b.ints([1], h), b.ints([-1], h)]
        y_rev = Value(b.op("Slice", [y_rev.name, *reverse], h), y_rev.dtype, y_rev.rank)
    if p.merge_mode is None:
        merged = [y, y_rev]
    elif p.merge_mode == "concat":
        merged = [Value(b.op("Concat", [y.name, y_rev.name], h, axis=-1), y.dtype, y.rank)]
    else:
        op = {"sum": "Add", "mul": "Mul", "ave": "Add"}[p.merge_mode]
        out = b.op(op, [y.name, y_rev.name], h)
        if p.merge_mode == "ave":
            out = b.op("Div", [out, b.scalar(2.0, y.dtype, h)], h)
        merged = [Value(out, y.dtype, y.rank)]
    return merged + fwd_states + bwd_states


@dataclass(frozen=True)
class _TimeDistributed:
    kind: str
    layer: Layer
    params: Any


def _time_distributed(table: Mapping[str, Op]) -> Op:
    def parse(cfg: Config) -> _TimeDistributed:
        wrappable = tuple(t for t in table if t not in _NOT_WRAPPABLE)
        kind, inner = _inner(cfg, "layer", wrappable)
        if kind == "Embedding" and inner.get("mask_zero") is True:
            cfg.reject("layer", "an Embedding with mask_zero inside TimeDistributed makes no per-step mask")
        layer, params = _parse_inner(cfg, "layer", kind, inner, list(cfg.layer.weights), table[kind].parse)
        return _TimeDistributed(kind, layer, params)

    def emit(b: Builder, p: _TimeDistributed, xs: list[Value], call: Call) -> list[Value]:
        h = call.path
        if len(xs) != 1 or (xs[0].rank is not None and xs[0].rank < 3):
            raise ModelDocError.of("ONNX_UNSUPPORTED", call.pointer, "TimeDistributed needs one input of rank >= 3")
        x = xs[0]
        shape = b.op("Shape", [x.name], h)
        steps = b.op("Concat", [b.ints([-1], h), b.op("Slice", [shape, b.ints([2], h), b.ints([2**62], h)], h)],
                     h, axis=0)
        flat = Value(b.op("Reshape", [x.name, steps], h), x.dtype, None if x.rank is None else x.rank - 1)
        extras, b.extras = b.extras, Extras()  # the wrapped layer does not read the wrapper's mask
        try:
            (y,) = table[p.kind].emit(b, p.params, [flat], _sub_call(call, p.layer, "layer"))
        finally:
            b.extras = extras
        batch_time = b.op("Slice", [shape, b.ints([0], h), b.ints([2], h)], h)
        rest = b.op("Slice", [b.op("Shape", [y.name], h), b.ints([1], h), b.ints([2**62], h)], h)
        out_shape = b.op("Concat", [batch_time, rest], h, axis=0)
        return [Value(b.op("Reshape", [y.name, out_shape], h), y.dtype, None if y.rank is None else y.rank + 1)]

    return Op(parse, emit, "Reshape to (batch·time, ...), the wrapped layer, Reshape back")


def ops(table: Mapping[str, Op]) -> dict[str, Op]:
    """The wrappers; TimeDistributed looks its wrapped layer up in ``table`` (the whole export table) when it
    parses, so it can wrap any type registered by then."""
    return {
        "Bidirectional": Op(_parse_bidirectional, _emit_bidirectional,
                            "the recurrent layer twice (backward: go_backwards), Slice step -1, Concat/Add/Mul/Div"),
        "TimeDistributed": _time_distributed(table),
    }

