"""Tensor payload encodings: ``base64`` and ``list`` (JSON), ``raw`` (MessagePack).

Decoders check every declared size against the real data before they
allocate; they raise :class:`ModelDocError` with a pointer into the document.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import math
from typing import Any

import numpy as np

from .choices import ENCODINGS as ENCODINGS  # defined once there, light for the command line
from .choices import Encoding as Encoding
from .dtypes import DType, bits_view, canonical_nan_array, from_le_bytes, int_range
from .errors import ModelDocError, escape_pointer_token
from .floattext import as_float64, format_floats, parse_nonfinite, round_from_float64
from .jsontext import NegativeZero
from .limits import Limits

# A whole document's encoding: JSON with base64 or list tensor data, or MessagePack (spec.md 5).
# The tensor encodings each container allows.
JSON_ENCODINGS = ("base64", "list")
MSGPACK_ENCODINGS = ("raw",)
_B64_VALUES = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def nbytes_of(shape: list[int] | tuple[int, ...], dt: DType, ptr: str, limits: Limits) -> int:
    """Declared byte size of a tensor, checked for rank, overflow and limits.

    The per-tensor limit bounds the itemsize times the product of the nonzero
    dimensions (spec.md section 8): [0, 2^40] and [2^40, 0] hold no elements,
    yet are refused alike, because array libraries bound that product too (numpy
    will not build a shape whose nonzero dimensions multiply past 2^63 bytes).
    """
    if len(shape) > limits.max_rank:
        raise ModelDocError.of(
            "LIMIT_RANK", ptr + "/shape", f"rank {len(shape)} exceeds the limit of {limits.max_rank}"
        )
    ceiling = min(limits.max_tensor_bytes, _MAX_ARRAY_BYTES)
    bound = dt.itemsize
    for d in shape:
        bound *= max(d, 1)
        if bound > ceiling:  # checked at every step, so the product never grows past one multiplication
            raise ModelDocError.of(
                "LIMIT_TENSOR_SIZE",
                ptr + "/shape",
                f"declared size exceeds the per-tensor limit of {limits.max_tensor_bytes} bytes",
            )
    return bound if all(shape) else 0


_MAX_ARRAY_BYTES = (1 << 63) - 1  # the most numpy holds in one array (also below the 2^64 overflow of the spec)


def sha256_hex(buf: memoryview | bytes) -> str:
    import hashlib  # with the first checksum: it loads OpenSSL (3 ms), which open and inspect never need

    return hashlib.sha256(buf).hexdigest()


# --- base64 -----------------------------------------------------------------


def base64_padding(n: int, tail: str, nbytes: int, dptr: str) -> int:
    """Check a base64 text's length (``n`` characters ending in ``tail``) against the
    declared size, before anything is decoded; return the number of ``=``."""
    if n % 4:
        raise ModelDocError.of("DATA_BASE64", dptr, f"base64 length {n} is not a multiple of 4")
    pad = 2 if tail.endswith("==") else (1 if tail.endswith("=") else 0)
    decoded_len = n // 4 * 3 - pad
    # Checked before decoding, so memory is bounded by what the shape allows.
    if decoded_len != nbytes:
        raise ModelDocError.of(
            "DATA_LENGTH", dptr, f"base64 holds {decoded_len} bytes, shape and dtype need {nbytes}"
        )
    return pad


def unused_bits_clear(last_symbol: str, pad: int) -> bool:
    """RFC 4648 section 3.5: the unused bits of the symbol before the padding must be zero,
    so that each byte string has exactly one base64 text."""
    value = _B64_VALUES.get(last_symbol)
    return value is not None and not value & (0b1111 if pad == 2 else 0b11)


def check_bools(chunk: Any, offset: int, ptr: str) -> None:
    """A bool tensor holds only the bytes 0x00 and 0x01 (``offset``: index of chunk[0])."""
    u = np.frombuffer(chunk, dtype=np.uint8)
    bad = np.flatnonzero(u > 1)
    if bad.size:
        raise ModelDocError.of(
            "DATA_BOOL", ptr + "/data",
            f"bool byte {int(u[bad[0]])} at element {offset + int(bad[0])} (must be 0 or 1)",
        )


def decode_base64(text: str, dt: DType, shape: tuple[int, ...], nbytes: int, ptr: str) -> np.ndarray:
    dptr = ptr + "/data"
    n = len(text)
    pad = base64_padding(n, text[-2:], nbytes, dptr)
    if "=" in text[: n - pad]:
        raise ModelDocError.of("DATA_BASE64", dptr, "padding '=' inside base64 text")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ModelDocError.of(
            "DATA_BASE64", dptr, "base64 text has characters outside the RFC 4648 standard alphabet"
        ) from None
    if pad and not unused_bits_clear(text[n - pad - 1], pad):
        raise ModelDocError.of("DATA_BASE64", dptr, "non-zero unused bits in the last base64 symbol")
    return _from_bytes(bytearray(raw), dt, shape, ptr)


# --- raw (MessagePack bin) ----------------------------------------------------


def join_chunks(chunks: list[bytes], nbytes: int, ptr: str) -> bytes:
    """The bytes of raw data split into several bins, length checked before joining."""
    total = sum(len(c) for c in chunks)
    if total != nbytes:
        raise ModelDocError.of(
            "DATA_LENGTH", ptr + "/data", f"bins hold {total} bytes, shape and dtype need {nbytes}"
        )
    return b"".join(chunks)


def decode_raw(buf: bytes, dt: DType, shape: tuple[int, ...], nbytes: int, ptr: str) -> np.ndarray:
    if len(buf) != nbytes:
        raise ModelDocError.of(
            "DATA_LENGTH", ptr + "/data", f"bin holds {len(buf)} bytes, shape and dtype need {nbytes}"
        )
    return _from_bytes(bytearray(buf), dt, shape, ptr)


def _from_bytes(buf: bytearray, dt: DType, shape: tuple[int, ...], ptr: str) -> np.ndarray:
    if dt.kind == "bool":
        check_bools(buf, 0, ptr)
    return from_le_bytes(buf, dt, shape)


# --- list ---------------------------------------------------------------------


def nan_needs_canonicalizing(arr: np.ndarray, dt: DType) -> bool:
    if dt.kind != "float":
        return False
    with np.errstate(invalid="ignore"):  # ml_dtypes' isnan flags a signalling bfloat16 NaN as invalid
        nan = np.isnan(np.asarray(arr))  # in the array's own dtype: widening a big tensor costs more than the test
    if not nan.any():
        return False
    return bool((bits_view(np.array(arr, dtype=dt.numpy, order="C"))[nan] != dt.canonical_nan).any())


def canonicalize_nan(arr: np.ndarray, dt: DType) -> np.ndarray:
    """A copy of ``arr`` with every NaN replaced by the dtype's canonical NaN."""
    if dt.kind != "float":
        return np.array(arr, dtype=dt.numpy, copy=True)
    out = np.array(arr, dtype=dt.numpy, copy=True)
    with np.errstate(invalid="ignore"):  # as in nan_needs_canonicalizing
        nan = np.isnan(out)
    out[nan] = canonical_nan_array(dt)
    return out


def encode_list_text(arr: np.ndarray, dt: DType) -> str:
    """JSON text of the nested list for ``arr`` (NaNs must already be canonical)."""
    shape = tuple(arr.shape)
    if dt.kind == "float":
        tokens = format_floats(arr, dt)
    else:
        flat = np.ascontiguousarray(arr).reshape(-1).tolist()
        tokens = [json.dumps(x) for x in flat] if flat else []
    return _nest(tokens, shape)


def _nest(tokens: list[str], shape: tuple[int, ...]) -> str:
    if not shape:
        return tokens[0]
    if math.prod(shape) == 0:
        return _nest_empty(shape)
    level = tokens
    for d in reversed(shape):
        level = ["[" + ",".join(level[i : i + d]) + "]" for i in range(0, len(level), d)]
    return level[0]


def _nest_empty(shape: tuple[int, ...]) -> str:
    if not shape or shape[0] == 0:
        return "[]"
    inner = _nest_empty(shape[1:]) if len(shape) > 1 else "[]"
    return "[" + ",".join([inner] * shape[0]) + "]"


def _flatten(data: object, shape: tuple[int, ...], ptr: str) -> list[object]:
    """Flatten nested lists level by level, checking they follow ``shape`` exactly.

    Pointers are worked out only when something is wrong: the position in a
    level is the C-order index over the dimensions above it.
    """
    if not shape:
        if isinstance(data, list):
            raise ModelDocError.of("DATA_LIST_SHAPE", ptr, "a scalar (shape []) must not be an array")
        return [data]
    level: list[object] = [data]
    for depth, d in enumerate(shape):
        if not all(type(item) is list and len(item) == d for item in level):
            j, item = next((j, x) for j, x in enumerate(level) if not (type(x) is list and len(x) == d))
            where = _elem_ptr(ptr, shape[:depth], j)
            if not isinstance(item, list):
                raise ModelDocError.of(
                    "DATA_LIST_SHAPE", where, f"expected an array of length {d} at depth {depth}, found a scalar"
                )
            raise ModelDocError.of(
                "DATA_LIST_SHAPE", where, f"array has length {len(item)}, shape needs {d} at depth {depth}"
            )
        level = list(itertools.chain.from_iterable(level))  # type: ignore[arg-type]
    if list in set(map(type, level)):
        k = next(k for k, x in enumerate(level) if isinstance(x, list))
        raise ModelDocError.of("DATA_LIST_SHAPE", _elem_ptr(ptr, shape, k), "array nests deeper than the shape")
    return level


def _elem_ptr(ptr: str, shape: tuple[int, ...], flat_index: int) -> str:
    if not shape:
        return ptr
    idx = np.unravel_index(flat_index, shape)
    return ptr + "".join("/" + escape_pointer_token(int(i)) for i in idx)


def decode_list(data: object, dt: DType, shape: tuple[int, ...], ptr: str) -> np.ndarray:
    dptr = ptr + "/data"
    flat = _flatten(data, shape, dptr)
    if dt.kind == "bool":
        for k, x in enumerate(flat):
            if type(x) is not bool:
                raise ModelDocError.of("DATA_LIST_TYPE", _elem_ptr(dptr, shape, k), "bool tensors hold true/false")
        return np.array(flat, dtype=np.bool_).reshape(shape)
    if dt.kind in ("int", "uint"):
        if set(map(type, flat)) <= {int}:
            try:  # numpy refuses out-of-range Python ints, so this is exact or raises
                return np.array(flat, dtype=dt.native).reshape(shape)
            except OverflowError:
                pass  # the loop below names the element
        lo, hi = int_range(dt)
        for k, x in enumerate(flat):
            if type(x) is not int and type(x) is not NegativeZero:
                raise ModelDocError.of(
                    "DATA_LIST_TYPE", _elem_ptr(dptr, shape, k), f"{dt.name} tensors hold JSON integers only"
                )
            if not lo <= x <= hi:
                raise ModelDocError.of(
                    "DATA_VALUE_RANGE", _elem_ptr(dptr, shape, k), f"{x} is outside the range of {dt.name}"
                )
        # Exact: numpy builds int64/uint64 from Python ints without a detour through double.
        return np.array(flat, dtype=dt.native).reshape(shape)
    return _decode_float_list(flat, dt, shape, dptr)


def _decode_float_list(flat: list[object], dt: DType, shape: tuple[int, ...], dptr: str) -> np.ndarray:
    nan_at: list[int] = []
    if set(map(type, flat)) <= {float}:  # the common case: decimals only, no strings or integer tokens
        values = np.array(flat, dtype=np.float64)
        return _round_checked(values, flat, dt, shape, dptr, nan_at)
    values = np.empty(len(flat), dtype=np.float64)
    for k, x in enumerate(flat):
        if isinstance(x, float):
            values[k] = x
        elif isinstance(x, NegativeZero):
            values[k] = -0.0  # the decimal text -0
        elif isinstance(x, int) and not isinstance(x, bool):
            values[k] = float(x)  # correctly rounded; |x| < 2**64 so never overflows
        elif isinstance(x, str):
            nf = parse_nonfinite(x)
            if nf is None:
                raise ModelDocError.of(
                    "DATA_LIST_TYPE",
                    _elem_ptr(dptr, shape, k),
                    f'string {x!r} in a float tensor (only "NaN", "Infinity", "-Infinity")',
                )
            values[k] = nf
            if nf != nf:
                nan_at.append(k)
        else:
            raise ModelDocError.of(
                "DATA_LIST_TYPE", _elem_ptr(dptr, shape, k), f"{dt.name} tensors hold numbers, not {_json_type(x)}"
            )
    return _round_checked(values, flat, dt, shape, dptr, nan_at)


def _round_checked(
    values: np.ndarray, flat: list[object], dt: DType, shape: tuple[int, ...], dptr: str, nan_at: list[int]
) -> np.ndarray:
    out = round_from_float64(values, dt).astype(dt.native, copy=False)
    finite_in = np.isfinite(values)
    overflow = finite_in & ~np.isfinite(as_float64(out))
    if overflow.any():
        k = int(np.flatnonzero(overflow)[0])
        raise ModelDocError.of(
            "DATA_VALUE_RANGE", _elem_ptr(dptr, shape, k), f"{flat[k]!r} overflows {dt.name}"
        )
    if nan_at:
        out[np.array(nan_at)] = canonical_nan_array(dt)
    return out.reshape(shape)


def _json_type(x: object) -> str:
    if isinstance(x, bool):
        return "a boolean"
    if x is None:
        return "null"
    if isinstance(x, dict):
        return "an object"
    if isinstance(x, (bytes, bytearray)):
        return "binary data"
    return type(x).__name__
