"""Lazy access: check a document's structure at open, read each tensor's data only when asked.

``open`` cuts the tensor payloads out of the file (the same scanner as the
big-file path, _fast/bigfile.py), runs the syntax, version, schema and semantic
layers on the small remainder, and the data layer's checks that need no data
(declared sizes, encodings, quantization) for every tensor. ``get_tensor``
then reads one payload from the file, decodes and hashes it like a full read
does, and compares its ``sha256``.

Findings never depend on the path taken: a document whose structure fails is
read again whole the ordinary way for its findings, and a payload the fast
decoders cannot vouch for makes ``get_tensor`` read the whole document the
ordinary way once and report that tensor's findings (rare: malformed data).
What lazy access does not check is the data of the tensors never read and
the ``document_sha256``, until asked: ``verify_document`` reads every tensor
one at a time and then checks ``document_sha256``, and ``load`` reads the
whole document (spec.md section 7.1). ``validate`` checks everything.
"""

from __future__ import annotations

import io
import mmap
import os
from dataclasses import dataclass
from functools import cached_property
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Iterator

import numpy as np

from . import quantize
from ._fast import bigfile, payloads
from ._fast.skeleton import placed, scan_structure
from .dtypes import DTYPES, to_le_bytes
from .encodings import sha256_hex
from .errors import Collector, Finding, ModelDocError
from .limits import DEFAULT_LIMITS, Limits
from .reader import (
    Container,
    DataHeader,
    Declared,
    Source,
    _compare_checksum,
    _decode_one,
    _parse_and_check_structure,
    _read,
    check_document_checksum,
    read_source,
    read_tree,
)

if TYPE_CHECKING:
    from .document import Document, Graph, Producer, TestVector


@dataclass(frozen=True)
class TensorInfo:
    """What the document declares about a tensor; nothing here needed its data."""

    name: str
    index: int  # position in the document's ``tensors``
    dtype: str  # of the array ``get_tensor`` returns (the dequantized dtype for a quantized tensor)
    shape: tuple[int, ...]
    encoding: str
    stored_dtype: str  # the dtype of the stored data (differs from ``dtype`` when quantized)
    quantization: dict[str, Any] | None  # the document's ``quantization`` object, if any
    # Offsets [start, end) in the file of the data as stored: a MessagePack bin's bytes (the tensor's
    # little-endian bytes), a string's characters (base64, or a scalar's "NaN" as list data; quotes
    # left out), the JSON text of other list data (an array from "[" to "]", a scalar's number).
    # None when the document was opened from bytes or a file object, for data split into several
    # bins, for list data in another layout than the writer's (not followed by ',"sha256"', or
    # holding a ":"), and for any payload under 64 KiB in a document with a short member named
    # "data" outside its tensors (see _open_file).
    byte_range: tuple[int, int] | None = None

    @property
    def nbytes(self) -> int:
        """Bytes of the array ``get_tensor`` returns."""
        n = DTYPES[self.dtype].itemsize
        for d in self.shape:
            n *= d
        return n

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


class LazyDocument:
    """An open document: its metadata and tensor list now, its model (checked at open) built on first
    use, each tensor's data on request.

    Use it as a context manager, or call :meth:`close`. Made by :func:`open`.
    """

    def __init__(
        self, tree: dict[str, Any], container: Container, declared: list[Declared], warnings: list[Finding],
        limits: Limits, verify: bool, source: _FileSource | None, whole: bytes | None = None,
    ) -> None:
        self._tree = tree
        self._whole = whole  # the document's bytes when it was read whole (not from a path)
        self._declared = declared
        self._limits = limits
        self._verify = verify
        self._source = source  # None: the whole document is in memory (``tree`` holds the data)
        # The whole document's findings once a payload showed that its text does not parse (spec.md 7.1,
        # item 2). Validation stops there, so verify_document reports them alone; get_tensor still hands
        # out a tensor whose own payload passes every check.
        self._broken: list[Finding] | None = None
        self.container: Container = container
        self.format_version: str = tree["format_version"]
        self.warnings: list[Finding] = warnings
        self.metadata: dict[str, str] = dict(tree.get("metadata", {}))
        self.tensors: dict[str, TensorInfo] = {}
        for i, t in enumerate(tree["tensors"]):
            q = t.get("quantization")
            self.tensors[t["name"]] = TensorInfo(
                t["name"], i, q["dtype"] if q else t["dtype"], declared[i].shape, t["encoding"], t["dtype"],
                dict(q) if q else None, source.byte_range(t) if source is not None else None,
            )

    # The model, producer and test vectors are built on first use: document.py's dataclasses take 2-3 ms
    # to create in a fresh process, which listing and reading tensors never needs (modeldoc inspect,
    # which prints the model, still pays it). The structure's checks at open covered them all.
    @cached_property
    def model(self) -> Graph:
        from .document import graph_from_tree

        return graph_from_tree(self._tree["model"])

    @cached_property
    def producer(self) -> Producer:
        from .document import producer_from_tree

        return producer_from_tree(self._tree["producer"])

    @cached_property
    def test_vectors(self) -> list[TestVector]:
        from .document import test_vectors_from_tree

        return test_vectors_from_tree(self._tree.get("test_vectors", []))

    def tensor_info(self, name: str) -> TensorInfo:
        """What the document declares about a tensor (dtype, shape, encoding, quantization) and where
        its data lies in the file; nothing is read. ``KeyError`` for a name the document does not have.

        >>> import modeldoc, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "m.msgpack")
        >>> modeldoc.save(modeldoc.example_document(), path)
        >>> with modeldoc.open(path) as f:
        ...     info = f.tensor_info("conv/bias")
        ...     start, end = info.byte_range
        ...     info.dtype, info.shape, end - start == info.nbytes
        ('float32', (4,), True)
        """
        return self.tensors[name]

    def keys(self) -> list[str]:
        """Tensor names in document order."""
        return list(self.tensors)

    def __iter__(self) -> Iterator[str]:
        return iter(self.tensors)

    def __contains__(self, name: object) -> bool:
        return name in self.tensors

    @property
    def num_parameters(self) -> int:
        """Number of tensor elements in the document, from the declared shapes."""
        return sum(info.size for info in self.tensors.values())

    def get_tensor(self, name: str) -> np.ndarray:
        """Read, decode and check one tensor; a quantized tensor comes back dequantized.

        Every data check of a full read runs on it (decoding, bool bytes, and its
        ``sha256`` unless opened with ``verify=False``); a problem raises
        :class:`ModelDocError` with the pointer a full validation would report.
        ``KeyError`` for a name the document does not have.

        >>> import modeldoc, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "m.msgpack")
        >>> modeldoc.save(modeldoc.example_document(), path, encoding="msgpack")
        >>> with modeldoc.open(path) as f:
        ...     f.get_tensor("conv/bias").shape
        (4,)
        """
        return self._get(self.tensors[name].index, self._verify)

    def _get(self, i: int, verify: bool) -> np.ndarray:
        self._check_open()
        t = self._tree["tensors"][i]
        dt, shape, nbytes, q = self._declared[i]
        ptr = f"/tensors/{i}"
        try:
            streamed = self._source.read(t, self._declared[i], ptr, self._limits, verify) if self._source else None
        except bigfile.Fallback:
            return self._read_whole(i, verify)
        if streamed is None:  # the data is in the tree
            arr = _decode_one(t, dt, shape, nbytes, ptr)
            digest = sha256_hex(to_le_bytes(arr, dt)) if verify else ""
        else:
            arr, digest = streamed
        if verify:
            _compare_checksum(digest, t["sha256"], ptr)
        return quantize.dequantize(arr, q) if q is not None else arr

    def verify_document(self) -> None:
        """Read and check every tensor, one at a time, then ``document_sha256`` (spec.md 3.2 and 7.1).

        Each tensor's checksum is compared even if the document was opened with ``verify=False``:
        this is the request to check. Raises :class:`ModelDocError` with every error found, the
        findings ``validate`` reports; memory holds one tensor at a time.

        >>> import modeldoc, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "m.json")
        >>> modeldoc.save(modeldoc.example_document(), path)
        >>> with modeldoc.open(path) as f:
        ...     f.verify_document()  # nothing raised: every tensor and the document checksum agree
        """
        out = Collector()
        quantized: dict[int, dict[str, Any]] = {}
        for i in range(len(self._tree["tensors"])):
            if self._broken is not None:  # validation stops at the syntax error: no tensor's data is reached
                raise ModelDocError(self._broken)
            try:
                arr = self._get(i, verify=True)
            except ModelDocError as e:
                out.extend(e.findings)
                continue
            q = self._declared[i].quantization
            if q is not None:  # the report holds the checksum of the dequantized values (spec.md 5.5)
                quantized[i] = q.report_tree(sha256_hex(to_le_bytes(arr, DTYPES[q.dtype])))
        if self._broken is not None:
            raise ModelDocError(self._broken)
        if not out.errors:  # every tensor matched its sha256, so these are the checksums a full read computes
            check_document_checksum(self._tree, [t["sha256"] for t in self._tree["tensors"]], quantized, out)
        if out.errors:
            raise ModelDocError(out.errors)

    def load(self) -> Document:
        """The whole document, read and checked as :func:`modeldoc.load` reads it: every tensor, and
        unless opened with ``verify=False`` every checksum and ``document_sha256``.

        >>> import modeldoc, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "m.msgpack")
        >>> modeldoc.save(modeldoc.example_document(), path)
        >>> with modeldoc.open(path) as f:
        ...     sorted(f.load().tensors) == sorted(f.keys())
        True
        """
        self._check_open()
        source = self._source.path if self._source is not None else self._whole
        assert source is not None  # a document read whole keeps its bytes
        result = read_tree(source, limits=self._limits, verify=self._verify)
        self._same_document(result.tree)
        return result.document()

    def _check_open(self) -> None:
        if self._source is not None and self._source.closed:
            raise ValueError("the document is closed")

    def _same_document(self, tree: dict[str, Any] | None) -> None:
        """A read of the path again must find the document that was opened (its tensors and checksums)."""
        def key(t: dict[str, Any]) -> tuple[Any, ...]:
            return tuple((x["name"], x["dtype"], list(x["shape"]), x["sha256"]) for x in t["tensors"]) + (
                t.get("document_sha256"),)

        if tree is None or key(tree) != key(self._tree):
            where = os.fspath(self._source.path) if self._source is not None else "the document"
            raise ModelDocError.of("IO_UNREADABLE", "", f"{where!r} changed while it was open")

    def _read_whole(self, i: int, verify: bool) -> np.ndarray:
        """The ordinary full read, for a payload only the reference decoders may judge."""
        assert self._source is not None
        parsed, arrays, out, _ = _read(self._source.path, self._limits, keep=True, verify=verify)
        if parsed.tree is None and out.errors:  # the document failed before its data layer: a syntax error
            self._broken = out.errors  # in a payload, met only now; it is the whole document's finding
            raise ModelDocError(self._broken)
        name = self._tree["tensors"][i]["name"]
        here = f"/tensors/{i}"
        mine = [f for f in out.errors if f.pointer == here or f.pointer.startswith(here + "/")]
        if mine:
            raise ModelDocError(mine)
        if name in arrays:  # this tensor is sound; other tensors' findings are theirs
            self._same_document(parsed.tree)
            return arrays[name]
        if out.errors:  # this tensor was not reached
            raise ModelDocError([f for f in out.errors if f.code != "DATA_DOCUMENT_CHECKSUM"] or out.errors)
        raise ModelDocError.of("IO_UNREADABLE", "", f"{os.fspath(self._source.path)!r} changed while it was open")

    def close(self) -> None:
        if self._source is not None:
            self._source.close()

    def __enter__(self) -> LazyDocument:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


class _FileSource:
    """The open file and the payloads cut out of it."""

    def __init__(self, path: str | os.PathLike[str], f: IO[bytes], mm: mmap.mmap, skeleton: bigfile.Skeleton) -> None:
        self.path = path
        self._file = f
        self._mm = mm
        self._skeleton = skeleton
        self.closed = False

    def read(
        self, t: dict[str, Any], declared: Declared, ptr: str, limits: Limits, verify: bool
    ) -> tuple[np.ndarray, str] | None:
        """Decode a payload that was cut out; None if the tensor's data stayed in the skeleton."""
        dt, shape, nbytes, _ = declared
        fd = self._file.fileno()
        if t["encoding"] == "raw":
            parts = bigfile.raw_parts(self._skeleton, t["data"])
            if parts is None:
                return None
            arr, digest = payloads.read_raw_span(fd, parts, dt, shape, nbytes, ptr, True, None, verify)
        else:
            span = self._span(t)
            if span is None:
                return None
            if (span.kind == "list") != (t["encoding"] == "list"):
                raise bigfile.Fallback("a payload under another encoding")
            if span.kind == "string" and bigfile.holds_backslash(self._mm, span):
                raise bigfile.Fallback("escapes in a base64 payload: the JSON parser unescapes it")
            if span.kind == "list":
                from ._fast import listread  # orjson loads with the first list tensor read

                arr, digest = listread.decode_list_span(
                    fd, self._mm, span.start, span.end, dt, shape, nbytes, ptr, True, limits, None, verify
                )
            else:
                arr, digest = payloads.decode_base64_span(fd, self._mm, span, dt, shape, nbytes, ptr, True, None, verify)
        assert arr is not None  # kept: keep=True above
        return arr, digest if isinstance(digest, str) else digest.result()  # a str, or a Future of one

    def byte_range(self, t: dict[str, Any]) -> tuple[int, int] | None:
        """Where a tensor's data lies in the file, if it was cut out as one piece."""
        if t["encoding"] == "raw":
            parts = bigfile.raw_parts(self._skeleton, t["data"])
            span = parts[0] if parts is not None and len(parts) == 1 else None
        else:
            span = bigfile.span_of(self._skeleton, t["data"])
        return (span.start, span.end) if isinstance(span, bigfile.Span) else None

    def _span(self, t: dict[str, Any]) -> bigfile.Span | None:
        """A tensor's payload to decode, if it was cut out. A string as ``list`` data is a scalar's "NaN"
        or "Infinity": its JSON text, quotes included, is the value the list decoder reads."""
        span = bigfile.span_of(self._skeleton, t["data"])
        if span is not None and span.kind == "string" and t["encoding"] == "list":
            return bigfile.Span(span.start - 1, span.end + 1, "list")
        return span

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._mm.close()
            self._file.close()


def open(  # shadows the builtin here on purpose: modeldoc.open, as safetensors has safe_open
    source: Source | bytes | bytearray | memoryview, *, limits: Limits = DEFAULT_LIMITS, verify: bool = True
) -> LazyDocument:
    """Open a document for reading tensor by tensor.

    The structure is checked now (syntax, version, schema, semantics, and each
    tensor's declared size, encoding and quantization); a tensor's data is read
    and checked by :meth:`LazyDocument.get_tensor`, which compares its ``sha256``
    unless ``verify=False`` (the same opt-out as :func:`load`). Raises
    :class:`ModelDocError` if the structure is invalid. A path is read lazily; bytes and file objects
    are read whole (their data is then decoded on request).

    >>> import modeldoc, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "m.json")
    >>> modeldoc.save(modeldoc.example_document(), path)
    >>> with modeldoc.open(path) as f:
    ...     f.keys()[:2], f.tensors["conv/kernel"].shape
    (['conv/kernel', 'conv/bias'], (3, 3, 1, 4))
    """
    if isinstance(source, (str, os.PathLike)):
        try:
            size = os.stat(source).st_size
        except OSError as e:
            raise ModelDocError.of("IO_UNREADABLE", "", f"cannot read {os.fspath(source)!r}: {e.strerror}") from None
        if size <= limits.max_document_bytes:
            try:
                return _open_file(source, limits, verify)
            except bigfile.Fallback:
                pass
            except OSError as e:
                raise ModelDocError.of(
                    "IO_UNREADABLE", "", f"cannot read {os.fspath(source)!r}: {e.strerror}"
                ) from None
    out = Collector()
    whole = read_source(source, limits)
    parsed = _parse_and_check_structure(whole, limits, out)
    if parsed.tree is None or parsed.container is None:
        raise ModelDocError(out.errors)
    declared = _check_headers(parsed.tree, parsed.container, limits)
    return LazyDocument(parsed.tree, parsed.container, declared, out.warnings, limits, verify, None, whole)


def _open_file(path: str | os.PathLike[str], limits: Limits, verify: bool) -> LazyDocument:
    f = io.open(path, "rb")
    try:
        mm = bigfile.open_mapping(f)
    except BaseException:
        f.close()
        raise
    try:
        # Cutting out every string named "data" may also take one outside tensor data (metadata
        # {"data": "imagenet"}, say): then scan again cutting out long ones only, as the full read does,
        # so that only the short tensors lose their byte range, not the whole file its laziness.
        for short in (True, False):
            _, skeleton, out, parsed = scan_structure(mm, limits, lazy=True, short=short)
            if parsed.tree is None or parsed.container is None:
                raise bigfile.Fallback("the structure failed: the ordinary read names the problem")
            if placed(skeleton, parsed.tree["tensors"]) == len(skeleton.spans):
                break
        else:
            raise bigfile.Fallback("a payload outside tensor data")
        if any(span.kind == "list" and _long_string(mm, span, limits.max_string_length)
               for span in _well_formed(list(skeleton.spans.values()))):
            # a string inside list data counts for LIMIT_STRING (section 8), a structure check the cut-out skipped
            raise bigfile.Fallback("a long string inside list data")
        declared = _check_headers(parsed.tree, parsed.container, limits)
        return LazyDocument(
            parsed.tree, parsed.container, declared, out.warnings, limits, verify, _FileSource(path, f, mm, skeleton)
        )
    except BaseException:
        mm.close()
        f.close()
        raise


def _well_formed(spans: list[bigfile.Span]) -> list[bigfile.Span]:
    """The payloads whose scan ended before the next began: a damaged list runs on into what follows, and
    get_tensor meets its syntax error (spec.md 7.1, item 2)."""
    spans = sorted(spans, key=lambda x: x.start)
    return [a for a, b in zip(spans, spans[1:] + [None]) if b is None or a.end <= b.start]


def _long_string(mm: Any, span: bigfile.Span, limit: int) -> bool:
    """Whether a list payload may hold a string over the length limit: more than ``limit`` bytes between two
    quotes (a code point takes at least one byte; the whole read then counts exactly). Shorter strings are
    not numbers either, and get_tensor reports them as the whole read does."""
    at: int = mm.find(b'"', span.start, span.end)
    while at >= 0:
        end: int = mm.find(b'"', at + 1, span.end)
        if end < 0:
            return span.end - at - 1 > limit
        if end - at - 1 > limit:
            return True
        at = mm.find(b'"', end + 1, span.end)
    return False


def _check_headers(tree: dict[str, Any], container: Container, limits: Limits) -> list[Declared]:
    """The data layer's checks that need no data, for every tensor; all findings at once."""
    header = DataHeader(container, limits)
    declared: list[Declared] = []
    found: list[Finding] = []
    for i, t in enumerate(tree["tensors"]):
        try:
            declared.append(header.check(t, f"/tensors/{i}"))
        except ModelDocError as e:
            found.extend(e.findings)
    if found:
        raise ModelDocError(found)
    return declared
