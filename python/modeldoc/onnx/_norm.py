"""BatchNormalization (inference form) and LayerNormalization.

Batch normalization at inference is an affine map per channel; its scale and
shift are folded at export in the weights' own dtype, in the order of
tf.nn.batch_normalization (inv = gamma / sqrt(var + eps), shift = beta -
mean * inv), and broadcast along the configured axis (ONNX BatchNormalization
would need channels at axis 1). Layer normalization follows
keras.ops.layer_normalization: mean and variance over the configured axes,
computed in at least float32, any set of axes, rms_scaling included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ModelDocError
from ..flatgraph import Call
from ._builder import Builder, Value
from ._config import Config, Op, Unsupported, compute_dtype


def _axes(cfg: Config, default: int) -> list[int]:
    axis = cfg.get("axis", default)
    axes = [axis] if isinstance(axis, int) else axis
    if not isinstance(axes, list) or not axes or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
        cfg.reject("axis", f"axis={axis!r} is not an integer or a list of integers")
        return [default]
    return axes


def _normalized(axes: list[int], rank: int | None, call: Call) -> list[int]:
    """Axes as negative numbers (counted from the end), which needs the rank only for positive ones."""
    if all(a < 0 for a in axes):
        return sorted(axes)
    if rank is None:
        raise _build_error(call, "the rank of the input is not known, so a positive axis cannot be placed")
    if any(not -rank <= a < rank or a % rank == 0 for a in axes):
        raise _build_error(call, f"axis {axes} does not fit an input of rank {rank} (or is the batch axis)")
    return sorted(a - rank if a >= 0 else a for a in axes)


def _build_error(call: Call, message: str) -> Exception:
    return ModelDocError.of("ONNX_UNSUPPORTED", f"{call.pointer}/config/axis", f"{call.layer.type}: {message}")


def _broadcast(v: np.ndarray, axes: list[int]) -> np.ndarray:
    """A parameter over ``axes`` (negative, sorted; Keras gives it the shape of those axes) shaped to
    broadcast against the input from the right: 1 on the axes in between."""
    if v.ndim != len(axes):
        return v
    shape = [1] * -axes[0]
    for size, a in zip(v.shape, axes):
        shape[a] = size
    return v.reshape(shape)


@dataclass(frozen=True)
class _Batch:
    axes: list[int]
    epsilon: float
    weights: dict[str, np.ndarray]
    dtype: np.dtype[Any] | None


def _parse_batch(cfg: Config) -> _Batch:
    axes = _axes(cfg, -1)
    if len(axes) != 1:
        cfg.reject("axis", "batch normalization over several axes is not exported")
    epsilon = cfg.number("epsilon", 1e-3)
    cfg.flag("scale", True)  # a value that is not a flag is refused; the catalogue reads the weights from it
    cfg.flag("center", True)
    w = cfg.catalogue_weights()
    if len({a.shape for a in w.values()}) != 1 or w["moving_mean"].ndim != 1:
        cfg.reject_at("/weights", "BatchNormalization weights must all be vectors of the channel count")
        raise Unsupported
    return _Batch(axes, epsilon, w, cfg.float_weights(w))


def _emit_batch(b: Builder, p: _Batch, xs: list[Value], call: Call) -> list[Value]:
    h = call.path
    x = b.cast(xs[0], compute_dtype(p.dtype, xs), h)
    axes = _normalized(p.axes, x.rank, call)
    w = p.weights
    dt = w["moving_mean"].dtype
    inv = (np.asarray(1, dt) / np.sqrt(w["moving_variance"] + np.asarray(p.epsilon, dt))).astype(dt)
    if "gamma" in w:
        inv = (inv * w["gamma"]).astype(dt)
    shift = (-w["moving_mean"] * inv).astype(dt)
    if "beta" in w:
        shift = (shift + w["beta"]).astype(dt)
    scale_name = b.const(_broadcast(inv, axes), f"{h}/scale", key=(id(call.layer), "scale", tuple(axes)))
    shift_name = b.const(_broadcast(shift, axes), f"{h}/shift", key=(id(call.layer), "shift", tuple(axes)))
    y = b.op("Add", [b.op("Mul", [x.name, scale_name], h), shift_name], h)
    return [Value(y, x.dtype, x.rank)]


@dataclass(frozen=True)
class _Layer:
    axes: list[int]
    epsilon: float
    rms_scaling: bool
    weights: dict[str, np.ndarray]
    dtype: np.dtype[Any] | None


def _parse_layer(cfg: Config) -> _Layer:
    axes = _axes(cfg, -1)
    epsilon = cfg.number("epsilon", 1e-3)
    rms = cfg.flag("rms_scaling", False)
    cfg.flag("scale", True)
    cfg.flag("center", True)
    w = cfg.catalogue_weights()  # Keras makes no beta under rms_scaling, whatever center says
    return _Layer(axes, epsilon, rms, w, cfg.float_weights(w))


def _emit_layer(b: Builder, p: _Layer, xs: list[Value], call: Call) -> list[Value]:
    h = call.path
    x0 = b.cast(xs[0], compute_dtype(p.dtype, xs), h)
    # Keras computes in at least float32 and casts the result back.
    x = b.cast(x0, np.dtype("float32"), h) if x0.dtype.itemsize < 4 else x0
    axes = _normalized(p.axes, x.rank, call)
    mean = b.reduce("ReduceMean", x.name, axes, True, h)
    centered = b.op("Sub", [x.name, mean], h)
    variance = b.reduce("ReduceMean", b.op("Mul", [centered, centered], h), axes, True, h)
    inv = b.op("Reciprocal", [b.op("Sqrt", [b.op("Add", [variance, b.scalar(p.epsilon, x.dtype, h)], h)], h)], h)
    key = id(call.layer)
    if "gamma" in p.weights:
        gamma = _broadcast(p.weights["gamma"].astype(x.dtype), axes)
        inv = b.op("Mul", [inv, b.const(gamma, f"{h}/gamma", key=(key, "gamma", tuple(axes)))], h)
    if p.rms_scaling:  # Keras' (deprecated) rms_scaling: x * rsqrt(var + eps) * gamma, no centering, no beta
        y = b.op("Mul", [x.name, inv], h)
    else:
        y = b.op("Mul", [centered, inv], h)
        if "beta" in p.weights:
            beta = _broadcast(p.weights["beta"].astype(x.dtype), axes)
            y = b.op("Add", [y, b.const(beta, f"{h}/beta", key=(key, "beta", tuple(axes)))], h)
    return [b.cast(Value(y, x.dtype, x.rank), x0.dtype, h)]


OPS = {
    "BatchNormalization": Op(_parse_batch, _emit_batch, "Mul, Add (scale and shift folded at export)"),
    "LayerNormalization": Op(_parse_layer, _emit_layer, "ReduceMean, Sub, Mul, Add, Sqrt, Reciprocal"),
}
