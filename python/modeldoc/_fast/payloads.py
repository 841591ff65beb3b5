"""Decoding the payloads cut out of a big file: straight from the file into the tensor's array.

bigfile's scanners say where each payload lies; these read it in chunks with
``preadv``, decode base64 text or copy MessagePack bin bytes, check bool bytes
and hash as they go (on the second core for big tensors, _fast/hashing.py), so
memory holds the array and one chunk. They accept only what the reference
decoders accept: anything else raises :class:`bigfile.Fallback`, and the
caller reads the document the ordinary way for its findings.
"""

from __future__ import annotations

import binascii
import mmap
import os
from typing import Any, Callable

import numpy as np

from ..dtypes import DType, from_le_bytes
from ..encodings import base64_padding, check_bools, unused_bits_clear
from ..errors import ModelDocError
from .bigfile import Fallback, Span
from .hashing import Hasher, hash_in_background, wait

_CHUNK_TEXT = 4 << 20  # base64 characters decoded per step (a multiple of 4); small keeps RSS low


_NOT_BASE64 = bytes(b for b in range(256) if b not in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
_ALPHABET = bytes(range(256)).translate(None, _NOT_BASE64)


def check_chars(fd: int, span: Span) -> None:
    """Fall back unless a payload holds only base64 characters.

    A payload that is never decoded (its tensor failed earlier, or the document
    failed a structural check) must still be valid JSON string text, or the
    ordinary path would have reported a syntax error instead.
    """
    buf = bytearray(min(_CHUNK_TEXT, span.end - span.start))
    pos = span.start
    while pos < span.end:
        step = min(len(buf), span.end - pos)
        view = memoryview(buf)[:step]
        if os.preadv(fd, [view], pos) != step or bytes(view).translate(None, _ALPHABET):
            raise Fallback("a payload with characters outside base64")
        pos += step


def decode_base64_span(
    fd: int, mm: mmap.mmap, span: Span, dt: DType, shape: tuple[int, ...], nbytes: int, ptr: str, keep: bool,
    progress: Callable[[int], None] | None = None, verify: bool = True,
) -> tuple[np.ndarray | None, str]:
    """Decode one base64 payload from the file; return (array or None, sha256 hex)."""
    n = span.end - span.start
    tail = mm[max(span.start, span.end - 2) : span.end].decode("latin-1")
    pad = base64_padding(n, tail, nbytes, ptr + "/data")
    out = np.empty(nbytes, dtype=np.uint8) if keep else None
    hasher = Hasher(nbytes, enabled=verify)
    try:
        return _decode_base64_chunks(fd, span, n, pad, dt, shape, ptr, out, hasher, progress)
    finally:
        hasher.close()


def _decode_base64_chunks(
    fd: int, span: Span, n: int, pad: int, dt: DType, shape: tuple[int, ...], ptr: str, out: np.ndarray | None,
    hasher: Hasher, progress: Callable[[int], None] | None,
) -> tuple[np.ndarray | None, str]:
    import pybase64  # loads with the first big base64 document, not with the package

    buf = bytearray(min(_CHUNK_TEXT, n))  # no bigger than the payload: 4 MB of new memory costs 2 ms to touch
    done = 0  # text characters consumed
    written = 0
    while done < n:
        step = min(_CHUNK_TEXT, n - done)
        view = memoryview(buf)[:step]
        if os.preadv(fd, [view], span.start + done) != step:
            raise Fallback("short read")
        final = done + step == n
        try:
            raw = pybase64.b64decode(view, validate=True)
        except (binascii.Error, ValueError):
            raise Fallback("not base64: let the reference path name the problem") from None
        if not final and len(raw) != step // 4 * 3:
            # Padding inside the payload: a "=" carries no bits, so any decoder that let one through
            # gave fewer bytes (this check replaces a pass over the text looking for "=").
            raise Fallback("padding inside base64")
        if final and pad and not unused_bits_clear(chr(view[step - pad - 1]), pad):
            raise Fallback("non-zero unused bits")
        _check_bools(raw, dt, written, ptr)
        hasher.update(raw)  # a fresh bytes object: safe to hash in the background
        if out is not None:
            out[written : written + len(raw)] = np.frombuffer(raw, dtype=np.uint8)
        written += len(raw)
        done += step
        if progress:
            progress(step)
    arr = None if out is None else _typed(out, dt, shape)
    return arr, hasher.hexdigest()


_PARALLEL_HASH = 8 << 20  # tensors at least this big are hashed on the pool


def read_raw_span(
    fd: int, parts: list[Span | bytes], dt: DType, shape: tuple[int, ...], nbytes: int, ptr: str, keep: bool,
    progress: Callable[[int], None] | None = None, verify: bool = True,
) -> tuple[np.ndarray | None, Any]:
    """Read MessagePack bin payloads (one, or the chunks of a split tensor, some of them
    small enough to be inline) straight into a new array; return (array or None, sha256 hex)."""
    n = sum(p.end - p.start if isinstance(p, Span) else len(p) for p in parts)
    if n != nbytes:
        raise ModelDocError.of("DATA_LENGTH", ptr + "/data", f"bin holds {n} bytes, shape and dtype need {nbytes}")
    if keep and verify and nbytes >= _PARALLEL_HASH:
        # Read everything now and hash the whole tensor on a pool thread: the next tensors are
        # read meanwhile and, with two cores, two tensors hash at once.
        arr_bytes, _ = _read_raw_chunks(fd, parts, dt, shape, nbytes, ptr, True, Hasher(0, enabled=False), progress)
        assert arr_bytes is not None
        return arr_bytes, hash_in_background(arr_bytes)
    hasher = Hasher(nbytes, enabled=verify)
    try:
        return _read_raw_chunks(fd, parts, dt, shape, nbytes, ptr, keep, hasher, progress)
    finally:
        hasher.close()


def _read_raw_chunks(
    fd: int, parts: list[Span | bytes], dt: DType, shape: tuple[int, ...], nbytes: int, ptr: str, keep: bool,
    hasher: Hasher, progress: Callable[[int], None] | None,
) -> tuple[np.ndarray | None, str]:
    # Not keeping (validation): two buffers in turn, each reused only once its hash is done.
    out = np.empty(nbytes, dtype=np.uint8) if keep else np.empty(2 * min(nbytes, _CHUNK_TEXT), dtype=np.uint8)
    pending: list[Any] = [None, None]
    turn = 0
    done = 0
    for part in parts:
        if isinstance(part, bytes):
            pieces: list[tuple[int | bytes, int]] = [(part, len(part))]
        else:
            pieces = [(off, min(_CHUNK_TEXT, part.end - off)) for off in range(part.start, part.end, _CHUNK_TEXT)]
        for where, step in pieces:
            if keep:
                target = out.data[done : done + step]
            else:
                wait(pending[turn])
                half = len(out) // 2
                target = out.data[turn * half : turn * half + step]
            if isinstance(where, bytes):
                target[:] = where
            elif os.preadv(fd, [target], where) != step:
                raise Fallback("short read")
            _check_bools(target, dt, done, ptr)
            future = hasher.update(target)
            if not keep:
                pending[turn] = future
                turn = 1 - turn
            done += step
            if progress:
                progress(step)
    arr = _typed(out, dt, shape) if keep else None
    return arr, hasher.hexdigest()


def _check_bools(chunk: Any, dt: DType, offset: int, ptr: str) -> None:
    """Bool bytes are checked chunk by chunk, also when the tensor is not kept."""
    if dt.kind == "bool":
        check_bools(chunk, offset, ptr)


def _typed(out: np.ndarray, dt: DType, shape: tuple[int, ...]) -> np.ndarray:
    return from_le_bytes(out.data, dt, shape)  # type: ignore[arg-type]
