"""Every zoo model (and the extra Keras models) exported to ONNX matches Keras' test vectors in onnxruntime."""

from __future__ import annotations

import pytest

pytest.importorskip("onnx")  # a formality: `make test` installs the extra, so these run
pytest.importorskip("onnxruntime")

import numpy as np
import onnx

import modeldoc
from modeldoc.keras.zoo import ZOO
from modeldoc.onnx import check_onnx, to_onnx
from tests.onnx_adapter.onnx_extra_models import EXTRA
from tests.onnx_adapter.onnx_helpers import TEST_VECTORS, ZOO_REFUSED, extra_doc, zoo_doc

# Beyond the rule check_onnx applies (spec.md 15.11): ONNX Runtime stays this close to Keras on these float32
# models (measured: at most 2.4e-7, docs/onnx.md).
MEASURED_BOUND = 1e-4

# Every other zoo model, "edge" (go_backwards, output_padding, several axes, ...) included.
ZOO_EXPORTED = [name for name in ZOO if name not in ZOO_REFUSED]


def _assert_matches(doc: modeldoc.Document, model: onnx.ModelProto) -> None:
    results = check_onnx(doc, model)  # raises on the checker or on a difference beyond tolerance
    assert len(results) == TEST_VECTORS * len(doc.model.outputs)
    assert all(r.ok and r.max_abs_diff <= MEASURED_BOUND for r in results), [str(r) for r in results]


@pytest.mark.parametrize("name", ZOO_EXPORTED)
def test_zoo_model_matches_keras(name: str) -> None:
    doc = zoo_doc(name)
    model = to_onnx(doc)
    onnx.checker.check_model(model, full_check=True)
    assert [i.name for i in model.graph.input] == [i.name for i in doc.model.inputs]
    assert [o.name for o in model.graph.output] == doc.model.outputs
    batch = model.graph.input[0].type.tensor_type.shape.dim[0]
    assert batch.dim_param == "batch"  # the batch dimension stays symbolic
    _assert_matches(doc, model)


@pytest.mark.parametrize("name", ZOO_EXPORTED)
def test_zoo_model_from_a_read_document(name: str) -> None:
    doc = modeldoc.loads(modeldoc.dumps(zoo_doc(name), encoding="msgpack"))
    _assert_matches(doc, to_onnx(doc))


def test_the_edge_model_is_exported() -> None:
    assert "edge" in ZOO_EXPORTED


def test_a_refused_zoo_model_says_why() -> None:
    # A loop, not a parametrization: the table is empty while every zoo model exports, and an empty
    # parametrization would be a skipped test.
    for name, reason in ZOO_REFUSED.items():
        with pytest.raises(modeldoc.ModelDocError) as e:
            to_onnx(zoo_doc(name))
        assert all(f.code == "ONNX_UNSUPPORTED" for f in e.value.findings)
        assert any(reason in f.message or reason in f.pointer for f in e.value.findings)


def test_a_refused_document_lists_every_unsupported_layer() -> None:
    # Two layers with forms that stay unsupported (a stateful GRU, bilinear upsampling) between supported ones:
    # one finding each, in one error, at each layer's member.
    layers = [
        modeldoc.Layer("gru", "GRU", {"units": 2, "stateful": True, "go_backwards": True, "return_sequences": True},
                       ["gru/k", "gru/r", "gru/b"]),
        modeldoc.Layer("up", "UpSampling1D", {"size": 2}),
        modeldoc.Layer("reshape", "Reshape", {"target_shape": [8, 1, 2]}),
        modeldoc.Layer("bilinear", "UpSampling2D", {"size": [2, 2], "interpolation": "bilinear"}),
    ]
    nodes = [modeldoc.Node("gru", ["x"], ["h1"]), modeldoc.Node("up", ["h1"], ["h2"]),
             modeldoc.Node("reshape", ["h2"], ["h3"]), modeldoc.Node("bilinear", ["h3"], ["y"])]
    graph = modeldoc.Graph(layers, [modeldoc.Input("x", "float32", [None, 4, 3])], nodes, ["y"])
    tensors = {"gru/k": np.ones((3, 6), np.float32), "gru/r": np.ones((2, 6), np.float32),
               "gru/b": np.ones((2, 6), np.float32)}
    with pytest.raises(modeldoc.ModelDocError) as e:
        to_onnx(modeldoc.Document(graph, tensors))
    assert [(f.code, f.pointer) for f in e.value.findings] == [
        ("ONNX_UNSUPPORTED", "/model/layers/0/config/stateful"),
        ("ONNX_UNSUPPORTED", "/model/layers/3/config/interpolation")]
    assert "'gru'" in e.value.findings[0].message and "'bilinear'" in e.value.findings[1].message


@pytest.mark.parametrize("name", list(EXTRA))
def test_extra_layer_forms_match_keras(name: str) -> None:
    doc = extra_doc(name)
    _assert_matches(doc, to_onnx(doc))


@pytest.mark.parametrize("name", ["cnn", "conv1d", "shapes", "applications"])
def test_opset_18_reduce_form(name: str) -> None:
    # From opset 18 on, ReduceMean/ReduceMax take their axes as an input instead of an attribute.
    doc = zoo_doc(name)
    model = to_onnx(doc, opset=18)
    assert model.opset_import[0].version == 18
    reduces = [n for n in model.graph.node if n.op_type.startswith("Reduce")]
    assert reduces and all(len(n.input) == 2 and not n.attribute[1:] for n in reduces)
    _assert_matches(doc, model)


def test_shared_layers_share_initializers() -> None:
    # nested: a shared Dense and a nested Sequential, each called twice; their weights are stored once.
    model = to_onnx(zoo_doc("nested"))
    names = sorted(t.name for t in model.graph.initializer)
    assert [n for n in names if n.startswith("nested/shared/")] == ["nested/shared/bias", "nested/shared/kernel"]
    assert [n for n in names if n.startswith("nested/block/inner_dense/")] == [
        "nested/block/inner_dense/bias", "nested/block/inner_dense/kernel"]
    assert [n.op_type for n in model.graph.node].count("MatMul") == 4


def test_docs_list_every_supported_layer_type() -> None:
    from pathlib import Path

    from modeldoc.onnx import supported_types

    text = (Path(__file__).resolve().parents[2] / "docs" / "onnx.md").read_text(encoding="utf-8")
    missing = []
    for t in supported_types():
        # The table writes families as `MaxPooling1D/2D/3D`; a type is listed when its family is.
        family = t.rstrip("D").rstrip("123") if t[-2:] in ("1D", "2D", "3D") else t
        if f"`{t}`" not in text and f"`{family}1D" not in text and f"`{family}2D" not in text:
            missing.append(t)
    assert not missing
