"""Activation functions (by Keras name) and the activation layers.

Keras 3 definitions are followed exactly where ONNX has no op of the same
meaning: hard_sigmoid is relu6(x + 3) / 6 (ONNX HardSigmoid with alpha 1/6,
beta 0.5; Keras 2's, hard_sigmoid_keras2, is alpha 0.2), gelu is the exact erf form (Keras' default ``approximate=False``),
swish/silu is x * sigmoid(x), and the ReLU layer's threshold/max_value/negative
slope combination is built from the same steps as ``keras.activations.relu``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..flatgraph import Call
from ._builder import Builder, Value
from ._config import Config, Op, compute_dtype

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _scalar(b: Builder, x: Value, v: float, h: str) -> str:
    return b.scalar(v, x.dtype, h)


def _swish(b: Builder, x: Value, h: str) -> str:
    return b.op("Mul", [x.name, b.op("Sigmoid", [x.name], h)], h)


def _gelu(b: Builder, x: Value, h: str) -> str:
    erf = b.op("Erf", [b.op("Mul", [x.name, _scalar(b, x, 1 / math.sqrt(2), h)], h)], h)
    one_plus = b.op("Add", [erf, _scalar(b, x, 1.0, h)], h)
    return b.op("Mul", [b.op("Mul", [x.name, _scalar(b, x, 0.5, h)], h), one_plus], h)


def _relu6(b: Builder, x: Value, h: str) -> str:
    return b.op("Clip", [x.name, _scalar(b, x, 0.0, h), _scalar(b, x, 6.0, h)], h)


def _hard_sigmoid(b: Builder, x: Value, h: str) -> str:
    return b.op("HardSigmoid", [x.name], h, alpha=1.0 / 6.0, beta=0.5)


def _hard_sigmoid_keras2(b: Builder, x: Value, h: str) -> str:
    # Keras 2's clip(0.2 x + 0.5, 0, 1): the float attribute alpha is 0.2 in float32, Keras' own constant.
    return b.op("HardSigmoid", [x.name], h, alpha=0.2, beta=0.5)


def _hard_silu(b: Builder, x: Value, h: str) -> str:
    return b.op("Mul", [x.name, _hard_sigmoid(b, x, h)], h)


def _mish(b: Builder, x: Value, h: str) -> str:
    return b.op("Mul", [x.name, b.op("Tanh", [b.op("Softplus", [x.name], h)], h)], h)


def _hard_tanh(b: Builder, x: Value, h: str) -> str:
    return b.op("Clip", [x.name, _scalar(b, x, -1.0, h), _scalar(b, x, 1.0, h)], h)


def _tanh_shrink(b: Builder, x: Value, h: str) -> str:
    return b.op("Sub", [x.name, b.op("Tanh", [x.name], h)], h)


def _log_sigmoid(b: Builder, x: Value, h: str) -> str:
    # -softplus(-x) (spec 15.3) as min(x, 0) - ln(1 + e^-|x|): Log(Sigmoid(x)) would give -inf where sigmoid
    # underflows to 0, and onnxruntime has no float64 Softplus.
    zero = _scalar(b, x, 0.0, h)
    tail = b.op("Exp", [b.op("Neg", [b.op("Abs", [x.name], h)], h)], h)
    log1p = b.op("Log", [b.op("Add", [tail, _scalar(b, x, 1.0, h)], h)], h)
    return b.op("Sub", [b.op("Min", [x.name, zero], h), log1p], h)


def _celu(b: Builder, x: Value, h: str) -> str:
    # max(x, 0) + (e^min(x, 0) - 1) (spec 15.3, Keras' alpha 1). Not ONNX Celu or Elu: onnxruntime runs neither
    # in float64.
    zero = _scalar(b, x, 0.0, h)
    negative = b.op("Sub", [b.op("Exp", [b.op("Min", [x.name, zero], h)], h), _scalar(b, x, 1.0, h)], h)
    return b.op("Add", [b.op("Relu", [x.name], h), negative], h)


def _selu(b: Builder, x: Value, h: str) -> str:
    return b.op("Selu", [x.name], h, alpha=SELU_ALPHA, gamma=SELU_SCALE)


def _simple(op: str, **attrs: Any) -> Callable[[Builder, Value, str], str]:
    def emit(b: Builder, x: Value, h: str) -> str:
        return b.op(op, [x.name], h, **attrs)
    return emit


# Keras activation name -> emitter; every name has the meaning of keras.activations.get(name).
ACTIVATIONS: dict[str, tuple[str, Callable[[Builder, Value, str], str] | None]] = {
    "linear": ("(none)", None),
    "relu": ("Relu", _simple("Relu")),
    "sigmoid": ("Sigmoid", _simple("Sigmoid")),
    "tanh": ("Tanh", _simple("Tanh")),
    "softmax": ("Softmax(axis=-1)", _simple("Softmax", axis=-1)),
    "log_softmax": ("LogSoftmax(axis=-1)", _simple("LogSoftmax", axis=-1)),
    "elu": ("Elu(alpha=1)", _simple("Elu", alpha=1.0)),
    "celu": ("Relu(x) + Exp(Min(x, 0)) - 1", _celu),
    "selu": ("Selu", _selu),
    "softplus": ("Softplus", _simple("Softplus")),
    "softsign": ("Softsign", _simple("Softsign")),
    "swish": ("Mul(x, Sigmoid(x))", _swish),
    "silu": ("Mul(x, Sigmoid(x))", _swish),
    "hard_sigmoid": ("HardSigmoid(alpha=1/6, beta=0.5)", _hard_sigmoid),
    "hard_sigmoid_keras2": ("HardSigmoid(alpha=0.2, beta=0.5)", _hard_sigmoid_keras2),
    "hard_silu": ("Mul(x, HardSigmoid(x))", _hard_silu),
    "hard_swish": ("Mul(x, HardSigmoid(x))", _hard_silu),
    "exponential": ("Exp", _simple("Exp")),
    "gelu": ("0.5 * x * (1 + Erf(x / sqrt 2))", _gelu),
    "relu6": ("Clip(0, 6)", _relu6),
    "leaky_relu": ("LeakyRelu(alpha=0.2)", _simple("LeakyRelu", alpha=0.2)),
    "mish": ("Mul(x, Tanh(Softplus(x)))", _mish),
    "hard_tanh": ("Clip(-1, 1)", _hard_tanh),
    "tanh_shrink": ("Sub(x, Tanh(x))", _tanh_shrink),
    "log_sigmoid": ("Min(x, 0) - Log(1 + Exp(-Abs(x)))", _log_sigmoid),
}


# The name Keras writes as the function's config for ModelDoc's registered hard_sigmoid_keras2 (spec.md 15.3).
ALIASES = {"modeldoc>hard_sigmoid_keras2": "hard_sigmoid_keras2"}


def keras_name(value: Any) -> Any:
    """The activation name of a config value: a name, or ``{"class_name": "function", "config": NAME}`` as
    Keras writes a function (spec.md 15.3), ModelDoc's registered name read as its table name. Any other
    value is returned as it is, for the refusal to show."""
    name = value.get("config") if isinstance(value, dict) and value.get("class_name") == "function" else value
    return ALIASES.get(name, name) if isinstance(name, str) else value


def activation_name(cfg: Config, key: str = "activation") -> str:
    """The config's activation (absent or null means linear), which must be one export knows."""
    value = keras_name(cfg.get(key, "linear"))
    if not isinstance(value, str) or value not in ACTIVATIONS:
        cfg.reject(key, f"{key} {value!r} has no ONNX mapping (supported: {', '.join(sorted(ACTIVATIONS))})")
        return "linear"
    return value


def apply(b: Builder, x: Value, name: str, h: str) -> Value:
    """``x`` through the Keras activation ``name`` (no node for linear)."""
    emit = ACTIVATIONS[name][1]
    return x if emit is None else Value(emit(b, x, f"{h}/{name}"), x.dtype, x.rank)


# --- layers -------------------------------------------------------------------------------------


def _float_input(b: Builder, cfg_dtype: np.dtype[Any] | None, xs: list[Value], call: Call) -> Value:
    return b.cast(xs[0], compute_dtype(cfg_dtype, xs), call.path)


@dataclass(frozen=True)
class _Act:
    name: str
    dtype: np.dtype[Any] | None


def _parse_activation(cfg: Config) -> _Act:
    return _Act(activation_name(cfg), cfg.float_weights({}))


def _emit_activation(b: Builder, p: _Act, xs: list[Value], call: Call) -> list[Value]:
    return [apply(b, _float_input(b, p.dtype, xs, call), p.name, call.path)]


@dataclass(frozen=True)
class _Relu:
    negative_slope: float
    max_value: float | None
    threshold: float
    dtype: np.dtype[Any] | None


def _parse_relu(cfg: Config) -> _Relu:
    max_value = cfg.number("max_value", 0.0) if cfg.has("max_value") else None
    return _Relu(cfg.number("negative_slope", 0.0), max_value, cfg.number("threshold", 0.0), cfg.float_weights({}))


def _emit_relu(b: Builder, p: _Relu, xs: list[Value], call: Call) -> list[Value]:
    # The steps of keras.activations.relu (Keras 3), in the same order.
    h = call.path
    x = _float_input(b, p.dtype, xs, call)
    zero = b.scalar(0.0, x.dtype, h)
    if p.negative_slope != 0.0 and p.max_value is None and p.threshold == 0:
        return [Value(b.op("LeakyRelu", [x.name], h, alpha=p.negative_slope), x.dtype, x.rank)]
    negative_part = None
    if p.negative_slope != 0.0:
        shifted = b.op("Add", [b.op("Neg", [x.name], h), b.scalar(p.threshold, x.dtype, h)], h)
        negative_part = b.op("Relu", [shifted], h)
    clip_max = p.max_value is not None
    if p.threshold != 0:
        above = b.op("Greater", [x.name, b.scalar(float(np.float32(p.threshold)), x.dtype, h)], h)  # 15.3
        y = b.op("Where", [above, x.name, zero], h)
    elif p.max_value == 6:
        y, clip_max = b.op("Clip", [x.name, zero, b.scalar(6.0, x.dtype, h)], h), False
    else:
        y = b.op("Relu", [x.name], h)
    if clip_max:
        assert p.max_value is not None
        y = b.op("Clip", [y, zero, b.scalar(p.max_value, x.dtype, h)], h)
    if negative_part is not None:
        y = b.op("Sub", [y, b.op("Mul", [negative_part, b.scalar(p.negative_slope, x.dtype, h)], h)], h)
    return [Value(y, x.dtype, x.rank)]


@dataclass(frozen=True)
class _Param:
    value: float
    dtype: np.dtype[Any] | None


def _parse_leaky(cfg: Config) -> _Param:
    key = "negative_slope" if cfg.has("negative_slope") or not cfg.has("alpha") else "alpha"  # Keras 2 said alpha
    return _Param(cfg.number(key, 0.3), cfg.float_weights({}))


def _emit_leaky(b: Builder, p: _Param, xs: list[Value], call: Call) -> list[Value]:
    x = _float_input(b, p.dtype, xs, call)
    return [Value(b.op("LeakyRelu", [x.name], call.path, alpha=p.value), x.dtype, x.rank)]


def _parse_elu(cfg: Config) -> _Param:
    return _Param(cfg.number("alpha", 1.0), cfg.float_weights({}))


def _emit_elu(b: Builder, p: _Param, xs: list[Value], call: Call) -> list[Value]:
    x = _float_input(b, p.dtype, xs, call)
    return [Value(b.op("Elu", [x.name], call.path, alpha=p.value), x.dtype, x.rank)]


@dataclass(frozen=True)
class _Softmax:
    axes: tuple[int, ...]
    dtype: np.dtype[Any] | None


def _parse_softmax(cfg: Config) -> _Softmax:
    axis = cfg.get("axis", -1)
    axes = axis if isinstance(axis, list) else [axis]
    if not axes or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes) or len(set(axes)) < len(
            axes):
        cfg.reject("axis", f"Softmax axis {axis!r} is not an integer or a list of distinct integers")
        axes = [-1]
    return _Softmax(tuple(axes), cfg.float_weights({}))


def _emit_softmax(b: Builder, p: _Softmax, xs: list[Value], call: Call) -> list[Value]:
    h = call.path
    x = _float_input(b, p.dtype, xs, call)
    if len(p.axes) == 1:
        return [Value(b.op("Softmax", [x.name], h, axis=p.axes[0]), x.dtype, x.rank)]
    # Several axes together (spec 15.3): e^(x - m) / sum e^(x - m), max and sum over all of them; ONNX Softmax
    # takes one axis. (Equal axes written once negative and once not, e.g. [1, -2] in rank 3, ONNX rejects.)
    shifted = b.op("Sub", [x.name, b.reduce("ReduceMax", x.name, p.axes, True, h)], h)
    e = b.op("Exp", [shifted], h)
    return [Value(b.op("Div", [e, b.reduce("ReduceSum", e, p.axes, True, h)], h), x.dtype, x.rank)]


@dataclass(frozen=True)
class _PRelu:
    alpha: np.ndarray
    dtype: np.dtype[Any] | None


def _parse_prelu(cfg: Config) -> _PRelu:
    w = cfg.catalogue_weights()
    return _PRelu(w["alpha"], cfg.float_weights(w))


def _emit_prelu(b: Builder, p: _PRelu, xs: list[Value], call: Call) -> list[Value]:
    # Keras' alpha has the input's shape without the batch dimension (1 on shared axes): it broadcasts.
    x = _float_input(b, p.dtype, xs, call)
    slope = b.const(p.alpha, f"{call.path}/alpha", key=(id(call.layer), "alpha"))
    return [Value(b.op("PRelu", [x.name, slope], call.path), x.dtype, x.rank)]


OPS: dict[str, Op] = {
    "Activation": Op(_parse_activation, _emit_activation, "see the activation table"),
    "ReLU": Op(_parse_relu, _emit_relu, "Relu / LeakyRelu / Clip / Greater+Where / Sub, as keras.activations.relu"),
    "LeakyReLU": Op(_parse_leaky, _emit_leaky, "LeakyRelu"),
    "ELU": Op(_parse_elu, _emit_elu, "Elu"),
    "Softmax": Op(_parse_softmax, _emit_softmax, "Softmax; several axes: ReduceMax, Sub, Exp, ReduceSum, Div"),
    "PReLU": Op(_parse_prelu, _emit_prelu, "PRelu"),
}
