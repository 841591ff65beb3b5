"""The reader report: the canonical text every conforming reader prints.

Readers in different languages are compared by this text (spec.md, "Reader
report"). It is the document with defaults applied, minus ``$schema``,
``format`` and tensor payloads, with each tensor's sha256 computed by the
reader from the bytes it decoded, serialised as canonical JSON: no
whitespace, members sorted by UTF-16 code units, numbers as ECMAScript
prints them, so a JavaScript reader gets it from ``JSON.stringify`` of a
sorted object.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .dtypes import dtype_of_array, to_le_bytes
from .encodings import sha256_hex

if TYPE_CHECKING:
    from .document import Document

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def reader_report(doc: Document) -> str:
    """Canonical reader report of ``doc`` (ends with a newline).

    >>> import modeldoc
    >>> modeldoc.reader_report(modeldoc.example_document())[:40]
    '{"format_version":"1.0.0","metadata":{"d'
    """
    tensors = []
    for name, arr in doc.tensors.items():
        qt = doc.quantization.get(name)
        stored = qt.stored if qt else arr
        dt = dtype_of_array(stored)
        assert dt is not None
        entry: dict[str, Any] = {
            "name": name, "dtype": dt.name, "shape": list(stored.shape), "sha256": sha256_hex(to_le_bytes(stored, dt))
        }
        if qt:
            deq = dtype_of_array(arr)
            assert deq is not None
            entry["quantization"] = qt.quantization.report_tree(sha256_hex(to_le_bytes(arr, deq)))
        tensors.append(entry)
    return _report_text(doc, tensors)


def _report_text(doc: Document, tensors: list[dict[str, Any]]) -> str:
    from .document import graph_to_tree, producer_to_tree, test_vectors_to_tree

    report = {
        "format_version": doc.format_version,
        "producer": producer_to_tree(doc.producer),
        "metadata": doc.metadata,
        "model": graph_to_tree(doc.model),
        "tensors": tensors,
        "test_vectors": test_vectors_to_tree(doc.test_vectors),
    }
    return canonical_json(report) + "\n"


def report_of_tree(tree: dict[str, Any], sha256s: list[str], quantized: dict[int, dict[str, Any]] | None = None) -> str:
    """The reader report of a validated value tree, with the given tensor checksums.

    Used for ``document_sha256``: built from the members this version knows,
    with defaults applied, exactly as :func:`reader_report` of the loaded document.
    """
    from .document import Document, graph_from_tree, producer_from_tree, test_vectors_from_tree

    doc = Document(
        model=graph_from_tree(tree["model"]),
        metadata=dict(tree.get("metadata", {})),
        producer=producer_from_tree(tree["producer"]),
        format_version=tree["format_version"],
        test_vectors=test_vectors_from_tree(tree.get("test_vectors", [])),
    )
    tensors: list[dict[str, Any]] = [
        {"name": t["name"], "dtype": t["dtype"], "shape": list(t["shape"]), "sha256": h}
        for t, h in zip(tree["tensors"], sha256s)
    ]
    for i, q in (quantized or {}).items():
        tensors[i]["quantization"] = q
    return _report_text(doc, tensors)


def document_sha256(report: str) -> str:
    """``document_sha256`` of a document whose reader report is ``report``."""
    return sha256_hex(report.encode("utf-8"))


def canonical_json(value: Any) -> str:
    parts: list[str] = []
    _emit(value, parts)
    return "".join(parts)


def _emit(v: Any, parts: list[str]) -> None:
    if v is None:
        parts.append("null")
    elif v is True:
        parts.append("true")
    elif v is False:
        parts.append("false")
    elif isinstance(v, int):
        parts.append(str(int(v)))
    elif isinstance(v, float):
        parts.append(es_number(v))
    elif isinstance(v, str):
        parts.append(_string(v))
    elif isinstance(v, dict):
        parts.append("{")
        for i, k in enumerate(sorted(v, key=_utf16_key)):
            if i:
                parts.append(",")
            parts.append(_string(k))
            parts.append(":")
            _emit(v[k], parts)
        parts.append("}")
    elif isinstance(v, (list, tuple)):
        parts.append("[")
        for i, x in enumerate(v):
            if i:
                parts.append(",")
            _emit(x, parts)
        parts.append("]")
    else:
        raise TypeError(f"{type(v).__name__} is not in the data model")


def _utf16_key(s: str) -> bytes:
    return s.encode("utf-16-be", "surrogatepass")


def _string(s: str) -> str:
    out = ['"']
    for ch in s:
        e = _ESCAPES.get(ch)
        if e is not None:
            out.append(e)
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def es_number(x: float) -> str:
    """ECMAScript Number::toString(x) for a finite binary64 (ECMA-262, 6.1.6.1.20)."""
    if not math.isfinite(x):
        raise ValueError("non-finite numbers are not in the data model")
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    r = repr(abs(x))  # shortest round-trip digits, like ECMAScript requires
    mant, _, exp = r.partition("e")
    point = mant.find(".")
    digits = mant.replace(".", "")
    n = (point if point >= 0 else len(mant)) + (int(exp) if exp else 0)
    stripped = digits.lstrip("0")
    n -= len(digits) - len(stripped)
    s = stripped.rstrip("0") or "0"
    k = len(s)
    if k <= n <= 21:
        body = s + "0" * (n - k)
    elif 0 < n <= 21:
        body = s[:n] + "." + s[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + s
    else:
        e = n - 1
        esign = "+" if e >= 0 else "-"
        body = (s if k == 1 else s[0] + "." + s[1:]) + "e" + esign + str(abs(e))
    return sign + body
