"""The tfjs weights manifest and its binary shards, both ways, with tfjs' quantization.

tfjs keeps all weights of a group as one little-endian byte string, in
manifest order, split into shard files (``group1-shard1of2.bin``...). A
quantized weight stores uint8/uint16 values that tfjs reads as
``q * scale + min`` (computed in binary64, stored as float32) or float16
values widened to float32. Reading never trusts a declared size: the sizes
the manifest implies are computed first and compared with the real files
before anything is read.
"""

from __future__ import annotations

import math
import os
import stat
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ModelDocError
from ..quantize import Quantization, QuantizedTensor, dequantize
from ._support import DTYPE_BYTES, QUANTIZED_DTYPES
from ._topology_out import Weight

SHARD_BYTES = 4 * 1024 * 1024
MAX_RANK = 32
MAX_ELEMENTS = 1 << 40


# --- writing ----------------------------------------------------------------------------


def encode_weights(weights: list[Weight], quantized: dict[str, QuantizedTensor]) -> tuple[list[dict[str, Any]], bytes]:
    """The manifest entries and the concatenated bytes. A ModelDoc cast tensor becomes tfjs float16 and an
    affine uint8 one tfjs uint8 when tfjs' formula gives back the same float32 values; else float32."""
    specs: list[dict[str, Any]] = []
    chunks: list[bytes] = []
    for w in weights:
        spec: dict[str, Any] = {"name": w.name, "shape": [int(d) for d in w.array.shape]}
        q = quantized.get(w.tensor)
        if q is not None and q.quantization.scheme == "cast" and q.quantization.dtype == "float32":
            spec.update(dtype="float32", quantization={"dtype": "float16"})
            chunks.append(q.stored.astype("<f2").tobytes())
        elif q is not None and (params := _as_tfjs_uint8(q, w.array)) is not None:
            spec.update(dtype="float32", quantization={"dtype": "uint8", **params})
            chunks.append(q.stored.astype(np.uint8).tobytes())
        elif w.array.dtype == np.bool_:
            spec["dtype"] = "bool"
            chunks.append(w.array.astype(np.uint8).tobytes())
        else:
            spec["dtype"] = str(w.array.dtype)
            chunks.append(w.array.astype(w.array.dtype.newbyteorder("<")).tobytes())
        specs.append(spec)
    return specs, b"".join(chunks)


def _as_tfjs_uint8(q: QuantizedTensor, values: np.ndarray) -> dict[str, float] | None:
    p = q.quantization
    if p.scheme != "affine" or p.axis is not None or q.stored.dtype != np.uint8 or p.dtype != "float32":
        return None
    scale, low = p.scale[0], -p.zero_point[0] * p.scale[0]
    back = tfjs_dequantize(q.stored, "uint8", "float32", scale, low)
    return {"scale": scale, "min": low} if np.array_equal(back.view(np.uint32), values.view(np.uint32)) else None


def shard(data: bytes, shard_bytes: int) -> list[tuple[str, bytes]]:
    """Split ``data`` into tfjs shard files (at least one, possibly empty)."""
    pieces = [data[i:i + shard_bytes] for i in range(0, len(data), shard_bytes)] or [b""]
    n = len(pieces)
    return [(f"group1-shard{k + 1}of{n}.bin", piece) for k, piece in enumerate(pieces)]


# --- reading ----------------------------------------------------------------------------


@dataclass
class ReadWeight:
    """A weight read from the shards: its float32/int32/bool values and how it was stored."""

    name: str
    array: np.ndarray
    stored: np.ndarray | None  # the quantized values, for a quantized weight
    quantization: dict[str, Any] | None
    pointer: str


def invalid(ptr: str, message: str) -> ModelDocError:
    return ModelDocError.of("TFJS_INVALID_INPUT", ptr, message)


def read_weights(manifest: Any, folder: str) -> list[ReadWeight]:
    """Every weight of ``manifest`` (the ``weightsManifest`` member), read from shard files in ``folder``."""
    if not isinstance(manifest, list):
        raise invalid("/weightsManifest", "weightsManifest must be an array of groups")
    out: list[ReadWeight] = []
    seen: set[str] = set()
    for g, group in enumerate(manifest):
        at = f"/weightsManifest/{g}"
        if not isinstance(group, dict) or not isinstance(group.get("paths"), list) \
                or not isinstance(group.get("weights"), list):
            raise invalid(at, "a group needs \"paths\" and \"weights\" arrays")
        specs = [_spec(w, f"{at}/weights/{k}") for k, w in enumerate(group["weights"])]
        for spec in specs:
            if spec.name in seen:
                raise invalid(spec.pointer, f"weight {spec.name!r} is listed twice")
            seen.add(spec.name)
        data = _read_group(group["paths"], folder, sum(s.nbytes for s in specs), f"{at}/paths")
        offset = 0
        for spec in specs:
            out.append(_decode(spec, data[offset:offset + spec.nbytes]))
            offset += spec.nbytes
    return out


@dataclass
class _Spec:
    name: str
    shape: tuple[int, ...]
    dtype: str
    quantization: dict[str, Any] | None
    nbytes: int
    pointer: str


def _spec(w: Any, at: str) -> _Spec:
    if not isinstance(w, dict):
        raise invalid(at, "a weight entry must be an object")
    name, shape, dtype = w.get("name"), w.get("shape"), w.get("dtype")
    if not isinstance(name, str) or not name:
        raise invalid(f"{at}/name", "a weight needs a non-empty name")
    if not isinstance(shape, list) or len(shape) > MAX_RANK or \
            not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d for d in shape):
        raise invalid(f"{at}/shape", f"shape must be at most {MAX_RANK} non-negative integers")
    count = math.prod(shape)
    if count > MAX_ELEMENTS:
        raise invalid(f"{at}/shape", f"{count} elements is beyond the limit of {MAX_ELEMENTS}")
    if dtype in ("string", "complex64"):
        raise ModelDocError.of("TFJS_UNSUPPORTED", f"{at}/dtype", f"weight {name!r} is {dtype}; ModelDoc layers "
                               "hold numeric tensors only")
    if dtype not in ("float32", "int32", "bool"):
        raise ModelDocError.of("TFJS_UNSUPPORTED", f"{at}/dtype", f"weight dtype {dtype!r} is not a tfjs dtype")
    q = w.get("quantization")
    stored = dtype
    if q is not None:
        stored = _quantization(q, dtype, f"{at}/quantization")
    unknown = set(w) - {"name", "shape", "dtype", "quantization", "group"}
    if unknown:
        raise invalid(f"{at}/{sorted(unknown)[0]}", f"unknown weight member {sorted(unknown)[0]!r}")
    return _Spec(name, tuple(shape), dtype, q, count * DTYPE_BYTES[stored], at)


def _quantization(q: Any, dtype: str, at: str) -> str:
    if not isinstance(q, dict) or q.get("dtype") not in QUANTIZED_DTYPES:
        raise ModelDocError.of("TFJS_UNSUPPORTED", f"{at}/dtype", f"quantization must be one of "
                               f"{', '.join(QUANTIZED_DTYPES)}")
    stored = str(q["dtype"])
    if stored == "float16":
        if dtype != "float32":
            raise invalid(f"{at}/dtype", "float16 quantization is for float32 weights")
        return stored
    if dtype not in ("float32", "int32"):
        raise invalid(f"{at}/dtype", f"{stored} quantization is for float32 or int32 weights")
    for key in ("scale", "min"):
        v = q.get(key)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
            raise invalid(f"{at}/{key}", f"{stored} quantization needs a finite number {key}")
    return stored


def _read_group(paths: list[Any], folder: str, expected: int, at: str) -> bytes:
    """The shards' bytes, once their paths are safe and their total size is exactly ``expected``."""
    files, sizes = [], []
    for k, p in enumerate(paths):
        segments = shard_segments(p)
        if segments is None:
            raise invalid(f"{at}/{k}", f"shard path {p!r} must be a relative path inside the model.json folder "
                          "(no '..', no absolute path)")
        full = folder
        for n, segment in enumerate(segments):
            full = os.path.join(full, segment)
            try:
                st = os.lstat(full)
            except OSError as e:
                raise invalid(f"{at}/{k}", f"shard {p!r} cannot be opened: {e.strerror}") from None
            last = n == len(segments) - 1
            if not (stat.S_ISREG(st.st_mode) if last else stat.S_ISDIR(st.st_mode)):
                raise invalid(f"{at}/{k}", f"shard {p!r} is not a regular file (links are not followed)")
        files.append(full)
        sizes.append(st.st_size)
    if sum(sizes) != expected:
        raise invalid(at, f"the shards hold {sum(sizes)} bytes; the manifest describes {expected}")
    data = bytearray()
    for k, (p, full, size) in enumerate(zip(paths, files, sizes)):
        try:
            with open(full, "rb") as f:
                chunk = f.read(size + 1)
        except OSError as e:
            raise invalid(f"{at}/{k}", f"shard {p!r} cannot be read: {e.strerror}") from None
        if len(chunk) != size:
            raise invalid(f"{at}/{k}", f"shard {p!r} changed size while being read")
        data += chunk
    return bytes(data)


def shard_segments(p: Any) -> list[str] | None:
    """The folder names and file name of a shard path relative to model.json, or None when the path
    could leave that folder. tfjs resolves paths relative to model.json's URL, and its own browser
    ``save`` writes ``./model.weights.bin``, so ``.`` segments are skipped; ``..``, absolute paths,
    backslashes, drive letters and home-directory forms are refused."""
    if not isinstance(p, str) or not p or p.startswith(("/", "~")):
        return None
    segments = [s for s in p.split("/") if s not in ("", ".")]
    if not segments or not all(s != ".." and not any(c in s for c in "\\\0:") for s in segments):
        return None
    return segments


def _decode(spec: _Spec, raw: bytes) -> ReadWeight:
    q = spec.quantization
    if q is None:
        np_dtype = {"float32": "<f4", "int32": "<i4", "bool": "u1"}[spec.dtype]
        arr = np.frombuffer(raw, dtype=np_dtype).reshape(spec.shape)
        if spec.dtype == "bool":
            arr = arr != 0
        return ReadWeight(spec.name, arr.astype(arr.dtype.newbyteorder("=")), None, None, spec.pointer)
    stored_dtype = str(q["dtype"])
    stored = np.frombuffer(raw, dtype={"uint8": "u1", "uint16": "<u2", "float16": "<f2"}[stored_dtype])
    stored = stored.astype(stored.dtype.newbyteorder("=")).reshape(spec.shape)
    if stored_dtype == "float16":
        values = stored.astype(np.float32)
    else:
        values = tfjs_dequantize(stored, stored_dtype, spec.dtype, float(q["scale"]), float(q["min"]))
    return ReadWeight(spec.name, values, stored, dict(q), spec.pointer)


def tfjs_dequantize(stored: np.ndarray, stored_dtype: str, dtype: str, scale: float, low: float) -> np.ndarray:
    """What tfjs' decodeWeight computes: ``q * scale + min`` in binary64, then stored as float32, or
    (int32 weights) rounded half up as JavaScript's Math.round."""
    x = stored.astype(np.float64) * scale + low
    if dtype == "int32":
        return np.floor(x + 0.5).astype(np.int32)
    return x.astype(np.float32)


def as_modeldoc(w: ReadWeight) -> tuple[QuantizedTensor | None, str]:
    """How a read weight is kept in ModelDoc: a quantized tensor when that is exact, else the dequantized
    values; and one line saying which."""
    q = w.quantization
    if q is None or w.stored is None:
        return None, ""
    stored_dtype = q["dtype"]
    if stored_dtype == "float16":
        return (QuantizedTensor(w.stored, Quantization("cast", "float32", max_abs_error=0.0)),
                "float16: kept as a ModelDoc cast-quantized tensor (exact)")
    scale, low = float(q["scale"]), float(q["min"])
    text = f"{stored_dtype} affine (scale={scale!r}, min={low!r})"
    if stored_dtype == "uint8" and w.array.dtype == np.float32 and scale > 0:
        zero = round(-low / scale)
        if 0 <= zero <= 255:
            mine = QuantizedTensor(w.stored, Quantization("affine", "float32", None, [scale], [int(zero)]))
            back = dequantize(mine.stored, mine.quantization)
            if np.array_equal(back.view(np.uint32), w.array.view(np.uint32)):
                mine.quantization.max_abs_error = 0.0
                return mine, f"{text}: kept as a ModelDoc affine uint8 tensor (zero_point {zero}; exact)"
    return None, f"{text}: dequantized to {w.array.dtype} as tfjs does (q * scale + min)"
