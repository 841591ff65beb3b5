"""Cutting the tensor payloads out of a large file: the same checks, bounded memory.

For a file above a size threshold, the tensor payloads are cut out of the
document before it is parsed: every long base64 string (JSON) or long bin
(MessagePack) is replaced by a short placeholder, the small remaining
*skeleton* goes through the ordinary syntax, version, schema and semantic
layers, and each payload is then decoded straight from the file into its
preallocated array, chunk by chunk, hashing as it goes (_fast/payloads.py).
This module finds the payloads; it reads none of them.

The fast path only ever *accepts* what the reference path accepts. Whenever
it meets something unusual (a placeholder outside tensor data, a syntax
error, a character outside the base64 alphabet), it gives up with
:class:`Fallback` and the caller reads the document the ordinary way, so
findings, codes and pointers never depend on which path ran.
"""

from __future__ import annotations

import mmap
import os
import re
from dataclasses import dataclass
from typing import IO, Any

from ..dtypes import DTYPES

STREAM_THRESHOLD = 32 << 20  # files at least this big take this path
PAYLOAD_THRESHOLD = 64 << 10  # strings/bins at least this long are cut out
_WINDOW = 8 << 20  # bytes of the mapping scanned before they are released
_MAX_MSGPACK_ITEMS = 5_000_000  # beyond this the C parser is faster: fall back


class Fallback(Exception):
    """The fast path cannot vouch for this input; read it the ordinary way."""


@dataclass(frozen=True)
class Span:
    start: int  # offset of the first payload byte in the file
    end: int  # offset one past the last
    kind: str = "string"  # "string": a string's characters; "list": a JSON array from "[" to "]"


@dataclass
class Skeleton:
    data: bytes  # the document with payloads replaced by placeholders
    spans: dict[str, Span]  # placeholder text (JSON) or bytes' hex (MessagePack) -> payload


# --- scanning ---------------------------------------------------------------------


def release(mm: mmap.mmap, start: int, end: int) -> None:
    """Drop pages of a read-only mapping from this process (they stay in the page cache)."""
    page = mmap.PAGESIZE
    lo = start - start % page
    if end > lo and hasattr(mm, "madvise"):
        mm.madvise(mmap.MADV_DONTNEED, lo, min(end, len(mm)) - lo)


def _find(mm: mmap.mmap, needle: bytes, start: int, stop: int | None = None) -> int:
    """``mm.find`` that releases what it has scanned, so RSS does not grow with the file."""
    pos = start
    stop = len(mm) if stop is None else stop
    while pos < stop:
        end = min(pos + _WINDOW, stop)
        hit = mm.find(needle, pos, end)
        release(mm, pos, end if hit < 0 else hit)
        if hit >= 0:
            return hit
        pos = end
    return -1


def holds_backslash(mm: mmap.mmap, span: Span) -> bool:
    """Whether a payload's text holds a JSON escape (lazy access cuts such strings out unread)."""
    return _find(mm, b"\\", span.start, span.end) >= 0


def _string_end(mm: mmap.mmap, start: int, escapes: bool = True) -> tuple[int, bool]:
    """The closing quote of the string whose characters start at ``start``, and whether a long one
    (``PAYLOAD_THRESHOLD`` or more) holds a backslash (looked for only with ``escapes``).

    One pass over the mapping: each window is searched for the backslash while its pages are still
    mapped, before they are released, instead of a second pass that would map the string again.
    The end is right either way: a quote counts only after an even run of backslashes.
    """
    pos, n, escaped = start, len(mm), False
    while pos < n:
        stop = min(pos + _WINDOW, n)
        hit = mm.find(b'"', pos, stop)
        upto = stop if hit < 0 else hit
        if escapes and not escaped and (hit < 0 or upto - start >= PAYLOAD_THRESHOLD):
            escaped = mm.find(b"\\", pos, upto) >= 0
        release(mm, pos, upto)
        if hit < 0:
            pos = stop
            continue
        k = hit - 1  # the closing quote is the first one not escaped by an odd run of backslashes
        while mm[k] == 0x5C:
            k -= 1
        if (hit - 1 - k) % 2 == 0:
            return hit, escaped
        pos, escaped = hit + 1, True  # an escaped quote: the string holds a backslash
    raise Fallback("unterminated string")


_WHITESPACE = b" \t\r\n"


def _is_data_value(mm: mmap.mmap, q: int) -> bool:
    """Whether the string opening at ``q`` is the value of a member named ``data`` (whitespace
    allowed around the colon, up to 64 bytes of it in all); byte tests, as every string asks."""
    k, stop = q - 1, max(0, q - 64)
    while k >= stop and mm[k] in _WHITESPACE:
        k -= 1
    if k < stop or mm[k] != 0x3A:  # ":"
        return False
    k -= 1
    while k >= stop and mm[k] in _WHITESPACE:
        k -= 1
    return k - 5 >= stop and mm[k - 5 : k + 1] == b'"data"'


def scan_json(mm: mmap.mmap, *, predict: bool = False, cut_escaped: bool = False,
              min_payload: int | None = None) -> Skeleton:
    """Cut long ``data`` strings (and the writer's long ``list`` arrays) out of JSON text.

    Long: ``PAYLOAD_THRESHOLD`` characters or more, or ``min_payload`` (lazy access passes 0,
    so that every base64 tensor, and every list in the writer's layout, has its place in the file).

    A long string that holds a backslash stays in the skeleton, for the JSON parser to
    unescape, unless ``cut_escaped``: lazy access cuts it out too, saving the pass that looks
    for backslashes, since it reads a payload only on request and the base64 decoder then
    refuses the backslash (``get_tensor`` falls back to the full read; spec.md 7.1 lets a lazy
    reader skip a value's characters once it knows where the value ends).

    With ``predict`` a base64 payload is not scanned for its end: its length follows from
    the ``dtype`` and ``shape`` written before it (:func:`_predicted_end`). The caller must
    then pass every character of every cut-out payload through the base64 alphabet check
    (``decode_base64_span`` or ``check_chars``): that check, not the guess, is what proves
    the string ends there, since the alphabet holds neither a quote nor a backslash.
    The full read does so; lazy access, which leaves payloads unread, scans them.
    """
    token = os.urandom(16).hex()  # placeholders no document can contain by chance
    shortest = PAYLOAD_THRESHOLD if min_payload is None else min_payload
    pieces: list[bytes] = []
    spans: dict[str, Span] = {}
    last = pos = 0

    def cut(upto: int, span: Span) -> None:
        """Keep the text from ``last`` to ``upto``, then a placeholder that stands for ``span``."""
        name = f"{token}:{len(spans)}"
        pieces.append(mm[last:upto])
        pieces.append(b'"' + name.encode() + b'"')
        spans[name] = span

    while True:
        q = mm.find(b'"', pos)
        if q < 0:
            break
        if predict and _is_data_value(mm, q):
            end = _predicted_end(mm, q)
            if end >= 0:
                cut(q, Span(q + 1, end))
                last = pos = end + 1
                continue
        end, escaped = _string_end(mm, q + 1, escapes=not cut_escaped)
        if end - q == 5 and mm[q : end + 2] == b'"data":' and end + 2 < len(mm) and mm[end + 2] in _LIST_START:
            close = _list_end(mm, end + 2, shortest)
            if close >= 0:
                cut(end + 2, Span(end + 2, close, "list"))
                last = pos = close
                continue
        long = end - q - 1 >= shortest
        if long and not escaped and _is_data_value(mm, q):
            cut(q, Span(q + 1, end))
            last = end + 1
        pos = end + 1
    pieces.append(mm[last:])
    return Skeleton(b"".join(pieces), spans)


_DTYPE_MEMBER = re.compile(rb'"dtype":"([a-z0-9]{2,12})"')
_SHAPE_MEMBER = re.compile(rb'"shape":\[([0-9,]{0,200})\]')
_BASE64_MEMBER = re.compile(rb'"encoding":"base64"')


def _predicted_end(mm: mmap.mmap, q: int) -> int:
    """Where the base64 string opening at ``q`` ends if its tensor's object, as the reference
    writer lays it out, declares its size before ``data``; -1 if it does not, or no quote is there.

    Only a guess: the caller proves it by checking every character before that quote.
    """
    head = mm[max(0, q - 512) : q]
    head = head[head.rfind(b"{") + 1 :]  # this tensor's members so far
    dtype, shape = _DTYPE_MEMBER.search(head), _SHAPE_MEMBER.search(head)
    if dtype is None or shape is None or _BASE64_MEMBER.search(head) is None:
        return -1
    dt = DTYPES.get(dtype.group(1).decode("ascii"))
    dims = shape.group(1).split(b",") if shape.group(1) else []
    if dt is None or not all(d.isdigit() for d in dims):
        return -1
    nbytes = dt.itemsize
    for d in dims:
        nbytes *= int(d)
    end = q + 1 + 4 * -(-nbytes // 3)
    if end - q - 1 < PAYLOAD_THRESHOLD or end >= len(mm) or mm[end] != 0x22:
        return -1
    return end


_LIST_START = b"[-0123456789tf"  # list data: an array, or a scalar tensor's one number, true or false
_SCALAR_TEXT = 40  # more characters than any number the writer prints


def _list_end(mm: mmap.mmap, start: int, shortest: int) -> int:
    """End of ``list`` data of ``shortest`` characters or more that starts at ``start`` (an array's
    "[", or a scalar tensor's bare value), or -1 to leave it in place.

    Only the layout the reference writer uses is cut out: the value followed by
    ``,"sha256"``. The candidate end need not be right: the payload is then not one
    JSON value of the declared shape, and reading falls back to the reference path.
    But it must not hide a member: text cut out before its real end is either a syntax
    error (found when the payload is read, spec.md 7.1) or holds a ":", so any ":" (which
    list data never holds) leaves the payload in place for the structure's checks.
    """
    if mm[start] == 0x5B:  # "["
        # Valid list data holds no "}", so the tensor's object closes after it: looking back from
        # there keeps each search within one tensor (a layout without ',"sha256"' after the data
        # must not make every search run to the end of the file).
        brace = _find(mm, b"}", start)
        hit = mm.rfind(b'],"sha256"', start, brace) if brace >= 0 else -1
        end = hit + 1 if hit >= 0 else -1
    else:
        end = mm.find(b',"sha256"', start, start + _SCALAR_TEXT)
    if end < 0 or end - start < shortest or _find(mm, b":", start, end) >= 0:
        return -1
    return end


_FIXED = {0xC0: 0, 0xC2: 0, 0xC3: 0, 0xCA: 4, 0xCB: 8, 0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8,
          0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8, 0xD4: 2, 0xD5: 3, 0xD6: 5, 0xD7: 9, 0xD8: 17}
_LEN = {0xC4: 1, 0xC5: 2, 0xC6: 4, 0xD9: 1, 0xDA: 2, 0xDB: 4, 0xC7: 1, 0xC8: 2, 0xC9: 4}
_COUNT = {0xDC: (2, 1), 0xDD: (4, 1), 0xDE: (2, 2), 0xDF: (4, 2)}


def scan_msgpack(mm: mmap.mmap, *, min_bin: int | None = None) -> Skeleton:
    """Walk MessagePack headers and cut long bins out, replacing each with a 16-byte bin.

    Long: ``PAYLOAD_THRESHOLD`` bytes or more, or ``min_bin`` (lazy access passes 0: every bin).
    """
    shortest = PAYLOAD_THRESHOLD if min_bin is None else min_bin
    size = len(mm)
    pieces: list[bytes] = []
    spans: dict[str, Span] = {}
    last = pos = 0
    pending = 1  # values still to read
    items = 0
    while pending:
        pending -= 1
        items += 1
        if items > _MAX_MSGPACK_ITEMS or pos >= size:
            raise Fallback("too many items or truncated")
        b = mm[pos]
        if b <= 0x7F or b >= 0xE0:
            pos += 1
        elif b <= 0x8F:
            pending += 2 * (b & 0x0F)
            pos += 1
        elif b <= 0x9F:
            pending += b & 0x0F
            pos += 1
        elif b <= 0xBF:
            pos += 1 + (b & 0x1F)
        elif b in _FIXED:
            pos += 1 + _FIXED[b]
        elif b in _LEN:
            width = _LEN[b]
            n = int.from_bytes(mm[pos + 1 : pos + 1 + width], "big")
            head = 1 + width + (1 if b in (0xC7, 0xC8, 0xC9) else 0)
            start, end = pos + head, pos + head + n
            if end > size:
                raise Fallback("truncated")
            if b in (0xC4, 0xC5, 0xC6) and n >= shortest:
                key = os.urandom(16)
                pieces.append(mm[last:pos])
                pieces.append(b"\xc4\x10" + key)
                spans[key.hex()] = Span(start, end)
                last = end
            pos = end
        elif b in _COUNT:
            width, per = _COUNT[b]
            pending += per * int.from_bytes(mm[pos + 1 : pos + 1 + width], "big")
            pos += 1 + width
        else:  # 0xC1, never used
            raise Fallback("invalid byte")
    pieces.append(mm[last:])
    return Skeleton(b"".join(pieces), spans)


def open_mapping(f: IO[bytes]) -> mmap.mmap:
    try:
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except ValueError:  # an empty file cannot be mapped
        raise Fallback("empty") from None


def raw_parts(skeleton: Skeleton, data: Any) -> list[Span | bytes] | None:
    """The pieces of a raw tensor's data if any of them was cut out, else None."""
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(x, bytes) for x in items):
        return None
    parts: list[Span | bytes] = [span_of(skeleton, x) or x for x in items]
    return parts if any(isinstance(p, Span) for p in parts) else None


def span_of(skeleton: Skeleton, data: Any) -> Span | None:
    """The payload a tensor's ``data`` stands for in a skeleton tree, if it is a placeholder."""
    if isinstance(data, bytes) and len(data) == 16:
        return skeleton.spans.get(data.hex())
    if isinstance(data, str):
        return skeleton.spans.get(data)
    return None
