"""The streaming path for big files must agree with the ordinary path on every input,
and keep memory near the size of the tensors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import modeldoc
from modeldoc._fast import bigfile, payloads
from modeldoc.encodings import Encoding
from tests.testutil import CASES, FIXTURES, findings


@pytest.fixture
def stream_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every file 'big' and every payload of 64 bytes or more a cut-out payload."""
    monkeypatch.setattr(bigfile, "STREAM_THRESHOLD", 0)
    monkeypatch.setattr(bigfile, "PAYLOAD_THRESHOLD", 64)
    monkeypatch.setattr(payloads, "_CHUNK_TEXT", 64)  # many chunks per payload


@pytest.mark.usefixtures("stream_everything")
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_streaming_path_agrees_on_every_fixture(case: dict[str, object]) -> None:
    path = FIXTURES / str(case["file"])
    data = path.read_bytes()
    assert findings(modeldoc.validate(path)) == findings(modeldoc.validate(data))
    if case["valid"]:
        assert modeldoc.reader_report(modeldoc.load(path)) == modeldoc.reader_report(modeldoc.loads(data))


def big_doc() -> modeldoc.Document:
    doc = modeldoc.example_document()
    rng = np.random.default_rng(1)
    doc.tensors["w1"] = rng.standard_normal((64, 33)).astype(np.float32)
    doc.tensors["w2"] = rng.integers(0, 2, (300,)).astype(np.bool_)
    doc.model.layers[0].weights += ["w1", "w2"]
    return doc


SEEDS = [modeldoc.dumps(big_doc(), encoding="base64"), modeldoc.dumps(big_doc(), encoding="msgpack")]


@st.composite
def mutants(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "byte", "cut", "delete"]))
        if op == "flip":
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "byte":
            data[i] = draw(st.sampled_from(b'"=\\\n A+/\x00\xc4\xff'))
        elif op == "cut":
            del data[i:]
            break
        else:
            del data[i : i + draw(st.integers(1, 8))]
    return bytes(data)


@pytest.mark.slow  # 300 mutants, each read both ways
@pytest.mark.usefixtures("stream_everything")
@settings(max_examples=300, deadline=None)
@given(mutants())
def test_streaming_path_agrees_on_broken_big_documents(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("m") / "doc"
    path.write_bytes(data)
    assert findings(modeldoc.validate(path)) == findings(modeldoc.validate(data))


@pytest.mark.usefixtures("stream_everything")
def test_streaming_path_is_taken(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Guard against the equivalence tests passing only because everything falls back."""
    calls = []
    real = payloads.decode_base64_span

    def spy(*args: Any, **kw: Any) -> Any:
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(payloads, "decode_base64_span", spy)
    path = tmp_path / "m.json"
    path.write_bytes(SEEDS[0])
    assert modeldoc.validate(path).ok and calls


MEMORY_PROBE = r'''
import os, sys, numpy as np, modeldoc
path, encoding = sys.argv[1], sys.argv[2]
n = 48 << 20
doc = modeldoc.example_document()
doc.tensors["big"] = np.frombuffer(np.random.default_rng(0).bytes(n), dtype=np.float32).copy()
doc.model.layers[0].weights.append("big")
modeldoc.save(doc, path, encoding=encoding)
del doc
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) * 1024
open("/proc/self/clear_refs", "w").write("5")  # reset the high-water mark
base = hwm()
back = modeldoc.load(path)
print((hwm() - base) / n)
'''


@pytest.mark.slow  # a 48 MiB file written and read by a child interpreter
@pytest.mark.parametrize("encoding", ["base64", "msgpack"])
def test_reading_a_big_file_needs_little_more_memory_than_its_tensors(tmp_path: Path, encoding: Encoding) -> None:
    r = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(tmp_path / "big"), encoding],
                       capture_output=True, text=True, check=True)
    assert float(r.stdout) <= 1.5


@pytest.mark.usefixtures("stream_everything")
def test_split_raw_data_streams_and_agrees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from modeldoc import writer

    monkeypatch.setattr(writer, "MAX_BIN", 100)  # w1 (8448 bytes) becomes 85 bins; small ones stay inline
    data = modeldoc.dumps(big_doc(), encoding="msgpack")
    path = tmp_path / "split.msgpack"
    path.write_bytes(data)
    assert modeldoc.validate(path).ok
    back = modeldoc.load(path)
    for name, arr in big_doc().tensors.items():
        assert back.tensors[name].tobytes() == arr.tobytes(), name
    assert modeldoc.reader_report(back) == modeldoc.reader_report(modeldoc.loads(data))


@pytest.mark.usefixtures("stream_everything")
@pytest.mark.parametrize("encoding", ["base64", "msgpack"])
def test_verify_false_skips_checksums_on_the_streaming_path(tmp_path: Path, encoding: Encoding) -> None:
    tree_data = modeldoc.dumps(big_doc(), encoding=encoding)
    good = modeldoc.loads(tree_data)
    wrong = tree_data.replace(b"0f4aaec29160a565", b"0f4aaec29160a566")  # w1's sha256, first 16 digits
    assert wrong != tree_data
    path = tmp_path / "doc"
    path.write_bytes(wrong)
    with pytest.raises(modeldoc.ModelDocError) as e:
        modeldoc.load(path)
    assert e.value.code == "DATA_CHECKSUM"
    back = modeldoc.load(path, verify=False)
    assert back.tensors["w1"].tobytes() == good.tensors["w1"].tobytes()


def _escape_at(text: bytes, where: list[int]) -> bytes:
    """Write the characters at ``where`` (within the long base64 payload) as JSON escapes."""
    start = text.index(b'"data":"', text.index(b'"w1"')) + len(b'"data":"')
    out = bytearray(text)
    for i in sorted(where, reverse=True):
        ch = out[start + i]
        out[start + i : start + i + 1] = b"\\u%04x" % ch if ch != ord("/") else b"\\/"
    return bytes(out)


@pytest.mark.usefixtures("stream_everything")
@pytest.mark.parametrize("window", [16, 1 << 20])
@pytest.mark.parametrize("where", [[0], [5], [70], [100, 101], [-1]])
def test_escaped_base64_text_is_never_cut_out(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, window: int,
                                              where: list[int]) -> None:
    """A long data string with JSON escapes is valid base64 once unescaped: the scan must see the
    backslash wherever it falls, within one window or across several, and leave the string in place."""
    monkeypatch.setattr(bigfile, "_WINDOW", window)
    text = SEEDS[0]
    payload = json.loads(text)["tensors"]
    w1 = next(t for t in payload if t["name"] == "w1")["data"]
    at = [len(w1) + i if i < 0 else i for i in where]
    data = _escape_at(text, at)
    assert json.loads(data) == json.loads(text)  # the same document, spelled differently
    path = tmp_path / "escaped.json"
    path.write_bytes(data)
    assert findings(modeldoc.validate(path)) == findings(modeldoc.validate(data)) == []
    assert modeldoc.reader_report(modeldoc.load(path)) == modeldoc.reader_report(modeldoc.loads(text))
    with modeldoc.open(path) as lazy:
        assert lazy.get_tensor("w1").tobytes() == modeldoc.loads(text).tensors["w1"].tobytes()


@pytest.mark.usefixtures("stream_everything")
def test_the_full_read_finds_payload_ends_by_their_declared_size(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    """Guard: in the writer's layout the full read predicts where each base64 payload ends (no scan
    of its text), while lazy access, which leaves payloads unread, scans them."""
    predicted: list[int] = []
    real = bigfile._predicted_end

    def spy(mm: Any, q: int) -> int:
        predicted.append(real(mm, q))
        return predicted[-1]

    monkeypatch.setattr(bigfile, "_predicted_end", spy)
    path = tmp_path / "m.json"
    path.write_bytes(SEEDS[0])
    assert modeldoc.reader_report(modeldoc.load(path)) == modeldoc.reader_report(modeldoc.loads(SEEDS[0]))
    long = [t for t in json.loads(SEEDS[0])["tensors"] if len(t["data"]) >= bigfile.PAYLOAD_THRESHOLD]
    assert len(long) >= 2 and sum(end > 0 for end in predicted) == len(long)  # the short ones stay in place
    predicted.clear()
    with modeldoc.open(path) as lazy:
        lazy.get_tensor("w1")
    assert predicted == []


def _hide_a_quote(text: bytes, inserted: bytes) -> bytes:
    """w1's data string with ``inserted`` in place of as many base64 characters, so the string's
    declared length still ends on a quote."""
    start = text.index(b'"data":"', text.index(b'"w1"')) + len(b'"data":"')
    return text[:start + 12] + inserted + text[start + 12 + len(inserted):]


@pytest.mark.usefixtures("stream_everything")
@pytest.mark.parametrize("inserted", [b'","zz":"', b'\\"', b'","data":"', b"\\u0041", b"\x01"])
def test_a_quote_before_the_predicted_end_gives_the_reference_findings(tmp_path: Path, inserted: bytes) -> None:
    """The predicted end is only a guess: a quote, backslash or control character before it must
    give what the reference parser says, wherever the scan would have ended the string."""
    data = _hide_a_quote(SEEDS[0], inserted)
    path = tmp_path / "m.json"
    path.write_bytes(data)
    want = findings(modeldoc.validate(data))
    assert want  # none of these is the document it was
    assert findings(modeldoc.validate(path)) == want
    with pytest.raises(modeldoc.ModelDocError) as e:
        modeldoc.load(path)
    assert [(f.code, f.pointer, f.severity) for f in e.value.findings] == [w for w in want if w[2] == "error"]


@pytest.mark.usefixtures("stream_everything")
@pytest.mark.parametrize("lenient", [False, True], ids=["pybase64", "lenient-decoder"])
def test_padding_inside_a_payload_gives_the_reference_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               lenient: bool) -> None:
    """A "=" in the middle of a payload (not in its last chunk): the chunked decoder must not take it
    as the end, whichever base64 decoder it has (a lenient one stops there and gives fewer bytes)."""
    if lenient:
        import binascii

        import pybase64

        monkeypatch.setattr(pybase64, "b64decode", lambda s, validate=False: binascii.a2b_base64(bytes(s)))
    text = SEEDS[0]
    start = text.index(b'"data":"', text.index(b'"w1"')) + len(b'"data":"')
    data = text[: start + 2] + b"==" + text[start + 4 :]  # inside the first 64-character chunk
    path = tmp_path / "m.json"
    path.write_bytes(data)
    want = findings(modeldoc.validate(data))
    assert want and findings(modeldoc.validate(path)) == want
