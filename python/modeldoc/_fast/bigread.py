"""Reading a big file by its skeleton: the payloads cut out, each decoded from the file.

``reader._read`` calls :func:`read_big` for files of ``bigfile.STREAM_THRESHOLD`` bytes or
more. The skeleton goes through the ordinary layers of reader.py; the data layer is
``reader._decode_tensors`` with a payload function that decodes each cut-out payload from the
file (bigfile.py, listread.py). On anything unusual it raises ``bigfile.Fallback`` and the
caller reads the file the ordinary way.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future
from concurrent.futures import wait as wait_all
from typing import Any, Callable

import numpy as np

from .. import quantize
from ..dtypes import DType
from ..errors import Collector
from ..limits import Limits
from ..progress import Progress
from ..reader import Visit, _decode_tensors, _Parsed
from . import bigfile, listread, payloads
from .hashing import run_in_background
from .skeleton import placed, scan_structure

SPREAD = 8 << 20  # tensors at least this big are validated on the job pool, two at a time


def read_big(
    path: str | os.PathLike[str], size: int, limits: Limits, *, keep: bool, verify: bool, progress: Progress | None,
    each: Visit | None = None,
) -> tuple[_Parsed, dict[str, np.ndarray], Collector, dict[str, quantize.QuantizedTensor]]:
    with open(path, "rb") as f, bigfile.open_mapping(f) as mm:
        # Every payload's characters are checked below (decoded, or check_chars): ends may be predicted.
        kind, skeleton, out, parsed = scan_structure(mm, limits)
        tensors = parsed.parsed.get("tensors") if isinstance(parsed.parsed, dict) else None
        if parsed.parsed is None or placed(skeleton, tensors) != len(skeleton.spans):
            raise bigfile.Fallback("a payload outside tensor data, or a syntax error")
        if parsed.tree is None or parsed.container is None:
            if kind == "json":
                for span in skeleton.spans.values():
                    _check_undecoded(f.fileno(), span)
            return parsed, {}, out, {}
        done = 0
        decoded: set[bigfile.Span] = set()
        lock = threading.Lock()
        background: list[Future[Any]] = []  # tensors validated on the job pool

        def advance(n: int) -> None:  # called from the job pool too
            nonlocal done
            with lock:
                done += n
                if progress:
                    progress(done, size)

        def later(job: Callable[[], tuple[Any, Any]]) -> tuple[None, Callable[[], str]]:
            """validate keeps no arrays: stream and hash this tensor on the job pool, beside the next."""
            future = run_in_background(lambda: job()[1])
            background.append(future)
            return None, future.result

        def settled(result: tuple[Any, Any]) -> tuple[Any, Any]:
            # The reference path knows no futures: a checksum still being computed is handed over
            # as the call that waits for it (reader.Digest).
            arr, digest = result
            return arr, digest.result if isinstance(digest, Future) else digest

        def payload(t: dict[str, Any], dt: DType, shape: tuple[int, ...], nbytes: int, ptr: str) -> Any:
            keeps = keep or each is not None or "quantization" in t
            spread = not keeps and verify and nbytes >= SPREAD  # checksums are all that is left to compute
            if kind == "msgpack" and t["encoding"] == "raw":
                parts = bigfile.raw_parts(skeleton, t["data"])
                if parts is None:
                    return None

                def read_raw() -> tuple[Any, Any]:
                    assert parts is not None
                    return payloads.read_raw_span(f.fileno(), parts, dt, shape, nbytes, ptr, keeps, advance, verify)

                return later(read_raw) if spread else settled(read_raw())
            span = bigfile.span_of(skeleton, t["data"])
            if span is None:
                return None
            if span.kind == "list" or t["encoding"] == "list":
                if span.kind != "list" or t["encoding"] != "list":
                    raise bigfile.Fallback("a payload under another encoding")
                result = listread.decode_list_span(
                    f.fileno(), mm, span.start, span.end, dt, shape, nbytes, ptr, keeps,
                    limits, advance, verify,
                )
                decoded.add(span)
                return settled(result)
            if kind == "json" and t["encoding"] == "base64":

                def read_base64() -> tuple[Any, Any]:
                    assert span is not None
                    result = payloads.decode_base64_span(
                        f.fileno(), mm, span, dt, shape, nbytes, ptr, keeps, advance, verify
                    )
                    decoded.add(span)  # every character went through the base64 decoder
                    return result

                return later(read_base64) if spread else settled(read_base64())
            raise bigfile.Fallback("a payload under another encoding")

        stores: dict[str, quantize.QuantizedTensor] = {}
        try:
            arrays = _decode_tensors(
                parsed.tree, parsed.container, limits, out, keep=keep, verify=verify, payload=payload, stores=stores,
                each=each,
            )
        finally:
            for future in background:  # never leave a job reading a file that is about to be closed
                future.cancel()
            wait_all(background)
        if kind == "json":
            for span in set(skeleton.spans.values()) - decoded:
                _check_undecoded(f.fileno(), span)
        return parsed, arrays, out, stores


def _check_undecoded(fd: int, span: bigfile.Span) -> None:
    """A payload that was never decoded must be text the syntax layer accepts."""
    if span.kind == "list":
        raise bigfile.Fallback("list data not decoded: its syntax is unchecked")
    payloads.check_chars(fd, span)
