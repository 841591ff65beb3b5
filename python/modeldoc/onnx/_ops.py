"""Keras operations recorded in Functional graphs (``x + 3.0``, ``keras.ops.mean``), spec.md 15.15.

Which operation types are in the profile, and how a call's ``arguments`` give the operands (references
to the node's inputs and constants, which are data), is the evaluator's reading of the spec, reused here so
that the two cannot disagree. An operation has no dtype policy: its tensor operands share one float dtype,
each constant becomes an initializer rounded to that dtype, and the result stays in it. Concatenate and
Reshape only move values, in any one dtype.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..evaluator._ops import BINARY, OP_TYPES, UNARY, call_problem, operands
from ..flatgraph import Call
from ._activations import ACTIVATIONS, apply
from ._builder import Builder, Value
from ._config import FLOATS, Config, Op
from ._preprocess import unfit

_ONNX_BINARY = {"Add": "Add", "Subtract": "Sub", "Multiply": "Mul", "TrueDivide": "Div", "Divide": "Div",
                "Maximum": "Max", "Minimum": "Min"}


def operation_problem(layer_type: str, arguments: dict[str, Any], n_inputs: int) -> str | None:
    """Why a call of the operation ``layer_type`` is outside spec.md 15.15 (its operands, their count), or
    None; for the support check, before anything is built."""
    return call_problem(layer_type, arguments, n_inputs, 1)


@dataclass(frozen=True)
class _Operation:
    kind: str  # the class name: "Add", "Relu6", "Mean", ...
    approximate: bool = False  # Gelu
    axes: tuple[int, ...] | None = None  # Mean; None: every axis
    keepdims: bool = False
    axis: int = 0  # Concatenate
    shape: tuple[int, ...] = ()  # Reshape


def _operands(b: Builder, xs: list[Value], call: Call) -> tuple[list[str], Value]:
    """The operand names in order, constants made initializers in the tensors' one float dtype, and the
    result's dtype and rank as a Value without a name."""
    items, problem = operands(call.arguments, len(xs))
    if problem:  # the support check reported it already; kept so that a build cannot go on without operands
        raise unfit(call, problem)
    dtypes = {x.dtype for x in xs}
    if len(dtypes) != 1 or next(iter(dtypes)).name not in FLOATS:
        raise unfit(call, f"takes tensors of one float dtype, got {sorted(x.dtype.name for x in xs)}")
    dtype = xs[0].dtype
    names = [xs[v].name if is_ref else b.const(np.array(v, np.float64).astype(dtype), f"{call.path}/constant")
             for is_ref, v in items]
    ranks = [x.rank for x in xs] + [np.ndim(v) for is_ref, v in items if not is_ref]
    rank = None if any(r is None for r in ranks) else max(r for r in ranks if r is not None)
    return names, Value("", dtype, rank)


def _gelu_tanh(b: Builder, x: Value, h: str) -> str:
    # keras.ops.gelu(approximate=True): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), in that order.
    def c(v: float) -> str:
        return b.scalar(v, x.dtype, h)

    cube = b.op("Mul", [b.op("Mul", [x.name, x.name], h), x.name], h)
    inner = b.op("Add", [x.name, b.op("Mul", [c(0.044715), cube], h)], h)
    t = b.op("Tanh", [b.op("Mul", [c(math.sqrt(2 / math.pi)), inner], h)], h)
    return b.op("Mul", [b.op("Mul", [c(0.5), x.name], h), b.op("Add", [c(1.0), t], h)], h)


def _parse(cfg: Config) -> _Operation:
    kind = cfg.type.rsplit(".", 1)[1]
    if cfg.type == "ops.nn.Gelu":
        return _Operation(kind, approximate=cfg.flag("approximate", True))  # keras.ops.gelu's default
    if cfg.type == "ops.numpy.Mean":
        raw = cfg.layer.config.get("axis")
        axes = None if raw is None else raw if isinstance(raw, list) else [raw]
        if axes is not None and (len(set(axes)) != len(axes)
                                 or any(isinstance(a, bool) or not isinstance(a, int) for a in axes)):
            cfg.reject("axis", f"axis={raw!r} is not null, an integer or a list of distinct integers")
            axes = None
        return _Operation(kind, axes=None if axes is None else tuple(axes), keepdims=cfg.flag("keepdims", False))
    if cfg.type == "ops.numpy.Concatenate":
        # keras.ops.concatenate's default axis is 0; a negative axis counts from the end.
        return _Operation(kind, axis=cfg.integer("axis", 0, minimum=-(2**31)))
    if cfg.type == "ops.numpy.Reshape":
        shape = cfg.get("newshape")
        if (not isinstance(shape, list) or sum(1 for d in shape if d == -1) > 1
                or any(isinstance(d, bool) or not isinstance(d, int) or d < -1 for d in shape)
                or (0 in shape and -1 in shape)):
            cfg.reject("newshape", f"newshape={shape!r} is not a list of integers >= 0 with at most one -1 "
                       "(and no -1 beside a 0)")
            shape = [-1]
        return _Operation(kind, shape=tuple(shape))
    return _Operation(kind)


def _emit(b: Builder, p: _Operation, xs: list[Value], call: Call) -> list[Value]:
    h = call.path
    t = call.layer.type
    if t == "ops.numpy.Concatenate":
        if len({x.dtype for x in xs}) != 1:
            raise unfit(call, f"joins values of different dtypes {sorted(x.dtype.name for x in xs)}")
        return [Value(b.op("Concat", [x.name for x in xs], h, axis=p.axis), xs[0].dtype, xs[0].rank)]
    if t == "ops.numpy.Reshape":
        # allowzero: a 0 in newshape is a size 0, as in NumPy (ONNX would copy the input's size).
        attrs = {"allowzero": 1} if 0 in p.shape else {}
        return [Value(b.op("Reshape", [xs[0].name, b.ints(p.shape, h)], h, **attrs), xs[0].dtype, len(p.shape))]
    names, result = _operands(b, xs, call)
    if t in BINARY:
        return [Value(b.op(_ONNX_BINARY[p.kind], names, h), result.dtype, result.rank)]
    x = Value(names[0], result.dtype, result.rank)
    if t in UNARY:
        return [apply(b, x, UNARY[t], h)]
    if t == "ops.nn.Gelu":
        return [Value(_gelu_tanh(b, x, h), x.dtype, x.rank) if p.approximate else apply(b, x, "gelu", h)]
    assert t == "ops.numpy.Mean", t
    if p.axes is None:
        axes = None
    elif x.rank is None:
        raise unfit(call, "the rank of the input is not known, so the axes cannot be checked")
    elif any(not -x.rank <= a < x.rank for a in p.axes):
        raise unfit(call, f"axis {list(p.axes)} is outside an input of rank {x.rank}")
    else:
        axes = sorted({a % x.rank for a in p.axes})
    if axes is None:  # every axis: ReduceMean with no axes
        y = b.op("ReduceMean", [x.name], h, keepdims=int(p.keepdims))
    else:
        y = b.reduce("ReduceMean", x.name, axes, p.keepdims, h)
    rank = x.rank if p.keepdims or x.rank is None else x.rank - (x.rank if axes is None else len(axes))
    return [Value(y, x.dtype, rank)]


def _onnx_ops(t: str) -> str:
    if t in BINARY:
        return _ONNX_BINARY[t.rsplit(".", 1)[1]]
    if t in UNARY:
        return ACTIVATIONS[UNARY[t]][0]
    return {"ops.nn.Gelu": "approximate: Tanh form; else as the gelu activation", "ops.numpy.Mean": "ReduceMean",
            "ops.numpy.Concatenate": "Concat", "ops.numpy.Reshape": "Reshape"}[t]


OPS: dict[str, Op] = {t: Op(_parse, _emit, _onnx_ops(t)) for t in OP_TYPES}
