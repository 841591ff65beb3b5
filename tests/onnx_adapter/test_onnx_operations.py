"""Keras operation layers (spec.md 15.15) exported to ONNX: every type of the closed set, with constants on either
side, checked in onnxruntime against the reference evaluator; and what export refuses, at the layer or member."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pytest.importorskip("onnx")  # a formality: `make test` installs the extra, so these run
pytest.importorskip("onnxruntime")

import modeldoc
from modeldoc.evaluator._ops import BINARY, OP_TYPES, UNARY
from modeldoc.onnx import to_onnx
from tests.onnx_adapter.onnx_helpers import one_layer_doc, onnx_and_evaluator, op_types

RNG = np.random.default_rng(1)
X = np.concatenate([np.linspace(-9, 9, 37), [-3.0, 3.0, 0.0]]).astype("float32").reshape(2, 4, 5)


def _args(*items: Any) -> dict[str, Any]:
    return {"args": list(items), "kwargs": {}}


def _check(doc: modeldoc.Document, *xs: np.ndarray, rtol: float = 2e-6) -> np.ndarray:
    got, want = onnx_and_evaluator(doc, list(xs))
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
    return got


REF = {"$input": 0}


@pytest.mark.parametrize("layer_type", sorted(BINARY))
@pytest.mark.parametrize("operands", ["tensor, number", "number, tensor", "tensor, list", "tensor, tensor"])
def test_binary_operations(layer_type: str, operands: str) -> None:
    if operands == "tensor, tensor":
        doc = one_layer_doc(layer_type, {}, [None, 4, 5], inputs=2)
        _check(doc, X, (RNG.standard_normal(X.shape) + 4).astype("float32"))
        return
    constant: Any = [[0.5, -2.0, 3.0, 1.5, 7.0]] if operands.endswith("list") else 3.0
    args = _args(REF, constant) if operands.startswith("tensor") else _args(constant, REF)
    doc = one_layer_doc(layer_type, {}, [None, 4, 5], arguments=args)
    got = _check(doc, X)
    if operands == "number, tensor" and layer_type.endswith("Subtract"):
        np.testing.assert_array_equal(got, np.float32(3.0) - X)  # the order of the operands counts


@pytest.mark.parametrize("layer_type", sorted(UNARY))
def test_unary_operations(layer_type: str) -> None:
    _check(one_layer_doc(layer_type, {}, [None, 4, 5]), X)


@pytest.mark.parametrize("approximate", [True, False, None])
def test_gelu_both_forms(approximate: bool | None) -> None:
    config = {} if approximate is None else {"approximate": approximate}  # keras.ops.gelu's default: True
    got = _check(one_layer_doc("ops.nn.Gelu", config, [None, 4, 5]), X)
    exact = _check(one_layer_doc("ops.nn.Gelu", {"approximate": False}, [None, 4, 5]), X)
    assert (np.abs(got - exact).max() > 1e-4) == (approximate is not False)  # the two forms differ


@pytest.mark.parametrize("config, shape", [({"axis": [1, 2], "keepdims": False}, (2,)),
                                           ({"axis": [-1], "keepdims": True}, (2, 4, 1)),
                                           ({"axis": 1}, (2, 5)), ({}, ()), ({"keepdims": True}, (1, 1, 1))])
def test_mean(config: dict[str, Any], shape: tuple[int, ...]) -> None:
    assert _check(one_layer_doc("ops.numpy.Mean", config, [None, 4, 5]), X).shape == shape


def test_concatenate_and_reshape_move_values_of_any_dtype() -> None:
    doc = one_layer_doc("ops.numpy.Concatenate", {"axis": -1}, [None, 4, 5], inputs=2, dtype="int32",
                        arguments=_args([{"$input": 0}, {"$input": 1}]))
    a, b = (RNG.integers(-5, 5, (2, 4, 5)).astype("int32") for _ in range(2))
    np.testing.assert_array_equal(_check(doc, a, b), np.concatenate([a, b], axis=-1))
    for newshape in ([-1, 20], [2, 20], [-1, 5, 4], [0, 40]):
        doc = one_layer_doc("ops.numpy.Reshape", {"newshape": newshape}, [None, 4, 5])
        x = X if 0 not in newshape else X[:0]
        np.testing.assert_array_equal(_check(doc, x), x.reshape([d for d in newshape]))


def test_every_operation_type_is_exported() -> None:
    from modeldoc.onnx import supported_types

    assert set(OP_TYPES) <= set(supported_types())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_constant_takes_the_tensors_dtype(dtype: str) -> None:
    # 0.1 in float64 and rounded to float32 differ: a float64 model keeps the float64 constant (nothing is
    # narrowed), a float32 model gets Keras' float32 constant.
    doc = one_layer_doc("ops.numpy.Multiply", {}, [None, 3], dtype=dtype, arguments=_args(REF, 0.1))
    x = np.array([[1.0, 3.0, 7.0]], dtype)
    got = _check(doc, x, rtol=0)
    np.testing.assert_array_equal(got, x * np.asarray(0.1, dtype))
    assert got.dtype == np.dtype(dtype) and op_types(doc) == ["Mul", "Identity"]


def test_operation_refusals() -> None:
    kwargs = one_layer_doc("ops.numpy.Add", {}, [None, 3], arguments={"args": [REF], "kwargs": {"x2": 1.0}})
    three = one_layer_doc("ops.numpy.Add", {}, [None, 3], arguments=_args(REF, 1.0, 2.0))
    code = one_layer_doc("ops.numpy.Add", {}, [None, 3], arguments=_args(REF, "__import__('os')"))
    swapped = one_layer_doc("ops.numpy.Subtract", {}, [None, 3], inputs=2,
                            arguments=_args({"$input": 1}, {"$input": 0}))
    for doc in (kwargs, three, code, swapped):
        with pytest.raises(modeldoc.ModelDocError) as e:
            to_onnx(doc)
        assert [(f.code, f.pointer) for f in e.value.findings] == [("ONNX_UNSUPPORTED", "/model/layers/0")]
        assert "15.15" in e.value.findings[0].message
    shape = one_layer_doc("ops.numpy.Reshape", {"newshape": [-1, -1]}, [None, 4])
    axis = one_layer_doc("ops.numpy.Mean", {"axis": [1, 1]}, [None, 4])
    for doc, member in ((shape, "newshape"), (axis, "axis")):
        with pytest.raises(modeldoc.ModelDocError) as e:
            to_onnx(doc)
        assert [(f.code, f.pointer) for f in e.value.findings] == [("ONNX_UNSUPPORTED", f"/model/layers/0/config/{member}")]


def test_mixed_float_dtypes_are_refused_at_the_layer() -> None:
    # An operation has no policy to cast to: float32 plus float64 is outside the profile, not silently widened.
    layer = modeldoc.Layer("add", "ops.numpy.Add", {})
    graph = modeldoc.Graph([layer], [modeldoc.Input("a", "float32", [None, 2]), modeldoc.Input("b", "float64", [None, 2])],
                           [modeldoc.Node("add", ["a", "b"], ["y"])], ["y"])
    with pytest.raises(modeldoc.ModelDocError) as e:
        to_onnx(modeldoc.Document(graph))
    assert [(f.code, f.pointer) for f in e.value.findings] == [("ONNX_UNSUPPORTED", "/model/layers/0")]
