"""Property tests: every dtype, every encoding, every kind of value reads back bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import modeldoc
from modeldoc.dtypes import DTYPES
from modeldoc.encodings import ENCODINGS, Encoding, canonicalize_nan
from tests.testutil import doc_with, same_bits

shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)


@st.composite
def arrays_of(draw: st.DrawFn, dtype_name: str) -> np.ndarray:
    """Arrays drawn from raw bit patterns, so NaN payloads, -0.0, subnormals and
    extreme integers all occur, mixed with hand-picked specials."""
    dt = DTYPES[dtype_name]
    shape = draw(shapes)
    n = int(np.prod(shape))
    uint = np.dtype(f"<u{dt.itemsize}")
    bits = draw(st.lists(st.integers(0, 2 ** (8 * dt.itemsize) - 1), min_size=n, max_size=n))
    raw = np.array(bits, dtype=uint)
    if dt.kind == "bool":
        return (raw & 1).astype(np.bool_).reshape(shape)
    return raw.view(dt.numpy).reshape(shape)


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("dtype_name", list(DTYPES))
@given(data=st.data())
def test_every_dtype_roundtrips_bit_exactly(dtype_name: str, encoding: Encoding, data: st.DataObject) -> None:
    arr = data.draw(arrays_of(dtype_name))
    if encoding == "list":
        # The list encoding keeps NaN as the canonical NaN only (spec 5.3); the
        # writer must refuse anything else unless told, which test_writer checks.
        arr = canonicalize_nan(arr, DTYPES[dtype_name])
    doc = doc_with({"t": arr})
    back = modeldoc.loads(modeldoc.dumps(doc, encoding=encoding))
    assert same_bits(back.tensors["t"], np.array(arr, order="C"))


@pytest.mark.parametrize("encoding", ENCODINGS)
@given(st.lists(st.floats(allow_nan=False, width=32), min_size=1, max_size=50))
def test_float32_values_roundtrip(encoding: Encoding, values: list[float]) -> None:
    arr = np.array(values, dtype=np.float32)
    back = modeldoc.loads(modeldoc.dumps(doc_with({"t": arr}), encoding=encoding))
    assert same_bits(back.tensors["t"], arr)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_extreme_integers(encoding: Encoding) -> None:
    tensors: dict[str, np.ndarray] = {
        "i64": np.array([-(2**63), 2**63 - 1, 2**53 + 1, -(2**53) - 1, 0], dtype=np.int64),
        "u64": np.array([0, 2**64 - 1, 2**53 + 1, 2**63], dtype=np.uint64),
        "i8": np.array([-128, 127], dtype=np.int8),
        "u32": np.array([0, 2**32 - 1], dtype=np.uint32),
    }
    back = modeldoc.loads(modeldoc.dumps(doc_with(tensors), encoding=encoding))
    for name, arr in tensors.items():
        assert same_bits(back.tensors[name], arr), name


@pytest.mark.parametrize("src", ENCODINGS)
@pytest.mark.parametrize("dst", ENCODINGS)
def test_conversion_keeps_the_reader_report(src: Encoding, dst: Encoding) -> None:
    doc = modeldoc.example_document()
    first = modeldoc.loads(modeldoc.dumps(doc, encoding=src))
    second = modeldoc.loads(modeldoc.dumps(first, encoding=dst))
    assert modeldoc.reader_report(second) == modeldoc.reader_report(doc)
    for name, arr in doc.tensors.items():
        assert same_bits(second.tensors[name], arr)


def test_non_contiguous_and_big_endian_arrays_are_written_as_little_endian_c_order() -> None:
    base = np.arange(12, dtype=">f4").reshape(3, 4)
    view = base.T  # Fortran-ordered, big-endian view
    doc = doc_with({"t": view})
    for encoding in ENCODINGS:
        back = modeldoc.loads(modeldoc.dumps(doc, encoding=encoding))
        assert back.tensors["t"].shape == (4, 3)
        assert np.array_equal(back.tensors["t"], view.astype("<f4"))
        assert back.tensors["t"].dtype == np.dtype("float32")


def test_loaded_arrays_are_writable_and_independent() -> None:
    data = modeldoc.dumps(modeldoc.example_document(), encoding="msgpack")
    doc = modeldoc.loads(data)
    arr = doc.tensors["conv/kernel"]
    arr[...] = 0  # must not raise (read-only buffers would) and must not touch the input bytes
    assert modeldoc.loads(data).tensors["conv/kernel"].any()


SIGNALLING_NAN = {"bfloat16": 0x7F81, "float16": 0x7C01, "float32": 0x7F800001, "float64": 0x7FF0000000000001}


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("dtype_name", sorted(SIGNALLING_NAN))
def test_signalling_nans_are_written_without_a_warning(dtype_name: str, encoding: str) -> None:
    # ml_dtypes' isnan flags a signalling bfloat16 NaN as an invalid operation: no warning may
    # reach the caller (a program running with warnings as errors would fail to save).
    dt = DTYPES[dtype_name]
    uint = np.dtype(f"<u{dt.itemsize}")
    sign = 1 << (8 * dt.itemsize - 1)
    arr = np.array([SIGNALLING_NAN[dtype_name], 0, SIGNALLING_NAN[dtype_name] | sign], dtype=uint).view(dt.numpy)
    doc = doc_with({"t": arr})
    text = modeldoc.dumps(doc, encoding=encoding, canonicalize_nan=encoding == "list")  # type: ignore[arg-type]
    back = modeldoc.loads(text).tensors["t"]
    want = canonicalize_nan(arr, dt) if encoding == "list" else arr
    assert same_bits(back, want)
