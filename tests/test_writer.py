"""The writer: refusals, NaN handling and atomic saves."""

from __future__ import annotations

import json
import os
from pathlib import Path

import msgpack
import numpy as np
import pytest

import modeldoc
from modeldoc.document import Layer, Node
from modeldoc.encodings import Encoding
from tests.testutil import doc_with


def test_list_encoding_refuses_to_drop_nan_payloads_unless_asked() -> None:
    arr = np.array([0x7FC00001, 0xFFC00000, 0x3F800000], dtype=np.uint32).view(np.float32)
    doc = doc_with({"t": arr})
    with pytest.raises(modeldoc.ModelDocError) as e:
        modeldoc.dumps(doc, encoding="list")
    assert (e.value.code, e.value.pointer) == ("WRITE_LOSSY_NAN", "/tensors/0")
    back = modeldoc.loads(modeldoc.dumps(doc, encoding="list", canonicalize_nan=True))
    assert back.tensors["t"].view(np.uint32).tolist() == [0x7FC00000, 0x7FC00000, 0x3F800000]
    for encoding in ("base64", "msgpack"):  # these keep every bit
        back = modeldoc.loads(modeldoc.dumps(doc, encoding=encoding))
        assert back.tensors["t"].tobytes() == arr.tobytes()


@pytest.mark.parametrize("arr", [np.array([1 + 2j]), np.array(["a"]), np.array([None], dtype=object)])
def test_unsupported_dtypes_are_refused(arr: np.ndarray) -> None:
    with pytest.raises(modeldoc.ModelDocError) as e:
        modeldoc.dumps(doc_with({"t": arr}))
    assert e.value.code == "WRITE_UNSUPPORTED_DTYPE"


def test_invalid_documents_are_refused_with_reader_codes() -> None:
    doc = doc_with({"t": np.zeros(2, np.float32)})
    doc.model.nodes.append(Node("missing", ["y"], ["z"]))
    doc.model.layers.append(Layer("layer", "Dup"))
    with pytest.raises(modeldoc.ModelDocError) as e:
        modeldoc.dumps(doc)
    got = {(f.code, f.pointer) for f in e.value.findings}
    assert got == {("SEMANTIC_UNKNOWN_LAYER", "/model/nodes/1/layer"), ("SEMANTIC_DUPLICATE_LAYER", "/model/layers/1/name")}


@pytest.mark.parametrize(
    "config, code",
    [({"x": float("nan")}, "WRITE_INVALID_DOCUMENT"), ({"x": np.float32(1)}, "WRITE_INVALID_DOCUMENT"),
     ({"x": 2**64}, "SYNTAX_NUMBER_RANGE"), ({"x": "\ud800"}, "SYNTAX_UTF8")],
)
def test_configs_outside_the_data_model_are_refused(config: dict[str, object], code: str) -> None:
    doc = doc_with({})
    doc.model.layers[0].config = config
    with pytest.raises(modeldoc.ModelDocError) as e:
        modeldoc.dumps(doc)
    assert e.value.code == code


def test_save_is_atomic_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "model.json"
    target.write_bytes(b"previous content")
    bad = doc_with({"t": np.array([1 + 2j])})
    with pytest.raises(modeldoc.ModelDocError):
        modeldoc.save(bad, target)
    assert target.read_bytes() == b"previous content"
    assert os.listdir(tmp_path) == ["model.json"]  # no temporary file left behind


def test_save_is_atomic_when_interrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "model.msgpack"
    target.write_bytes(b"previous content")
    from modeldoc import writer

    def explode(*args: object, **kw: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(writer, "_write_msgpack", explode)
    with pytest.raises(KeyboardInterrupt):
        modeldoc.save(modeldoc.example_document(), target, encoding="msgpack")
    assert target.read_bytes() == b"previous content"
    assert os.listdir(tmp_path) == ["model.msgpack"]


def test_save_into_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(modeldoc.ModelDocError) as e:
        modeldoc.save(modeldoc.example_document(), tmp_path / "no" / "such" / "dir.json")
    assert e.value.code == "WRITE_FAILED"


def test_saved_files_get_normal_permissions(tmp_path: Path) -> None:
    target = tmp_path / "m.json"
    modeldoc.save(modeldoc.example_document(), target)
    umask = os.umask(0)
    os.umask(umask)
    assert (target.stat().st_mode & 0o777) == (0o666 & ~umask)


def test_output_is_deterministic() -> None:
    doc = modeldoc.example_document()
    for encoding in ("base64", "list", "msgpack"):
        assert modeldoc.dumps(doc, encoding=encoding) == modeldoc.dumps(doc, encoding=encoding)


def test_unknown_encoding_is_a_usage_error() -> None:
    with pytest.raises(ValueError):
        modeldoc.dumps(modeldoc.example_document(), encoding="hex")  # type: ignore[arg-type]  # the point: not an encoding


@pytest.mark.parametrize("encoding", ["base64", "msgpack", "list"])
def test_checksums_hashed_ahead_match_the_bytes_written(encoding: Encoding) -> None:
    """Big tensors are hashed on the pool before their data is written; views and copies alike
    must end up with the checksum of their canonical (little-endian, C-order) bytes."""
    import hashlib

    rng = np.random.default_rng(7)
    big = rng.standard_normal(300_000).astype(np.float32)  # 1.2 MB: hashed ahead
    tensors = {
        "view": big,
        "big_endian": big.astype(">f4"),  # canonical bytes are a copy: hashed while written
        "strided": rng.standard_normal((600, 1000)).astype(np.float32)[:, ::2],  # not contiguous
        "small": np.arange(5, dtype=np.int64),
    }
    data = modeldoc.dumps(doc_with(tensors), encoding=encoding)
    back = modeldoc.loads(data)  # verifies every checksum
    tree = json.loads(data) if encoding != "msgpack" else msgpack.unpackb(data)
    for entry in tree["tensors"]:
        canonical = np.ascontiguousarray(tensors[entry["name"]]).astype(tensors[entry["name"]].dtype.newbyteorder("<"))
        assert entry["sha256"] == hashlib.sha256(canonical.tobytes()).hexdigest(), entry["name"]
        assert back.tensors[entry["name"]].tobytes() == canonical.tobytes()


@pytest.mark.parametrize("encoding", ["base64", "msgpack", "list"])
def test_save_starts_writeback_while_writing(encoding: Encoding, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """save hands the disk what is written so far every _SYNC_EVERY bytes (fdatasync on a thread
    of its own), in every encoding, and the file is still byte for byte what dumps gives."""
    from modeldoc import writer

    monkeypatch.setattr(writer, "_SYNC_EVERY", 50_000)
    synced: list[int] = []
    real_sync = os.fdatasync

    def fdatasync(fd: int) -> None:
        synced.append(os.fstat(fd).st_size)  # how much of the file had reached it
        real_sync(fd)

    monkeypatch.setattr(os, "fdatasync", fdatasync)
    rng = np.random.default_rng(3)
    doc = doc_with({f"t{i}": rng.standard_normal(40_000).astype(np.float32) for i in range(4)})
    path = tmp_path / "m.bin"
    modeldoc.save(doc, path, encoding=encoding)
    whole = path.read_bytes()
    assert whole == modeldoc.dumps(doc, encoding=encoding)
    assert synced and min(synced) < len(whole)  # writeback began before the last byte was written
    assert os.listdir(tmp_path) == ["m.bin"]


def test_a_failing_write_waits_for_its_writeback_and_leaves_no_file(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from modeldoc import writer

    monkeypatch.setattr(writer, "_SYNC_EVERY", 10_000)
    calls: list[str] = []
    real_emit = writer._Writeback.__call__

    def emit(self: writer._Writeback, data: object) -> object:
        if len(calls) == 8:
            raise OSError(28, "No space left on device")
        calls.append("emit")
        return real_emit(self, data)

    real_close = writer._Writeback.close

    def close(self: writer._Writeback) -> None:
        calls.append("close")
        real_close(self)

    monkeypatch.setattr(writer._Writeback, "__call__", emit)
    monkeypatch.setattr(writer._Writeback, "close", close)
    doc = doc_with({f"t{i}": np.arange(100_000, dtype=np.float32) for i in range(4)})
    target = tmp_path / "m.json"
    with pytest.raises(modeldoc.ModelDocError) as e:
        modeldoc.save(doc, target)
    assert e.value.code == "WRITE_FAILED"
    assert calls[-1] == "close"  # the writeback in flight was waited for before the file was removed
    assert os.listdir(tmp_path) == []
