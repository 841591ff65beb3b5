"""Preprocessing and scale layers of keras.applications models (spec.md 15.15): Rescaling, Normalization,
CenterCrop, Resizing, LayerScale, CustomScaleLayer.

Constants from the config (Rescaling's scale and offset, Normalization's mean and variance) become
initializers rounded to the layer's dtype, as Keras casts them. Normalization's divisor
max(sqrt(variance), 1e-7) is folded at export in that dtype (a correctly rounded square root, as the
backend's). CenterCrop and Resizing are exported only where they are exact (spec.md 15.15): they need the
input's height and width, which ONNX shape inference gives when the document's input has fixed sizes, and
become a Slice (the crop) or a Gather of the rows and columns Keras takes (the nearest resize by a whole
factor), so no interpolation rule of ONNX Resize is involved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ModelDocError
from ..evaluator._ops import is_constant
from ..flatgraph import Call
from ._builder import Builder, Value
from ._config import FLOATS, Config, Op, Unsupported, compute_dtype

# Keras' backend.epsilon(): Normalization divides by max(sqrt(variance), EPSILON).
EPSILON = 1e-7

# Interpolations whose resize to the input's own size returns the input unchanged (spec.md 15.15).
SAME_SIZE_EXACT = ("bilinear", "nearest", "bicubic", "area")


def _constant(cfg: Config, key: str, default: Any) -> np.ndarray:
    """A member that is a number or a rectangular nested list of numbers (spec.md 15.15), as float64."""
    value = cfg.get(key, default)
    if not is_constant(value):
        cfg.reject(key, f"{key}={value!r} is not a number or a rectangular list of numbers")
        return np.zeros(())
    return np.array(value, dtype=np.float64)


def unfit(call: Call, message: str) -> Exception:
    """A value the layer cannot take (found while building): ONNX_UNSUPPORTED at the layer."""
    return ModelDocError.of("ONNX_UNSUPPORTED", call.pointer, f"{call.layer.type} {call.path!r}: {message}")


# --- Rescaling ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rescaling:
    scale: np.ndarray
    offset: np.ndarray
    dtype: np.dtype[Any] | None


def _parse_rescaling(cfg: Config) -> _Rescaling:
    if not cfg.has("scale"):
        cfg.reject("scale", "Rescaling needs scale")
    return _Rescaling(_constant(cfg, "scale", 1.0), _constant(cfg, "offset", 0.0), cfg.float_weights({}))


def _emit_rescaling(b: Builder, p: _Rescaling, xs: list[Value], call: Call) -> list[Value]:
    h = call.path
    x = b.cast(xs[0], compute_dtype(p.dtype, xs), h)  # Keras casts the input, integers too
    for what, c in (("scale", p.scale), ("offset", p.offset)):
        if x.rank is not None and c.ndim > x.rank:
            raise unfit(call, f"{what} of rank {c.ndim} does not broadcast to an input of rank {x.rank}")
    scale = b.const(p.scale.astype(x.dtype), f"{h}/scale", key=(id(call.layer), "scale", x.dtype.str))
    offset = b.const(p.offset.astype(x.dtype), f"{h}/offset", key=(id(call.layer), "offset", x.dtype.str))
    return [Value(b.op("Add", [b.op("Mul", [x.name, scale], h), offset], h), x.dtype, x.rank)]


# --- Normalization ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Normalization:
    axes: tuple[int, ...]
    invert: bool
    mean: np.ndarray | None  # constants from the config; None: the weights
    variance: np.ndarray | None
    weights: dict[str, np.ndarray]
    dtype: np.dtype[Any] | None


def _parse_normalization(cfg: Config) -> _Normalization:
    raw = cfg.layer.config.get("axis", -1)
    axes = [] if raw is None else raw if isinstance(raw, list) else [raw]
    if len(set(axes)) != len(axes) or any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
        cfg.reject("axis", f"axis={raw!r} is not null, an integer or a list of distinct integers")
        axes = [-1]
    invert = cfg.flag("invert", False)
    if cfg.has("mean") or cfg.has("variance"):
        mean, variance = _constant(cfg, "mean", None), _constant(cfg, "variance", None)
        if mean.shape != variance.shape:
            cfg.reject("variance", f"variance has shape {list(variance.shape)}, mean {list(mean.shape)}")
        if mean.ndim > len(axes):
            cfg.reject("mean", f"mean of rank {mean.ndim} has more axes than the {len(axes)} kept axes")
        return _Normalization(tuple(axes), invert, mean, variance, {}, cfg.float_weights({}))
    w = cfg.weights(["mean", "variance", "count"])
    stats = {k: w[k] for k in ("mean", "variance")}  # count (any dtype) is not read
    if w["mean"].shape != w["variance"].shape or w["mean"].ndim != len(axes):
        cfg.reject_at("/weights", f"Normalization mean {list(w['mean'].shape)} and variance "
                      f"{list(w['variance'].shape)} must have one size per kept axis {axes}")
        raise Unsupported
    return _Normalization(tuple(axes), invert, None, None, stats, cfg.float_weights(stats))


def _placed(c: np.ndarray, kept: list[int], rank: int) -> np.ndarray:
    """``c`` reshaped to broadcast against the input: its axes on the last kept axes (all of them for the
    weights, which have one size per kept axis), 1 elsewhere."""
    at = [1] * rank
    for size, a in zip(c.shape[::-1], kept[::-1]):
        at[a] = size
    return c.reshape(at)


def _emit_normalization(b: Builder, p: _Normalization, xs: list[Value], call: Call) -> list[Value]:
    h = call.path
    x = b.cast(xs[0], compute_dtype(p.dtype, xs), h)
    if x.rank is None:
        raise unfit(call, "the rank of the input is not known, so the kept axes cannot be placed")
    if any(not -x.rank <= a < x.rank for a in p.axes):
        raise unfit(call, f"axis {list(p.axes)} is outside an input of rank {x.rank}")
    kept = sorted({a % x.rank for a in p.axes})
    if p.mean is not None and p.variance is not None:
        mean, variance = p.mean, p.variance
    else:
        mean, variance = p.weights["mean"], p.weights["variance"]
    mean = _placed(mean, kept, x.rank).astype(x.dtype)
    variance = _placed(variance, kept, x.rank).astype(x.dtype)
    spread = np.maximum(np.sqrt(variance), np.asarray(EPSILON, x.dtype)).astype(x.dtype)
    key = id(call.layer)
    m = b.const(mean, f"{h}/mean", key=(key, "mean", x.dtype.str, x.rank))
    s = b.const(spread, f"{h}/spread", key=(key, "spread", x.dtype.str, x.rank))
    if p.invert:
        y = b.op("Add", [m, b.op("Mul", [x.name, s], h)], h)
    else:
        y = b.op("Div", [b.op("Sub", [x.name, m], h), s], h)
    return [Value(y, x.dtype, x.rank)]


# --- CenterCrop and Resizing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Window:
    height: int
    width: int
    interpolation: str
    dtype: np.dtype[Any] | None


def _height_width(cfg: Config) -> tuple[int, int]:
    cfg.choice("data_format", "channels_last", ("channels_last",))
    sizes = []
    for key in ("height", "width"):
        if not cfg.has(key):
            cfg.reject(key, f"{cfg.type} needs {key}")
        sizes.append(cfg.integer(key, 1, minimum=1))
    return sizes[0], sizes[1]


def _parse_center_crop(cfg: Config) -> _Window:
    height, width = _height_width(cfg)
    return _Window(height, width, "", cfg.float_weights({}))


def _parse_resizing(cfg: Config) -> _Window:
    height, width = _height_width(cfg)
    interpolation = cfg.choice("interpolation", "bilinear", SAME_SIZE_EXACT)
    for key in ("crop_to_aspect_ratio", "pad_to_aspect_ratio", "antialias"):
        cfg.must_be(key, (False, None), "only false is exact (spec.md 15.15)")
    return _Window(height, width, interpolation, cfg.float_weights({}))


def _spatial_sizes(b: Builder, x: Value, call: Call) -> tuple[int, int]:
    shape = b.static_shape(x.name)
    if x.rank != 4 or shape is None or len(shape) != 4:
        raise unfit(call, f"takes (batch, height, width, channels), got rank {x.rank}")
    if shape[1] is None or shape[2] is None:
        raise unfit(call, "needs the input's height and width, which are not fixed in the document's input")
    return shape[1], shape[2]


def _emit_center_crop(b: Builder, p: _Window, xs: list[Value], call: Call) -> list[Value]:
    h = call.path
    x = b.cast(xs[0], compute_dtype(p.dtype, xs), h)  # Keras casts to the layer's dtype, integers too
    rows, cols = _spatial_sizes(b, x, call)
    if p.height > rows or p.width > cols:
        raise unfit(call, f"height={p.height}, width={p.width}: a crop larger than the input {rows}x{cols} "
                    "(Keras resizes then, which is not exact)")
    top, left = (rows - p.height) // 2, (cols - p.width) // 2
    y = b.op("Slice", [x.name, b.ints([top, left], h), b.ints([top + p.height, left + p.width], h),
                       b.ints([1, 2], h)], h)
    return [Value(y, x.dtype, x.rank)]


def _positions(n: int, out: int, interpolation: str) -> np.ndarray | None:
    """The input positions an exact resize of n positions to ``out`` reads, in order (None: not exact)."""
    if out == n:
        return np.arange(n)
    if interpolation == "nearest" and out % n == 0:
        return np.repeat(np.arange(n), out // n)  # each position k times
    if interpolation == "nearest" and n % out == 0:
        k = n // out
        return np.arange(out) * k + k // 2  # the middle (rounded up) of each block of k
    return None


def _emit_resizing(b: Builder, p: _Window, xs: list[Value], call: Call) -> list[Value]:
    h = call.path
    x = xs[0]
    if p.dtype is not None and x.dtype.name in FLOATS:  # integers and bools keep their dtype
        x = b.cast(x, p.dtype, h)
    sizes = _spatial_sizes(b, x, call)
    y = x.name
    for axis, (n, out, key) in enumerate(zip(sizes, (p.height, p.width), ("height", "width")), start=1):
        positions = _positions(n, out, p.interpolation)
        if positions is None:
            raise ModelDocError.of("ONNX_UNSUPPORTED", f"{call.pointer}/config/{key}",
                                   f"Resizing {call.path!r}: interpolation={p.interpolation!r} from {n} to "
                                   f"{out} positions is not exact (only the same size, or 'nearest' by a whole "
                                   "factor)")
        if out != n:
            y = b.op("Gather", [y, b.ints(positions.tolist(), h)], h, axis=axis)
    return [Value(y, x.dtype, x.rank)]


# --- LayerScale and CustomScaleLayer ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scale:
    gamma: np.ndarray | None
    scale: float
    dtype: np.dtype[Any] | None


def _parse_layer_scale(cfg: Config) -> _Scale:
    # init_values and projection_dim only set up the weight; the weight is what counts.
    w = cfg.weights(["gamma"])
    if w["gamma"].ndim != 1:
        cfg.reject_at("/weights", f"LayerScale gamma has shape {list(w['gamma'].shape)}, not (in,)")
        raise Unsupported
    return _Scale(w["gamma"], 1.0, cfg.float_weights(w))


def _emit_layer_scale(b: Builder, p: _Scale, xs: list[Value], call: Call) -> list[Value]:
    assert p.gamma is not None
    x = b.cast(xs[0], compute_dtype(p.dtype, xs), call.path)
    gamma = b.const(p.gamma, f"{call.path}/gamma", key=(id(call.layer), "gamma"))
    return [Value(b.op("Mul", [x.name, gamma], call.path), x.dtype, x.rank)]


def _parse_custom_scale(cfg: Config) -> _Scale:
    if not cfg.has("scale"):
        cfg.reject("scale", "CustomScaleLayer needs scale")
    return _Scale(None, cfg.number("scale", 1.0), cfg.float_weights({}))


def _emit_custom_scale(b: Builder, p: _Scale, xs: list[Value], call: Call) -> list[Value]:
    h = call.path
    if len(xs) != 2:
        raise unfit(call, f"takes two inputs, the call passes {len(xs)}")
    dtype = compute_dtype(p.dtype, xs)
    a, c = (b.cast(x, dtype, h) for x in xs)
    # Keras: inputs[0] + inputs[1] * scale, the Python float taking the layer's dtype.
    scaled = b.op("Mul", [c.name, b.scalar(p.scale, dtype, h)], h)
    return [Value(b.op("Add", [a.name, scaled], h), dtype, a.rank)]


OPS: dict[str, Op] = {
    "Rescaling": Op(_parse_rescaling, _emit_rescaling, "Mul, Add (scale and offset as constants)"),
    "Normalization": Op(_parse_normalization, _emit_normalization,
                        "Sub, Div (invert: Mul, Add) by max(sqrt(variance), 1e-7), folded at export"),
    "CenterCrop": Op(_parse_center_crop, _emit_center_crop, "Slice"),
    "Resizing": Op(_parse_resizing, _emit_resizing, "Gather of the rows and columns read (nearest by a whole "
                   "factor), nothing for the same size"),
    "LayerScale": Op(_parse_layer_scale, _emit_layer_scale, "Mul"),
    "CustomScaleLayer": Op(_parse_custom_scale, _emit_custom_scale, "Mul, Add"),
}
