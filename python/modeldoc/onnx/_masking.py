"""The layers that make or read a mask besides the recurrent ones (spec.md 15.12): Masking, the operation
layers a functional Keras model computes its explicit masks with (ops.numpy.NotEqual, ops.numpy.Any), and
GlobalAveragePooling1D, which with a mask averages over the unmasked steps only.

Which values carry a mask is decided by the graph walk (``_masks``); these kernels compute values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ModelDocError
from ..evaluator._masking import ANY, NOT_EQUAL, as_float32
from ..flatgraph import Call
from ._builder import Builder, Value
from ._config import Config, Op, compute_dtype
from ._masks import as_bool, nonzero_steps
from ._pool import OPS as POOL_OPS

_BOOL = np.dtype(bool)
_INT32 = 6  # ONNX TensorProto.INT32


@dataclass(frozen=True)
class _Masking:
    value: float
    dtype: np.dtype[Any] | None


def _parse_masking(cfg: Config) -> _Masking:
    return _Masking(as_float32(cfg.number("mask_value", 0.0)), cfg.float_weights({}))


def _emit_masking(b: Builder, p: _Masking, xs: list[Value], call: Call) -> list[Value]:
    # Spec 15.12: x where any feature of the step differs from mask_value, else 0.
    h = call.path
    x = b.cast(xs[0], compute_dtype(p.dtype, xs), h)
    keep = b.unsqueeze(nonzero_steps(b, x, p.value, h).name, [-1], h)
    return [Value(b.op("Where", [keep, x.name, b.scalar(0.0, x.dtype, h)], h), x.dtype, x.rank)]


def _parse_none(cfg: Config) -> None:
    return None


def _common_dtype(b: Builder, operands: list[Value], h: str) -> list[str]:
    """The operands in one dtype, NumPy's promotion of theirs (int32 ids against the number 0 stay int32)."""
    dtype = np.result_type(*[v.dtype for v in operands])
    return [b.cast(v, dtype, h).name for v in operands]


def _constant_dtype(number: float, tensor: np.dtype[Any]) -> np.dtype[Any]:
    """The dtype a number operand is compared in, as the evaluator compares (NumPy, the number as float64):
    an integral number that an integer tensor's dtype holds compares the same in that dtype (Keras' own
    ``ids != 0``); anything else compares in float64, to which the tensor's values widen."""
    if tensor.kind in "iu" and float(number).is_integer():
        info = np.iinfo(tensor)
        if info.min <= number <= info.max:
            return tensor
    return np.dtype(np.result_type(tensor, np.float64))


def _emit_not_equal(b: Builder, p: None, xs: list[Value], call: Call) -> list[Value]:
    h = call.path
    operands = list(xs)
    for place, number in sorted(b.extras.constants.items()):
        if not operands:
            raise ModelDocError.of("ONNX_UNSUPPORTED", call.pointer, "ops.numpy.NotEqual needs a tensor operand")
        dtype = _constant_dtype(number, operands[0].dtype)
        if dtype != operands[0].dtype:  # not an integer meeting integers: Keras makes the number a float32
            number = as_float32(number)
        operands.insert(place, Value(b.scalar(number, dtype, h), dtype, 0))
    if len(operands) != 2:
        raise ModelDocError.of("ONNX_UNSUPPORTED", call.pointer, "ops.numpy.NotEqual takes two operands")
    a, c = _common_dtype(b, operands, h)
    rank = max((v.rank for v in operands if v.rank is not None), default=None)
    return [Value(b.op("Not", [b.op("Equal", [a, c], h)], h), _BOOL, rank)]


@dataclass(frozen=True)
class _Any:
    axes: list[int] | None
    keepdims: bool


def _parse_any(cfg: Config) -> _Any:
    raw = cfg.get("axis")
    axes = raw if isinstance(raw, list) else None if raw is None else [raw]
    if axes is not None and any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
        cfg.reject("axis", f"axis={raw!r} is not null, an integer or a list of integers")
        axes = None
    return _Any(axes, cfg.flag("keepdims", False))


def _emit_any(b: Builder, p: _Any, xs: list[Value], call: Call) -> list[Value]:
    h = call.path
    x = xs[0]
    nonzero = as_bool(b, x, h)  # Cast to bool is x != 0
    counted = b.op("Cast", [nonzero.name], h, to=_INT32)
    if p.axes is None:  # every axis: ReduceMax without axes
        reduced = b.op("ReduceMax", [counted], h, keepdims=int(p.keepdims))
    else:
        reduced = b.reduce("ReduceMax", counted, p.axes, p.keepdims, h)
    rank = None if x.rank is None else (x.rank if p.keepdims else 0 if p.axes is None else x.rank - len(p.axes))
    return [Value(b.op("Cast", [reduced], h, to=9), _BOOL, rank)]  # 9: bool


def _emit_average_1d(b: Builder, p: Any, xs: list[Value], call: Call) -> list[Value]:
    mask = b.extras.mask
    if mask is None:
        return POOL_OPS["GlobalAveragePooling1D"].emit(b, p, xs, call)
    if not isinstance(mask, Value) or p.channels_first or xs[0].rank not in (3, None):
        raise ModelDocError.of("ONNX_UNSUPPORTED", call.pointer, "GlobalAveragePooling1D with a mask needs a "
                               "channels_last (batch, steps, channels) input and one (batch, steps) mask")
    # Spec 15.12: the sum over the unmasked steps over their count (no step: 0 / 0, NaN, as Keras).
    h = call.path
    x = b.cast(xs[0], compute_dtype(p.dtype, xs), h)
    keep = b.unsqueeze(as_bool(b, mask, h).name, [-1], h)
    total = b.reduce("ReduceSum", b.op("Where", [keep, x.name, b.scalar(0.0, x.dtype, h)], h), [1], p.keepdims, h)
    count = b.reduce("ReduceSum", b.op("Cast", [keep], h, to=_onnx_type(x.dtype)), [1], p.keepdims, h)
    return [Value(b.op("Div", [total, count], h), x.dtype, 3 if p.keepdims else 2)]


def _onnx_type(dtype: np.dtype[Any]) -> int:
    from onnx import helper

    return int(helper.np_dtype_to_tensor_dtype(dtype))


OPS: dict[str, Op] = {
    "Masking": Op(_parse_masking, _emit_masking, "Equal, Not, Cast, ReduceMax, Where"),
    NOT_EQUAL: Op(_parse_none, _emit_not_equal, "Equal, Not"),
    ANY: Op(_parse_any, _emit_any, "Cast, ReduceMax, Cast"),
    # Replaces the plain one (registered after it): with a mask it averages over the unmasked steps only.
    "GlobalAveragePooling1D": Op(POOL_OPS["GlobalAveragePooling1D"].parse, _emit_average_1d,
                                 "ReduceMean; with a mask Where, ReduceSum, Div"),
}
