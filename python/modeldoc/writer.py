"""Writing documents: JSON (base64 or list tensors) and MessagePack (raw tensors).

The document skeleton (everything but tensor data) is checked with the same
strict parser, schema and semantic rules a reader applies before a single
byte is written. Tensor data is then streamed to the output one tensor at a
time, never joined into one giant string. ``save`` writes to a temporary
file in the destination's folder and renames it into place.
"""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import IO, Any, Callable, Iterator

import numpy as np

from . import encodings as enc
from ._fast.hashing import Hasher, hash_bytes_in_background
from .digest import document_sha256, report_of_tree
from .document import Document, graph_to_tree, producer_to_tree, test_vectors_to_tree
from .dtypes import DTYPES, DType, dtype_of_array, to_le_bytes
from .encodings import ENCODINGS, Encoding
from .errors import Collector, ModelDocError
from .jsontext import dumps_value, parse_json
from .limits import DEFAULT_LIMITS
from .progress import Progress
from .quantize import dequantize
from .schema import SCHEMA_ID, check_schema, normalize_integers
from .semantics import check_semantics
from .tree import check_tree

MAX_BIN = (1 << 32) - 1  # the largest MessagePack bin; bigger tensors are split
_B64_CHUNK = 3 << 20  # raw bytes per base64 step (a multiple of 3)


_Prepared = tuple[str, DType, np.ndarray]  # name, dtype, array as written
_HASH_STEP = 4 << 20  # bytes hashed and written per step, so each chunk is hashed while in cache


def _prepared_tensors(doc: Document, encoding: str, canonicalize_nan: bool) -> list[_Prepared]:
    out: list[_Prepared] = []
    for name, value in doc.tensors.items():
        arr = np.asarray(value)
        qt = doc.quantization.get(name)
        if qt is not None:
            # The document holds the dequantized values; what is written is the stored form.
            if not np.array_equal(dequantize(qt.stored, qt.quantization).view(np.uint8), np.asarray(arr).view(np.uint8)):
                raise ModelDocError.of(
                    "WRITE_INVALID_DOCUMENT", f"/tensors/{len(out)}",
                    f"tensor {name!r} no longer equals its dequantized stored form; quantize it again "
                    "or delete doc.quantization[name]",
                )
            arr = qt.stored
        dt = dtype_of_array(arr)
        if dt is None:
            raise ModelDocError.of(
                "WRITE_UNSUPPORTED_DTYPE", f"/tensors/{len(out)}", f"tensor {name!r} has dtype {arr.dtype}, not a ModelDoc dtype"
            )
        if encoding == "list" and enc.nan_needs_canonicalizing(arr, dt):
            if not canonicalize_nan:
                raise ModelDocError.of(
                    "WRITE_LOSSY_NAN",
                    f"/tensors/{len(out)}",
                    f"tensor {name!r} has NaNs with sign or payload bits that the list encoding drops; "
                    "pass canonicalize_nan=True (CLI: --canonicalize-nan) or use base64/msgpack",
                )
            arr = enc.canonicalize_nan(arr, dt)
        out.append((name, dt, arr))
    return out


def _skeleton(doc: Document, tensors: list[_Prepared], tensor_encoding: str) -> dict[str, Any]:
    """The document without tensor data, in the order it is written.

    Checksums come after what they cover (each tensor's after its data, the
    document's last), so the writer hashes as it writes, in one pass.
    """
    entries: list[dict[str, Any]] = []
    for name, dt, arr in tensors:
        e: dict[str, Any] = {"name": name, "dtype": dt.name, "shape": [int(d) for d in arr.shape],
                             "encoding": tensor_encoding}
        if name in doc.quantization:
            e["quantization"] = doc.quantization[name].quantization.to_tree()
        e["data"] = ""
        e["sha256"] = "0" * 64
        entries.append(e)
    skeleton: dict[str, Any] = {
        "$schema": SCHEMA_ID,
        "format": "modeldoc",
        "format_version": doc.format_version,
        "producer": producer_to_tree(doc.producer),
        "metadata": dict(doc.metadata),
        "model": graph_to_tree(doc.model),
        "tensors": entries,
    }
    if doc.test_vectors:
        skeleton["test_vectors"] = test_vectors_to_tree(doc.test_vectors)
    skeleton["document_sha256"] = "0" * 64
    return skeleton


def _check_skeleton(skeleton: dict[str, Any]) -> dict[str, Any]:
    """Check everything but tensor data as a reader would; return the tree a reader would see."""
    try:
        dumps_value(skeleton)
    except (TypeError, ValueError) as e:
        raise ModelDocError.of(
            "WRITE_INVALID_DOCUMENT", "", f"document holds a value outside the JSON data model: {e}"
        ) from None
    out = Collector()
    # ASCII escapes let the strict parser report an unpaired surrogate with its pointer.
    tree = parse_json(dumps_value(skeleton, ascii_only=True).encode("ascii"), out)
    if not out.errors:
        check_tree(tree, DEFAULT_LIMITS, out, msgpack=False)
    if not out.errors:
        # Placeholders: base64 "" passes the schema for any encoding check we care about here.
        probe = dict(tree)
        probe["tensors"] = [dict(t, encoding="base64") for t in tree["tensors"]]
        check_schema(probe, out)
    if not out.errors:
        check_semantics(tree, out)
    if not out.errors:
        for i, t in enumerate(tree["tensors"]):
            # The first data-layer checks, so nothing is written that a reader's default limits refuse
            # (a shape such as (0, 2^40) holds no element, yet is over the per-tensor limit).
            try:
                enc.nbytes_of(t["shape"], DTYPES[t["dtype"]], f"/tensors/{i}", DEFAULT_LIMITS)
            except ModelDocError as e:
                out.extend(e.findings)
    if out.errors:
        raise ModelDocError(out.errors)
    normalize_integers(tree)
    return tree  # type: ignore[no-any-return]


def write(
    doc: Document,
    fp: IO[bytes],
    *,
    encoding: Encoding = "base64",
    canonicalize_nan: bool = False,
    progress: Progress | None = None,
) -> None:
    """Write ``doc`` to a binary file object. Prefer :func:`save` for paths (atomic).

    >>> import io, modeldoc
    >>> buf = io.BytesIO()
    >>> modeldoc.write(modeldoc.example_document(), buf, encoding="msgpack")
    >>> modeldoc.loads(buf.getvalue()).tensors.keys() == modeldoc.example_document().tensors.keys()
    True
    """
    _write(doc, fp, encoding=encoding, canonicalize_nan=canonicalize_nan, progress=progress)


def _write(
    doc: Document, fp: IO[bytes], *, encoding: Encoding, canonicalize_nan: bool, progress: Progress | None,
    sync_early: bool = False,
) -> None:
    """:func:`write`; with ``sync_early`` (``save``, which fsyncs at the end anyway) writeback
    of what is written so far starts every ``_SYNC_EVERY`` bytes on a thread of its own
    (:class:`_Writeback`), so that the disk works while the rest is made and written."""
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {', '.join(ENCODINGS)}, not {encoding!r}")
    tensors = _prepared_tensors(doc, encoding, canonicalize_nan)
    tensor_encoding = "raw" if encoding == "msgpack" else encoding
    skeleton = _skeleton(doc, tensors, tensor_encoding)
    tree = _check_skeleton(skeleton)
    quantized = {
        i: doc.quantization[name].quantization.report_tree(
            enc.sha256_hex(to_le_bytes(doc.tensors[name], DTYPES[doc.quantization[name].quantization.dtype]))
        )
        for i, (name, *_rest) in enumerate(tensors) if name in doc.quantization
    }

    def document_checksum(sha256s: list[str]) -> str:
        return document_sha256(report_of_tree(tree, sha256s, quantized))

    emit = fp.write
    if progress is not None:
        total = sum(int(arr.nbytes) for _, _, arr in tensors)
        done = 0

        def emit(data: Any) -> Any:  # counts every byte written against the tensor bytes
            nonlocal done
            done = min(total, done + len(data))
            progress(done, total)
            return fp.write(data)

    writeback = _Writeback(fp.fileno(), emit) if sync_early else None
    try:
        if encoding == "msgpack":
            _write_msgpack(skeleton, tensors, writeback or emit, document_checksum)
        else:
            _write_json(skeleton, tensors, encoding, writeback or emit, document_checksum)
    finally:
        if writeback is not None:
            writeback.close()


_SYNC_EVERY = 32 << 20  # bytes written between two early writebacks


class _Writeback:
    """``emit`` that starts writeback of the file every ``_SYNC_EVERY`` bytes, beside the writes.

    ``save`` fsyncs before its rename. Left to the end, that fsync waits for every byte
    to reach the disk after the last one was written (about 0.2 s for 500 MB here); with
    ``fdatasync`` on a thread of its own while the writes go on, the disk works while
    the rest is encoded and written, and the final fsync has only the tail left. Large
    writes bypass the file object's buffer, so what was emitted is in the file. A round
    is skipped, never waited for, while the previous writeback is still running.
    """

    def __init__(self, fd: int, emit: Callable[[Any], Any]) -> None:
        self._fd = fd
        self._emit = emit
        self._unsynced = 0
        self._running: Future[None] | None = None
        self._pool: ThreadPoolExecutor | None = None

    def __call__(self, data: Any) -> Any:
        written = self._emit(data)
        self._unsynced += len(data)
        if self._unsynced >= _SYNC_EVERY and (self._running is None or self._running.done()):
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="modeldoc-sync")
            self._unsynced = 0
            self._running = self._pool.submit(os.fdatasync, self._fd)
        return written

    def close(self) -> None:
        """Wait for the writeback in flight: the file stays open until it is done."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)


_AHEAD = 1 << 20  # tensors at least this big are hashed ahead on the pool


def _hashes_ahead(tensors: list[_Prepared]) -> list[Future[str] | None]:
    """Start SHA-256 of every big tensor on the two-thread pool, in writing order.

    Checksums follow their data in the file, so without this each tensor's bytes are
    hashed on one core while they are written. Hashed ahead, two tensors are hashed at
    once while the writer emits the first, and the digest is usually ready when it is
    needed. Only tensors whose canonical bytes are a view of the array (no copy, so no
    extra memory); the others are hashed as they are written.
    """
    return [hash_bytes_in_background(to_le_bytes(arr, dt))
            if arr.nbytes >= _AHEAD and arr.flags.c_contiguous and arr.dtype == dt.numpy else None
            for _, dt, arr in tensors]


def _hashed_steps(raw: memoryview, step: int) -> Iterator[memoryview]:
    for start in range(0, len(raw), step):
        yield raw[start : start + step]


def _write_json(
    skeleton: dict[str, Any], tensors: list[_Prepared], encoding: str, emit: Callable[[Any], Any],
    document_checksum: Callable[[list[str]], str],
) -> None:
    # The codecs load with the first document written, not with `import modeldoc`.
    import pybase64

    from ._fast import fastlist

    head = {k: v for k, v in skeleton.items() if k not in ("tensors", "test_vectors", "document_sha256")}
    emit(dumps_value(head)[:-1].encode("utf-8"))
    emit(b',\n"tensors":[')
    sha256s = []
    ahead = _hashes_ahead(tensors)
    for i, ((_name, dt, arr), entry) in enumerate(zip(tensors, skeleton["tensors"])):
        meta = {k: v for k, v in entry.items() if k not in ("data", "sha256")}
        emit((",\n" if i else "\n").encode() + dumps_value(meta)[:-1].encode("utf-8") + b',"data":')
        raw = to_le_bytes(arr, dt)
        # Not hashed ahead: hash chunk k on the other core while chunk k+1 is encoded.
        hasher = Hasher(len(raw), enabled=ahead[i] is None)
        try:
            if encoding == "base64":
                emit(b'"')
                for chunk in _hashed_steps(raw, _B64_CHUNK):  # never one giant string
                    hasher.update(chunk)  # a view of the array: it does not change
                    emit(pybase64.b64encode(chunk))
                emit(b'"')
            else:
                hasher.update(raw)
                pieces = fastlist.list_text(arr, dt)  # the same bytes as the reference, in blocks
                if pieces is None:
                    emit(enc.encode_list_text(arr, dt).encode("ascii"))
                else:
                    _emit_overlapped(pieces, emit, threaded=arr.size > fastlist.block_size())
            future = ahead[i]
            sha256s.append(hasher.hexdigest() if future is None else future.result())
        finally:
            hasher.close()
        emit(b',"sha256":"' + sha256s[-1].encode() + b'"}')
    emit(b"\n]")
    if "test_vectors" in skeleton:
        emit(b',\n"test_vectors":' + dumps_value(skeleton["test_vectors"]).encode("utf-8"))
    emit(b',\n"document_sha256":"' + document_checksum(sha256s).encode() + b'"}\n')


def _emit_overlapped(pieces: Iterator[Any], emit: Callable[[Any], Any], *, threaded: bool) -> None:
    """Write each piece while the next one is made: file writes release the GIL, so on
    two cores writing hides behind formatting. One piece in flight bounds the memory."""
    if not threaded:
        for piece in pieces:
            emit(piece)
        return
    with ThreadPoolExecutor(1, thread_name_prefix="modeldoc-write") as pool:
        pending: Future[Any] | None = None
        for piece in pieces:
            if pending is not None:
                pending.result()
            pending = pool.submit(emit, piece)
        if pending is not None:
            pending.result()


def _write_msgpack(
    skeleton: dict[str, Any], tensors: list[_Prepared], emit: Callable[[Any], Any],
    document_checksum: Callable[[list[str]], str],
) -> None:
    import msgpack

    packer = msgpack.Packer(use_bin_type=True, use_single_float=False)
    emit(packer.pack_map_header(len(skeleton)))
    sha256s: list[str] = []
    for key, value in skeleton.items():
        emit(packer.pack(key))
        if key == "document_sha256":
            emit(packer.pack(document_checksum(sha256s)))
            continue
        if key != "tensors":
            emit(packer.pack(value))
            continue
        emit(packer.pack_array_header(len(tensors)))
        ahead = _hashes_ahead(tensors)
        for i, ((_name, dt, arr), entry) in enumerate(zip(tensors, value)):
            emit(packer.pack_map_header(len(entry)))
            for k, v in entry.items():
                if k not in ("data", "sha256"):
                    emit(packer.pack(k) + packer.pack(v))
            emit(packer.pack("data"))
            raw = to_le_bytes(arr, dt)
            future = ahead[i]
            hasher = Hasher(len(raw), enabled=future is None)
            try:
                chunks = [raw[i : i + MAX_BIN] for i in range(0, len(raw), MAX_BIN)] or [raw]
                if len(chunks) > 1:  # past MessagePack's 4 GiB bin limit: an array of bins (spec.md 5.4)
                    emit(packer.pack_array_header(len(chunks)))
                for chunk in chunks:
                    emit(_bin_header(len(chunk)))
                    for step in _hashed_steps(chunk, _HASH_STEP):
                        hasher.update(step)
                        emit(step)  # straight from the array's memory, no copy
                sha256s.append(hasher.hexdigest() if future is None else future.result())
            finally:
                hasher.close()
            emit(packer.pack("sha256") + packer.pack(sha256s[-1]))


def _bin_header(n: int) -> bytes:
    if n < 1 << 8:
        return b"\xc4" + n.to_bytes(1, "big")
    if n < 1 << 16:
        return b"\xc5" + n.to_bytes(2, "big")
    return b"\xc6" + n.to_bytes(4, "big")


def dumps(doc: Document, *, encoding: Encoding = "base64", canonicalize_nan: bool = False) -> bytes:
    """The document as bytes: JSON for ``base64``/``list``, MessagePack for ``msgpack``.

    >>> import modeldoc
    >>> modeldoc.dumps(modeldoc.example_document())[:10]
    b'{"$schema"'
    """
    import io

    buf = io.BytesIO()
    write(doc, buf, encoding=encoding, canonicalize_nan=canonicalize_nan)
    return buf.getvalue()


# The extensions that name an encoding; any other name leaves the choice to ``encoding`` (base64 by default).
EXTENSION_ENCODINGS: dict[str, tuple[str, ...]] = {".msgpack": ("msgpack",), ".json": ("base64", "list")}


def encoding_for(path: str | os.PathLike[str], encoding: str | None) -> Encoding:
    """The encoding to write ``path`` in: ``encoding`` if given, else the one its extension names.

    A ``.msgpack`` file holds MessagePack and a ``.json`` file JSON (``base64`` unless
    ``list`` is asked for); an ``encoding`` that contradicts the extension is ``USAGE``,
    since the file would lie about its content.

    >>> encoding_for("m.msgpack", None), encoding_for("m.json", None), encoding_for("m.json", "list")
    ('msgpack', 'base64', 'list')
    """
    ext = os.path.splitext(os.fspath(path))[1].lower()
    named = EXTENSION_ENCODINGS.get(ext)
    if encoding is None:
        return (named[0] if named else "base64")  # type: ignore[return-value]
    if encoding not in ENCODINGS:
        raise ModelDocError.of("USAGE", "", f"unknown encoding {encoding!r} (use {', '.join(ENCODINGS)})")
    if named and encoding not in named:
        raise ModelDocError.of(
            "USAGE", "", f"{os.fspath(path)!r}: a {ext} file holds {' or '.join(named)}, not {encoding} "
            f"(name the file *{'.msgpack' if encoding == 'msgpack' else '.json'} or drop the encoding)"
        )
    return encoding  # type: ignore[return-value]


def save(
    doc: Document,
    path: str | os.PathLike[str],
    *,
    encoding: Encoding | None = None,
    canonicalize_nan: bool = False,
    progress: Progress | None = None,
) -> None:
    """Write ``doc`` to ``path`` atomically: the file is either the old one or complete.

    Without ``encoding`` the extension decides (:func:`encoding_for`): ``.msgpack``
    is MessagePack, anything else JSON with base64 tensors.

    >>> import modeldoc, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "model.msgpack")
    >>> modeldoc.save(modeldoc.example_document(), p)
    >>> open(p, "rb").read(1) == bytes([0x88])  # a MessagePack map of 8 members
    True
    """
    encoding = encoding_for(path, encoding)
    atomic_write(
        path,
        lambda fp: _write(
            doc, fp, encoding=encoding, canonicalize_nan=canonicalize_nan, progress=progress, sync_early=True
        ),
    )


@contextmanager
def atomic_path(path: str | os.PathLike[str], *, suffix: str = ".tmp") -> Iterator[str]:
    """A temporary path beside ``path`` to fill; renamed over ``path`` when the block succeeds.

    The destination is either as it was or complete, never partial; on any
    error the temporary file is removed.
    """
    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target))
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(target) + ".", suffix=suffix, dir=folder)
        os.close(fd)
    except OSError as e:
        raise ModelDocError.of("WRITE_FAILED", "", f"cannot create a file in {folder!r}: {e.strerror}") from None
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, target)
    except OSError as e:
        _unlink_quietly(tmp)
        raise ModelDocError.of("WRITE_FAILED", "", f"cannot write {target!r}: {e.strerror}") from None
    except BaseException:
        _unlink_quietly(tmp)
        raise


def atomic_write(path: str | os.PathLike[str], fill: Callable[[IO[bytes]], None]) -> None:
    """Call ``fill`` on a temporary file beside ``path``, then rename it over ``path``."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fp:
        fill(fp)
        fp.flush()
        os.fsync(fp.fileno())


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
