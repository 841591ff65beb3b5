"""modeldoc.open: the structure checked at open, each tensor read and checked on request.

The rule under test: together, open and get_tensor of every tensor report exactly the
findings a full validation reports (less the document checksum, which lazy access
does not check), each with the same code and pointer, and hand out the same bits.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import modeldoc
from modeldoc._fast import bigfile
from modeldoc.encodings import ENCODINGS, Encoding
from modeldoc.lazy import LazyDocument
from modeldoc.quantize import quantize_document
from tests.testutil import CASES, FIXTURES, doc_with, lazy_agrees, same_bits

SUFFIX = {"base64": ".json", "list": ".json", "msgpack": ".msgpack"}


def _tensors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    big = rng.normal(0, 0.05, 300_000).astype(np.float32)  # 1.2 MB: its payload is cut out
    big[:4] = [np.nan, np.inf, -0.0, np.finfo(np.float32).tiny / 2]
    return {
        "big": big.reshape(600, 500),
        "bools": rng.integers(0, 2, 200_000).astype(bool),
        "wide": rng.integers(-(2**62), 2**62, 20_000, dtype=np.int64),
        "half": rng.normal(0, 1, (300, 300)).astype(np.float16),
        "small": np.array([1.5, -2.0], np.float32),
        "scalar": np.array(3, np.int32),
        "nan": np.array(np.nan, np.float16),  # a string as list data
        "empty": np.zeros((0, 4), np.float32),
    }


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("lazy")
    doc = doc_with(_tensors())
    out: dict[str, Path] = {}
    for e in ENCODINGS:
        out[e] = d / f"m-{e}{SUFFIX[e]}"
        modeldoc.save(doc, out[e], encoding=e)
    return out


def _errors(e: modeldoc.ModelDocError) -> list[tuple[str, str]]:
    return [(f.code, f.pointer) for f in e.findings if f.severity == "error"]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_tensor_reads_back_bit_exact(
    files: dict[str, Path], encoding: Encoding, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = files[encoding]
    full = modeldoc.load(path)

    def no_full_read(*args: Any) -> None:
        raise AssertionError("a valid document read tensor by tensor needs no full read")

    monkeypatch.setattr(LazyDocument, "_read_whole", no_full_read)
    with modeldoc.open(path) as f:
        assert f.keys() == list(full.tensors)
        assert f.container == ("msgpack" if encoding == "msgpack" else "json")
        assert f.num_parameters == full.num_parameters
        assert f.model == full.model and f.metadata == full.metadata and f.producer == full.producer
        for name in f:
            info = f.tensors[name]
            got = f.get_tensor(name)
            assert same_bits(got, full.tensors[name]), name
            assert (info.dtype, info.shape, info.nbytes) == (got.dtype.name, got.shape, got.nbytes)


def test_bytes_and_file_objects_read_the_same(files: dict[str, Path]) -> None:
    path = files["msgpack"]
    with modeldoc.open(path) as lazy, modeldoc.open(path.read_bytes()) as whole, path.open("rb") as fo:
        by_object = modeldoc.open(fo)
        for name in lazy:
            assert same_bits(lazy.get_tensor(name), whole.get_tensor(name))
            assert same_bits(lazy.get_tensor(name), by_object.get_tensor(name))


def test_quantized_tensors_come_back_dequantized(tmp_path: Path) -> None:
    doc = doc_with({"w": np.random.default_rng(1).normal(0, 1, (400, 300)).astype(np.float32)})
    quantize_document(doc, "uint8", per_channel=True)
    for e in ENCODINGS:
        path = tmp_path / f"q{SUFFIX[e]}"
        modeldoc.save(doc, path, encoding=e)
        with modeldoc.open(path) as f:
            assert f.tensors["w"].stored_dtype == "uint8" and f.tensors["w"].dtype == "float32"
            assert same_bits(f.get_tensor("w"), modeldoc.load(path).tensors["w"])


def test_open_reads_no_tensor_data(files: dict[str, Path], tmp_path: Path) -> None:
    """A broken payload does not stop open or the other tensors; only its own tensor fails."""
    data = bytearray(files["base64"].read_bytes())
    start = data.index(b'"data":"', data.index(b'"name":"big"')) + 8
    data[start + 1000] = ord("A") if data[start + 1000] != ord("A") else ord("B")
    path = tmp_path / "broken.json"
    path.write_bytes(bytes(data))
    assert ("DATA_CHECKSUM", "/tensors/0/sha256") in [(f.code, f.pointer) for f in modeldoc.validate(path).errors]
    tracemalloc.start()
    try:
        f = modeldoc.open(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    with f:
        assert peak < 300_000  # the 1.6 MB of base64 text of "big" was not read
        assert same_bits(f.get_tensor("bools"), _tensors()["bools"])
        with pytest.raises(modeldoc.ModelDocError) as e:
            f.get_tensor("big")
        assert _errors(e.value) == [("DATA_CHECKSUM", "/tensors/0/sha256")]
    with modeldoc.open(path, verify=False) as f:
        assert not same_bits(f.get_tensor("big"), _tensors()["big"])


@pytest.mark.parametrize(
    "encoding,find,edit,own",
    [
        ("base64", b'"name":"bools"', lambda d, i: d.__setitem__(i + 500, ord("*")), True),
        ("base64", b'"name":"bools"', lambda d, i: d.__setitem__(i + 500, ord("D")), True),
        ("base64", b'"name":"bools"', lambda d, i: d.__setitem__(slice(i + 500, i + 502), b"\\q"), False),
        ("base64", b'"name":"bools"', lambda d, i: d.__setitem__(slice(i + 500, i + 502), b"\\/"), True),
        ("list", b'"name":"big"', lambda d, i: d.__setitem__(i + 1, ord("[")), False),
        ("list", b'"name":"wide"', lambda d, i: d.__setitem__(i + 3, ord("x")), False),
    ],
    ids=["base64-alphabet", "bool-byte", "base64-bad-escape", "base64-escape", "list-nesting", "list-syntax"],
)
def test_a_payload_only_the_reference_may_judge_gets_its_findings(
    files: dict[str, Path], tmp_path: Path, encoding: Encoding, find: bytes, edit: Any, own: bool
) -> None:
    """The fast decoders give up on these; get_tensor then reports what validate reports."""
    data = bytearray(files[encoding].read_bytes())
    start = data.index(b'"data":', data.index(find)) + 8
    edit(data, start)
    path = tmp_path / f"m{SUFFIX[encoding]}"
    path.write_bytes(bytes(data))
    full = [(f.code, f.pointer) for f in modeldoc.validate(bytes(data)).errors]
    name = find.split(b'"')[3].decode()
    index = list(_tensors()).index(name)
    # own: a data finding; else a syntax error of the whole text, which lazy access meets only
    # when it reads the payload that holds it. Either way it points into this tensor.
    assert full and all(p.startswith(f"/tensors/{index}/") for _, p in full)
    assert all(c.startswith("DATA_") == own for c, _ in full), full
    try:
        f = modeldoc.open(path)
    except modeldoc.ModelDocError as e:
        # spec.md 7.1: a damaged list whose strings no longer pair may be read, and reported, at open
        assert not own and encoding == "list"
        assert _errors(e) == full
        return
    with f:
        with pytest.raises(modeldoc.ModelDocError) as raised:
            f.get_tensor(name)
        assert _errors(raised.value) == full
        assert same_bits(f.get_tensor("half"), _tensors()["half"])


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_open_and_get_tensor_report_what_validate_reports(case: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    path = FIXTURES / str(case["file"])
    data = path.read_bytes()
    report = modeldoc.validate(data)  # bytes: the ordinary path
    monkeypatch.setattr(bigfile, "PAYLOAD_THRESHOLD", 64)  # cut out every payload of 64 bytes or more
    for source in (path, data):
        lazy_agrees(source, report)


@pytest.mark.parametrize("broken", ["first", "second"])
def test_a_syntax_error_in_a_payload_is_the_whole_documents_finding(tmp_path: Path, broken: str) -> None:
    """Validation stops at a syntax error. Lazy access meets one inside a payload only when it reads
    that payload (spec.md 7.1, item 2), so verify_document reports validate's findings alone, even
    when a tensor read before it has a checksum that no longer matches."""
    text = modeldoc.dumps(doc_with({"a": np.array([1.5, 2.5], np.float32), "b": np.array([3.5, 4.5], np.float32)}),
                          encoding="list")
    bad_syntax, bad_sum = ((b"[1.5,2.5]", b"[3.5,4.5]") if broken == "first" else (b"[3.5,4.5]", b"[1.5,2.5]"))
    text = text.replace(bad_syntax, bad_syntax.replace(b",", b",,")).replace(bad_sum, bad_sum.replace(b".5]", b".25]"))
    path = tmp_path / "m.json"
    path.write_bytes(text)
    full = [(f.code, f.pointer) for f in modeldoc.validate(text).errors]
    assert [c for c, _ in full] == ["SYNTAX_JSON"]
    with modeldoc.open(path) as f:  # the lists were cut out unread: open does not meet the error
        with pytest.raises(modeldoc.ModelDocError) as e:
            f.verify_document()
        assert _errors(e.value) == full
        with pytest.raises(modeldoc.ModelDocError) as e:
            f.get_tensor("b" if broken == "first" else "a")
        assert [c for c, _ in _errors(e.value)] == ["DATA_CHECKSUM"]  # its own payload is read and checked


def test_a_member_after_list_data_is_not_cut_out_with_it(files: dict[str, Path], tmp_path: Path) -> None:
    """Lazy access takes list data to end at the writer's ',"sha256"'. A member between the array's
    real end and that text must still reach the structure's checks at open (spec.md 7.1, item 1)."""
    text = files["list"].read_bytes()
    at = text.index(b'],"sha256"', text.index(b'"name":"big"')) + 1
    path = tmp_path / "m.json"
    path.write_bytes(text[:at] + b',"extra":[0]' + text[at:])
    full = [(f.code, f.pointer) for f in modeldoc.validate(path.read_bytes()).errors]
    assert full and all(c.startswith("SCHEMA_") for c, _ in full), full
    with pytest.raises(modeldoc.ModelDocError) as e:
        modeldoc.open(path)
    assert _errors(e.value) == full


def test_declared_sizes_are_checked_at_open(files: dict[str, Path]) -> None:
    with pytest.raises(modeldoc.ModelDocError) as e:
        modeldoc.open(files["msgpack"], limits=modeldoc.Limits(max_tensor_bytes=1_000_000))
    assert _errors(e.value) == [("LIMIT_TENSOR_SIZE", "/tensors/0/shape")]


def test_unknown_names_and_closed_handles(files: dict[str, Path]) -> None:
    f = modeldoc.open(files["base64"])
    with pytest.raises(KeyError):
        f.get_tensor("nope")
    f.close()
    with pytest.raises(ValueError):
        f.get_tensor("big")


def test_unreadable_path_is_a_finding(tmp_path: Path) -> None:
    with pytest.raises(modeldoc.ModelDocError) as e:
        modeldoc.open(tmp_path / "missing.json")
    assert e.value.code == "IO_UNREADABLE"


def test_inspect_reads_the_structure_only(files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from modeldoc.cli import main

    data = bytearray(files["msgpack"].read_bytes())
    at = data.index(np.float32(_tensors()["big"].reshape(-1)[10]).tobytes())
    data[at] ^= 1  # one bit of "big": a bad checksum that only reading the data can find
    path = tmp_path / "flipped.msgpack"
    path.write_bytes(bytes(data))
    assert main(["validate", str(path)]) == 1
    capsys.readouterr()
    assert main(["inspect", "--json", str(path)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert [(t["name"], t["shape"], t["bytes"]) for t in info["tensors"]] == [
        (k, list(v.shape), v.nbytes) for k, v in _tensors().items()
    ]
    assert info["parameters"] == sum(v.size for v in _tensors().values())
    start, end = next(t["byte_range"] for t in info["tensors"] if t["name"] == "half")
    assert bytes(data[start:end]) == _tensors()["half"].astype("<f2").tobytes()  # where "half" lies in the file
    assert main(["inspect", str(path), "--limit", "max_tensor_bytes=1000"]) == 1
    assert "LIMIT_TENSOR_SIZE at /tensors/0/shape" in capsys.readouterr().err


def test_extract_reads_and_checks_its_tensor_only(files: dict[str, Path], tmp_path: Path) -> None:
    from modeldoc.cli import main

    data = bytearray(files["msgpack"].read_bytes())
    at = data.index(np.float32(_tensors()["big"].reshape(-1)[10]).tobytes())
    data[at] ^= 1  # a bad checksum in "big"
    path = tmp_path / "flipped.msgpack"
    path.write_bytes(bytes(data))
    out = tmp_path / "half.npy"
    assert main(["extract", str(path), "half", "-o", str(out), "-q"]) == 0
    assert same_bits(np.load(out), _tensors()["half"])
    assert main(["extract", str(path), "big", "-o", str(tmp_path / "big.npy"), "-q"]) == 1
    assert not (tmp_path / "big.npy").exists()


# --- tensor_info, verify_document and load on the handle -----------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_tensor_info_gives_where_each_tensor_lies(files: dict[str, Path], encoding: Encoding) -> None:
    """A byte range is the data as stored: a bin's bytes (the tensor's little-endian bytes), a base64
    string's characters, a list's JSON text (a scalar's one value); every tensor has one, however small."""
    import base64

    text = files[encoding].read_bytes()
    values = {t["name"]: t["data"] for t in json.loads(text)["tensors"]} if encoding == "list" else {}
    with modeldoc.open(files[encoding]) as f:
        for name, want in _tensors().items():
            info = f.tensor_info(name)
            assert (info.dtype, info.shape, info.encoding) == (str(want.dtype), want.shape, f.tensors[name].encoding)
            assert info.byte_range is not None, name
            start, end = info.byte_range
            stored = text[start:end]
            if encoding == "list":  # the whole value exactly: its JSON text, or a string's characters
                assert (stored.decode() if isinstance(values[name], str) else json.loads(stored)) == values[name], name
                continue
            raw = np.ascontiguousarray(want).astype(want.dtype.newbyteorder("<")).tobytes()
            assert (stored if encoding == "msgpack" else base64.b64decode(stored)) == raw, name
        with pytest.raises(KeyError):
            f.tensor_info("nope")
    with modeldoc.open(text) as f:  # bytes: nothing to point into
        assert all(f.tensor_info(n).byte_range is None for n in f)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_verify_document_reports_what_validate_reports(case: dict[str, Any]) -> None:
    """open then verify_document: every finding of validate, the document checksum included
    (spec.md 7.1), whether the handle was opened verifying or not, from a path or from bytes."""
    path = FIXTURES / str(case["file"])
    data = path.read_bytes()
    full = [(f.code, f.pointer) for f in modeldoc.validate(data).errors]
    for source, verify in ((path, True), (path, False), (data, True)):
        try:
            f = modeldoc.open(source, verify=verify)
        except modeldoc.ModelDocError as e:
            assert _errors(e) and set(_errors(e)) <= set(full)
            continue
        with f:
            try:
                f.verify_document()
                got: list[tuple[str, str]] = []
            except modeldoc.ModelDocError as e:
                got = _errors(e)
        assert sorted(got) == sorted(full), (source, verify)


def test_verify_document_finds_a_document_checksum_that_get_tensor_cannot(files: dict[str, Path],
                                                                         tmp_path: Path) -> None:
    tree = json.loads(files["base64"].read_bytes())
    tree["document_sha256"] = "0" * 64  # every tensor still matches its own sha256
    path = tmp_path / "m.json"
    path.write_text(json.dumps(tree))
    with modeldoc.open(path) as f:
        for name in f:
            f.get_tensor(name)
        with pytest.raises(modeldoc.ModelDocError) as e:
            f.verify_document()
        assert _errors(e.value) == [("DATA_DOCUMENT_CHECKSUM", "/document_sha256")]
        with pytest.raises(modeldoc.ModelDocError) as e:
            f.load()
        assert _errors(e.value) == [("DATA_DOCUMENT_CHECKSUM", "/document_sha256")]
    with modeldoc.open(path, verify=False) as f:
        assert same_bits(f.load().tensors["big"], _tensors()["big"])  # verify=False: as modeldoc.load


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_load_reads_the_whole_document(files: dict[str, Path], encoding: Encoding) -> None:
    want = modeldoc.load(files[encoding])
    for source in (files[encoding], files[encoding].read_bytes()):
        with modeldoc.open(source) as f:
            got = f.load()
        assert modeldoc.reader_report(got) == modeldoc.reader_report(want)
        assert all(same_bits(got.tensors[k], v) for k, v in want.tensors.items())


def test_a_file_replaced_while_open_is_not_taken_for_it(files: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "m.msgpack"
    path.write_bytes(files["msgpack"].read_bytes())
    with modeldoc.open(path) as f:
        other = _tensors()
        other["small"] = np.array([9.0, 9.0], np.float32)
        modeldoc.save(doc_with(other), path, encoding="msgpack")  # a valid document, not the one opened
        with pytest.raises(modeldoc.ModelDocError) as e:
            f.load()
        assert e.value.code == "IO_UNREADABLE" and "changed while it was open" in str(e.value)
        assert same_bits(f.get_tensor("big"), _tensors()["big"])  # the handle keeps the file it opened


def test_a_short_data_member_outside_the_tensors_keeps_the_file_lazy(tmp_path: Path) -> None:
    """Lazy access cuts out every string named "data" to give each tensor its byte range; a short one
    elsewhere (metadata here) must not send open to reading the whole file."""
    doc = doc_with(_tensors())
    doc.metadata["data"] = "imagenet"
    path = tmp_path / "m.json"
    modeldoc.save(doc, path)
    with modeldoc.open(path) as f:
        assert f._source is not None  # the file is read lazily, not whole
        assert f.metadata["data"] == "imagenet"
        assert f.tensor_info("big").byte_range is not None  # long payloads keep theirs
        assert same_bits(f.get_tensor("small"), _tensors()["small"])
        f.verify_document()
