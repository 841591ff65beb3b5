"""Reading ``list`` tensor data cut out of a big JSON file (bigfile.py), block by block.

The reference path parses the whole document with the stdlib parser and its
hooks, then checks and converts every element in Python. Here each block of
rows along axis 0 is parsed by orjson (about four times faster) and converted
by numpy: ``np.array(..., dtype=float64)`` then one rounding to the dtype,
which is the spec's reader rule (section 6) exactly.

The fast lane accepts only what it can vouch for; the result is then the same
array the reference path builds:

- the block holds no string, object, ``true``/``false``/``null`` (so numpy
  cannot turn ``"1.5"``, ``true`` or ``null`` into a number), and for integer
  dtypes no fraction or exponent;
- orjson parses it (it refuses ``NaN`` literals, ``1e999`` and bad syntax)
  into exactly the declared row shape;
- no magnitude reaches 2**63 (orjson turns integers beyond 64 bits into
  floats silently, where the reference reports ``SYNTAX_NUMBER_RANGE``);
- a positive zero is not the integer token ``-0`` (orjson reads it as 0, the
  reference as negative zero);
- nothing overflows the dtype.

A block that fails any of these goes through the reference decoder (the
stdlib parser with the same hooks, the tree checks and
:func:`modeldoc.encodings.decode_list`), which handles ``"NaN"`` and the
integer token ``-0`` the reference way. If that finds anything wrong, the
whole document is read again the ordinary way (:class:`bigfile.Fallback`), so
findings and pointers never depend on which path ran.
"""

from __future__ import annotations

import dataclasses
import mmap
import os
from typing import Callable

import numpy as np

from ..dtypes import DType, from_le_bytes, int_range, to_le_bytes
from ..encodings import decode_list, sha256_hex
from ..errors import Collector, ModelDocError
from ..jsontext import _DECODER
from ..limits import Limits
from ..tree import check_tree
from .bigfile import Fallback, release
from .hashing import Hasher

try:
    import orjson
except ImportError:  # pragma: no cover - a hard dependency; without it every block takes the reference lane
    orjson = None  # type: ignore[assignment]

BLOCK_TEXT = 2 << 20  # bytes of text parsed per block (about 700,000 float32 values)
_TENSOR_DEPTH = 3  # the data array sits at depth 4: top object, "tensors", the tensor's object
_NOT_IN_FLOATS = (b'"', b"{", b"n", b"t", b"f")  # strings, objects, null, true, false
_NOT_IN_INTS = _NOT_IN_FLOATS + (b".", b"e", b"E")
_NOT_IN_BOOLS = (b'"', b"{", b"n") + tuple(bytes([c]) for c in b"0123456789")
_SIGNED_ZERO = (b"-0,", b"-0]", b" ", b"\n", b"\r", b"\t")  # where an integer token -0 could end
_BIG = float(1 << 63)


class Unusual(Fallback):
    """Something in a block only the reference lane may judge (a Fallback if it escapes)."""


def decode_list_span(
    fd: int, mm: mmap.mmap, start: int, end: int, dt: DType, shape: tuple[int, ...], nbytes: int, ptr: str,
    keep: bool, limits: Limits, progress: Callable[[int], None] | None = None, verify: bool = True,
) -> tuple[np.ndarray | None, str]:
    """Decode the JSON array at file bytes [start, end) as ``list`` data of ``shape``;
    return (array or None, sha256 hex of its little-endian bytes).

    Raises :class:`bigfile.Fallback` for anything the reference path must judge.
    """
    if not shape:
        return _scalar(fd, start, end, dt, ptr, limits, keep, verify)
    if _TENSOR_DEPTH + len(shape) > limits.max_depth:
        raise Unusual("too deep: the reference path decides")
    blocks = _cuts(mm, start, end, len(shape))
    inner = shape[1:]

    def work(i: int) -> memoryview:
        lo, hi = blocks[i]
        buf = bytearray(hi - lo + 2)  # "[" + the items + "]"
        buf[0], buf[-1] = 0x5B, 0x5D
        if os.preadv(fd, [memoryview(buf)[1:-1]], lo) != hi - lo:
            raise Unusual("short read")
        return to_le_bytes(_decode_block(buf, dt, inner, ptr, limits), dt)

    out = np.empty(nbytes, dtype=np.uint8) if keep else None
    hasher = Hasher(nbytes, enabled=verify)
    try:
        written = 0
        for i in range(len(blocks)):
            raw = work(i)
            if written + len(raw) > nbytes:
                raise Unusual("more rows than the shape")
            hasher.update(raw)  # a fresh buffer per block: safe to hash in the background
            if out is not None:
                out[written : written + len(raw)] = np.frombuffer(raw, dtype=np.uint8)
            written += len(raw)
            if progress:
                progress(blocks[i][1] - blocks[i][0] + 1)
        if written != nbytes:
            raise Unusual("fewer rows than the shape")
        arr_out = None if out is None else from_le_bytes(out.data, dt, shape)  # type: ignore[arg-type]
        return arr_out, hasher.hexdigest()
    finally:
        hasher.close()


def _cuts(mm: mmap.mmap, start: int, end: int, rank: int) -> list[tuple[int, int]]:
    """File ranges of blocks of whole items of the outer array, about BLOCK_TEXT long.

    Items of the outer array are separated by ``]]],[[[`` with rank - 1 brackets
    each side; in valid data that text occurs nowhere else. If it does occur
    elsewhere (invalid data), the block does not parse as whole items of the
    declared shape and the reference lane judges it. An item bigger than a
    block becomes one block.
    """
    if mm[start] != 0x5B or mm[end - 1] != 0x5D:
        raise Unusual("not an array")
    sep = b"]" * (rank - 1) + b"," + b"[" * (rank - 1)
    pos = first = start + 1  # the items lie between the outer brackets
    stop = end - 1
    out: list[tuple[int, int]] = []
    while stop - first > BLOCK_TEXT:
        window_end = min(stop, pos + BLOCK_TEXT)
        cut = mm.rfind(sep, max(first, pos - len(sep)), window_end)  # a separator may straddle windows
        release(mm, pos, window_end)
        if cut < 0:
            pos = window_end  # no item ends here: the block grows
            if pos >= stop:
                break
            continue
        out.append((first, cut + rank - 1))  # up to the item's own closing brackets
        pos = first = cut + rank  # the next item starts after the comma
    out.append((first, stop))
    return out


def _decode_block(buf: bytes | bytearray, dt: DType, inner: tuple[int, ...], ptr: str, limits: Limits) -> np.ndarray:
    try:
        return _fast(buf, dt, inner)
    except Unusual:
        return _reference(buf, dt, inner, ptr, limits)


def _fast(buf: bytes | bytearray, dt: DType, inner: tuple[int, ...]) -> np.ndarray:
    if orjson is None:  # pragma: no cover
        raise Unusual("no orjson")
    banned = _NOT_IN_BOOLS if dt.kind == "bool" else (_NOT_IN_FLOATS if dt.kind == "float" else _NOT_IN_INTS)
    if any(buf.find(c) >= 0 for c in banned):
        raise Unusual("a token numpy would convert without asking")
    try:
        items = orjson.loads(buf)
        if dt.kind == "float":
            values = np.array(items, dtype=np.float64)
        else:
            values = np.array(items)
    except (orjson.JSONDecodeError, ValueError, TypeError, OverflowError):
        raise Unusual("not plain rows of numbers") from None
    if values.shape[1:] != inner or values.ndim != 1 + len(inner):
        raise Unusual("rows of another shape")
    if dt.kind == "bool":
        if values.dtype != np.bool_:
            raise Unusual("not only true/false")
        return values
    if dt.kind in ("int", "uint"):
        lo, hi = int_range(dt)
        if values.dtype.kind not in "iu" or (values.size and (int(values.min()) < lo or int(values.max()) > hi)):
            raise Unusual("an integer out of range, or not an integer")
        return values.astype(dt.native)
    return _round(values, buf, dt)


def _round(values: np.ndarray, buf: bytes | bytearray, dt: DType) -> np.ndarray:
    from ..floattext import round_from_float64

    if values.size and (values.max() >= _BIG or values.min() <= -_BIG):
        raise Unusual("an integer orjson may have read as a float")
    zero = values == 0
    if zero.any() and not np.signbit(values[zero]).all() and any(buf.find(c) >= 0 for c in _SIGNED_ZERO):
        raise Unusual("perhaps the integer token -0")
    out = values if dt.name == "float64" else round_from_float64(values, dt).astype(dt.native, copy=False)
    if dt.name != "float64" and np.isinf(out).any():
        raise Unusual("a value overflows the dtype")
    return out


_MSG = "list data outside the reference path's checks"


def _reference(buf: bytes | bytearray, dt: DType, inner: tuple[int, ...], ptr: str, limits: Limits) -> np.ndarray:
    """The reference decoder on one block; any finding sends the document to the reference path."""
    items = _parsed(buf, limits)
    if not isinstance(items, list):
        raise Fallback(_MSG)
    return _decoded(items, dt, (len(items),) + inner, ptr)


def _scalar(
    fd: int, start: int, end: int, dt: DType, ptr: str, limits: Limits, keep: bool, verify: bool
) -> tuple[np.ndarray | None, str]:
    """A scalar tensor's data, one bare value (lazy access cuts it out for its byte range): the
    reference decoder reads it whole."""
    buf = bytearray(end - start)
    if os.preadv(fd, [buf], start) != len(buf):
        raise Unusual("short read")
    arr = _decoded(_parsed(buf, limits), dt, (), ptr)
    return (arr if keep else None), sha256_hex(to_le_bytes(arr, dt)) if verify else ""


def _parsed(buf: bytes | bytearray, limits: Limits) -> object:
    """JSON text parsed and checked as the reference path does; Fallback on any finding."""
    try:
        value = _DECODER.decode(buf.decode("ascii"))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise Fallback(_MSG) from None
    out = Collector()
    check_tree(value, dataclasses.replace(limits, max_depth=limits.max_depth - _TENSOR_DEPTH), out, msgpack=False)
    if out.errors:
        raise Fallback(_MSG)
    return value


def _decoded(value: object, dt: DType, shape: tuple[int, ...], ptr: str) -> np.ndarray:
    try:
        return decode_list(value, dt, shape, ptr)
    except ModelDocError:
        raise Fallback(_MSG) from None

