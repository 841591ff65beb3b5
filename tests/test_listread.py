"""The fast list reader (listread.py, on the big-file path) must agree with the ordinary
path on every input: the same findings and pointers, the same tensors bit for bit."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import modeldoc
from modeldoc._fast import bigfile, listread
from modeldoc.document import Document
from tests.testutil import CASES, FIXTURES, findings, lazy_agrees

LIST_CASES = [c for c in CASES if b'"encoding":"list"' in (FIXTURES / c["file"]).read_bytes()]


@pytest.fixture
def stream_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file takes the big-file path, every list payload of 64 bytes or more is cut
    out, and blocks are tiny, so each payload is read in many blocks."""
    monkeypatch.setattr(bigfile, "STREAM_THRESHOLD", 0)
    monkeypatch.setattr(bigfile, "PAYLOAD_THRESHOLD", 64)
    monkeypatch.setattr(listread, "BLOCK_TEXT", 40)


def bits(a: object) -> bytes:
    return np.ascontiguousarray(np.asarray(a)).tobytes()


def agree(path: Path) -> modeldoc.Report:
    """validate and load through the file (big path) and through bytes (ordinary path), and
    open + get_tensor through the file (lazy access)."""
    data = path.read_bytes()
    by_path, by_bytes = modeldoc.validate(path), modeldoc.validate(data)
    assert findings(by_path) == findings(by_bytes)
    lazy_agrees(path, by_bytes)  # lazy access cuts out every list in the writer's layout, however short
    if by_bytes.ok:
        a, b = modeldoc.load(path), modeldoc.loads(data)
        assert modeldoc.reader_report(a) == modeldoc.reader_report(b)
        assert a.tensors.keys() == b.tensors.keys()
        for k in a.tensors:
            assert a.tensors[k].dtype == b.tensors[k].dtype and bits(a.tensors[k]) == bits(b.tensors[k])
    return by_bytes


@pytest.mark.usefixtures("stream_lists")
@pytest.mark.parametrize("case", LIST_CASES, ids=[c["id"] for c in LIST_CASES])
def test_agrees_on_every_list_fixture(case: dict[str, object]) -> None:
    report = agree(FIXTURES / str(case["file"]))
    assert report.ok == case["valid"]


def list_doc() -> Document:
    """Every dtype, ranks 1 to 4, non-finite values, negative zero, extremes."""
    rng = np.random.default_rng(7)
    doc = modeldoc.example_document()
    t = doc.tensors
    t["f32"] = (rng.standard_normal((20, 30)) * 0.05).astype(np.float32)
    t["f32"][0, :5] = [np.nan, np.inf, -np.inf, -0.0, 1e-5]
    t["f64"] = rng.standard_normal((3, 4, 5)) * 1e10
    t["f16"] = rng.standard_normal((2, 3, 4, 5)).astype(np.float16)
    t["bf16"] = rng.standard_normal(100).astype("bfloat16")
    t["i64"] = rng.integers(-(1 << 63), (1 << 63) - 1, (10, 10), dtype=np.int64, endpoint=True)
    t["u64"] = rng.integers(0, (1 << 64) - 1, 40, dtype=np.uint64, endpoint=True)
    t["i8"] = rng.integers(-128, 127, (5, 20), dtype=np.int8, endpoint=True)
    t["b"] = rng.random((6, 7)) < 0.5
    doc.model.layers[0].weights += ["f32", "f64", "f16", "bf16", "i64", "u64", "i8", "b"]
    return doc


SEED = modeldoc.dumps(list_doc(), encoding="list")


def test_the_seed_document_is_valid() -> None:
    assert modeldoc.validate(SEED).ok


@pytest.mark.usefixtures("stream_lists")
def test_the_fast_lane_reads_the_seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = [0], [0]
    real_fast, real_ref = listread._fast, listread._reference

    def count_fast(*a: Any) -> Any:
        out = real_fast(*a)
        fast[0] += 1
        return out

    def count_ref(*a: Any) -> Any:
        slow[0] += 1
        return real_ref(*a)

    monkeypatch.setattr(listread, "_fast", count_fast)
    monkeypatch.setattr(listread, "_reference", count_ref)
    path = tmp_path / "seed.json"
    path.write_bytes(SEED)
    agree(path)
    assert fast[0] > 20  # most blocks go the fast way
    assert slow[0] > 0  # the block with "NaN" and "Infinity" goes the reference way


def edit(pattern: str, repl: str, count: int = 1) -> bytes:
    text = SEED.decode("ascii")
    new, n = re.subn(pattern, repl, text, count=count)
    assert n, pattern
    return new.encode("utf-8")


# Each edit lands in list data; the ordinary path reports something or reads other values.
EDITS = {
    "integer -0 in a float tensor": (r"(\"name\":\"f32\".*?\"data\":\[\[[^,]*,[^,]*,[^,]*,)-0\.0", r"\g<1>-0"),
    "integer token in a float tensor": (r"(\"name\":\"f64\".*?\"data\":\[\[\[)[^,\]]*", r"\g<1>12345678901234567"),
    "integer beyond 2^64 in a float tensor": (r"(\"name\":\"f64\".*?\"data\":\[\[\[)[^,\]]*", r"\g<1>18446744073709551616"),
    "integer beyond 2^63 in a float tensor": (r"(\"name\":\"f64\".*?\"data\":\[\[\[)[^,\]]*", r"\g<1>9223372036854775808"),
    "1e999": (r"(\"name\":\"f64\".*?\"data\":\[\[\[)[^,\]]*", r"\g<1>1e999"),
    "overflow in float16": (r"(\"name\":\"f16\".*?\"data\":\[\[\[\[)[^,\]]*", r"\g<1>70000.0"),
    "NaN literal": (r"(\"name\":\"f64\".*?\"data\":\[\[\[)[^,\]]*", r"\g<1>NaN"),
    "other string": (r"(\"name\":\"f64\".*?\"data\":\[\[\[)[^,\]]*", r'\g<1>"1.5"'),
    "null": (r"(\"name\":\"f64\".*?\"data\":\[\[\[)[^,\]]*", r"\g<1>null"),
    "true in a float tensor": (r"(\"name\":\"f64\".*?\"data\":\[\[\[)[^,\]]*", r"\g<1>true"),
    "object": (r"(\"name\":\"f64\".*?\"data\":\[\[\[)[^,\]]*", r'\g<1>{"a":1,"a":2}'),
    "whitespace": (r"(\"name\":\"f32\".*?\"data\":\[\[)", r"\g<1> \n"),
    "ragged row": (r"(\"name\":\"f32\".*?\"data\":\[\[[^\]]*?),[^,\]]*\]", r"\g<1>]"),
    "extra row": (r"(\"name\":\"f32\".*?\"data\":\[)", r"\g<1>[1.0],"),
    "missing row": (r"(\"name\":\"f32\".*?\"data\":\[)\[[^\]]*\],", r"\g<1>"),
    "deeper item": (r"(\"name\":\"f32\".*?\"data\":\[\[)([^,\]]*)", r"\g<1>[\g<2>]"),
    "fraction in an int tensor": (r"(\"name\":\"i8\".*?\"data\":\[\[)[^,\]]*", r"\g<1>1.0"),
    "exponent in an int tensor": (r"(\"name\":\"i8\".*?\"data\":\[\[)[^,\]]*", r"\g<1>1e2"),
    "int8 out of range": (r"(\"name\":\"i8\".*?\"data\":\[\[)[^,\]]*", r"\g<1>128"),
    "int64 beyond 2^64": (r"(\"name\":\"i64\".*?\"data\":\[\[)[^,\]]*", r"\g<1>18446744073709551616"),
    "uint64 negative": (r"(\"name\":\"u64\".*?\"data\":\[)[^,\]]*", r"\g<1>-1"),
    "uint64 mixed signs": (r"(\"name\":\"u64\".*?\"data\":\[)[^,\]]*", r"\g<1>-1,18446744073709551615"),
    "int64 -0": (r"(\"name\":\"i64\".*?\"data\":\[\[)[^,\]]*", r"\g<1>-0"),
    "number in a bool tensor": (r"(\"name\":\"b\".*?\"data\":\[\[)[^,\]]*", r"\g<1>1"),
    "null in a bool tensor": (r"(\"name\":\"b\".*?\"data\":\[\[)[^,\]]*", r"\g<1>null"),
    "leading zero": (r"(\"name\":\"f64\".*?\"data\":\[\[\[)[^,\]]*", r"\g<1>01.5"),
    "trailing comma": (r"(\"name\":\"f32\".*?\"data\":\[\[[^\]]*)\]", r"\g<1>,]"),
    "the separator inside a string": (r"(\"name\":\"f32\".*?\"data\":\[\[)[^,\]]*", r'\g<1>"],[\"'),
    "a sha256 member in data": (r"(\"name\":\"f32\".*?\"data\":\[\[)[^,\]]*", r'\g<1>"],\"sha256\""'),
    "non-ASCII": (r"(\"name\":\"f64\".*?\"data\":\[\[\[)[^,\]]*", '\\g<1>"\u00e9"'),
    "wrong checksum": (r"(\"name\":\"f32\".*?\"data\":\[\[.*?\],\[-?)(\d)", r"\g<1>1\g<2>"),
}


@pytest.mark.usefixtures("stream_lists")
@pytest.mark.parametrize("name", list(EDITS))
def test_agrees_on_edited_list_data(name: str, tmp_path: Path) -> None:
    pattern, repl = EDITS[name]
    path = tmp_path / "doc.json"
    path.write_bytes(edit(pattern, repl))
    agree(path)


@pytest.mark.usefixtures("stream_lists")
@pytest.mark.parametrize("limit", [4, 5, 6, 7, 8])
def test_agrees_on_the_depth_limit(limit: int, tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_bytes(SEED)
    data = path.read_bytes()
    lim = modeldoc.Limits(max_depth=limit)
    assert findings(modeldoc.validate(path, limits=lim)) == findings(modeldoc.validate(data, limits=lim))


@st.composite
def mutants(draw: st.DrawFn) -> bytes:
    data = bytearray(SEED)
    starts = [m.end() for m in re.finditer(rb'"data":\[', SEED)]
    for _ in range(draw(st.integers(1, 3))):
        base = draw(st.sampled_from(starts))
        i = min(len(data) - 1, base + draw(st.integers(0, 600)))
        op = draw(st.sampled_from(["byte", "insert", "delete"]))
        b = draw(st.sampled_from(b'-0123456789.eE+,[] "tfnN\n'))
        if op == "byte":
            data[i] = b
        elif op == "insert":
            data[i:i] = bytes([b])
        else:
            del data[i : i + draw(st.integers(1, 4))]
    return bytes(data)


@pytest.mark.slow  # 250 mutants, each read both ways
@pytest.mark.usefixtures("stream_lists")
@settings(max_examples=250, deadline=None)
@given(mutants())
def test_agrees_on_mutated_list_data(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("m") / "doc.json"
    path.write_bytes(data)
    agree(path)


def test_orjson_reads_decimals_as_python_does() -> None:
    """The fast lane trusts orjson's decimal-to-binary64 conversion: check it on random
    long decimals and on the midpoints between neighbouring doubles (hardest to round)."""
    import decimal

    rng = np.random.default_rng(3)
    texts = []
    for _ in range(20_000):
        digits = "".join(map(str, rng.integers(0, 10, int(rng.integers(1, 30)))))
        texts.append(f"{int(rng.integers(1, 10))}.{digits}e{int(rng.integers(-330, 300))}")
    with decimal.localcontext() as ctx:
        ctx.prec = 800
        for b in rng.integers(1, 0x7FEFFFFFFFFFFFFF, 3000, dtype=np.int64).tolist():
            x = np.array([b]).view(np.float64)[0]
            m = (decimal.Decimal(float(x)) + decimal.Decimal(float(np.nextafter(x, np.inf)))) / 2
            tiny = decimal.Decimal(10) ** (m.adjusted() - 40)
            texts += [format(m, "e"), format(m + tiny, "e"), format(m - tiny, "e")]
    texts = [t for t in texts if abs(float(t)) != float("inf")]
    got = orjson.loads("[" + ",".join(texts) + "]")
    want = [float(t) for t in texts]
    assert np.array_equal(np.array(got).view(np.uint64), np.array(want).view(np.uint64))


@pytest.mark.slow  # twelve million floats written and read in the list encoding
def test_big_list_file_without_patches(tmp_path: Path) -> None:
    """A file above the real threshold, read with the real block size."""
    rng = np.random.default_rng(2)
    doc = modeldoc.example_document()
    doc.tensors["big"] = (rng.standard_normal((12000, 1000)) * 0.05).astype(np.float32)
    doc.model.layers[0].weights.append("big")
    path = tmp_path / "big.json"
    modeldoc.save(doc, path, encoding="list")
    assert path.stat().st_size >= bigfile.STREAM_THRESHOLD
    back = modeldoc.load(path)
    assert bits(back.tensors["big"]) == bits(doc.tensors["big"])
    assert modeldoc.validate(path).ok


MEMORY_PROBE = r'''
import sys, numpy as np, modeldoc
path = sys.argv[1]
n = 12_000_000
doc = modeldoc.example_document()
doc.tensors["big"] = (np.random.default_rng(0).standard_normal(n) * 0.05).astype(np.float32).reshape(4000, 3000)
doc.model.layers[0].weights.append("big")
modeldoc.save(doc, path, encoding="list")
del doc
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) * 1024
open("/proc/self/clear_refs", "w").write("5")  # reset the high-water mark
base = hwm()
back = modeldoc.load(path)
print((hwm() - base) / (4 * n))
'''


@pytest.mark.slow  # twelve million floats, written and read by a child interpreter
def test_reading_a_big_list_file_needs_little_more_memory_than_its_tensors(tmp_path: Path) -> None:
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(tmp_path / "big.json")],
                       capture_output=True, text=True, check=True)
    assert float(r.stdout) <= 1.5  # the whole-text parse of the reference path needs about 19x


@pytest.mark.usefixtures("stream_lists")
def test_another_member_order_is_read_the_ordinary_way(tmp_path: Path) -> None:
    """sha256 before data: nothing is cut out, and the result is the same."""
    doc = json.loads(SEED)
    doc["tensors"] = [{k: t[k] for k in ("name", "dtype", "shape", "encoding", "sha256", "data")} for t in doc["tensors"]]
    text = json.dumps(doc, separators=(",", ":")).encode()
    path = tmp_path / "doc.json"
    path.write_bytes(text)
    with open(path, "rb") as f, bigfile.open_mapping(f) as mm:
        assert not any(s.kind == "list" for s in bigfile.scan_json(mm).spans.values())
    assert agree(path).ok
