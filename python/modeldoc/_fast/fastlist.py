"""Fast JSON text for ``list`` tensor data, byte for byte what :mod:`.floattext` writes.

The reference writer formats each element in Python (``str`` of a numpy
scalar, then a parse-back check), about 6 MB/s. Here orjson formats whole
blocks of float32, float64, integer and bool arrays in Rust, and only the
elements whose orjson text differs from the reference text go through the
reference formatter:

- non-finite values (orjson writes ``null``);
- magnitudes where the two pick another notation: numpy prints float32 in
  scientific notation below 1e-4 and from 1e6 up with a two-digit exponent
  (``1e-05``, ``1e+06``), orjson writes ``0.00001``, ``1e-7``,
  ``1000000.0``; Python's ``repr`` (float64) differs the same way below 1e-4;
- float32 values whose shortest text fails the section 6 reader rule (double
  rounding). An exhaustive run over every finite float32 (orjson 3.13.0's
  text, parsed as binary64 by Python's ``float``, then rounded to float32)
  found only ``0x15ae43fd`` and its negative, the same two values as for
  numpy's text; other orjson versions take the reference path for float32.

Digits agree wherever the notation does: both libraries print the shortest
decimal that identifies the value, and of those the nearest; no value lies
halfway between two such decimals, and in the ranges left to orjson no
rounding boundary is a decimal that short (the only place the two differ on
including a boundary). ``tests/test_fastlist.py`` checks the bytes against
the reference over all float16 and bfloat16 patterns and millions of random
float32 and float64 patterns; :func:`_agrees` re-checks a probe set at first
use, so an orjson that prints differently turns the fast path off instead of
changing the output.

float16 and bfloat16 have only 65,536 bit patterns each: their text comes
from a table of the reference texts of all of them, built once.

Patched elements are found without parsing the text: before formatting,
each is replaced by a marker value printed with an exponent ``e+``; every
other value orjson would print that way is patched too, so each ``+`` in the
block's text (found with memchr) is a marker, and the reference texts go into
those places. If that ever does not hold, the block is written by the
reference formatter.
"""

from __future__ import annotations

import functools
from typing import Iterator, Union

import numpy as np

from ..dtypes import DType
from ..floattext import format_floats

Buffer = Union[bytes, bytearray, memoryview]

try:  # a hard dependency; the guard keeps the reference path working without it
    import orjson
except ImportError:  # pragma: no cover
    orjson = None  # type: ignore[assignment]

_BLOCK = 1 << 18  # elements formatted per orjson call: big enough to amortise, small enough for the cache
_TABLE_MIN = {"float16": 1 << 12, "bfloat16": 1 << 16}  # below this the table costs more than it saves
_VERIFIED_FLOAT32 = ("3.13.0",)  # orjson versions whose float32 text was checked exhaustively (see above)
_FLOAT32_DOUBLE_ROUNDING = (0x15AE43FD,)  # |bits| of the float32 values that need longer text


class _Plan:
    """How one float dtype is patched: which magnitude bits orjson may print alone."""

    def __init__(self, uint: type[np.unsignedinteger], safe: list[tuple[float, float]], marker: float,
                 always: tuple[int, ...]) -> None:
        self.uint = uint
        self.fdtype = np.float32 if uint is np.uint32 else np.float64
        self.abs_mask = uint(np.iinfo(uint).max >> 1)
        # Safe ranges [lo, hi) of |x|, as bit patterns (order of non-negative floats = order of their bits).
        self.safe = [(self._bits(lo), self._bits(hi) - self._bits(lo)) for lo, hi in safe]
        self.marker = self.fdtype(marker)
        self.marker_text = orjson.dumps(np.array([self.marker]), option=orjson.OPT_SERIALIZE_NUMPY)[1:-1]
        self.always = [uint(b) for b in always]

    def _bits(self, x: float) -> np.unsignedinteger:
        return np.array([x], dtype=self.fdtype).view(self.uint)[0]  # type: ignore[no-any-return]

    def needs_patch(self, flat: np.ndarray) -> np.ndarray:
        mag = flat.view(self.uint) & self.abs_mask
        ok = np.zeros(mag.shape, dtype=bool)
        for lo, width in self.safe:
            ok |= (mag - lo) < width  # unsigned wrap-around: one test for lo <= mag < lo + width
        for b in self.always:
            ok &= mag != b
        return ~ok


# The marker lies in a patched range, so a value equal to it in the data is itself patched.
# Every value that orjson prints with "e+" (float32 from 1e13, float64 from 1e16) is patched
# too, so in a block's text each "+" belongs to a marker.
_PLANS: dict[str, tuple[type[np.unsignedinteger], list[tuple[float, float]], float, tuple[int, ...]]] = {
    "float32": (np.uint32, [(0.0, 1e-10), (1.0001e-4, 9.9e5)], 3.3895314e38, _FLOAT32_DOUBLE_ROUNDING),
    "float64": (np.uint64, [(0.0, 1e-10), (1.0001e-4, 1e16)], 1.2345678901234567e300, ()),
}


@functools.cache
def _plan(name: str) -> _Plan | None:
    if orjson is None or (name == "float32" and orjson.__version__ not in _VERIFIED_FLOAT32):
        return None
    uint, safe, marker, always = _PLANS[name]
    plan = _Plan(uint, safe, marker, always)
    return plan if _agrees(plan, name) else None


def _probe_values(name: str) -> np.ndarray:
    """Values around every notation switch and range edge, plus a fixed spread of bit patterns."""
    ftype = np.float32 if name == "float32" else np.float64
    edges = [10.0**k for k in range(-12, 18)] + [1.0001e-4, 9.9e5, 0.5, 1.0, 2.0]
    out = []
    with np.errstate(over="ignore"):
        edge_values = np.array(edges, dtype=ftype)
    for e in edge_values[np.isfinite(edge_values)]:
        x = e
        for _ in range(3):
            x = np.nextafter(x, ftype(0))
        for _ in range(7):
            out.append(x)
            x = np.nextafter(x, ftype(np.inf))
    uint = np.uint32 if name == "float32" else np.uint64
    spread = (np.arange(4096, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)).astype(uint)
    vals = np.concatenate([np.array(out, dtype=ftype), spread.view(ftype), [ftype(0.0), ftype(-0.0)]])
    vals = vals[np.isfinite(vals)]
    return np.concatenate([vals, -vals])


def _agrees(plan: _Plan, name: str) -> bool:
    """orjson's text equals the reference text for every probe value it would print alone."""
    vals = _probe_values(name)
    keep = vals[~plan.needs_patch(vals)]
    got = orjson.dumps(keep, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1].decode("ascii")
    from ..dtypes import DTYPES

    return got.split(",") == format_floats(keep, DTYPES[name])


@functools.cache
def _table(name: str) -> list[bytes]:
    from ..dtypes import DTYPES

    dt = DTYPES[name]
    values = np.arange(1 << 16, dtype=np.uint16).view(dt.numpy)
    texts = _bfloat16_texts(values, dt) if name == "bfloat16" else format_floats(values, dt)
    return [t.encode("ascii") for t in texts]


def _bfloat16_texts(values: np.ndarray, dt: DType) -> list[str]:
    """format_floats for bfloat16, with its precision search done for all values at once
    (2 s one value at a time, 0.3 s this way; tests compare the two on all 65,536)."""
    from ..floattext import as_float64, round_from_float64

    texts = format_floats(values[~np.isfinite(as_float64(values))], dt)  # "NaN", "Infinity", "-Infinity"
    out: list[str] = [""] * len(values)
    x = as_float64(values)
    for i, t in zip(np.flatnonzero(~np.isfinite(x)).tolist(), texts):
        out[i] = t
    todo = np.flatnonzero(np.isfinite(x))
    want = values.view(np.uint16)
    for p in range(1, 10):
        cand = [format(v, f".{p}g") for v in x[todo].tolist()]
        got = round_from_float64(np.array([float(c) for c in cand]), dt).view(np.uint16)
        hit = got == want[todo]
        for i, c in zip(todo[hit].tolist(), [c for c, h in zip(cand, hit.tolist()) if h]):
            out[i] = c if ("." in c or "e" in c or "n" in c) else c + ".0"  # as _shortest_candidates
        todo = todo[~hit]
    return out


def block_size() -> int:
    """Elements per formatted block: a tensor bigger than this comes in several pieces."""
    return _BLOCK


def list_text(arr: np.ndarray, dt: DType) -> Iterator[Buffer] | None:
    """Pieces of the JSON text of ``arr`` in the ``list`` encoding, or None where the
    reference path (:func:`modeldoc.encodings.encode_list_text`) must write it.

    NaNs must already be canonical. The pieces joined equal the reference text.

    >>> import numpy as np
    >>> from modeldoc.dtypes import DTYPES
    >>> b"".join(list_text(np.array([[1e-5, 0.5], [np.inf, -0.0]], dtype=np.float32), DTYPES["float32"]))
    b'[[1e-05,0.5],["Infinity",-0.0]]'
    """
    if orjson is None or arr.ndim == 0 or arr.size == 0:
        return None
    if dt.kind in ("bool", "int", "uint"):
        return _blocks(np.ascontiguousarray(arr, dtype=dt.native), None)
    if dt.name in _TABLE_MIN:
        if arr.size < _TABLE_MIN[dt.name]:
            return None
        return _tabled(np.ascontiguousarray(arr, dtype=dt.native), dt)
    plan = _plan(dt.name)
    if plan is None:
        return None
    return _blocks(np.ascontiguousarray(arr, dtype=dt.native), plan)


def _blocks(arr: np.ndarray, plan: _Plan | None) -> Iterator[Buffer]:
    """The text of ``arr`` (C-contiguous, not empty), split into blocks of rows along axis 0."""
    inner = arr[0].size
    if arr.ndim > 1 and inner >= _BLOCK:
        yield b"["
        for i in range(len(arr)):
            if i:
                yield b","
            yield from _blocks(arr[i], plan)
        yield b"]"
        return
    rows = max(1, _BLOCK // max(1, inner))
    starts = range(0, len(arr), rows)

    def piece(k: int) -> memoryview:  # the block's items without its brackets
        return memoryview(_format(arr[starts[k] : starts[k] + rows], plan))[1:-1]

    yield b"["
    for k in range(len(starts)):
        if k:
            yield b","
        yield piece(k)
    yield b"]"


def _format(block: np.ndarray, plan: _Plan | None) -> bytes:
    if plan is None:
        return orjson.dumps(block, option=orjson.OPT_SERIALIZE_NUMPY)
    flat = block.reshape(-1)
    idx = np.flatnonzero(plan.needs_patch(flat))
    if not idx.size:
        return orjson.dumps(block, option=orjson.OPT_SERIALIZE_NUMPY)
    values = flat[idx]
    marked = block.copy()
    marked.reshape(-1)[idx] = plan.marker
    text = orjson.dumps(marked, option=orjson.OPT_SERIALIZE_NUMPY)
    from ..dtypes import DTYPES

    texts = [t.encode("ascii") for t in format_floats(values, DTYPES[plan.fdtype.__name__])]
    # Every value printed with an exponent "e+" is patched, so each "+" is a marker's:
    # memchr finds them, and the pieces between are views, copied once by join.
    view = memoryview(text)
    before, after = plan.marker_text.index(b"+"), len(plan.marker_text) - plan.marker_text.index(b"+")
    out: list[bytes | memoryview] = []
    find = text.find
    pos = 0
    for replacement in texts:
        plus = find(b"+", pos)
        if plus < 0 or text[plus - before : plus + after] != plan.marker_text:
            return _reference(block, plan)  # an orjson that prints "e+" elsewhere: still exact
        out.append(view[pos : plus - before])
        out.append(replacement)
        pos = plus + after
    if find(b"+", pos) >= 0:
        return _reference(block, plan)
    out.append(view[pos:])
    return b"".join(out)


def _reference(block: np.ndarray, plan: _Plan) -> bytes:
    from ..dtypes import DTYPES
    from ..encodings import encode_list_text

    return encode_list_text(block, DTYPES[plan.fdtype.__name__]).encode("ascii")


def _tabled(arr: np.ndarray, dt: DType) -> Iterator[bytes]:
    """float16 / bfloat16: each element's text looked up by its bits, rows joined in C."""
    table = _table(dt.name)
    shape = arr.shape
    d = shape[-1]
    bits = arr.reshape(-1, d).view(np.uint16)
    rows_per = max(1, _BLOCK // d)
    # Rows of the last axis, then brackets where outer indices roll over (as ndarray.tolist nests).
    outer = shape[:-1]
    n_rows = bits.shape[0]
    strides = [int(np.prod(outer[k + 1 :], dtype=np.int64)) for k in range(len(outer))]
    yield b"[" * len(shape)
    for start in range(0, n_rows, rows_per):
        parts: list[bytes] = []
        for r, row in enumerate(bits[start : start + rows_per].tolist(), start):
            if r:
                closes = sum(1 for s in strides if r % s == 0)
                parts.append(b"]" * closes + b"," + b"[" * closes)
            parts.append(b",".join([table[b] for b in row]))
        yield b"".join(parts)
    yield b"]" * len(shape)
