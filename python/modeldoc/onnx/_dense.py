"""Dense: MatMul over the last axis (any rank), Add of the bias, then the activation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..flatgraph import Call
from ._activations import activation_name, apply
from ._builder import Builder, Value
from ._config import Config, Op, compute_dtype


@dataclass(frozen=True)
class _Dense:
    kernel: np.ndarray
    bias: np.ndarray | None
    activation: str
    dtype: np.dtype[Any] | None


def _parse(cfg: Config) -> _Dense:
    activation = activation_name(cfg)
    cfg.must_be("lora_rank", (None, 0), "LoRA adapters are not exported")
    cfg.must_be("quantization_config", (None,), "Keras-quantized layers are not exported")
    # A document may leave use_bias out: the weights say whether there is a bias.
    w = cfg.catalogue_weights()
    if cfg.has("use_bias") and cfg.flag("use_bias", True) != ("bias" in w):
        cfg.reject("use_bias", f"use_bias={cfg.get('use_bias')} but the layer lists {len(w)} weights")
    kernel = w["kernel"]
    if kernel.ndim != 2 or ("bias" in w and w["bias"].shape != (kernel.shape[1],)):
        cfg.reject_at("/weights", _shape_issue(w))
    if cfg.has("units") and kernel.ndim == 2 and cfg.get("units") != kernel.shape[1]:
        cfg.reject("units", f"units={cfg.get('units')!r} but the kernel has shape {list(kernel.shape)}")
    return _Dense(kernel, w.get("bias"), activation, cfg.float_weights(w))


def _shape_issue(w: dict[str, np.ndarray]) -> str:
    shapes = ", ".join(f"{k} {list(v.shape)}" for k, v in w.items())
    return f"Dense weights must be a kernel [in, units] and a bias [units], found {shapes}"


def _emit(b: Builder, p: _Dense, xs: list[Value], call: Call) -> list[Value]:
    h = call.path
    x = b.cast(xs[0], compute_dtype(p.dtype, xs), h)
    y = b.op("MatMul", [x.name, b.const(p.kernel, f"{h}/kernel", key=(id(call.layer), "kernel"))], h)
    if p.bias is not None:
        y = b.op("Add", [y, b.const(p.bias, f"{h}/bias", key=(id(call.layer), "bias"))], h)
    return [apply(b, Value(y, x.dtype, x.rank), p.activation, h)]


OPS = {"Dense": Op(_parse, _emit, "MatMul, Add")}
