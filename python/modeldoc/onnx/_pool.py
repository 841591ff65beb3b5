"""Pooling: Max/AveragePooling1D/2D/3D and their global forms.

Windowed pooling runs channels first (Transpose around MaxPool/AveragePool).
Keras "same" pads the odd pixel at the end (auto_pad SAME_UPPER) and its
average ignores the padding (count_include_pad=0, the ONNX default); "valid" is
auto_pad VALID rather than zero pads, which keeps ONNX Runtime from folding a
ZeroPadding layer's Pad into the pool (wrong for both pools). Global
pooling is a ReduceMax/ReduceMean over the spatial axes, with no transposes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..flatgraph import Call
from ._builder import Builder, Value
from ._config import Config, Op, compute_dtype
from ._conv import spatial_rank, to_channels_first, to_channels_last


@dataclass(frozen=True)
class _Pool:
    op: str
    n: int
    pool_size: tuple[int, ...]
    strides: tuple[int, ...]
    padding: str
    channels_first: bool
    dtype: np.dtype[Any] | None


def _parse(cfg: Config) -> _Pool:
    n = spatial_rank(cfg.type)
    pool_size = tuple(cfg.ints("pool_size", 2, n))
    strides = tuple(cfg.ints("strides", 1, n)) if cfg.has("strides") else pool_size
    padding = cfg.choice("padding", "valid", ("valid", "same"), fold_case=True)
    op = "MaxPool" if cfg.type.startswith("Max") else "AveragePool"
    return _Pool(op, n, pool_size, strides, padding, cfg.data_format(), cfg.float_weights({}))


def _emit(b: Builder, p: _Pool, xs: list[Value], call: Call) -> list[Value]:
    h = call.path
    x = b.cast(xs[0], compute_dtype(p.dtype, xs), h)
    attrs: dict[str, Any] = {"kernel_shape": list(p.pool_size), "strides": list(p.strides)}
    # auto_pad, never explicit pads: ONNX Runtime's PadFusion folds a preceding zero Pad (ZeroPadding)
    # into explicit pads, which MaxPool treats as -inf and AveragePool(count_include_pad=0) leaves out.
    attrs["auto_pad"] = "SAME_UPPER" if p.padding == "same" else "VALID"
    if p.op == "AveragePool":
        attrs["count_include_pad"] = 0
    y = b.op(p.op, [to_channels_first(b, x, p.n, p.channels_first, h)], h, **attrs)
    return [Value(to_channels_last(b, y, p.n, p.channels_first, h), x.dtype, x.rank)]


@dataclass(frozen=True)
class _Global:
    op: str
    n: int
    keepdims: bool
    channels_first: bool
    dtype: np.dtype[Any] | None


def _parse_global(cfg: Config) -> _Global:
    op = "ReduceMax" if cfg.type.startswith("GlobalMax") else "ReduceMean"
    return _Global(op, spatial_rank(cfg.type), cfg.flag("keepdims", False), cfg.data_format(),
                   cfg.float_weights({}))


def _emit_global(b: Builder, p: _Global, xs: list[Value], call: Call) -> list[Value]:
    x = b.cast(xs[0], compute_dtype(p.dtype, xs), call.path)
    first = 2 if p.channels_first else 1
    y = b.reduce(p.op, x.name, list(range(first, first + p.n)), p.keepdims, call.path)
    return [Value(y, x.dtype, p.n + 2 if p.keepdims else 2)]


OPS: dict[str, Op] = {}
for _d in ("1D", "2D", "3D"):
    OPS[f"MaxPooling{_d}"] = Op(_parse, _emit, "Transpose, MaxPool, Transpose")
    OPS[f"AveragePooling{_d}"] = Op(_parse, _emit, "Transpose, AveragePool(count_include_pad=0), Transpose")
    OPS[f"GlobalMaxPooling{_d}"] = Op(_parse_global, _emit_global, "ReduceMax")
    OPS[f"GlobalAveragePooling{_d}"] = Op(_parse_global, _emit_global, "ReduceMean")
