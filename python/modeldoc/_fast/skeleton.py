"""The first step both big-file paths take: find the tensor payloads and check everything else.

A mapped file is scanned for its payloads (bigfile.scan_json / scan_msgpack), and the rest, with the
payloads replaced by placeholders, goes through the syntax, version, schema and semantic layers of
reader.py. The full read (bigread.py) and lazy access (lazy.py) differ only in what they do next.
"""

from __future__ import annotations

import mmap
from typing import Any

from ..errors import Collector, Finding
from ..limits import Limits
from ..reader import _parse_and_check_structure, _Parsed, sniff
from . import bigfile


def scan_structure(
    mm: mmap.mmap, limits: Limits, *, lazy: bool = False, short: bool = True
) -> tuple[str, bigfile.Skeleton, Collector, _Parsed]:
    """The container, the payloads, the findings and the parsed structure; Fallback if not a document.

    The full read (``lazy`` false) checks every payload's characters later, so it may predict where
    a base64 payload ends (:func:`bigfile.scan_json`). Lazy access reads a payload only on request:
    it cuts out long strings with escapes too, which its decoder then refuses, and with ``short``
    every base64 string, bin and list however short, so that each tensor has its byte range.
    """
    kind = sniff(mm[: 1 << 16])
    if isinstance(kind, Finding):
        raise bigfile.Fallback("not recognised")
    every = 0 if lazy and short else None
    if kind == "json":
        skeleton = (bigfile.scan_json(mm, cut_escaped=True, min_payload=every) if lazy
                    else bigfile.scan_json(mm, predict=True))
    else:
        skeleton = bigfile.scan_msgpack(mm, min_bin=every)
    out = Collector()
    return kind, skeleton, out, _parse_and_check_structure(skeleton.data, limits, out)


def placed(skeleton: bigfile.Skeleton, tensors: Any) -> int:
    """How many payloads sit where a tensor's ``data`` is: all of them, or the scan found one elsewhere."""
    datas = (t.get("data") for t in (tensors if isinstance(tensors, list) else []) if isinstance(t, dict))
    return sum(
        sum(bigfile.span_of(skeleton, x) is not None for x in (d if isinstance(d, list) else [d])) for d in datas
    )
