"""Tensor payload encodings (spec.md section 5)."""

from __future__ import annotations

import base64
from typing import Any, Callable

import numpy as np
import pytest

from modeldoc.dtypes import DTYPES
from modeldoc.encodings import decode_base64, decode_list, encode_list_text, nbytes_of
from modeldoc.errors import ModelDocError
from modeldoc.limits import Limits

F32 = DTYPES["float32"]
U8 = DTYPES["uint8"]


def err(fn: Callable[..., object], *args: Any) -> tuple[str, str]:
    with pytest.raises(ModelDocError) as e:
        fn(*args)
    return e.value.code, e.value.pointer


@pytest.mark.parametrize(
    "text, code",
    [
        ("AAAAAAAA-AAAAAAA", "DATA_BASE64"),  # url-safe alphabet
        ("AAAAAAAA_AAAAAAA", "DATA_BASE64"),
        ("AAAAAAAAAAAAAAA", "DATA_BASE64"),  # missing padding
        ("AAAA AAAAAAAAAAA", "DATA_BASE64"),  # whitespace
        ("AA==AAAAAAAAAAAA", "DATA_BASE64"),  # padding inside
        ("AAAAAAAA", "DATA_LENGTH"),
        ("AAAAAAAAAAAAAAAAAAAA", "DATA_LENGTH"),
        ("AAAAAAAAAAAAAAAé", "DATA_BASE64"),
    ],
)
def test_base64_errors(text: str, code: str) -> None:
    assert err(decode_base64, text, F32, (3,), 12, "/tensors/0") == (code, "/tensors/0/data")


def test_base64_canonical_final_bits() -> None:
    assert decode_base64("AA==", U8, (1,), 1, "/t").tolist() == [0]
    assert err(decode_base64, "AB==", U8, (1,), 1, "/t") == ("DATA_BASE64", "/t/data")
    assert err(decode_base64, "AAB=", U8, (2,), 2, "/t") == ("DATA_BASE64", "/t/data")
    assert decode_base64("AAE=", U8, (2,), 2, "/t").tolist() == [0, 1]


def test_length_is_checked_before_decoding() -> None:
    # A shape that claims a huge tensor with short data fails on length, without allocating.
    huge = (1 << 20, 1 << 10)
    n = nbytes_of(huge, F32, "/t", Limits())
    assert err(decode_base64, "AAAA", F32, huge, n, "/t") == ("DATA_LENGTH", "/t/data")


def test_declared_size_limits_and_overflow() -> None:
    assert err(nbytes_of, [1 << 32] * 3, F32, "/t", Limits()) == ("LIMIT_TENSOR_SIZE", "/t/shape")
    assert err(nbytes_of, [1] * 33, F32, "/t", Limits()) == ("LIMIT_RANK", "/t/shape")
    assert err(nbytes_of, [1000], F32, "/t", Limits(max_tensor_bytes=3999)) == ("LIMIT_TENSOR_SIZE", "/t/shape")
    # spec.md 8: a dimension 0 counts as 1 for the limit, so [0, 2^62] is refused like [2^62], while a
    # zero-size shape within the limit declares 0 bytes
    assert err(nbytes_of, [0, 1 << 62], F32, "/t", Limits()) == ("LIMIT_TENSOR_SIZE", "/t/shape")
    assert nbytes_of([0, 1 << 20], F32, "/t", Limits()) == 0


@pytest.mark.parametrize(
    "shape, text",
    [((), "1"), ((0,), "[]"), ((2, 0), "[[],[]]"), ((0, 3), "[]"), ((2, 0, 3), "[[],[]]"), ((1, 2, 0), "[[[],[]]]"),
     ((2, 1), "[[1],[2]]")],
)
def test_list_nesting_follows_the_shape(shape: tuple[int, ...], text: str) -> None:
    arr = np.arange(1, 1 + int(np.prod(shape)), dtype=np.int32).reshape(shape)
    assert encode_list_text(arr, DTYPES["int32"]) == text
    import json

    back = decode_list(json.loads(text), DTYPES["int32"], shape, "/t")
    assert back.shape == shape and np.array_equal(back, arr)


@pytest.mark.parametrize(
    "data, shape, expected",
    [
        ([1, [2]], (2,), ("DATA_LIST_SHAPE", "/t/data/1")),
        ([[1], 2], (2, 1), ("DATA_LIST_SHAPE", "/t/data/1")),
        ([[1, 2], [3]], (2, 2), ("DATA_LIST_SHAPE", "/t/data/1")),
        ([1], (), ("DATA_LIST_SHAPE", "/t/data")),
        (1, (1,), ("DATA_LIST_SHAPE", "/t/data")),
        ([[1, 2]], (1, 3), ("DATA_LIST_SHAPE", "/t/data/0")),
        ([[1, [2]]], (1, 2), ("DATA_LIST_SHAPE", "/t/data/0/1")),
    ],
)
def test_list_shape_errors_point_at_the_place(data: object, shape: tuple[int, ...], expected: tuple[str, str]) -> None:
    assert err(decode_list, data, DTYPES["int32"], shape, "/t") == expected


@pytest.mark.parametrize(
    "dtype, data, expected",
    [
        ("int8", [[1, 2], [3, 128]], ("DATA_VALUE_RANGE", "/t/data/1/1")),
        ("uint64", [[0, 2**64 - 1], [-1, 0]], ("DATA_VALUE_RANGE", "/t/data/1/0")),
        ("int32", [[1, 2], [3, 4.0]], ("DATA_LIST_TYPE", "/t/data/1/1")),
        ("int32", [[1, True], [3, 4]], ("DATA_LIST_TYPE", "/t/data/0/1")),
        ("bool", [[True, 1], [False, True]], ("DATA_LIST_TYPE", "/t/data/0/1")),
        ("float32", [[1.0, None], [1.0, 2.0]], ("DATA_LIST_TYPE", "/t/data/0/1")),
        ("float32", [[1.0, "inf"], [1.0, 2.0]], ("DATA_LIST_TYPE", "/t/data/0/1")),
        ("float16", [[1.0, 65520.0], [1.0, 2.0]], ("DATA_VALUE_RANGE", "/t/data/0/1")),
        ("bfloat16", [[1.0, 3.4e38], [1.0, 2.0]], ("DATA_VALUE_RANGE", "/t/data/0/1")),
    ],
)
def test_list_element_errors(dtype: str, data: object, expected: tuple[str, str]) -> None:
    assert err(decode_list, data, DTYPES[dtype], (2, 2), "/t") == expected


def test_list_values_decode_exactly() -> None:
    got = decode_list([9007199254740993, -9223372036854775808], DTYPES["int64"], (2,), "/t")
    assert got.tolist() == [9007199254740993, -(2**63)]
    got = decode_list(["NaN", "Infinity", "-Infinity", -0.0, 1], F32, (5,), "/t")
    assert got.view(np.uint32).tolist() == [0x7FC00000, 0x7F800000, 0xFF800000, 0x80000000, 0x3F800000]


def test_base64_of_every_dtype_is_little_endian() -> None:
    import json

    import modeldoc
    from tests.testutil import doc_with

    doc = doc_with({"u": np.array([1], dtype=">u4"), "f": np.array([1.0], dtype=">f8")})
    data = {t["name"]: t["data"] for t in json.loads(modeldoc.dumps(doc))["tensors"]}
    assert base64.b64decode(data["u"]) == b"\x01\x00\x00\x00"
    assert base64.b64decode(data["f"])[-1] == 0x3F
