"""Dtypes: float64 stays float64 and integer indices stay integers; nothing is narrowed."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")  # a formality: `make test` installs the extra, so these run
ort = pytest.importorskip("onnxruntime")

import modeldoc
from modeldoc.onnx import check_onnx, to_onnx

DOUBLE = onnx.TensorProto.DOUBLE


def _float64_doc() -> modeldoc.Document:
    rng = np.random.default_rng(7)
    kernel = rng.uniform(-1, 1, (3, 2))  # float64 values that float32 cannot hold exactly
    bias = rng.uniform(-1, 1, 2)
    graph = modeldoc.Graph(
        layers=[modeldoc.Layer("dense", "Dense", {"units": 2, "activation": "tanh"}, ["dense/kernel", "dense/bias"])],
        inputs=[modeldoc.Input("x", "float64", [None, 3])],
        nodes=[modeldoc.Node("dense", ["x"], ["y"])],
        outputs=["y"],
    )
    x = rng.uniform(-2, 2, (4, 3))
    tensors = {"dense/kernel": kernel, "dense/bias": bias, "tv/x": x, "tv/y": np.tanh(x @ kernel + bias)}
    return modeldoc.Document(graph, tensors, test_vectors=[modeldoc.TestVector({"x": "tv/x"}, {"y": "tv/y"})])


def test_float64_dense_exports_as_float64() -> None:
    doc = _float64_doc()
    model = to_onnx(doc)
    assert model.graph.input[0].type.tensor_type.elem_type == DOUBLE
    assert model.graph.output[0].type.tensor_type.elem_type == DOUBLE
    assert {t.data_type for t in model.graph.initializer} == {DOUBLE}
    assert not [n for n in model.graph.node if n.op_type == "Cast"]
    stored = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    assert np.array_equal(stored["dense/kernel"], doc.tensors["dense/kernel"])  # bit for bit

    results = check_onnx(doc, model)
    assert len(results) == 1 and results[0].max_abs_diff < 1e-12  # a float32 path would be ~1e-7 off


def test_float64_survives_a_saved_document() -> None:
    doc = modeldoc.loads(modeldoc.dumps(_float64_doc(), encoding="msgpack"))
    model = to_onnx(doc)
    assert {t.data_type for t in model.graph.initializer} == {DOUBLE}
    assert check_onnx(doc, model)[0].max_abs_diff < 1e-12


def test_int64_embedding_indices_are_not_cast() -> None:
    table = np.arange(12, dtype=np.float32).reshape(6, 2)
    graph = modeldoc.Graph(
        layers=[modeldoc.Layer("embed", "Embedding", {"input_dim": 6, "output_dim": 2}, ["embed/embeddings"])],
        inputs=[modeldoc.Input("ids", "int64", [None, 3])],
        nodes=[modeldoc.Node("embed", ["ids"], ["vectors"])],
        outputs=["vectors"],
    )
    model = to_onnx(modeldoc.Document(graph, {"embed/embeddings": table}))
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.INT64
    assert [n.op_type for n in model.graph.node] == ["Gather", "Identity"]
    ids = np.array([[5, 0, 2]], np.int64)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    assert np.array_equal(session.run(None, {"ids": ids})[0], table[ids])
