"""Quantized tensors (spec.md 5.5): explicit, reported, dequantized bit-exactly on read."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import modeldoc
from modeldoc.dtypes import DTYPES
from modeldoc.encodings import Encoding
from modeldoc.quantize import Quantization, dequantize, quantize_array, quantize_document
from tests.testutil import doc_with

finite32 = hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
                      elements=st.floats(-1e6, 1e6, width=32))


@pytest.mark.parametrize("mode", ["uint8", "int8"])
@given(arr=finite32, per_channel=st.booleans())
def test_affine_quantization_error_is_within_half_a_step(mode: str, arr: np.ndarray, per_channel: bool) -> None:
    qt = quantize_array(arr, mode, arr.ndim - 1 if per_channel else None)
    q = qt.quantization
    back = dequantize(qt.stored, q).astype(np.float64)
    err = np.abs(back - arr.astype(np.float64))
    step = np.array(q.scale) if q.axis is None else np.array(q.scale).reshape([1] * (arr.ndim - 1) + [-1])
    # Half a quantization step, plus float32 rounding of the result.
    assert (err <= step / 2 * (1 + 1e-9) + np.abs(back) * 2.0**-23 + 1e-30).all()
    assert q.max_abs_error == pytest.approx(float(err.max()), rel=0, abs=0)


def test_dequantization_is_one_binary64_product_then_one_rounding() -> None:
    """Against exact rational arithmetic: (q - z) * s rounded to binary64, then to float32."""
    rng = np.random.default_rng(4)
    stored = rng.integers(-127, 128, (50, 3)).astype(np.int8)
    q = Quantization("affine", "float32", 1, [0.1, 1 / 3, 7.000001e-3], [0, 5, -9])
    got = dequantize(stored, q)
    for (i, c), v in np.ndenumerate(stored):
        exact = Fraction(int(v) - q.zero_point[c]) * Fraction(q.scale[c])
        as64 = float(exact)  # correctly rounded binary64 product
        want = np.float32(np.float64(as64)) if abs(as64) < 3e38 else None
        assert got[i, c].tobytes() == np.array(want, np.float32).tobytes()


@pytest.mark.parametrize("encoding", ["base64", "list", "msgpack"])
@pytest.mark.parametrize("mode, per_channel", [("uint8", False), ("int8", True), ("float16", False)])
def test_quantized_documents_round_trip(encoding: Encoding, mode: str, per_channel: bool) -> None:
    doc = modeldoc.example_document()
    doc.tensors["dense/kernel"][0, :2] = 1.0
    results = dict(quantize_document(doc, mode, per_channel=per_channel))
    assert results["conv/kernel"].startswith(f"float32 -> {mode}")
    assert "lookup/vocabulary" not in results  # integers are never quantized
    data = modeldoc.dumps(doc, encoding=encoding)
    back = modeldoc.loads(data)
    assert modeldoc.reader_report(back) == modeldoc.reader_report(doc)
    for name, arr in doc.tensors.items():
        assert back.tensors[name].tobytes() == arr.tobytes() and back.tensors[name].dtype == arr.dtype
    assert modeldoc.dumps(back, encoding=encoding) == data  # the stored form survives a read and write


def test_nothing_is_quantized_silently() -> None:
    doc = modeldoc.example_document()  # dense/kernel holds inf and NaN
    results = dict(quantize_document(doc, "uint8"))
    assert results["dense/kernel"] == "kept: holds NaN or infinity"
    assert "dense/kernel" not in doc.quantization
    doc.tensors["conv/kernel"] = doc.tensors["conv/kernel"] + 1  # changed after quantizing
    with pytest.raises(modeldoc.ModelDocError) as e:
        modeldoc.dumps(doc)
    assert e.value.code == "WRITE_INVALID_DOCUMENT"


def test_float16_cast_refuses_overflow_and_narrow_dtypes() -> None:
    doc = doc_with({"big": np.array([1e6, 1.0], np.float32), "half": np.ones(3, np.float16)})
    results = dict(quantize_document(doc, "float16"))
    assert results == {"big": "kept: values overflow float16", "half": "kept: float16 is not wider than float16"}


def test_convert_quantize_prints_each_tensor(tmp_path: Path) -> None:
    src, dst = tmp_path / "m.msgpack", tmp_path / "q.json"
    doc = modeldoc.example_document()
    modeldoc.save(doc, src, encoding="msgpack")
    r = subprocess.run([sys.executable, "-m", "modeldoc", "convert", str(src), str(dst), "--encoding", "base64",
                        "--quantize", "int8", "--per-channel"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    lines = dict(line.split(": ", 1) for line in r.stdout.splitlines())
    assert lines["conv/kernel"].startswith("float32 -> int8, max abs error ")
    assert lines["dense/kernel"] == "kept: holds NaN or infinity"
    back = modeldoc.load(dst)
    assert back.quantization["conv/kernel"].stored.dtype == np.int8
    assert back.quantization["conv/kernel"].quantization.axis == 3
    assert back.tensors["conv/kernel"].dtype == DTYPES["float32"].native
