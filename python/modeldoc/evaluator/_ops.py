"""Keras operations recorded in Functional graphs (``x + 1.0``, ``keras.ops.mean``) (spec.md 15.15).

Plain Python arithmetic on Keras tensors (``layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)`` in MobileNetV3,
``x + y`` in ConvNeXt) becomes an operation node, type ``ops.<module>.<Class>``. The profile takes a
small closed set of them. Their constant operands are data in the node's ``arguments`` (numbers or
nested lists of numbers), never code, and an operation has no dtype policy: its float operands have
to share one float dtype, the constants are rounded to it, and the result is rounded to it.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..dtypes import dtype_of_array
from ..profile import Config
from ._activations import ACTIVATIONS, gelu
from ._kernel import Ctx, Kernel, axis_index

# Elementwise operations of two operands, each a tensor or a constant; they broadcast as NumPy does.
BINARY: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "ops.numpy.Add": np.add,
    "ops.numpy.Subtract": np.subtract,
    "ops.numpy.Multiply": np.multiply,
    "ops.numpy.TrueDivide": np.true_divide,
    "ops.numpy.Divide": np.true_divide,
    "ops.numpy.Maximum": np.maximum,
    "ops.numpy.Minimum": np.minimum,
}

# Operations of one tensor that are an activation of spec.md 15.3 (no members).
UNARY: dict[str, str] = {
    "ops.nn.Relu": "relu",
    "ops.nn.Relu6": "relu6",
    "ops.nn.Sigmoid": "sigmoid",
    "ops.nn.HardSigmoid": "hard_sigmoid",
    "ops.nn.HardSilu": "hard_silu",
    "ops.nn.Silu": "silu",
    "ops.nn.Softplus": "softplus",
    "ops.nn.Softsign": "softsign",
    "ops.nn.LogSigmoid": "log_sigmoid",
    "ops.nn.Selu": "selu",
    "ops.nn.HardTanh": "hard_tanh",
    "ops.nn.TanhShrink": "tanh_shrink",
    "ops.numpy.Tanh": "tanh",
    "ops.numpy.Exp": "exponential",
}

OTHERS = ("ops.nn.Gelu", "ops.numpy.Mean", "ops.numpy.Concatenate", "ops.numpy.Reshape")

OP_TYPES = (*BINARY, *UNARY, *OTHERS)


def is_op(layer_type: str) -> bool:
    return layer_type in OP_TYPES


def _is_ref(value: Any) -> bool:
    index = value.get("$input") if isinstance(value, dict) and len(value) == 1 else None
    return isinstance(index, int) and not isinstance(index, bool)


def is_constant(value: Any) -> bool:
    """A number, or a non-empty rectangular nested list of numbers (a constant tensor)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    if not isinstance(value, list) or not value:
        return False
    try:
        array = np.array(value, dtype=object)
    except ValueError:
        return False
    return array.dtype == object and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in array.ravel()) and array.ndim >= 1 \
        and all(not isinstance(v, list) for v in array.ravel())


def operands(arguments: Any, n_inputs: int) -> tuple[list[tuple[bool, Any]], str | None]:
    """The operands of an operation call in order, each ``(True, input index)`` or ``(False, constant)``,
    and why the call is outside the profile (None when it is not).

    >>> operands({"args": [{"$input": 0}, 2.0], "kwargs": {}}, 1)
    ([(True, 0), (False, 2.0)], None)
    >>> operands({}, 2)
    ([(True, 0), (True, 1)], None)
    """
    if not arguments:
        return [(True, k) for k in range(n_inputs)], None  # the node's inputs, in order
    if not isinstance(arguments, dict) or set(arguments) - {"args", "kwargs"}:
        return [], "arguments has members other than args and kwargs"
    positional, kwargs = arguments.get("args", []), arguments.get("kwargs", {})
    if not isinstance(positional, list) or kwargs != {} and not isinstance(kwargs, dict):
        return [], "args is not a list or kwargs is not an object"
    if kwargs:
        return [], f"kwargs {sorted(kwargs)} are outside the core profile (an operation's members are its config)"
    items: list[tuple[bool, Any]] = []
    for item in positional:
        if _is_ref(item):
            items.append((True, item["$input"]))
        elif isinstance(item, list) and item and all(_is_ref(r) for r in item):
            items.extend((True, r["$input"]) for r in item)  # Concatenate's list of tensors
        elif is_constant(item):
            items.append((False, item))
        else:
            return [], "args holds an item that is neither a reference nor a constant number or list of numbers"
    if [v for is_ref, v in items if is_ref] != list(range(n_inputs)):
        return [], "its $input references are not the node's inputs in order"
    return items, None


def call_problem(layer_type: str, arguments: Any, n_inputs: int, n_outputs: int) -> str | None:
    """Why an operation call falls outside the profile (arguments, operand and output counts), or None."""
    items, problem = operands(arguments, n_inputs)
    if problem:
        return problem
    tensors = sum(1 for is_ref, _ in items if is_ref)
    if layer_type in BINARY:
        if len(items) != 2 or tensors < 1:
            return f"{layer_type} takes two operands, at least one a tensor; the call passes {len(items)} " \
                   f"operands, {tensors} of them tensors"
    elif layer_type == "ops.numpy.Concatenate":
        if tensors < 1 or tensors != len(items):
            return "ops.numpy.Concatenate takes one or more tensors and no constants"
    elif len(items) != 1 or tensors != 1:
        return f"{layer_type} takes one tensor; the call passes {len(items)} operands"
    if n_outputs != 1:
        return f"defines {n_outputs} outputs, {layer_type} returns 1"
    return None


def result_dtype(xs: list[np.ndarray], ctx: Ctx) -> np.dtype:
    """The one float dtype of an operation's tensor operands: the dtype of its constants and result."""
    dtypes = {dtype_of_array(x) for x in xs}
    first = next(iter(dtypes))
    if len(dtypes) != 1 or first is None or first.kind != "float":
        ctx.unfit(f"takes tensors of one float dtype, got {sorted(str(x.dtype) for x in xs)}")
    return np.dtype(xs[0].dtype)


def _values(items: list[tuple[bool, Any]], xs: list[np.ndarray], dtype: np.dtype, ctx: Ctx) -> list[np.ndarray]:
    """The operands in the compute dtype, each constant rounded to the tensors' dtype first."""
    return [ctx.float(xs[v]) if is_ref else ctx.float(np.array(v, dtype=np.float64).astype(dtype))
            for is_ref, v in items]


def _build_binary(layer_type: str) -> Callable[[Config], Kernel]:
    fn = BINARY[layer_type]

    def build(cfg: Config) -> Kernel:
        def run(xs: list[np.ndarray], ctx: Ctx) -> list[np.ndarray]:
            items, _ = operands(ctx.arguments, len(xs))
            dtype = result_dtype(xs, ctx)
            a, b = _values(items, xs, dtype, ctx)
            try:
                np.broadcast_shapes(a.shape, b.shape)
            except ValueError:
                ctx.unfit(f"operands of shapes {list(a.shape)} and {list(b.shape)} do not broadcast")
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # x / 0 is inf or NaN, as in Keras
                return [np.asarray(fn(a, b)).astype(dtype)]

        return run

    return build


def _build_unary(layer_type: str) -> Callable[[Config], Kernel]:
    fn = ACTIVATIONS[UNARY[layer_type]]

    def build(cfg: Config) -> Kernel:
        def run(xs: list[np.ndarray], ctx: Ctx) -> list[np.ndarray]:
            dtype = result_dtype(xs, ctx)
            return [np.asarray(fn(ctx.float(xs[0]))).astype(dtype)]

        return run

    return build


def build_gelu(cfg: Config) -> Kernel:
    approximate = cfg.flag("approximate", True)  # keras.ops.gelu's default, unlike the activation's

    def run(xs: list[np.ndarray], ctx: Ctx) -> list[np.ndarray]:
        dtype = result_dtype(xs, ctx)
        return [gelu(ctx.float(xs[0]), approximate).astype(dtype)]

    return run


def _axes(cfg: Config, member: str) -> list[int] | None:
    value: Any = cfg.raw(member, None)
    if value is None:
        return None
    axes = value if isinstance(value, list) else [value]
    if len(set(axes)) != len(axes) or any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
        cfg.refuse(member, "is not null, an integer or a list of distinct integers")
        return None
    return list(axes)


def build_mean(cfg: Config) -> Kernel:
    axes = _axes(cfg, "axis")
    keepdims = cfg.flag("keepdims", False)

    def run(xs: list[np.ndarray], ctx: Ctx) -> list[np.ndarray]:
        dtype = result_dtype(xs, ctx)
        x = xs[0]
        over = tuple(range(x.ndim)) if axes is None else tuple(sorted({axis_index(a, x.ndim, ctx) for a in axes}))
        return [np.asarray(ctx.float(x).mean(axis=over, keepdims=keepdims)).astype(dtype)]

    return run


def build_concatenate(cfg: Config) -> Kernel:
    axis = cfg.integer("axis", 0, minimum=-(2**31))  # keras.ops.concatenate's default axis is 0

    def run(xs: list[np.ndarray], ctx: Ctx) -> list[np.ndarray]:
        if len({x.dtype for x in xs}) != 1 or len({x.ndim for x in xs}) != 1:
            ctx.unfit(f"joins values of different dtypes or ranks {[(x.dtype.name, x.ndim) for x in xs]}")
        a = axis_index(axis, xs[0].ndim, ctx)
        if len({x.shape[:a] + x.shape[a + 1:] for x in xs}) != 1:
            ctx.unfit(f"inputs of shapes {[list(x.shape) for x in xs]} differ outside axis {axis}")
        return [np.concatenate(xs, axis=a)]

    return run


def build_reshape(cfg: Config) -> Kernel:
    shape: Any = cfg.raw("newshape", None)
    if (not isinstance(shape, list) or sum(1 for d in shape if d == -1) > 1
            or any(isinstance(d, bool) or not isinstance(d, int) or d < -1 for d in shape)):
        cfg.refuse("newshape", "is not a list of integers >= 0 with at most one -1")
        shape = [-1]

    def run(xs: list[np.ndarray], ctx: Ctx) -> list[np.ndarray]:
        x = xs[0]
        known = int(np.prod([d for d in shape if d != -1]))
        if (-1 in shape and (known == 0 or x.size % known)) or (-1 not in shape and known != x.size):
            ctx.unfit(f"cannot reshape {list(x.shape)} into {shape} (the batch axis included)")
        return [x.reshape(shape)]

    return run


OPS: dict[str, Callable[[Config], Kernel]] = {
    **{t: _build_binary(t) for t in BINARY},
    **{t: _build_unary(t) for t in UNARY},
    "ops.nn.Gelu": build_gelu,
    "ops.numpy.Mean": build_mean,
    "ops.numpy.Concatenate": build_concatenate,
    "ops.numpy.Reshape": build_reshape,
}
