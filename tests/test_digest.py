"""The reader report's canonical JSON (spec.md section 10)."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import modeldoc
from modeldoc.digest import canonical_json, es_number
from modeldoc.encodings import ENCODINGS

NODE = shutil.which("node") or ""  # "" when node is missing: the tests that run it skip


@pytest.mark.parametrize(
    "x, text",
    [(0.0, "0"), (-0.0, "0"), (1.0, "1"), (-2.0, "-2"), (0.1, "0.1"), (123.5, "123.5"), (1e21, "1e+21"),
     (1e20, "100000000000000000000"), (1e-7, "1e-7"), (1e-6, "0.000001"), (1.5e-7, "1.5e-7"),
     (123456789012345680000.0, "123456789012345680000"), (5e-324, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"),
     (0.000123, "0.000123"), (-1.25e-10, "-1.25e-10")],
)
def test_es_number_examples(x: float, text: str) -> None:
    assert es_number(x) == text


def random_doubles(n: int) -> list[float]:
    rng = np.random.default_rng(5)
    bits = rng.integers(0, 2**63, n, dtype=np.int64).view(np.uint64) | (rng.integers(0, 2, n).astype(np.uint64) << 63)
    doubles = bits.view(np.float64)
    vals: list[float] = doubles[np.isfinite(doubles)].tolist()
    vals += [float(10**k) for k in range(-10, 25)] + [1.5 * 10**k for k in range(-10, 25)] + [2.0**k for k in range(-60, 80)]
    return vals


@pytest.mark.node  # Node is the oracle (tests/conftest.py skips these without it)
def test_es_number_matches_node_on_many_values() -> None:
    vals = random_doubles(20000)
    payload = json.dumps([struct.pack("<d", v).hex() for v in vals])
    script = (
        "const h=JSON.parse(require('fs').readFileSync(0,'utf8'));"
        "process.stdout.write(JSON.stringify(h.map(x=>String(Buffer.from(x,'hex').readDoubleLE(0)))));"
    )
    r = subprocess.run([NODE, "-e", script], input=payload, capture_output=True, text=True, check=True)
    assert json.loads(r.stdout) == [es_number(v) for v in vals]


@pytest.mark.node  # Node is the oracle (tests/conftest.py skips these without it)
def test_canonical_json_matches_json_stringify_of_sorted_objects() -> None:
    value = {
        "z": [1, 2.5, -0.0, 1e21, True, None],
        "é": "tab\t nl\n cr\r bs\b ff\f ctl\u0001 del\u007f ls\u2028 quote\" backslash\\ astral😀",
        "a": {"\U0001F600": 1, "\uff61": 2, "B": 3, "a": 4, "": 5},
    }
    script = (
        "const v=JSON.parse(require('fs').readFileSync(0,'utf8'));"
        "const s=(x)=>Array.isArray(x)?x.map(s):(x&&typeof x==='object')?Object.fromEntries(Object.keys(x).sort().map(k=>[k,s(x[k])])):x;"
        "process.stdout.write(JSON.stringify(s(v)));"
    )
    r = subprocess.run([NODE, "-e", script], input=json.dumps(value), capture_output=True, text=True, check=True,
                       encoding="utf-8")
    assert canonical_json(value) == r.stdout


def test_members_sort_by_utf16_code_units_not_code_points() -> None:
    # U+FF61 sorts after U+1F600 in code points but before it in UTF-16 (0xFF61 > 0xD83D).
    assert canonical_json({"\uff61": 1, "\U0001F600": 2}) == '{"\U0001F600":2,"\uff61":1}'


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_es_number_reads_back(x: float) -> None:
    assert float(es_number(x)) == x or x == 0


def test_report_is_independent_of_encoding_and_of_defaults() -> None:
    doc = modeldoc.example_document()
    reports = {modeldoc.reader_report(modeldoc.loads(modeldoc.dumps(doc, encoding=e))) for e in ENCODINGS}
    assert len(reports) == 1
    report = json.loads(reports.pop())
    assert set(report) == {"format_version", "producer", "metadata", "model", "tensors", "test_vectors"}
    assert all(set(t) == {"name", "dtype", "shape", "sha256"} for t in report["tensors"])


def test_big_integers_are_printed_exactly() -> None:
    assert canonical_json({"a": 2**64 - 1, "b": -(2**63)}) == '{"a":18446744073709551615,"b":-9223372036854775808}'
