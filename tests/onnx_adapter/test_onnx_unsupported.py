"""What cannot be exported is listed whole: one ONNX_UNSUPPORTED finding per problem, nothing written."""

from __future__ import annotations

import os

import numpy as np
import pytest

pytest.importorskip("onnx")  # a formality: `make test` installs the extra, so these run
pytest.importorskip("onnxruntime")

import modeldoc
from modeldoc.cli import main
from modeldoc.onnx import check_onnx, to_onnx


def _doc() -> modeldoc.Document:
    """Dense -> (unsupported) Lambda -> Conv1D with a bad padding -> (unsupported) ConvLSTM1D."""
    layers = [
        modeldoc.Layer("dense", "Dense", {"units": 4}, ["dense/kernel"]),
        modeldoc.Layer("custom", "Lambda", {"function": "x * 2"}),
        modeldoc.Layer("conv", "Conv1D", {"filters": 2, "kernel_size": [1], "padding": "reflect"},
                       ["conv/kernel"]),
        modeldoc.Layer("both_ways", "ConvLSTM1D", {"filters": 2, "kernel_size": 1}),
    ]
    nodes = [modeldoc.Node("dense", ["x"], ["h1"]), modeldoc.Node("custom", ["h1"], ["h2"]),
             modeldoc.Node("conv", ["h2"], ["h3"]), modeldoc.Node("both_ways", ["h3"], ["y"])]
    graph = modeldoc.Graph(layers, [modeldoc.Input("x", "float32", [None, 3, 4])], nodes, ["y"])
    tensors = {"dense/kernel": np.ones((4, 4), np.float32), "conv/kernel": np.ones((1, 4, 2), np.float32)}
    return modeldoc.Document(graph, tensors)


EXPECTED = [
    ("ONNX_UNSUPPORTED", "/model/layers/1/type"),
    ("ONNX_UNSUPPORTED", "/model/layers/2/config/padding"),
    ("ONNX_UNSUPPORTED", "/model/layers/3/type"),
]


def test_every_problem_is_one_finding_in_one_error() -> None:
    with pytest.raises(modeldoc.ModelDocError) as info:
        to_onnx(_doc())
    assert [(f.code, f.pointer) for f in info.value.findings] == EXPECTED
    messages = [f.message for f in info.value.findings]
    assert "'Lambda'" in messages[0] and "'ConvLSTM1D'" in messages[2]
    assert "'reflect'" in messages[1] and "'causal'" in messages[1]  # the value and what is supported


def test_config_and_weight_problems_of_one_layer_are_all_listed() -> None:
    layer = modeldoc.Layer("conv", "Conv2D", {"filters": 2, "kernel_size": 3, "activation": "swirl",
                                              "data_format": "channels_middle"}, ["k"])
    graph = modeldoc.Graph([layer], [modeldoc.Input("x", "float32", [None, 5, 5, 1])],
                           [modeldoc.Node("conv", ["x"], ["y"], arguments={"kwargs": {"mask": {"$input": 0}}})],
                           ["y"])
    doc = modeldoc.Document(graph, {"k": np.ones((3, 3, 1, 2), np.float16)})
    doc.model.layers[0].config["dtype"] = "float32"
    with pytest.raises(modeldoc.ModelDocError) as info:
        to_onnx(doc)
    pointers = [f.pointer for f in info.value.findings]
    assert pointers == ["/model/layers/0/config/data_format", "/model/layers/0/config/activation",
                        "/model/layers/0/config/dtype", "/model/layers/0"]
    assert "float16" in info.value.findings[2].message  # the weights would have to be converted
    assert "'mask'" in info.value.findings[3].message


def test_float64_weights_are_not_narrowed_to_a_float32_policy() -> None:
    layer = modeldoc.Layer("dense", "Dense", {"units": 1, "dtype": {"class_name": "DTypePolicy",
                                                                    "config": {"name": "float32"}}}, ["k"])
    graph = modeldoc.Graph([layer], [modeldoc.Input("x", "float32", [None, 2])],
                           [modeldoc.Node("dense", ["x"], ["y"])], ["y"])
    with pytest.raises(modeldoc.ModelDocError) as info:
        to_onnx(modeldoc.Document(graph, {"k": np.ones((2, 1), np.float64)}))
    assert [(f.code, f.pointer) for f in info.value.findings] == [("ONNX_UNSUPPORTED", "/model/layers/0/config/dtype")]


def test_cli_prints_every_finding_and_writes_nothing(tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(tmp_path)
    src, out = os.path.join(folder, "doc.json"), os.path.join(folder, "out.onnx")
    modeldoc.save(_doc(), src)
    assert main(["to-onnx", src, out]) == 1
    captured = capsys.readouterr()
    lines = (captured.out + captured.err).splitlines()
    found = [line for line in lines if "ONNX_UNSUPPORTED" in line]
    assert [line.split(" at ")[1].split(":")[0] for line in found] == [p for _, p in EXPECTED]
    assert sorted(os.listdir(folder)) == ["doc.json"]


def test_cli_rejects_an_opset_it_cannot_build(tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(tmp_path)
    src, out = os.path.join(folder, "doc.json"), os.path.join(folder, "out.onnx")
    graph = modeldoc.Graph([modeldoc.Layer("act", "Activation", {"activation": "relu"})],
                           [modeldoc.Input("x", "float32", [None, 2])], [modeldoc.Node("act", ["x"], ["y"])], ["y"])
    modeldoc.save(modeldoc.Document(graph), src)
    assert main(["to-onnx", src, out, "--opset", "11"]) == 1
    captured = capsys.readouterr()
    assert "opset 11 is not supported" in captured.out + captured.err
    assert not os.path.exists(out)


def test_weights_that_do_not_fit_the_input_are_reported_at_the_layer() -> None:
    # A kernel for 4 features on a 2-feature input: ONNX shape inference names the node, the finding the layer.
    graph = modeldoc.Graph([modeldoc.Layer("dense", "Dense", {"units": 3}, ["k"])],
                           [modeldoc.Input("x", "float32", [None, 2])], [modeldoc.Node("dense", ["x"], ["y"])], ["y"])
    doc = modeldoc.Document(graph, {"k": np.ones((4, 3), np.float32)})
    with pytest.raises(modeldoc.ModelDocError) as info:
        check_onnx(doc, to_onnx(doc))
    assert (info.value.code, info.value.pointer) == ("ONNX_UNSUPPORTED", "/model/layers/0")
    assert "MatMul" in str(info.value)
