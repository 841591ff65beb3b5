"""The ModelDoc dtypes and the one place where byte order is handled.

Every tensor's canonical bytes are its elements in C order, little-endian.
``to_le_bytes`` and ``from_le_bytes`` are the only functions that know that.
"""

from __future__ import annotations

import functools
import sys
from typing import Any, Iterator, Mapping, NamedTuple

import numpy as np


class DType(NamedTuple):
    name: str
    numpy: np.dtype[Any]  # little-endian numpy dtype: the canonical bytes
    native: np.dtype[Any]  # the same type in this machine's byte order: what readers hand out
    kind: str  # "bool", "int", "uint", "float"
    itemsize: int
    canonical_nan: int | None  # bit pattern of the NaN that "NaN" decodes to


def _dt(name: str, np_dtype: Any, kind: str, nan: int | None = None) -> DType:
    d = np.dtype(np_dtype)
    if d.byteorder == ">":  # pragma: no cover - numpy dtypes here are native or '|'
        d = d.newbyteorder("<")
    elif d.itemsize > 1:
        d = d.newbyteorder("<")
    return DType(name, d, np.dtype(np_dtype), kind, d.itemsize, nan)


_NUMPY_DTYPES: dict[str, DType] = {
    d.name: d
    for d in (
        _dt("bool", np.bool_, "bool"),
        _dt("int8", np.int8, "int"),
        _dt("int16", np.int16, "int"),
        _dt("int32", np.int32, "int"),
        _dt("int64", np.int64, "int"),
        _dt("uint8", np.uint8, "uint"),
        _dt("uint16", np.uint16, "uint"),
        _dt("uint32", np.uint32, "uint"),
        _dt("uint64", np.uint64, "uint"),
        _dt("float16", np.float16, "float", 0x7E00),
        _dt("float32", np.float32, "float", 0x7FC00000),
        _dt("float64", np.float64, "float", 0x7FF8000000000000),
    )
}
_ORDER = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "bfloat16", "float32", "float64")


class _DTypes(Mapping[str, DType]):
    """Every ModelDoc dtype by name. bfloat16 comes from ml_dtypes, whose import costs
    from 0.05 s to over a second depending on its version, so it is imported on the first
    look-up of bfloat16, not with ``import modeldoc``."""

    def __getitem__(self, name: str) -> DType:
        if name == "bfloat16":
            return _bfloat16()
        return _NUMPY_DTYPES[name]

    def __iter__(self) -> Iterator[str]:
        return iter(_ORDER)

    def __len__(self) -> int:
        return len(_ORDER)

    def __contains__(self, name: object) -> bool:
        return name in _ORDER


@functools.cache
def _bfloat16() -> DType:
    import ml_dtypes

    return _dt("bfloat16", ml_dtypes.bfloat16, "float", 0x7FC0)


DTYPES: Mapping[str, DType] = _DTypes()

_UINT_FOR_SIZE: dict[int, np.dtype[Any]] = {1: np.dtype("<u1"), 2: np.dtype("<u2"), 4: np.dtype("<u4"), 8: np.dtype("<u8")}


def int_range(dt: DType) -> tuple[int, int]:
    """Inclusive range of an integer dtype."""
    bits = dt.itemsize * 8
    if dt.kind == "int":
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if dt.kind == "uint":
        return 0, (1 << bits) - 1
    raise ValueError(f"{dt.name} is not an integer dtype")


def dtype_of_array(arr: np.ndarray) -> DType | None:
    """The ModelDoc dtype of a numpy array, or None if it has none."""
    d = arr.dtype
    # An array of bfloat16 exists only once ml_dtypes is imported: ask it only then.
    if d.name == "bfloat16" and "ml_dtypes" in sys.modules and d == _bfloat16().native:
        return _bfloat16()
    if d.kind == "b":
        return DTYPES["bool"]
    for cand in _NUMPY_DTYPES.values():
        if d.kind == cand.numpy.kind and d.itemsize == cand.itemsize:
            return cand
    return None


def bits_view(arr: np.ndarray) -> np.ndarray:
    """The array's elements as unsigned integers of the same width (no copy)."""
    return arr.view(_UINT_FOR_SIZE[arr.dtype.itemsize])


def to_le_bytes(arr: np.ndarray, dt: DType) -> memoryview:
    """Canonical bytes of ``arr``: C order, little-endian. Copies only when it must."""
    a = np.ascontiguousarray(arr)
    if a.dtype != dt.numpy:
        # Same kind and width but another byte order (or bool stored as other): convert.
        a = a.astype(dt.numpy)
    return a.reshape(-1).view(np.uint8).data


def from_le_bytes(buf: bytearray, dt: DType, shape: tuple[int, ...]) -> np.ndarray:
    """A native-order array over canonical bytes. The caller has checked the length.

    On little-endian machines this is a view of ``buf`` (no copy); elsewhere the
    bytes are swapped into a new array.
    """
    arr = np.frombuffer(buf, dtype=dt.numpy)
    if sys.byteorder == "little" or dt.itemsize == 1:
        arr = arr.view(dt.native)
    else:  # pragma: no cover - no big-endian machine in CI
        arr = arr.astype(dt.native)
    return arr.reshape(shape)


def canonical_nan_array(dt: DType) -> np.ndarray:
    """A 0-d array holding the canonical quiet NaN of a float dtype."""
    assert dt.canonical_nan is not None
    return np.array(dt.canonical_nan, dtype=_UINT_FOR_SIZE[dt.itemsize]).view(dt.numpy)
