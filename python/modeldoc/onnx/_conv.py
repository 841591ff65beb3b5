"""Convolutions: Conv1D/2D/3D, DepthwiseConv1D/2D, SeparableConv1D/2D, Conv1D/2D/3DTranspose.

ONNX convolutions want channels first (NCHW) and kernels [out, in/groups,
spatial...]; Keras (channels_last) keeps NHWC and kernels [spatial..., in, out].
The value is transposed to NCHW before the Conv and back after it, and the
kernel is transposed once, at export. Keras "same" padding puts the odd pixel
at the end: ONNX auto_pad SAME_UPPER. "causal" (Conv1D) pads (k-1)*dilation at
the start only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..flatgraph import Call
from ._activations import activation_name, apply
from ._builder import Builder, Value
from ._config import Config, Op, Unsupported, compute_dtype

_RANKS = {"1D": 1, "2D": 2, "3D": 3}


def spatial_rank(layer_type: str) -> int:
    """1, 2 or 3 from the "1D"/"2D"/"3D" in a Keras layer type name."""
    for tag, n in _RANKS.items():
        if tag in layer_type:
            return n
    raise AssertionError(layer_type)


def to_channels_first(b: Builder, x: Value, n: int, channels_first: bool, h: str) -> str:
    """NHWC -> NCHW (nothing for a channels_first layer)."""
    return x.name if channels_first else b.transpose(x.name, [0, n + 1, *range(1, n + 1)], h)


def to_channels_last(b: Builder, y: str, n: int, channels_first: bool, h: str) -> str:
    """NCHW -> NHWC (nothing for a channels_first layer)."""
    return y if channels_first else b.transpose(y, [0, *range(2, n + 2), 1], h)


def onnx_kernel(kernel: np.ndarray) -> np.ndarray:
    """Keras [spatial..., a, b] -> ONNX [b, a, spatial...] (Conv: a=in, b=out; ConvTranspose: a=out, b=in)."""
    n = kernel.ndim - 2
    return np.transpose(kernel, (n + 1, n, *range(n)))


@dataclass(frozen=True)
class _Conv:
    kind: str  # "conv", "depthwise", "separable", "transpose"
    n: int
    kernel_size: tuple[int, ...]
    strides: tuple[int, ...]
    dilation: tuple[int, ...]
    padding: str
    groups: int
    output_padding: tuple[int, ...] | None
    channels_first: bool
    activation: str
    weights: dict[str, np.ndarray]
    dtype: np.dtype[Any] | None


def _kind(layer_type: str) -> str:
    if layer_type.startswith("Depthwise"):
        return "depthwise"
    if layer_type.startswith("Separable"):
        return "separable"
    return "transpose" if layer_type.endswith("Transpose") else "conv"


# The catalogue's weight names -> the roles the emitters use (a depthwise kernel is this module's "kernel").
_RENAME = {"depthwise": {"depthwise_kernel": "kernel"}}


def _parse(cfg: Config) -> _Conv:
    kind, n = _kind(cfg.type), spatial_rank(cfg.type)
    paddings = ("valid", "same", "causal") if kind == "conv" and n == 1 else ("valid", "same")
    padding = cfg.choice("padding", "valid", paddings, fold_case=True)
    kernel_size = tuple(cfg.ints("kernel_size", None, n))
    strides = tuple(cfg.ints("strides", 1, n))
    dilation = tuple(cfg.ints("dilation_rate", 1, n))
    groups = cfg.integer("groups", 1, minimum=1) if kind == "conv" else 1
    channels_first = cfg.data_format()
    activation = activation_name(cfg)
    output_padding = (tuple(cfg.ints("output_padding", 0, n, minimum=0))
                      if kind == "transpose" and cfg.has("output_padding") else None)
    if output_padding is not None and any(not 0 <= op < s for op, s in zip(output_padding, strides)):
        cfg.reject("output_padding", f"output_padding={list(output_padding)} must be >= 0 and below the strides "
                   f"{list(strides)}")
    w = cfg.catalogue_weights(_RENAME.get(kind))
    if cfg.has("use_bias") and cfg.flag("use_bias", True) != ("bias" in w):
        cfg.reject("use_bias", f"use_bias={cfg.get('use_bias')} but the layer lists {len(w)} weights")
    for role in [r for r in w if r != "bias"]:
        if w[role].ndim != n + 2 or (role != "pointwise_kernel" and tuple(w[role].shape[:n]) != kernel_size):
            cfg.reject_at("/weights", f"{cfg.type} {role} has shape {list(w[role].shape)}, "
                          f"not [{', '.join(map(str, kernel_size))}, in, out]")
            raise Unsupported
    return _Conv(kind, n, kernel_size, strides, dilation, padding, groups, output_padding, channels_first,
                 activation, w, cfg.float_weights(w))


def _pads(p: _Conv) -> dict[str, Any]:
    if p.padding == "same" and all(s == 1 for s in p.strides):
        # Explicit pads: ONNX Runtime refuses auto_pad with dilation; with stride 1 they do not depend on the size.
        total = [(k - 1) * d for k, d in zip(p.kernel_size, p.dilation)]
        return {"pads": [t // 2 for t in total] + [t - t // 2 for t in total]}
    if p.padding == "same":  # strided: Keras allows no dilation here
        return {"auto_pad": "SAME_UPPER"}
    if p.padding == "causal":
        return {"pads": [(p.kernel_size[0] - 1) * p.dilation[0], 0]}
    return {"pads": [0] * (2 * p.n)}


def _transpose_pads(p: _Conv) -> dict[str, Any]:
    """Pads and output_padding giving Keras' output length and offset b into the full output (spec 15.5).

    With output_padding=None: "valid" gives in*stride + max(k' - stride, 0), "same" in*stride with the odd
    pixel cut at the end. With output_padding p: "valid" gives (in-1)*stride + k' + p from b = 0, "same"
    (in-1)*stride + (k' mod 2) + p from b = floor(max(k' - (k' mod 2) - p, 0) / 2). ONNX crops b at the start
    and (full - b - length) at the end; a negative end crop is ONNX output_padding (positions no input reaches).
    """
    begin, end, extra = [], [], []
    for axis, (k, s, d) in enumerate(zip(p.kernel_size, p.strides, p.dilation)):
        k_eff = (k - 1) * d + 1
        if p.output_padding is None:
            total = k_eff - s if p.padding == "same" else min(k_eff - s, 0)
        else:  # total = full - length, the full output having (in-1)*s + k' positions
            total = k_eff - (k_eff % 2) - p.output_padding[axis] if p.padding == "same" else -p.output_padding[axis]
        b = max(total, 0) // 2
        begin.append(b)
        end.append(max(total - b, 0))
        extra.append(max(b - total, 0))
    return {"pads": begin + end, "output_padding": extra}


def _conv(b: Builder, p: _Conv, x: str, kernel: str, bias: str | None, h: str, *, op: str = "Conv",
          group: int = 1, kernel_size: tuple[int, ...] | None = None, plain: bool = False) -> str:
    attrs: dict[str, Any] = {"kernel_shape": list(kernel_size or p.kernel_size)}
    if plain:  # the 1x1 pointwise step of a separable convolution
        attrs.update(strides=[1] * p.n, pads=[0] * (2 * p.n))
    else:
        attrs.update(strides=list(p.strides), dilations=list(p.dilation))
        attrs.update(_transpose_pads(p) if op == "ConvTranspose" else _pads(p))
    if group != 1:
        attrs["group"] = group
    return b.op(op, [x, kernel] + ([bias] if bias is not None else []), h, **attrs)


def _depthwise_kernel(kernel: np.ndarray) -> np.ndarray:
    """Keras [spatial..., in, multiplier] -> ONNX [in*multiplier, 1, spatial...]; Keras orders the outputs
    channel-major (channel c, multiplier m is output c*multiplier + m), as the C-order reshape does."""
    n = kernel.ndim - 2
    flat = kernel.reshape(*kernel.shape[:n], -1)
    return np.expand_dims(np.transpose(flat, (n, *range(n))), 1)


def _emit(b: Builder, p: _Conv, xs: list[Value], call: Call) -> list[Value]:
    h, key = call.path, id(call.layer)
    x = b.cast(xs[0], compute_dtype(p.dtype, xs), h)
    xt = to_channels_first(b, x, p.n, p.channels_first, h)
    bias = b.const(p.weights["bias"], f"{h}/bias", key=(key, "bias")) if "bias" in p.weights else None
    if p.kind == "conv":
        kernel = b.const(onnx_kernel(p.weights["kernel"]), f"{h}/kernel", key=(key, "kernel"))
        y = _conv(b, p, xt, kernel, bias, h, group=p.groups)
    elif p.kind == "transpose":
        kernel = b.const(onnx_kernel(p.weights["kernel"]), f"{h}/kernel", key=(key, "kernel"))
        y = _conv(b, p, xt, kernel, bias, h, op="ConvTranspose")
    elif p.kind == "depthwise":
        k = p.weights["kernel"]
        kernel = b.const(_depthwise_kernel(k), f"{h}/kernel", key=(key, "kernel"))
        y = _conv(b, p, xt, kernel, bias, h, group=k.shape[-2])
    else:
        k = p.weights["depthwise_kernel"]
        depthwise = b.const(_depthwise_kernel(k), f"{h}/depthwise_kernel", key=(key, "depthwise"))
        pointwise = b.const(onnx_kernel(p.weights["pointwise_kernel"]), f"{h}/pointwise_kernel",
                            key=(key, "pointwise"))
        y = _conv(b, p, xt, depthwise, None, h, group=k.shape[-2])
        y = _conv(b, p, y, pointwise, bias, h, kernel_size=(1,) * p.n, plain=True)
    out = Value(to_channels_last(b, y, p.n, p.channels_first, h), x.dtype, p.n + 2)
    return [apply(b, out, p.activation, h)]


_TYPES = ["Conv1D", "Conv2D", "Conv3D", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D",
          "SeparableConv2D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"]


def _onnx_ops(t: str) -> str:
    kind = _kind(t)
    core = {"conv": "Conv", "transpose": "ConvTranspose", "depthwise": "Conv (group = in channels)",
            "separable": "Conv (group = in channels), Conv 1x1"}[kind]
    return f"Transpose, {core}, Transpose"


OPS = {t: Op(_parse, _emit, _onnx_ops(t)) for t in _TYPES}
