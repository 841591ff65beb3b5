"""Layers that move data without arithmetic, and the inference-time identities.

Flatten, Reshape, Permute, RepeatVector, ZeroPadding1D/2D/3D, Cropping1D/2D/3D,
UpSampling1D/2D/3D (nearest), and Dropout-like layers, which are identities at
inference. Keras never includes the batch axis in these configs; the ONNX
shapes and permutations put it back as axis 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ModelDocError
from ..flatgraph import Call
from ._builder import Builder, Value
from ._config import FLOATS, Config, Op
from ._conv import spatial_rank

INT64_MAX = np.iinfo(np.int64).max


def _autocast(b: Builder, x: Value, dtype: np.dtype[Any] | None, h: str) -> Value:
    """What Keras' dtype policy does to an input: float inputs are cast to the compute dtype."""
    return b.cast(x, dtype, h) if dtype is not None and x.dtype.name in FLOATS else x


@dataclass(frozen=True)
class _Plain:
    dtype: np.dtype[Any] | None
    data: Any = None


# --- identities ---------------------------------------------------------------------------------


def _parse_identity(cfg: Config) -> _Plain:
    return _Plain(cfg.float_weights({}))


def _emit_identity(b: Builder, p: _Plain, xs: list[Value], call: Call) -> list[Value]:
    return [_autocast(b, xs[0], p.dtype, call.path)]


IDENTITIES = ["InputLayer", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
              "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization", "Identity"]


# --- Flatten, Reshape, Permute, RepeatVector ----------------------------------------------------------


def _parse_flatten(cfg: Config) -> _Plain:
    return _Plain(cfg.float_weights({}), cfg.data_format())


def _emit_flatten(b: Builder, p: _Plain, xs: list[Value], call: Call) -> list[Value]:
    h = call.path
    x = _autocast(b, xs[0], p.dtype, h)
    name = x.name
    if p.data and (x.rank is None or x.rank > 2):  # Keras moves channels last before flattening
        if x.rank is None:
            raise _error(call, "Flatten with channels_first needs the input's rank")
        name = b.transpose(name, [0, *range(2, x.rank), 1], h)
    return [Value(b.op("Flatten", [name], h, axis=1), x.dtype, 2)]


def _parse_reshape(cfg: Config) -> _Plain:
    target = cfg.get("target_shape")
    if (not isinstance(target, list) or not all(isinstance(d, int) and not isinstance(d, bool) for d in target)
            or sum(d == -1 for d in target) > 1 or any(d == 0 or d < -1 for d in target)):
        cfg.reject("target_shape", f"target_shape={target!r} is not a list of positive sizes with at most one -1")
        target = [-1]
    return _Plain(cfg.float_weights({}), tuple(target))


def _emit_reshape(b: Builder, p: _Plain, xs: list[Value], call: Call) -> list[Value]:
    h = call.path
    x = _autocast(b, xs[0], p.dtype, h)
    shape = b.ints([0, *p.data], h)  # 0: keep the batch size of the input
    return [Value(b.op("Reshape", [x.name, shape], h), x.dtype, len(p.data) + 1)]


def _parse_permute(cfg: Config) -> _Plain:
    dims = cfg.get("dims")
    if (not isinstance(dims, list) or not all(isinstance(d, int) and not isinstance(d, bool) for d in dims)
            or sorted(dims) != list(range(1, len(dims) + 1))):
        cfg.reject("dims", f"dims={dims!r} is not a permutation of 1..n")
        dims = [1]
    return _Plain(cfg.float_weights({}), tuple(dims))


def _emit_permute(b: Builder, p: _Plain, xs: list[Value], call: Call) -> list[Value]:
    x = _autocast(b, xs[0], p.dtype, call.path)
    return [Value(b.transpose(x.name, [0, *p.data], call.path), x.dtype, len(p.data) + 1)]


def _parse_repeat(cfg: Config) -> _Plain:
    n = cfg.integer("n", 1, minimum=1)
    if n < 1:
        cfg.reject("n", f"n={n} is not a positive count")
    return _Plain(cfg.float_weights({}), n)


def _emit_repeat(b: Builder, p: _Plain, xs: list[Value], call: Call) -> list[Value]:
    h = call.path
    x = _autocast(b, xs[0], p.dtype, h)
    y = b.op("Tile", [b.unsqueeze(x.name, [1], h), b.ints([1, p.data, 1], h)], h)
    return [Value(y, x.dtype, 3)]


# --- ZeroPadding, Cropping, UpSampling --------------------------------------------------------------


def _pairs(cfg: Config, key: str, n: int, default: int) -> tuple[tuple[int, int], ...]:
    """Keras' padding/cropping forms: an int, one int per axis (both sides), or a (begin, end) pair per axis."""
    value = cfg.get(key, default)

    def is_int(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0

    if is_int(value):
        return ((value, value),) * n
    if isinstance(value, list) and n == 1 and len(value) == 2 and all(map(is_int, value)):
        return ((value[0], value[1]),)
    if isinstance(value, list) and len(value) == n:
        if all(map(is_int, value)):
            return tuple((v, v) for v in value)
        if all(isinstance(v, list) and len(v) == 2 and all(map(is_int, v)) for v in value):
            return tuple((v[0], v[1]) for v in value)
    cfg.reject(key, f"{key}={value!r} is not a non-negative int, {n} ints or {n} pairs of ints")
    return ((0, 0),) * n


@dataclass(frozen=True)
class _Spatial:
    n: int
    amounts: tuple[tuple[int, int], ...]
    channels_first: bool
    dtype: np.dtype[Any] | None


def _first_spatial(p: _Spatial) -> int:
    return 2 if p.channels_first else 1


def _parse_padding(cfg: Config) -> _Spatial:
    n = spatial_rank(cfg.type)
    return _Spatial(n, _pairs(cfg, "padding", n, 1), cfg.data_format(), cfg.float_weights({}))


def _emit_padding(b: Builder, p: _Spatial, xs: list[Value], call: Call) -> list[Value]:
    h = call.path
    x = _autocast(b, xs[0], p.dtype, h)
    begin, end = [0] * (p.n + 2), [0] * (p.n + 2)
    for i, (lo, hi) in enumerate(p.amounts):
        begin[_first_spatial(p) + i], end[_first_spatial(p) + i] = lo, hi
    return [Value(b.op("Pad", [x.name, b.ints(begin + end, h)], h, mode="constant"), x.dtype, x.rank)]


def _parse_cropping(cfg: Config) -> _Spatial:
    n = spatial_rank(cfg.type)
    return _Spatial(n, _pairs(cfg, "cropping", n, 1), cfg.data_format(), cfg.float_weights({}))


def _emit_cropping(b: Builder, p: _Spatial, xs: list[Value], call: Call) -> list[Value]:
    h = call.path
    x = _autocast(b, xs[0], p.dtype, h)
    starts = [lo for lo, _ in p.amounts]
    ends = [-hi if hi else INT64_MAX for _, hi in p.amounts]
    axes = [_first_spatial(p) + i for i in range(p.n)]
    y = b.op("Slice", [x.name, b.ints(starts, h), b.ints(ends, h), b.ints(axes, h)], h)
    return [Value(y, x.dtype, x.rank)]


def _parse_upsampling(cfg: Config) -> _Spatial:
    n = spatial_rank(cfg.type)
    size = tuple(cfg.ints("size", 2, n))
    if n == 2:
        cfg.choice("interpolation", "nearest", ("nearest",), fold_case=True)
    if any(s < 1 for s in size):
        cfg.reject("size", f"size={list(size)} is not a list of positive factors")
    return _Spatial(n, tuple((s, s) for s in size), cfg.data_format(), cfg.float_weights({}))


def _emit_upsampling(b: Builder, p: _Spatial, xs: list[Value], call: Call) -> list[Value]:
    # Nearest with integer factors repeats each pixel: asymmetric coordinates with floor rounding.
    h = call.path
    x = _autocast(b, xs[0], p.dtype, h)
    scales = [1.0] * (p.n + 2)
    for i, (s, _) in enumerate(p.amounts):
        scales[_first_spatial(p) + i] = float(s)
    scale_name = b.const(np.asarray(scales, np.float32), f"{h}/scales", key=("scales", tuple(scales)))
    y = b.op("Resize", [x.name, "", scale_name], h, mode="nearest",
             coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    return [Value(y, x.dtype, x.rank)]


def _error(call: Call, message: str) -> Exception:
    return ModelDocError.of("ONNX_UNSUPPORTED", call.pointer, f"{call.layer.type}: {message}")


OPS: dict[str, Op] = {t: Op(_parse_identity, _emit_identity, "(none: identity at inference)") for t in IDENTITIES}
OPS.update({
    "Flatten": Op(_parse_flatten, _emit_flatten, "Flatten(axis=1) (Transpose first for channels_first)"),
    "Reshape": Op(_parse_reshape, _emit_reshape, "Reshape([0, *target_shape])"),
    "Permute": Op(_parse_permute, _emit_permute, "Transpose([0, *dims])"),
    "RepeatVector": Op(_parse_repeat, _emit_repeat, "Unsqueeze, Tile"),
})
for _d in ("1D", "2D", "3D"):
    OPS[f"ZeroPadding{_d}"] = Op(_parse_padding, _emit_padding, "Pad(constant 0)")
    OPS[f"Cropping{_d}"] = Op(_parse_cropping, _emit_cropping, "Slice")
    OPS[f"UpSampling{_d}"] = Op(_parse_upsampling, _emit_upsampling, "Resize(nearest, asymmetric, floor)")
