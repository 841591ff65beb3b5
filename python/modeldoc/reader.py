"""Reading and validating: bytes -> syntax -> version -> schema -> semantics -> data.

Each layer runs only if the one before found no error, and each reports all
of its findings. The container (JSON or MessagePack) is recognised from the
first byte, never from a file name.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Callable, Literal, NamedTuple, Union

import numpy as np

from . import encodings as enc
from . import foreign, quantize
from ._fast import bigfile
from .digest import document_sha256, report_of_tree
from .dtypes import DTYPES, DType, to_le_bytes
from .errors import Collector, Finding, HasFindings, ModelDocError, unreadable
from .jsontext import parse_json
from .limits import DEFAULT_LIMITS, Limits
from .msgpacktext import parse_msgpack
from .progress import Progress
from .schema import SUPPORTED_MINOR, check_schema, normalize_integers
from .semantics import check_counts, check_semantics
from .tree import check_tree

if TYPE_CHECKING:
    from .document import Document

Container = Literal["json", "msgpack"]

Source = Union[str, "os.PathLike[str]", IO[bytes]]
_JSON_WS = b" \t\r\n"
_VERSION = re.compile(r"\A(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\Z")


@dataclass
class Report(HasFindings):
    """The result of :func:`validate`: every finding, errors and warnings.

    >>> import modeldoc
    >>> modeldoc.validate(b'{"format": "modeldoc"}').ok
    False
    """

    findings: list[Finding] = field(default_factory=list)
    container: Container | None = None
    format_version: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.ok,
            "container": self.container,
            "format_version": self.format_version,
            "findings": [f.as_dict() for f in self.findings],
        }


# --- bytes in -------------------------------------------------------------------


def read_source(source: Source | bytes | bytearray | memoryview, limits: Limits) -> bytes:
    """The bytes of a path, file object or buffer, refusing more than the size limit."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        buf = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        try:
            with open(source, "rb") as f:
                if os.fstat(f.fileno()).st_size > limits.max_document_bytes:
                    raise _too_big(limits)
                buf = _read_bounded(f, limits.max_document_bytes)
        except OSError as e:
            raise unreadable(source, e) from None
    else:
        buf = _read_bounded(source, limits.max_document_bytes)
    if len(buf) > limits.max_document_bytes:
        raise _too_big(limits)
    return buf


def read_file_bounded(path: str | os.PathLike[str], limit: int) -> bytes:
    """At most ``limit + 1`` bytes of the file at ``path``, read in chunks (a caller compares the length
    with ``limit`` and refuses in its own words); ``IO_UNREADABLE`` if the file cannot be read."""
    try:
        with open(path, "rb") as f:
            return _read_bounded(f, limit)
    except OSError as e:
        raise unreadable(path, e) from None


def _read_bounded(f: IO[bytes], limit: int) -> bytes:
    # read(limit + 1) would allocate the whole limit up front; read in chunks instead.
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = f.read(min(1 << 24, limit + 1 - total))
        if not chunk:
            break
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8")
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _too_big(limits: Limits) -> ModelDocError:
    return ModelDocError.of(
        "LIMIT_DOCUMENT_SIZE", "", f"document is larger than the limit of {limits.max_document_bytes} bytes"
    )


def sniff(buf: bytes) -> Container | Finding:
    """JSON or MessagePack, from the first byte that is not JSON whitespace."""
    if buf.startswith(b"\xef\xbb\xbf"):
        return Finding("SYNTAX_BOM", "", "JSON text must not start with a byte order mark")
    if buf and (0x80 <= buf[0] <= 0x8F or buf[0] in (0xDE, 0xDF)):
        return "msgpack"
    stripped = buf.lstrip(_JSON_WS)
    if not stripped:
        return Finding("SYNTAX_EMPTY", "", "the input is empty")
    first = stripped[0]
    if first in b'{["-0123456789tfn':
        return "json"
    return Finding(
        "SYNTAX_UNKNOWN_ENCODING", "", f"byte 0x{first:02x} starts neither a JSON document nor a MessagePack map"
    )


def _name_foreign(buf: bytes, tree: Any, out: Collector) -> None:
    """Say in the first error's text what a file of another format is (its code and pointer stay)."""
    hint = foreign.describe(buf[:64], tree)
    if hint is not None and out.findings:
        first = out.findings[0]
        out.findings[0] = Finding(first.code, first.pointer, hint, first.severity)


# --- the layers -------------------------------------------------------------------


@dataclass
class _Parsed:
    tree: dict[str, Any] | None  # set when every structural layer passed
    container: Container | None
    minor: int | None
    format_version: str | None
    parsed: Any = None  # the value tree, whenever the syntax layer passed


def _parse_and_check_structure(buf: bytes, limits: Limits, out: Collector) -> _Parsed:
    kind = sniff(buf)
    if isinstance(kind, Finding):
        out.findings.append(kind)
        _name_foreign(buf, None, out)
        return _Parsed(None, None, None, None)
    parse = parse_json if kind == "json" else parse_msgpack
    tree = parse(buf, out, max_depth=limits.max_depth)
    if out.errors:
        _name_foreign(buf, None, out)
        return _Parsed(None, kind, None, None)
    if not isinstance(tree, dict):
        out.add("SYNTAX_NOT_OBJECT", "", "the top-level value must be an object")
        return _Parsed(None, kind, None, None)
    check_tree(tree, limits, out, msgpack=kind == "msgpack")
    if out.errors:
        return _Parsed(None, kind, None, None)
    parsed = _check_version_schema_semantics(tree, kind, limits, out)
    if parsed.format_version is None and parsed.minor is None and out.errors:
        _name_foreign(buf, tree, out)
    parsed.parsed = tree
    return parsed


def _check_version_schema_semantics(tree: dict[str, Any], kind: Container, limits: Limits, out: Collector) -> _Parsed:
    if tree.get("format") != "modeldoc":
        out.add("VERSION_FORMAT", "/format", 'format must be "modeldoc"')
        return _Parsed(None, kind, None, None)
    version = tree.get("format_version")
    m = _VERSION.match(version) if isinstance(version, str) else None
    if m is None:
        out.add("VERSION_INVALID", "/format_version", "format_version must be MAJOR.MINOR.PATCH, e.g. \"1.0.0\"")
        return _Parsed(None, kind, None, None)
    major, minor = int(m.group(1)), int(m.group(2))
    if major != 1:
        out.add(
            "VERSION_UNSUPPORTED", "/format_version", f"format {version} is not readable by this 1.x reader"
        )
        return _Parsed(None, kind, None, version)
    if minor > SUPPORTED_MINOR:
        out.add(
            "VERSION_NEWER_MINOR", "/format_version",
            f"format {version} is newer than 1.{SUPPORTED_MINOR}; unknown members are ignored", "warning",
        )
    check_schema(tree, out, ignore_unknown_members=minor > SUPPORTED_MINOR)
    if out.errors:
        return _Parsed(None, kind, minor, version)
    normalize_integers(tree)
    check_counts(tree, limits, out)
    if out.errors:
        return _Parsed(None, kind, minor, version)
    check_semantics(tree, out)
    if out.errors:  # the data layer runs only on a document whose structure is sound
        return _Parsed(None, kind, minor, version)
    return _Parsed(tree, kind, minor, version)


class Declared(NamedTuple):
    dtype: DType
    shape: tuple[int, ...]
    nbytes: int
    quantization: quantize.Quantization | None


class DataHeader:
    """The data layer's checks that need no tensor data: declared size against the limits (with
    the running total), the encoding allowed in the container, ``quantization``, and that raw
    data is bins. Shared by the full read and by lazy access, which runs them all at open."""

    def __init__(self, container: Container, limits: Limits) -> None:
        self.container = container
        self.limits = limits
        self.total = 0

    def check(self, t: dict[str, Any], ptr: str) -> Declared:
        dt = DTYPES[t["dtype"]]
        shape = tuple(t["shape"])
        nbytes = enc.nbytes_of(shape, dt, ptr, self.limits)
        self.total += nbytes  # counted even if a later check fails, so later tensors see the same total
        if self.total > self.limits.max_total_tensor_bytes:
            raise ModelDocError.of(
                "LIMIT_TOTAL_SIZE", ptr,
                f"tensors exceed the total limit of {self.limits.max_total_tensor_bytes} bytes",
            )
        allowed = enc.JSON_ENCODINGS if self.container == "json" else enc.MSGPACK_ENCODINGS
        if t["encoding"] not in allowed:
            raise ModelDocError.of(
                "DATA_ENCODING_MISMATCH",
                ptr + "/encoding",
                f"encoding {t['encoding']!r} is not allowed in {self.container} (use {' or '.join(allowed)})",
            )
        q = quantize.parse(t["quantization"], dt, shape, ptr) if "quantization" in t else None
        data = t["data"]
        if t["encoding"] == "raw" and not (
            isinstance(data, bytes) or (isinstance(data, list) and data and all(isinstance(c, bytes) for c in data))
        ):
            raise ModelDocError.of(
                "SCHEMA_TYPE", ptr + "/data", "raw data must be a MessagePack bin or a non-empty array of bins"
            )
        return Declared(dt, shape, nbytes, q)


# A payload reader's checksum: the hex digest, or a call that waits for it (the fast path hashes on
# another core while the next tensor is read).
Digest = Union[str, Callable[[], str]]
Payload = Callable[[dict[str, Any], DType, tuple[int, ...], int, str], "tuple[np.ndarray | None, Digest] | None"]
Visit = Callable[[str, np.ndarray], None]  # one decoded tensor: name, values


def _decode_tensors(
    tree: dict[str, Any], container: Container, limits: Limits, out: Collector, *, keep: bool, verify: bool,
    payload: Payload | None = None, stores: dict[str, Any] | None = None, each: Visit | None = None,
) -> dict[str, np.ndarray]:
    """Decode and check every tensor; then, if all is well, the document checksum.

    ``payload`` decodes tensors whose data was cut out of a big file (_fast/bigread.py);
    it returns None for the others. ``each`` is handed every tensor that decoded
    without a finding, one at a time, in document order (with ``keep=False`` nothing
    else holds it).
    """
    arrays: dict[str, np.ndarray] = {}
    digests: dict[int, str] = {}  # tensor index -> sha256 the reader computed
    deferred: list[tuple[int, Callable[[], str]]] = []  # checksums still being computed on another core
    found: list[list[Finding]] = [[] for _ in tree["tensors"]]  # per tensor, so the order never changes
    quantized: dict[int, dict[str, Any]] = {}  # tensor index -> its report's quantization
    stores = {} if stores is None else stores  # name -> the stored form of a quantized tensor
    header = DataHeader(container, limits)
    for i, t in enumerate(tree["tensors"]):
        ptr = f"/tensors/{i}"
        try:
            dt, shape, nbytes, q = header.check(t, ptr)
            streamed = payload(t, dt, shape, nbytes, ptr) if payload else None
            digest: Digest
            if streamed is not None:
                arr, digest = streamed  # hashed while it was read
            else:
                arr = _decode_one(t, dt, shape, nbytes, ptr)
                digest = enc.sha256_hex(to_le_bytes(arr, dt)) if verify else ""
            if verify:
                if not isinstance(digest, str) and each is not None:
                    # Streaming: settle this checksum now, since a pending hash keeps its tensor alive.
                    digest = digest()
                if isinstance(digest, str):
                    digests[i] = digest
                    _compare_checksum(digest, t["sha256"], ptr)
                else:
                    deferred.append((i, digest))  # compared below, once every tensor has been read
            if q is not None:
                assert arr is not None  # quantized tensors are always decoded (see _fast/bigread.py)
                stored = arr
                arr = quantize.dequantize(stored, q)
                deq_dt = DTYPES[q.dtype]
                quantized[i] = q.report_tree(enc.sha256_hex(to_le_bytes(arr, deq_dt)))
                stores[t["name"]] = quantize.QuantizedTensor(stored, q)
        except ModelDocError as e:
            found[i].extend(e.findings)
            continue
        if each is not None and arr is not None:
            each(t["name"], arr)
        if keep and arr is not None and t["name"] not in arrays:
            arrays[t["name"]] = arr
    for i, pending in deferred:
        try:  # a tensor streamed in the background reports its data findings here
            digests[i] = pending()
            _compare_checksum(digests[i], tree["tensors"][i]["sha256"], f"/tensors/{i}")
        except ModelDocError as e:
            found[i].extend(e.findings)
    for items in found:
        out.extend(items)
    if verify and not out.errors:
        check_document_checksum(tree, [digests[i] for i in range(len(tree["tensors"]))], quantized, out)
    return arrays


def check_document_checksum(
    tree: dict[str, Any], sha256s: list[str], quantized: dict[int, dict[str, Any]], out: Collector
) -> None:
    """``document_sha256``, if the document has one, against the reader report with these tensor
    checksums (spec.md 3.2); run only once every tensor passed its checks."""
    if "document_sha256" not in tree:
        return
    got = document_sha256(report_of_tree(tree, sha256s, quantized))
    if got != tree["document_sha256"]:
        out.add(
            "DATA_DOCUMENT_CHECKSUM", "/document_sha256",
            f"the reader report hashes to {got[:16]}..., not {tree['document_sha256'][:16]}...",
        )


def _compare_checksum(got: str, declared: str, ptr: str) -> None:
    if got != declared:
        raise ModelDocError.of("DATA_CHECKSUM", ptr + "/sha256", f"data hashes to {got[:16]}..., not {declared[:16]}...")


def _decode_one(t: dict[str, Any], dt: Any, shape: tuple[int, ...], nbytes: int, ptr: str) -> np.ndarray:
    encoding, data = t["encoding"], t["data"]
    if encoding == "base64":
        return enc.decode_base64(data, dt, shape, nbytes, ptr)
    if encoding == "raw":
        if isinstance(data, list):  # DataHeader.check let only bins through
            data = enc.join_chunks(data, nbytes, ptr)
        return enc.decode_raw(data, dt, shape, nbytes, ptr)
    return enc.decode_list(data, dt, shape, ptr)


# --- public entry points -------------------------------------------------------------


def validate(
    source: Source | bytes | bytearray | memoryview, *, limits: Limits = DEFAULT_LIMITS,
    progress: Progress | None = None,
) -> Report:
    """Validate a document (path, file object or bytes); never raises for bad input.

    All layers run in order (syntax, version, schema, semantics, data with
    every sha256) and the report lists every finding.

    >>> import modeldoc
    >>> r = modeldoc.validate(b'[1, 2]')
    >>> [(f.code, f.pointer) for f in r.errors]
    [('SYNTAX_NOT_OBJECT', '')]
    """
    try:
        parsed, _, out, _ = _read(source, limits, keep=False, verify=True, progress=progress)
    except ModelDocError as e:
        return Report(list(e.findings))
    return Report(out.findings, parsed.container, parsed.format_version)


def _read(
    source: Source | bytes | bytearray | memoryview, limits: Limits, *, keep: bool, verify: bool,
    progress: Progress | None = None, each: Visit | None = None,
) -> tuple[_Parsed, dict[str, np.ndarray], Collector, dict[str, quantize.QuantizedTensor]]:
    """All layers; big files by the streaming path, with the ordinary path behind it."""
    if isinstance(source, (str, os.PathLike)):
        try:
            size = os.stat(source).st_size
        except OSError as e:
            raise unreadable(source, e) from None
        if bigfile.STREAM_THRESHOLD <= size <= limits.max_document_bytes:
            from ._fast.bigread import read_big  # on first use: it builds on this module's layers

            try:
                return read_big(source, size, limits, keep=keep, verify=verify, progress=progress, each=each)
            except bigfile.Fallback:
                pass
            except OSError as e:
                raise unreadable(source, e) from None
    out = Collector()
    buf = read_source(source, limits)
    parsed = _parse_and_check_structure(buf, limits, out)
    arrays: dict[str, np.ndarray] = {}
    stores: dict[str, quantize.QuantizedTensor] = {}
    if parsed.tree is not None and parsed.container is not None:
        arrays = _decode_tensors(
            parsed.tree, parsed.container, limits, out, keep=keep, verify=verify, stores=stores, each=each
        )
    return parsed, arrays, out, stores


class ReadResult(NamedTuple):
    tree: dict[str, Any]
    arrays: dict[str, np.ndarray]
    container: Container
    warnings: list[Finding]
    quantization: dict[str, quantize.QuantizedTensor]

    def document(self) -> Document:
        return _to_document(self.tree, self.arrays, self.quantization)


def read_tree(
    source: Source | bytes | bytearray | memoryview, *, limits: Limits = DEFAULT_LIMITS, verify: bool = True,
    progress: Progress | None = None,
) -> ReadResult:
    """Fully validate and decode; raise :class:`ModelDocError` with all errors found."""
    parsed, arrays, out, stores = _read(source, limits, keep=True, verify=verify, progress=progress)
    if parsed.tree is None or parsed.container is None or out.errors:
        raise ModelDocError(out.errors)
    return ReadResult(parsed.tree, arrays, parsed.container, out.warnings, stores)


def visit_tensors(
    source: Source | bytes | bytearray | memoryview, each: Visit, *, limits: Limits = DEFAULT_LIMITS,
    progress: Progress | None = None,
) -> ReadResult:
    """Read and fully check a document, handing each tensor to ``each(name, array)`` in turn instead
    of keeping them all: memory holds one tensor at a time (plus what ``each`` keeps).

    Raises :class:`ModelDocError` with every error found; ``each`` may have seen tensors of a
    document that then fails, so a caller acts on what it kept only after this returns.
    The returned result holds the tree and no arrays.
    """
    parsed, _, out, _ = _read(source, limits, keep=False, verify=True, progress=progress, each=each)
    if parsed.tree is None or parsed.container is None or out.errors:
        raise ModelDocError(out.errors)
    return ReadResult(parsed.tree, {}, parsed.container, out.warnings, {})


def loads(
    data: bytes | bytearray | memoryview | str, *, limits: Limits = DEFAULT_LIMITS, verify: bool = True
) -> Document:
    """Read a document from bytes (JSON or MessagePack, recognised from the content).

    ``verify=False`` skips the sha256 comparison (every other check still runs).

    >>> import modeldoc, numpy as np
    >>> doc = modeldoc.loads(modeldoc.dumps(modeldoc.example_document()))
    >>> doc.tensors["conv/bias"].dtype
    dtype('float32')
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    return read_tree(data, limits=limits, verify=verify).document()


def load(
    source: Source | bytes | bytearray | memoryview, *, limits: Limits = DEFAULT_LIMITS, verify: bool = True,
    progress: Progress | None = None,
) -> Document:
    """Read a document from a path, a binary file object or bytes.

    A path that cannot be read raises an error that is both a :class:`ModelDocError`
    (code ``IO_UNREADABLE``) and an :class:`OSError` (``FileNotFoundError`` for a missing
    file), so ``except FileNotFoundError`` works as with ``open``.

    >>> import modeldoc, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "m.json")
    >>> modeldoc.save(modeldoc.example_document(), path)
    >>> sorted(modeldoc.load(path).tensors)[:2]
    ['conv/bias', 'conv/kernel']
    """
    return read_tree(source, limits=limits, verify=verify, progress=progress).document()


def _to_document(
    tree: dict[str, Any], arrays: dict[str, np.ndarray], stores: dict[str, quantize.QuantizedTensor]
) -> Document:
    from .document import Document, graph_from_tree, producer_from_tree, test_vectors_from_tree

    return Document(
        model=graph_from_tree(tree["model"]),
        tensors=arrays,
        metadata=dict(tree.get("metadata", {})),
        producer=producer_from_tree(tree["producer"]),
        format_version=tree["format_version"],
        test_vectors=test_vectors_from_tree(tree.get("test_vectors", [])),
        quantization=dict(stores),
    )
