"""Activation functions by Keras name, and the activation layers (spec.md 15.3).

Every function is written out from its definition in Keras 3 (not from the
TensorFlow kernel), so a reader of this file has the formula.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ..profile import Config
from ._kernel import Ctx, Kernel, axis_index, unary

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def sigmoid(x: np.ndarray) -> np.ndarray:
    # Split by sign so that exp never overflows.
    e = np.exp(-np.abs(x))
    return np.asarray(np.where(x >= 0, 1 / (1 + e), e / (1 + e)))


def softplus(x: np.ndarray) -> np.ndarray:
    return np.asarray(np.logaddexp(x, 0.0 * x))


def elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    return np.asarray(np.where(x >= 0, x, alpha * np.expm1(np.minimum(x, 0))))


def softmax(x: np.ndarray, axis: int | tuple[int, ...] = -1) -> np.ndarray:
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return np.asarray(e / np.sum(e, axis=axis, keepdims=True))


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return np.asarray(shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True)))


def hard_sigmoid(x: np.ndarray) -> np.ndarray:
    # Keras 3: relu6(x + 3) / 6 (Keras 2 used 0.2 * x + 0.5).
    return np.asarray(np.clip(x / 6 + 0.5, 0, 1))


def hard_sigmoid_keras2(x: np.ndarray, dtype: np.dtype[Any]) -> np.ndarray:
    """Keras 2's hard_sigmoid, clip(0.2 x + 0.5, 0, 1), computed as Keras does in the layer's policy ``dtype``:
    the input rounded to it, multiplied by the constant 0.2 of that dtype, 0.5 added, then clipped, each step
    rounded to ``dtype``. A float32 layer then matches Keras bit for bit wherever its input does."""
    t = dtype.type
    with np.errstate(over="ignore"):  # float64 beyond float32's range rounds to inf, which clips to 0 or 1
        v = x.astype(dtype)
    return np.asarray(np.clip(v * t(0.2) + t(0.5), t(0), t(1)).astype(x.dtype))


def gelu(x: np.ndarray, approximate: bool = False) -> np.ndarray:
    """x * Phi(x) with the normal CDF Phi exact (erf), or with Keras' tanh approximation."""
    if approximate:
        return np.asarray(0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))))
    erf = np.array([math.erf(v) for v in (x / math.sqrt(2)).ravel()], dtype=x.dtype).reshape(x.shape)
    return np.asarray(0.5 * x * (1 + erf))


def relu(x: np.ndarray, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0) -> np.ndarray:
    """Keras 3's relu: x where x > threshold, else 0; then clipped to [0, max_value] if max_value is given;
    then ``negative_slope * max(threshold - x, 0)`` subtracted. The comparison is with ``threshold`` made a
    float32, as Keras makes it (spec.md 15.3): a float32 x equal to float32(0.1) is not above 0.1."""
    y = np.where(x > float(np.float32(threshold)), x, np.zeros_like(x))
    if max_value is not None:
        y = np.clip(y, 0, max_value)
    if negative_slope:
        y = y - negative_slope * np.maximum(threshold - x, 0)
    return y


# The name Keras writes as a function's config for hard_sigmoid_keras2, which ModelDoc's Keras adapter registers
# with Keras under it (spec.md 15.3).
ALIASES = {"modeldoc>hard_sigmoid_keras2": "hard_sigmoid_keras2"}

ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda x: x,
    "relu": relu,
    "relu6": lambda x: np.clip(x, 0, 6),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "elu": elu,
    "selu": lambda x: SELU_SCALE * elu(x, SELU_ALPHA),
    "celu": lambda x: np.maximum(x, 0) + np.expm1(np.minimum(x, 0)),
    "sigmoid": sigmoid,
    "hard_sigmoid": hard_sigmoid,
    "tanh": np.tanh,
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "tanh_shrink": lambda x: x - np.tanh(x),
    "softplus": softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "silu": lambda x: x * sigmoid(x),
    "swish": lambda x: x * sigmoid(x),
    "hard_silu": lambda x: x * hard_sigmoid(x),
    "hard_swish": lambda x: x * hard_sigmoid(x),
    "mish": lambda x: x * np.tanh(softplus(x)),
    "gelu": gelu,
    "exponential": np.exp,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "log_sigmoid": lambda x: -softplus(-x),
}


def activation(cfg: Config, member: str = "activation",
               default: str = "linear") -> Callable[[np.ndarray], np.ndarray]:
    """The function a config member names: a Keras name, or ``{"class_name": "function", "config": NAME}``;
    ``default`` when the member is absent (null means linear, as in Keras)."""
    value: Any = cfg.raw(member, default)
    if value is None:
        value = "linear"
    if isinstance(value, dict) and value.get("class_name") == "function":
        value = value.get("config")
    if isinstance(value, str):
        value = ALIASES.get(value, value)
    if value == "hard_sigmoid_keras2":  # the only activation whose constant depends on the policy dtype
        dtype = np.dtype(cfg.policy(quiet=True))
        return lambda x: hard_sigmoid_keras2(x, dtype)
    if not isinstance(value, str) or value not in ACTIVATIONS:
        cfg.refuse(member, "is not an activation of the core profile")
        return ACTIVATIONS["linear"]
    return ACTIVATIONS[value]


# --- layers ---------------------------------------------------------------------------


def build_activation(cfg: Config) -> Kernel:
    cfg.required("activation")
    fn = activation(cfg)
    return unary(lambda x, ctx: fn(ctx.float(x)))


def build_relu(cfg: Config) -> Kernel:
    max_value = cfg.optional_number("max_value")
    slope = cfg.number("negative_slope", 0.0)
    threshold = cfg.number("threshold", 0.0)
    return unary(lambda x, ctx: relu(ctx.float(x), slope, max_value, threshold))


def build_leaky_relu(cfg: Config) -> Kernel:
    slope = cfg.number("negative_slope", 0.3)
    return unary(lambda x, ctx: np.where(ctx.float(x) >= 0, ctx.float(x), slope * ctx.float(x)))


def build_elu(cfg: Config) -> Kernel:
    alpha = cfg.number("alpha", 1.0)
    return unary(lambda x, ctx: elu(ctx.float(x), alpha))


def build_softmax(cfg: Config) -> Kernel:
    axis = cfg.raw("axis", -1)
    axes = axis if isinstance(axis, list) else [axis]
    if not axes or len(set(axes)) != len(axes) or any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
        cfg.refuse("axis", "is not an integer or a list of distinct integers")
        axes = [-1]

    def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
        return softmax(ctx.float(x), tuple(sorted({axis_index(a, x.ndim, ctx) for a in axes})))

    return unary(run)


def build_prelu(cfg: Config) -> Kernel:
    shared = cfg.raw("shared_axes", None)
    if isinstance(shared, int) and not isinstance(shared, bool):
        shared = [shared]  # Keras also takes one axis
    if shared is not None and (not isinstance(shared, list) or any(
            isinstance(a, bool) or not isinstance(a, int) or a < 1 for a in shared)):
        cfg.refuse("shared_axes", "is not null, an axis >= 1 or a list of them")
        shared = None

    def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
        # alpha has the input's shape without the batch axis, with 1 on each shared axis.
        shape = tuple(1 if shared and k + 1 in shared else d for k, d in enumerate(x.shape[1:]))
        alpha = ctx.weight("alpha", shape)
        v = ctx.float(x)
        return np.asarray(np.maximum(v, 0) - alpha * np.maximum(-v, 0))

    return unary(run)
