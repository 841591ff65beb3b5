"""MultiHeadAttention, Attention, AdditiveAttention and GroupNormalization (spec.md 15.14).

Each follows Keras 3's TensorFlow computation step by step, so float rounding lands where Keras' does:

- MultiHeadAttention: each projection is one MatMul with the kernel (D, N, K) flattened to (D, N·K), then
  heads split off; scores are q·k times 1/sqrt(K); a position not allowed by ``attention_mask`` or the causal
  mask gets the score -0.7 · 3.38953e38 (so a row with none allowed weighs all alike, as Keras' kernel does).
- Attention and AdditiveAttention: a value mask (and the causal mask) subtracts 1e9 from the score, a query
  mask zeroes the output row (Where, as Keras).
- GroupNormalization: the channel axis is split into (groups, channels per group) by a Reshape, mean and
  population variance over every axis but the batch and group axes, then ``x · inv + (-mean · inv + beta)``
  with ``inv = gamma / sqrt(variance + epsilon)``, in at least float32.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ModelDocError
from ..evaluator._attention import MASKED_SCORE
from ..flatgraph import Call
from ._builder import Builder, Value
from ._config import Config, Op, Unsupported, compute_dtype
from ._masks import as_bool

_BOOL = np.dtype(bool)


def _length(b: Builder, x: Value, h: str) -> str:
    """The time length (axis 1) of ``x`` as a 0-D int64 value."""
    return b.squeeze(b.op("Shape", [x.name], h, start=1, end=2), [0], h)


def causal(b: Builder, query: Value, key: Value, h: str) -> str:
    """The bool (T, S) mask of the positions s <= t (Keras: row index >= column index)."""
    one, zero = (b.squeeze(b.ints([v], h), [0], h) for v in (1, 0))  # Range takes 0-D bounds
    rows = b.unsqueeze(b.op("Range", [zero, _length(b, query, h), one], h), [1], h)
    cols = b.unsqueeze(b.op("Range", [zero, _length(b, key, h), one], h), [0], h)
    return b.op("LessOrEqual", [cols, rows], h)


@dataclass(frozen=True)
class _Mha:
    heads: int
    key_dim: int
    value_dim: int
    weights: dict[str, np.ndarray]
    dtype: np.dtype[Any] | None


def _parse_mha(cfg: Config) -> _Mha:
    heads = cfg.integer("num_heads", 1, minimum=1)
    key_dim = cfg.integer("key_dim", 1, minimum=1)
    value_dim = cfg.integer("value_dim", key_dim, minimum=1)
    cfg.must_be("output_shape", (None,), "only the query's feature size is exported")
    cfg.must_be("attention_axes", (None, 1, [1]), "only attention over axis 1 is exported")
    cfg.must_be("use_gate", (False, None), "gated attention is not exported")
    cfg.must_be("sliding_window", (None,), "sliding-window attention is not exported")
    use_bias = cfg.flag("use_bias", True)
    w = cfg.catalogue_weights()
    sizes = {"query": key_dim, "key": key_dim, "value": value_dim}
    fits = all(w[f"{r}/kernel"].ndim == 3 and w[f"{r}/kernel"].shape[1:] == (heads, n) for r, n in sizes.items())
    fits = fits and w["attention_output/kernel"].ndim == 3 and w["attention_output/kernel"].shape[:2] == (heads,
                                                                                                        value_dim)
    if use_bias:
        fits = fits and all(w[f"{r}/bias"].shape == (heads, n) for r, n in sizes.items())
        fits = fits and w["attention_output/bias"].shape == w["attention_output/kernel"].shape[2:]
    if not fits:
        cfg.reject_at("/weights", f"MultiHeadAttention weights do not fit num_heads={heads}, "
                      f"key_dim={key_dim}, value_dim={value_dim}")
        raise Unsupported
    return _Mha(heads, key_dim, value_dim, w, cfg.float_weights(w))


def _project(b: Builder, p: _Mha, x: Value, role: str, size: int, h: str, key: int) -> str:
    """(batch, T, D) -> (batch, N, T, size): Keras' einsum with the (D, N, size) kernel, as one MatMul."""
    kernel = p.weights[f"{role}/kernel"]
    w = b.const(kernel.reshape(kernel.shape[0], -1), f"{h}/{role}/kernel", key=(key, role, "kernel"))
    y = b.op("MatMul", [x.name, w], h)
    if f"{role}/bias" in p.weights:
        y = b.op("Add", [y, b.const(p.weights[f"{role}/bias"].reshape(-1), f"{h}/{role}/bias",
                                    key=(key, role, "bias"))], h)
    split = b.op("Reshape", [y, b.ints([0, 0, p.heads, size], h)], h)
    return b.transpose(split, [0, 2, 1, 3], h)


def _emit_mha(b: Builder, p: _Mha, xs: list[Value], call: Call) -> list[Value]:
    h, key = call.path, id(call.layer)
    named = b.extras.named
    if "query" not in named or "value" not in named:
        raise ModelDocError.of("ONNX_UNSUPPORTED", call.pointer, "MultiHeadAttention takes a query and a value")
    dtype = compute_dtype(p.dtype, [named["query"]])
    query, value = b.cast(named["query"], dtype, h), b.cast(named["value"], dtype, h)
    key_in = b.cast(named["key"], dtype, h) if "key" in named else value
    q = _project(b, p, query, "query", p.key_dim, h, key)
    k = _project(b, p, key_in, "key", p.key_dim, h, key)
    v = _project(b, p, value, "value", p.value_dim, h, key)
    scores = b.op("MatMul", [q, b.transpose(k, [0, 1, 3, 2], h)], h)  # (batch, N, T, S)
    scores = b.op("Mul", [scores, b.scalar(1.0 / math.sqrt(float(p.key_dim)), dtype, h)], h)
    allowed = None
    if "attention_mask" in named:  # (batch or 1, T, S), nonzero allowed; one mask for every head
        allowed = b.unsqueeze(as_bool(b, named["attention_mask"], h).name, [1], h)
    if b.extras.flags.get("use_causal_mask"):
        c = causal(b, query, key_in, h)
        allowed = c if allowed is None else b.op("And", [allowed, c], h)
    if allowed is not None:
        scores = b.op("Where", [allowed, scores, b.scalar(MASKED_SCORE, dtype, h)], h)
    weights = b.op("Softmax", [scores], h, axis=-1)
    heads = b.transpose(b.op("MatMul", [weights, v], h), [0, 2, 1, 3], h)  # (batch, T, N, V)
    joined = b.op("Reshape", [heads, b.ints([0, 0, p.heads * p.value_dim], h)], h)
    out_kernel = p.weights["attention_output/kernel"]
    w = b.const(out_kernel.reshape(-1, out_kernel.shape[2]), f"{h}/attention_output/kernel",
                key=(key, "output", "kernel"))
    y = b.op("MatMul", [joined, w], h)
    if "attention_output/bias" in p.weights:
        y = b.op("Add", [y, b.const(p.weights["attention_output/bias"], f"{h}/attention_output/bias",
                                    key=(key, "output", "bias"))], h)
    return [Value(y, dtype, 3)]


@dataclass(frozen=True)
class _Attention:
    additive: bool
    concat: bool
    weights: dict[str, np.ndarray]
    dtype: np.dtype[Any] | None


def _parse_attention(cfg: Config) -> _Attention:
    additive = cfg.type == "AdditiveAttention"
    cfg.flag("use_scale", additive)  # refuses a value that is not a flag; the catalogue names the weights
    concat = False if additive else cfg.choice("score_mode", "dot", ("dot", "concat"), fold_case=True) == "concat"
    w = cfg.catalogue_weights()
    return _Attention(additive, concat, w, cfg.float_weights(w))


def _emit_attention(b: Builder, p: _Attention, xs: list[Value], call: Call) -> list[Value]:
    h, key = call.path, id(call.layer)
    if len(xs) not in (2, 3):
        raise ModelDocError.of("ONNX_UNSUPPORTED", call.pointer, f"{call.layer.type} takes [query, value] or "
                               "[query, value, key]")
    dtype = compute_dtype(p.dtype, xs)
    q, v = b.cast(xs[0], dtype, h), b.cast(xs[1], dtype, h)
    k = b.cast(xs[2], dtype, h) if len(xs) == 3 else v
    scale = b.const(p.weights["scale"], f"{h}/scale", key=(key, "scale")) if "scale" in p.weights else None
    if p.additive or p.concat:  # sums over (batch, Tq, 1, dim) + (batch, 1, Tv, dim)
        summed = b.op("Add", [b.unsqueeze(q.name, [2], h), b.unsqueeze(k.name, [1], h)], h)
        if p.additive:
            t = b.op("Tanh", [summed], h)
            terms = b.op("Mul", [scale, t], h) if scale else t
        else:
            terms = b.op("Tanh", [b.op("Mul", [scale, summed], h) if scale else summed], h)
        scores = b.reduce("ReduceSum", terms, [-1], False, h)
        if p.concat:
            weight = b.const(p.weights["concat_score_weight"], f"{h}/concat_score_weight", key=(key, "concat"))
            scores = b.op("Mul", [weight, scores], h)
    else:
        scores = b.op("MatMul", [q.name, b.transpose(k.name, [0, 2, 1], h)], h)
        if scale:
            scores = b.op("Mul", [scores, scale], h)
    masks = b.extras.mask if isinstance(b.extras.mask, list) else [None, None]
    q_mask, v_mask = masks[0], masks[1] if len(masks) > 1 else None
    allowed = None if v_mask is None else b.unsqueeze(as_bool(b, v_mask, h).name, [1], h)  # (batch, 1, Tv)
    if b.extras.flags.get("use_causal_mask"):
        c = causal(b, q, k, h)
        allowed = c if allowed is None else b.op("And", [allowed, c], h)
    if allowed is not None:  # Keras: where not allowed, the score minus 1e9 (in the layer's dtype)
        lowered = b.op("Sub", [scores, b.scalar(1e9, dtype, h)], h)
        scores = b.op("Where", [allowed, scores, lowered], h)
    y = b.op("MatMul", [b.op("Softmax", [scores], h, axis=-1), v.name], h)
    if q_mask is not None:
        keep = b.unsqueeze(as_bool(b, q_mask, h).name, [-1], h)
        y = b.op("Where", [keep, y, b.scalar(0.0, dtype, h)], h)
    return [Value(y, dtype, 3)]


@dataclass(frozen=True)
class _Group:
    groups: int
    axis: int
    epsilon: float
    gamma: np.ndarray | None
    beta: np.ndarray | None
    dtype: np.dtype[Any] | None


def _parse_group(cfg: Config) -> _Group:
    groups = cfg.integer("groups", 32, minimum=-(2**31))
    axis = cfg.integer("axis", -1, minimum=-(2**31))
    if axis == 0:
        cfg.reject("axis", "GroupNormalization over the batch axis is not defined")
    if groups < 1:
        cfg.reject("groups", f"groups={groups} is not positive")
        groups = 1
    cfg.flag("scale", True)
    cfg.flag("center", True)
    w = cfg.catalogue_weights()
    if any(a.ndim != 1 or a.shape[0] % groups for a in w.values()):
        cfg.reject_at("/weights", f"GroupNormalization weights must be vectors of the channel count, "
                      f"a multiple of groups={groups}")
        raise Unsupported
    return _Group(groups, axis, cfg.number("epsilon", 1e-3), w.get("gamma"), w.get("beta"), cfg.float_weights(w))


def _emit_group(b: Builder, p: _Group, xs: list[Value], call: Call) -> list[Value]:
    h, key = call.path, id(call.layer)
    x0 = b.cast(xs[0], compute_dtype(p.dtype, xs), h)
    x = b.cast(x0, np.dtype("float32"), h) if x0.dtype.itemsize < 4 else x0  # Keras: at least float32
    if x.rank is None or not -x.rank <= p.axis < x.rank or p.axis % x.rank == 0:
        raise ModelDocError.of("ONNX_UNSUPPORTED", f"{call.pointer}/config/axis", f"GroupNormalization axis "
                               f"{p.axis} does not fit an input of rank {x.rank}")
    a = p.axis % x.rank
    shape = b.op("Shape", [x.name], h)
    before = b.op("Slice", [shape, b.ints([0], h), b.ints([a], h)], h)
    after = b.op("Slice", [shape, b.ints([a + 1], h), b.ints([x.rank], h)], h)
    grouped_shape = b.op("Concat", [before, b.ints([p.groups, -1], h), after], h, axis=0)
    g = b.op("Reshape", [x.name, grouped_shape], h)  # (batch, ..., groups, channels per group, ...)
    axes = [i for i in range(1, x.rank + 1) if i != a]
    mean = b.reduce("ReduceMean", g, axes, True, h)
    diff = b.op("Sub", [g, mean], h)
    variance = b.reduce("ReduceMean", b.op("Mul", [diff, diff], h), axes, True, h)
    inv = b.op("Reciprocal", [b.op("Sqrt", [b.op("Add", [variance, b.scalar(p.epsilon, x.dtype, h)], h)], h)], h)
    trailing = [1] * (x.rank - 1 - a)

    def grouped(w: np.ndarray, role: str) -> str:
        shaped = w.astype(x.dtype).reshape([p.groups, -1, *trailing])
        return b.const(shaped, f"{h}/{role}", key=(key, role, a, x.dtype.str))

    if p.gamma is not None:
        inv = b.op("Mul", [inv, grouped(p.gamma, "gamma")], h)
    shift = b.op("Mul", [b.op("Neg", [mean], h), inv], h)
    if p.beta is not None:
        shift = b.op("Add", [shift, grouped(p.beta, "beta")], h)
    y = b.op("Reshape", [b.op("Add", [b.op("Mul", [g, inv], h), shift], h), shape], h)
    return [b.cast(Value(y, x.dtype, x.rank), x0.dtype, h)]


OPS: dict[str, Op] = {
    "MultiHeadAttention": Op(_parse_mha, _emit_mha, "MatMul, Add, Reshape, Transpose, MatMul, Mul, Where, Softmax, "
                             "MatMul, Transpose, Reshape, MatMul, Add"),
    "Attention": Op(_parse_attention, _emit_attention, "MatMul (dot) or Add, Mul, Tanh, ReduceSum (concat); Where, "
                    "Softmax, MatMul, Where"),
    "AdditiveAttention": Op(_parse_attention, _emit_attention, "Add, Tanh, Mul, ReduceSum, Where, Softmax, MatMul, "
                            "Where"),
    "GroupNormalization": Op(_parse_group, _emit_group, "Reshape, ReduceMean, Sub, Mul, Sqrt, Reciprocal, Neg, "
                             "Add, Reshape"),
}
