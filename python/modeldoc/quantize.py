"""Quantized tensors (spec.md 5.5): explicit, reported, dequantized on read.

A document stores the quantized tensor and its parameters; readers hand out
the dequantized one. ``quantize_document`` is the only way in: nothing is
quantized unless asked, and each tensor's largest error is measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .choices import QUANTIZE_MODES
from .dtypes import DTYPES, DType, dtype_of_array, int_range
from .errors import ModelDocError
from .floattext import as_float64, round_from_float64

MODES = QUANTIZE_MODES  # defined once, in choices.py, for the command line


@dataclass
class Quantization:
    """How a stored tensor maps back to its float original."""

    scheme: str  # "affine" or "cast"
    dtype: str  # the original (and dequantized) dtype
    axis: int | None = None
    scale: list[float] = field(default_factory=list)
    zero_point: list[int] = field(default_factory=list)
    max_abs_error: float | None = None

    def report_tree(self, dequantized_sha256: str) -> dict[str, Any]:
        """The reader report's form (spec.md 10): defaults applied, plus the reader's checksum."""
        out = self.to_tree()
        out["dequantized_sha256"] = dequantized_sha256
        return out

    def to_tree(self) -> dict[str, Any]:
        out: dict[str, Any] = {"scheme": self.scheme, "dtype": self.dtype}
        if self.scheme == "affine":
            out.update(axis=self.axis, scale=list(self.scale), zero_point=list(self.zero_point))
        if self.max_abs_error is not None:
            out["max_abs_error"] = self.max_abs_error
        return out


@dataclass
class QuantizedTensor:
    stored: np.ndarray
    quantization: Quantization


def parse(q: dict[str, Any], stored: DType, shape: tuple[int, ...], ptr: str) -> Quantization:
    """Check a schema-valid ``quantization`` object against its tensor (DATA_QUANTIZATION)."""
    qptr = ptr + "/quantization"

    def bad(member: str, message: str) -> ModelDocError:
        return ModelDocError.of("DATA_QUANTIZATION", f"{qptr}/{member}" if member else qptr, message)

    scheme, target = q["scheme"], q["dtype"]
    if scheme == "cast":
        if stored.name != "float16" or target not in ("float32", "float64"):
            raise bad("dtype", "cast stores float16 for a float32 or float64 tensor")
        for member in ("axis", "scale", "zero_point"):
            if member in q:
                raise bad(member, f"{member} belongs to the affine scheme")
        return Quantization("cast", target, max_abs_error=q.get("max_abs_error"))
    if stored.name not in ("uint8", "int8"):
        raise bad("scheme", f"affine stores uint8 or int8, not {stored.name}")
    axis = q.get("axis")
    if axis is not None and axis >= len(shape):
        raise bad("axis", f"axis {axis} does not exist in a tensor of rank {len(shape)}")
    for member in ("scale", "zero_point"):
        if member not in q:
            raise bad("", f"affine needs {member}")
    n = 1 if axis is None else shape[axis]
    scale, zero = q["scale"], q["zero_point"]
    if len(scale) != n:
        raise bad("scale", f"{len(scale)} scales for {n} channel(s)")
    if len(zero) != n:
        raise bad("zero_point", f"{len(zero)} zero points for {n} channel(s)")
    for i, s in enumerate(scale):
        if not (isinstance(s, (int, float)) and math.isfinite(s) and s > 0):
            raise bad(f"scale/{i}", "a scale must be finite and greater than 0")
    lo, hi = int_range(stored)
    for i, z in enumerate(zero):
        if not lo <= z <= hi:
            raise bad(f"zero_point/{i}", f"zero point {z} is outside the range of {stored.name}")
    return Quantization("affine", target, axis, [float(s) for s in scale], [int(z) for z in zero],
                        q.get("max_abs_error"))


def dequantize(stored: np.ndarray, q: Quantization) -> np.ndarray:
    """The float tensor a quantized one stands for, bit-exactly as spec.md 5.5 defines it."""
    target = DTYPES[q.dtype]
    if q.scheme == "cast":
        out: np.ndarray = stored.astype(target.native)
        return out
    x = stored.astype(np.float64)
    if q.axis is None:
        values = (x - q.zero_point[0]) * q.scale[0]
    else:
        bshape = [1] * stored.ndim
        bshape[q.axis] = -1
        zero = np.array(q.zero_point, dtype=np.float64).reshape(bshape)
        scale = np.array(q.scale, dtype=np.float64).reshape(bshape)
        values = (x - zero) * scale
    return round_from_float64(values, target).astype(target.native, copy=False).reshape(stored.shape)


def quantize_array(arr: np.ndarray, mode: str, axis: int | None) -> QuantizedTensor:
    """Quantize one finite float array (the writer's choice of parameters, spec.md 5.5)."""
    dt = dtype_of_array(arr)
    assert dt is not None and dt.kind == "float"
    x = as_float64(arr)
    if mode == "float16":
        stored = arr.astype(np.float16)
        q = Quantization("cast", dt.name)
    else:
        reduce_axes = tuple(i for i in range(arr.ndim) if i != axis) if axis is not None else None
        kept = axis is not None
        if mode == "uint8":
            lo = np.minimum(x.min(axis=reduce_axes, keepdims=kept), 0.0)
            hi = np.maximum(x.max(axis=reduce_axes, keepdims=kept), 0.0)
            scale = (hi - lo) / 255.0
            scale = np.where(scale > 0, scale, 1.0)
            zero = np.clip(np.round(-lo / scale), 0, 255)
            stored = np.clip(np.round(x / scale) + zero, 0, 255).astype(np.uint8)
        else:
            peak = np.abs(x).max(axis=reduce_axes, keepdims=kept)
            scale = np.where(peak > 0, peak / 127.0, 1.0)
            zero = np.zeros_like(scale)
            stored = np.clip(np.round(x / scale), -127, 127).astype(np.int8)
        q = Quantization("affine", dt.name, axis, [float(v) for v in np.ravel(scale)],
                         [int(v) for v in np.ravel(zero)])
    back = as_float64(dequantize(stored, q))
    q.max_abs_error = float(np.max(np.abs(back - x))) if x.size else 0.0
    return QuantizedTensor(stored, q)


def _fits_float16(arr: np.ndarray) -> bool:
    with np.errstate(over="ignore"):  # overflow is the question being asked
        return bool(np.isfinite(arr.astype(np.float16)).all())


def quantize_document(doc: Any, mode: str, *, per_channel: bool = False) -> list[tuple[str, str]]:
    """Quantize ``doc``'s float tensors in place; return (tensor, what happened) per tensor.

    Weights of rank >= 1 are quantized; test-vector tensors, tensors that are
    already quantized and tensors with NaN or infinities are kept, and the
    result says why. ``per_channel`` uses the last axis (output channels of
    Dense and convolution kernels).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    in_vectors = {name for v in doc.test_vectors for name in (*v.inputs.values(), *v.outputs.values())}
    results = []
    for name, arr in doc.tensors.items():
        dt = dtype_of_array(arr)
        if dt is None or dt.kind != "float" or arr.ndim == 0:
            continue
        if name in doc.quantization:
            results.append((name, "kept: already quantized"))
        elif name in in_vectors:
            results.append((name, "kept: a test vector"))
        elif not np.isfinite(as_float64(arr)).all():
            results.append((name, "kept: holds NaN or infinity"))
        elif mode == "float16" and dt.name not in ("float32", "float64"):
            results.append((name, f"kept: {dt.name} is not wider than float16"))
        elif mode == "float16" and not _fits_float16(arr):
            results.append((name, "kept: values overflow float16"))
        else:
            qt = quantize_array(arr, mode, arr.ndim - 1 if per_channel and mode != "float16" else None)
            doc.quantization[name] = qt
            doc.tensors[name] = dequantize(qt.stored, qt.quantization)
            results.append((name, f"{dt.name} -> {qt.stored.dtype.name}, max abs error {qt.quantization.max_abs_error:.6g}"))
    return results


__all__ = ["MODES", "Quantization", "QuantizedTensor", "dequantize", "parse", "quantize_array", "quantize_document"]
