"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate.

Keras adds its inputs pairwise in order (and divides by the count for
Average); the same order is kept so float rounding matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ModelDocError
from ..flatgraph import Call
from ._builder import Builder, Value
from ._config import FLOATS, Config, Op, compute_dtype


@dataclass(frozen=True)
class _Merge:
    op: str
    axis: int
    dtype: np.dtype[Any] | None


_PAIRWISE = {"Add": "Add", "Subtract": "Sub", "Multiply": "Mul", "Average": "Add", "Maximum": "Max",
             "Minimum": "Min"}


def _parse(cfg: Config) -> _Merge:
    axis = cfg.integer("axis", -1, minimum=-(2**31)) if cfg.type == "Concatenate" else 0
    return _Merge(cfg.type, axis, cfg.float_weights({}))


def _emit(b: Builder, p: _Merge, xs: list[Value], call: Call) -> list[Value]:
    h = call.path
    if (p.op == "Subtract" and len(xs) != 2) or not xs:
        raise ModelDocError.of("ONNX_UNSUPPORTED", call.pointer, f"{p.op} called on {len(xs)} inputs")
    # Keras casts float inputs to the layer's policy; ONNX wants one dtype, so any remaining mix is cast too.
    vs = [b.cast(x, p.dtype, h) if p.dtype is not None and x.dtype.name in FLOATS else x for x in xs]
    dtype = vs[0].dtype if len({v.dtype for v in vs}) == 1 else compute_dtype(p.dtype, vs)
    names = [b.cast(v, dtype, h).name for v in vs]
    rank = max((x.rank for x in xs if x.rank is not None), default=None)
    if p.op == "Concatenate":
        return [Value(b.op("Concat", names, h, axis=p.axis), dtype, rank)]
    y = names[0]
    for other in names[1:]:
        y = b.op(_PAIRWISE[p.op], [y, other], h)
    if p.op == "Average":
        y = b.op("Div", [y, b.scalar(len(names), dtype, h)], h)
    return [Value(y, dtype, rank)]


OPS = {
    "Add": Op(_parse, _emit, "Add"),
    "Subtract": Op(_parse, _emit, "Sub"),
    "Multiply": Op(_parse, _emit, "Mul"),
    "Average": Op(_parse, _emit, "Add, Div"),
    "Maximum": Op(_parse, _emit, "Max"),
    "Minimum": Op(_parse, _emit, "Min"),
    "Concatenate": Op(_parse, _emit, "Concat"),
}
