"""The NumPy reference evaluator without Keras: the conformance fixtures, every EVAL_* code, the
``modeldoc run`` command and hand-computed checks of the tricky formulas (spec.md section 15)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import modeldoc
from modeldoc.cli import main
from modeldoc.document import Document, Graph, Input, Layer, Node, Producer
from modeldoc.evaluator import ATOL, RTOL, check_test_vectors, evaluate
from modeldoc.evaluator.cli import file_names
from modeldoc.keras.zoo import ZOO
from tests.testutil import CASES, FIXTURES

WITH_VECTORS = [c for c in CASES if c["valid"] and modeldoc.load(FIXTURES / c["file"]).test_vectors]
KERAS = Producer(framework="keras")


# --- the conformance fixtures -----------------------------------------------------------


@pytest.mark.parametrize("case", WITH_VECTORS, ids=[c["id"] for c in WITH_VECTORS])
def test_fixture_test_vectors(case: dict[str, Any]) -> None:
    """Every valid fixture with test vectors: a Keras one is reproduced within the tolerance of
    spec.md 15.11; the others name no framework, so the profile applies (15.1), and their nested
    model's call (a `training` argument outside args/kwargs) is outside it."""
    doc = modeldoc.load(FIXTURES / case["file"])
    if doc.producer.framework != "keras":
        assert doc.producer.framework == ""
        with pytest.raises(modeldoc.ModelDocError) as e:
            check_test_vectors(doc)
        assert (e.value.code, e.value.pointer) == ("EVAL_UNSUPPORTED", "/model/layers/1")
        return
    checks = check_test_vectors(doc)
    assert len(checks) == sum(len(v.outputs) for v in doc.test_vectors) > 0
    for c in checks:
        assert c.ok, str(c.finding())
        assert c.max_abs_diff <= c.atol  # also within the absolute part alone: far from the edge


def test_every_zoo_model_is_a_fixture() -> None:
    ids = {c["id"] for c in WITH_VECTORS}
    assert {f"valid/keras-zoo-{name}-base64" for name in ZOO} <= ids


# --- documents built by hand ------------------------------------------------------------------


def one_layer(layer_type: str, config: dict[str, Any], weights: dict[str, np.ndarray], shape: list[int | None],
              dtype: str = "float32", n_out: int = 1) -> Document:
    outs = [f"y{k}" for k in range(n_out)]
    graph = Graph(layers=[Layer("layer", layer_type, config, list(weights))],
                  inputs=[Input("x", dtype, shape)], nodes=[Node("layer", ["x"], outs)], outputs=outs)
    return Document(graph, dict(weights), producer=KERAS)


def run1(doc: Document, x: np.ndarray) -> np.ndarray:
    return next(iter(evaluate(doc, {"x": x}).values()))


def findings(doc: Document, inputs: dict[str, np.ndarray] | None = None) -> list[tuple[str, str]]:
    with pytest.raises(modeldoc.ModelDocError) as e:
        evaluate(doc, inputs if inputs is not None else {"x": np.zeros((1, 2), "float32")})
    return [(f.code, f.pointer) for f in e.value.findings]


def test_every_unsupported_layer_and_config_is_listed_at_once() -> None:
    layers = [
        Layer("lambda", "Lambda", {"function": "x"}),
        Layer("attention", "Conv3D", {}),
        Layer("dense", "Dense", {"units": 2, "activation": "my_pkg>swoosh"}, ["k"]),
        Layer("conv", "Conv1D", {"filters": 1, "kernel_size": [1], "data_format": "channels_first",
                                 "padding": "reflect"}, ["c"]),
        Layer("lstm", "LSTM", {"units": 2, "stateful": True, "dtype": "mixed_float16"}),
    ]
    nodes = [Node(layer.name, ["x"], [layer.name]) for layer in layers]
    graph = Graph(layers=layers, inputs=[Input("x", "float32", [None, 2])], nodes=nodes,
                  outputs=[layer.name for layer in layers])
    doc = Document(graph, {"k": np.zeros((2, 2), "float32"), "c": np.zeros((1, 2, 1), "float32")}, producer=KERAS)
    got = findings(doc)
    assert set(got) == {
        ("EVAL_UNSUPPORTED", "/model/layers/0/type"),
        ("EVAL_UNSUPPORTED", "/model/layers/1/type"),
        ("EVAL_UNSUPPORTED", "/model/layers/2/config/activation"),
        ("EVAL_UNSUPPORTED", "/model/layers/3/config/data_format"),
        ("EVAL_UNSUPPORTED", "/model/layers/3/config/padding"),
        ("EVAL_UNSUPPORTED", "/model/layers/4/config/stateful"),
        ("EVAL_UNSUPPORTED", "/model/layers/4/config/dtype"),
    }
    assert len(got) == 7


def test_a_bad_config_value_is_named() -> None:
    doc = one_layer("Dense", {"units": "three"}, {"k": np.zeros((2, 3), "float32")}, [None, 2])
    assert findings(doc) == [("EVAL_UNSUPPORTED", "/model/layers/0/config/units")]
    doc = one_layer("Reshape", {"target_shape": [-1, -1]}, {}, [None, 2])
    assert findings(doc) == [("EVAL_UNSUPPORTED", "/model/layers/0/config/target_shape")]


def test_call_arguments_beyond_the_inputs_are_unsupported() -> None:
    doc = one_layer("Dense", {"units": 2}, {"k": np.zeros((2, 2), "float32"), "b": np.zeros(2, "float32")}, [None, 2])
    doc.model.nodes[0].arguments = {"args": [{"$input": 0}], "kwargs": {"initial_state": [{"$input": 0}]}}
    assert findings(doc) == [("EVAL_UNSUPPORTED", "/model/layers/0")]


def test_a_document_of_another_framework_is_refused() -> None:
    doc = one_layer("Dense", {"units": 2}, {}, [None, 2])
    doc.producer = Producer(framework="numpy")
    assert findings(doc) == [("EVAL_UNSUPPORTED", "/producer/framework")]


def test_a_document_that_names_no_framework_is_evaluated_by_the_profile() -> None:
    """spec.md 15.1: no framework means the profile's own vocabulary; the same weights give the
    same outputs as under "keras", and a type outside the profile is still refused at the layer."""
    kernel = np.arange(4, dtype=np.float32).reshape(2, 2)
    x = np.array([[1.0, -2.0]], np.float32)
    keras_doc = one_layer("Dense", {"units": 2, "use_bias": False}, {"k": kernel}, [None, 2])
    plain = one_layer("Dense", {"units": 2, "use_bias": False}, {"k": kernel}, [None, 2])
    plain.producer = Producer()
    assert run1(plain, x).tolist() == run1(keras_doc, x).tolist() == (x @ kernel).tolist()
    other = one_layer("Linear", {}, {}, [None, 2])
    other.producer = Producer()
    assert findings(other) == [("EVAL_UNSUPPORTED", "/model/layers/0/type")]


def test_weights_that_do_not_fit_their_layer() -> None:
    kernel, bias = np.zeros((3, 2), "float32"), np.zeros(2, "float32")
    doc = one_layer("Dense", {"units": 2}, {"k": kernel, "b": bias}, [None, 2])
    assert findings(doc) == [("EVAL_MISMATCH", "/model/layers/0/weights/0")]
    doc = one_layer("Dense", {"units": 2}, {"k": np.zeros((2, 2), "float32")}, [None, 2])
    assert findings(doc) == [("EVAL_MISMATCH", "/model/layers/0/weights")]  # the bias is missing
    doc = one_layer("Dense", {"units": 2, "use_bias": False}, {"k": np.zeros((2, 2), "float32"), "b": bias}, [None, 2])
    assert findings(doc) == [("EVAL_MISMATCH", "/model/layers/0/weights/1")]  # one weight too many


def test_inputs_are_checked_against_the_graph() -> None:
    weights = {"k": np.ones((2, 1), "float32"), "b": np.zeros(1, "float32")}
    doc = one_layer("Dense", {"units": 1}, weights, [None, 2])
    assert findings(doc, {}) == [("EVAL_INPUT", "/model/inputs/0")]
    assert findings(doc, {"x": np.zeros((1, 2), "float64")}) == [("EVAL_INPUT", "/model/inputs/0")]
    assert findings(doc, {"x": np.zeros((1, 3), "float32")}) == [("EVAL_INPUT", "/model/inputs/0")]
    assert findings(doc, {"x": np.zeros((2,), "float32")}) == [("EVAL_INPUT", "/model/inputs/0")]
    assert ("EVAL_INPUT", "/model/inputs") in findings(doc, {"x": np.zeros((1, 2), "float32"), "z": np.zeros(1)})
    # Any batch size fits the null dimension.
    assert run1(doc, np.ones((5, 2), "float32")).shape == (5, 1)


def test_embedding_ids_outside_the_table() -> None:
    doc = one_layer("Embedding", {"input_dim": 3, "output_dim": 2}, {"e": np.zeros((3, 2), "float32")},
                    [None, 2], dtype="int32")
    assert findings(doc, {"x": np.array([[0, 3]], "int32")}) == [("EVAL_INPUT", "/model/layers/0")]


# --- formulas checked against small independent computations ------------------------------------


def sigmoid(v: float) -> float:
    return 1 / (1 + math.exp(-v))


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_step_by_hand(reset_after: bool) -> None:
    """One unit, one feature, two steps: the GRU formulas of spec.md 15.10 written with scalars."""
    k = np.array([[0.5, -0.3, 0.8]], "float32")            # columns z, r, h
    rk = np.array([[0.2, 0.7, -0.6]], "float32")
    bias = np.array([[0.1, -0.2, 0.3], [0.05, 0.4, -0.1]], "float32") if reset_after \
        else np.array([0.1, -0.2, 0.3], "float32")
    doc = one_layer("GRU", {"units": 1, "reset_after": reset_after}, {"k": k, "rk": rk, "b": bias}, [None, 2, 1])
    xs = [0.7, -1.2]
    h = 0.0
    bx, bh = (bias[0], bias[1]) if reset_after else (bias, np.zeros(3))
    for x in xs:
        z = sigmoid(x * k[0, 0] + bx[0] + h * rk[0, 0] + bh[0])
        r = sigmoid(x * k[0, 1] + bx[1] + h * rk[0, 1] + bh[1])
        inner = r * (h * rk[0, 2] + bh[2]) if reset_after else (r * h) * rk[0, 2]
        candidate = math.tanh(x * k[0, 2] + bx[2] + inner)
        h = z * h + (1 - z) * candidate
    got = run1(doc, np.array([[[xs[0]], [xs[1]]]], "float32"))
    assert got.shape == (1, 1)
    assert abs(float(got[0, 0]) - h) < 1e-6


def test_lstm_gate_order_by_hand() -> None:
    """Kernel columns are i, f, c, o: give each gate a different weight and recompute one step."""
    k = np.array([[0.1, 0.2, 0.3, 0.4]], "float32")
    rk = np.zeros((1, 4), "float32")
    b = np.array([0.0, 1.0, 0.0, -0.5], "float32")
    doc = one_layer("LSTM", {"units": 1}, {"k": k, "rk": rk, "b": b}, [None, 1, 1])
    x = 2.0
    i, f, o = sigmoid(0.2), sigmoid(0.4 + 1.0), sigmoid(0.8 - 0.5)
    c = f * 0 + i * math.tanh(0.6)
    assert abs(float(run1(doc, np.array([[[x]]], "float32"))[0, 0]) - o * math.tanh(c)) < 1e-6


def conv_by_loops(x: np.ndarray, w: np.ndarray, stride: int, before: int, out_len: int) -> np.ndarray:
    """1D convolution written as loops over output, kernel and channels."""
    n, k, _cin, cout = x.shape[1], w.shape[0], w.shape[1], w.shape[2]
    y = np.zeros((x.shape[0], out_len, cout))
    for b in range(x.shape[0]):
        for o in range(out_len):
            for j in range(k):
                i = o * stride + j - before
                if 0 <= i < n:
                    y[b, o] += x[b, i] @ w[j]
    return y


@pytest.mark.parametrize("n,k,stride", [(6, 3, 2), (7, 4, 2), (5, 2, 1), (8, 5, 3)])
def test_same_padding_puts_the_extra_at_the_end(n: int, k: int, stride: int) -> None:
    rng = np.random.default_rng(n * 10 + k)
    w = rng.uniform(-1, 1, (k, 2, 3)).astype("float32")
    x = rng.uniform(-1, 1, (2, n, 2)).astype("float32")
    doc = one_layer("Conv1D", {"filters": 3, "kernel_size": [k], "strides": [stride], "padding": "same",
                               "use_bias": False}, {"w": w}, [None, n, 2])
    out_len = -(-n // stride)
    total = max((out_len - 1) * stride + k - n, 0)
    want = conv_by_loops(x.astype(np.float64), w.astype(np.float64), stride, total // 2, out_len)
    np.testing.assert_allclose(run1(doc, x), want, atol=1e-6)


def test_causal_padding_is_all_before() -> None:
    w = np.array([[[1.0]], [[10.0]], [[100.0]]], "float32")
    doc = one_layer("Conv1D", {"filters": 1, "kernel_size": [3], "dilation_rate": [2], "padding": "causal",
                               "use_bias": False}, {"w": w}, [None, 6, 1])
    x = np.arange(1, 7, dtype="float32").reshape(1, 6, 1)
    # Output t sees x[t-4], x[t-2], x[t] with weights 1, 10, 100.
    want = [100 * x[0, t, 0] + 10 * (x[0, t - 2, 0] if t >= 2 else 0) + (x[0, t - 4, 0] if t >= 4 else 0)
            for t in range(6)]
    assert run1(doc, x)[0, :, 0].tolist() == want


def test_same_average_pooling_does_not_count_padding() -> None:
    doc = one_layer("AveragePooling1D", {"pool_size": [2], "strides": [2], "padding": "same"}, {}, [None, 5, 1])
    x = np.array([1, 2, 3, 4, 10], "float32").reshape(1, 5, 1)
    assert run1(doc, x)[0, :, 0].tolist() == [1.5, 3.5, 10.0]


def test_transposed_convolution_scatters() -> None:
    w = np.array([[[[1.0]], [[2.0]]]], "float32").reshape(2, 1, 1)  # (kernel, filters, channels)
    doc = one_layer("Conv1DTranspose", {"filters": 1, "kernel_size": [2], "strides": [3], "padding": "valid",
                                        "use_bias": False}, {"w": w}, [None, 2, 1])
    x = np.array([5, 7], "float32").reshape(1, 2, 1)
    # Each input i lands at 3i and 3i+1; length (2 - 1) * 3 + max(2, 3) = 6.
    assert run1(doc, x)[0, :, 0].tolist() == [5, 10, 0, 7, 14, 0]


def test_dropout_and_noise_are_identities_and_keep_integers() -> None:
    for layer_type in ("Dropout", "GaussianNoise", "AlphaDropout", "SpatialDropout1D"):
        doc = one_layer(layer_type, {"rate": 0.5, "stddev": 1.0}, {}, [None, 3, 2], dtype="int32")
        x = np.arange(6, dtype="int32").reshape(1, 3, 2)
        got = run1(doc, x)
        assert got.dtype == np.int32 and np.array_equal(got, x)


def test_outputs_are_rounded_to_the_layer_dtype() -> None:
    k = np.full((1, 1), 1 / 3, "float64")
    doc = one_layer("Dense", {"units": 1, "use_bias": False, "dtype": "float64"}, {"k": k}, [None, 1], "float64")
    assert run1(doc, np.ones((1, 1))).dtype == np.float64
    doc = one_layer("Dense", {"units": 1, "use_bias": False}, {"k": k}, [None, 1], "float64")
    assert run1(doc, np.ones((1, 1))).dtype == np.float32


# --- tolerance --------------------------------------------------------------------------------


def test_the_comparison_rule() -> None:
    from modeldoc.evaluator import compare

    want = np.array([0.0, 100.0, np.nan, np.inf], "float32")
    ok_got = want + np.array([ATOL, 100 * RTOL, 0, 0], "float32") * 0.9
    assert compare(ok_got, want, ATOL)[1]
    assert not compare(want + np.array([2 * ATOL, 0, 0, 0], "float32"), want, ATOL)[1]
    assert not compare(np.array([0, 100, 1, np.inf], "float32"), want, ATOL)[1]  # NaN only matches NaN
    assert not compare(np.zeros(3, "float32"), np.zeros(4, "float32"), ATOL)[1]


# --- modeldoc run -----------------------------------------------------------------------------


def zoo_fixture(name: str) -> Path:
    return FIXTURES / "valid" / f"keras-zoo-{name}-base64.json"


def test_cli_checks_the_test_vectors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(zoo_fixture("cnn"))]) == 0
    out = capsys.readouterr().out
    assert out.count(": ok") == 2 and "FAIL" not in out


def test_cli_reports_a_perturbed_test_vector(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = modeldoc.load(zoo_fixture("merge"))
    name = doc.test_vectors[1].outputs["add"]
    doc.tensors[name] = doc.tensors[name] + np.float32(0.01)
    path = tmp_path / "perturbed.json"
    modeldoc.save(doc, path)
    assert main(["run", str(path)]) == 1
    captured = capsys.readouterr()
    assert "FAIL" in captured.out
    assert [line.split(" at ")[1].split(":")[0] for line in captured.err.splitlines()] == \
        ["/test_vectors/1/outputs/add"]
    assert "EVAL_TEST_VECTOR" in captured.err


def test_cli_input_output_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = modeldoc.load(zoo_fixture("merge"))
    vector = doc.test_vectors[0]
    given = []
    for name, tensor in vector.inputs.items():
        np.save(tmp_path / f"{name}.npy", doc.tensors[tensor])
        given += ["--input", f"{name}={tmp_path / f'{name}.npy'}"]
    assert main(["run", str(zoo_fixture("merge")), "--output", str(tmp_path / "out"), *given]) == 0
    capsys.readouterr()
    for name, tensor in vector.outputs.items():
        got = np.load(tmp_path / "out" / f"{name}.npy", allow_pickle=False)
        want = doc.tensors[tensor]
        assert got.dtype == want.dtype and np.allclose(got, want, atol=ATOL, rtol=RTOL)
    assert main(["run", str(zoo_fixture("merge")), *given, "--json"]) == 0  # without --output: a summary
    summary = json.loads(capsys.readouterr().out)
    assert summary["outputs"]["add"]["shape"] == list(doc.tensors[vector.outputs["add"]].shape)


def test_cli_refuses_a_pickled_npy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    np.save(tmp_path / "evil.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert main(["run", str(zoo_fixture("mlp")), "--input", f"x={tmp_path / 'evil.npy'}"]) == 2
    assert "IO_UNREADABLE" in capsys.readouterr().err
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    assert main(["run", str(zoo_fixture("mlp")), "--input", f"x={tmp_path / 'junk.npy'}"]) == 2


def test_cli_wrong_input_is_eval_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    np.save(tmp_path / "x.npy", np.zeros((2, 5), "float32"))
    assert main(["run", str(zoo_fixture("mlp")), "--input", f"x={tmp_path / 'x.npy'}"]) == 1
    assert "EVAL_INPUT at /model/inputs/0" in capsys.readouterr().err


def test_output_file_names_are_safe_and_distinct() -> None:
    names = file_names(["a/b", "a_b", "../up", "A_B", ".hidden", ""])
    assert all("/" not in f and not f.startswith(".") and f.endswith(".npy") for f in names.values())
    assert len({f.lower() for f in names.values()}) == len(names)


# --- the clarified rules of spec.md 15.1 and 15.2 --------------------------------------------------------


def nested(config: dict[str, Any], arguments: dict[str, Any], inner_dtype: str = "float64") -> Document:
    """A float64 Dense inside a nested model of type Functional, called once from the top graph."""
    inner = Graph(layers=[Layer("d", "Dense", {"units": 1, "use_bias": False, "dtype": "float64"}, ["k"])],
                  inputs=[Input("i", inner_dtype, [None, 1])], nodes=[Node("d", ["i"], ["o"])], outputs=["o"])
    graph = Graph(layers=[Layer("m", "Functional", config, model=inner)], inputs=[Input("x", "float64", [None, 1])],
                  nodes=[Node("m", ["x"], ["y"], arguments=arguments)], outputs=["y"])
    return Document(graph, {"k": np.full((1, 1), 1 / 3, "float64")}, producer=KERAS)


def test_a_nested_model_config_is_not_read_and_nothing_is_rounded_at_its_boundary() -> None:
    config = {"dtype": "mixed_float16", "input_structure": ["junk"], "trainable": "maybe"}
    doc = nested(config, {"args": [{"$input": 0}], "kwargs": {"mask": None}}, inner_dtype="int8")
    got = run1(doc, np.ones((1, 1), "float64"))
    assert got.dtype == np.float64 and got[0, 0] == 1 / 3  # the inner input's declared int8 is not applied


def test_a_nested_model_call_follows_the_argument_rule() -> None:
    doc = nested({}, {"args": [{"$input": 0}], "kwargs": {"initial_state": {"$input": 0}}})
    assert findings(doc, {"x": np.ones((1, 1))}) == [("EVAL_UNSUPPORTED", "/model/layers/0")]


@pytest.mark.parametrize("arguments", [{}, {"args": [{"$input": 0}]},
                                       {"kwargs": {"training": False}, "args": [[{"$input": 0}]]}])
def test_arguments_absent_empty_or_grouped_are_the_inputs(arguments: dict[str, Any]) -> None:
    doc = one_layer("Dense", {"units": 1, "use_bias": False}, {"k": np.ones((2, 1), "float32")}, [None, 2])
    doc.model.nodes[0].arguments = arguments
    assert run1(doc, np.array([[1, 2]], "float32"))[0, 0] == 3


def test_wrong_input_and_output_counts_are_found_before_anything_runs() -> None:
    layers = [Layer("dense", "Dense", {"units": 1}, ["k", "b"]),
              Layer("lstm", "LSTM", {"units": 1, "return_state": True}),
              Layer("sub", "Subtract", {}), Layer("bad", "Dense", {"units": 0})]
    nodes = [Node("dense", ["x", "x"], ["a"]), Node("lstm", ["x"], ["l"]), Node("sub", ["x", "x", "x"], ["s"]),
             Node("bad", ["x"], ["z"])]
    graph = Graph(layers=layers, inputs=[Input("x", "float32", [None, 2])], nodes=nodes, outputs=["a", "l", "s", "z"])
    doc = Document(graph, {"k": np.zeros((2, 1), "float32"), "b": np.zeros(1, "float32")}, producer=KERAS)
    assert set(findings(doc)) == {("EVAL_UNSUPPORTED", "/model/layers/0"), ("EVAL_UNSUPPORTED", "/model/layers/1"),
                                  ("EVAL_UNSUPPORTED", "/model/layers/2"),
                                  ("EVAL_UNSUPPORTED", "/model/layers/3/config/units")}


def test_required_members_and_ranges() -> None:
    assert findings(one_layer("Dense", {}, {}, [None, 2])) == [("EVAL_UNSUPPORTED", "/model/layers/0/config/units")]
    assert findings(one_layer("Activation", {}, {}, [None, 2])) == [
        ("EVAL_UNSUPPORTED", "/model/layers/0/config/activation")]
    assert set(findings(one_layer("Conv1D", {}, {}, [None, 2]))) == {
        ("EVAL_UNSUPPORTED", "/model/layers/0/config/kernel_size"),
        ("EVAL_UNSUPPORTED", "/model/layers/0/config/filters")}
    assert findings(one_layer("BatchNormalization", {"epsilon": -1.0}, {}, [None, 2])) == [
        ("EVAL_UNSUPPORTED", "/model/layers/0/config/epsilon")]
    assert findings(one_layer("Softmax", {"axis": [1, 1]}, {}, [None, 2])) == [
        ("EVAL_UNSUPPORTED", "/model/layers/0/config/axis")]
    alpha = np.array([[0.5, 0.25]], "float32")  # shared over axis 1
    doc = one_layer("PReLU", {"shared_axes": 1}, {"alpha": alpha}, [None, 3, 2])
    got = run1(doc, -np.ones((1, 3, 2), "float32"))
    assert np.array_equal(got, np.broadcast_to(-alpha, (1, 3, 2)))


def test_policy_objects_may_carry_module_and_registered_name() -> None:
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float64"}, "registered_name": None}
    doc = one_layer("Activation", {"activation": {"module": "keras.activations", "class_name": "function",
                                                  "config": "relu", "registered_name": None}, "dtype": policy},
                    {}, [None, 2], "float64")
    assert run1(doc, np.array([[-1.0, 2.0]])).dtype == np.float64


def test_weights_have_a_float_dtype_and_are_rounded_to_the_policy() -> None:
    doc = one_layer("Dense", {"units": 1, "use_bias": False}, {"k": np.ones((2, 1), "int32")}, [None, 2])
    assert findings(doc) == [("EVAL_MISMATCH", "/model/layers/0/weights/0")]
    # Rounded to float32 first, the kernel's 1 + 2^-30 is 1, so x0 - x1 cancels exactly.
    k = np.array([[1 + 2.0**-30], [-1.0]], "float64")
    doc = one_layer("Dense", {"units": 1, "use_bias": False}, {"k": k}, [None, 2], "float64")
    assert run1(doc, np.array([[1.0, 1.0]]))[0, 0] == 0.0
    doc.model.layers[0].config["dtype"] = "float64"
    assert run1(doc, np.array([[1.0, 1.0]]))[0, 0] == 2.0**-30


def test_float_inputs_are_rounded_to_the_layer_policy() -> None:
    doc = one_layer("Dense", {"units": 1, "use_bias": False}, {"k": np.array([[1.0], [-1.0]], "float32")}, [None, 2],
                    "float64")
    assert run1(doc, np.array([[1 + 2.0**-30, 1.0]]))[0, 0] == 0.0  # 1 + 2^-30 is 1 in float32
    doc = one_layer("Reshape", {"target_shape": [2]}, {}, [None, 2], "float64")
    got = run1(doc, np.array([[1 + 2.0**-30, 1.0]]))
    assert got.dtype == np.float32 and got[0, 0] == 1.0  # a layer that only moves values rounds floats too


def two_inputs(layer: Layer, a: tuple[str, list[int | None]], b: tuple[str, list[int | None]]) -> Document:
    graph = Graph(layers=[layer], inputs=[Input("a", *a), Input("b", *b)],
                  nodes=[Node(layer.name, ["a", "b"], ["y"])], outputs=["y"])
    return Document(graph, {}, producer=KERAS)


def test_concatenate_keeps_one_integer_dtype_and_refuses_a_mix() -> None:
    cat = Layer("cat", "Concatenate", {})
    ints = {"a": np.array([[1]], "int32"), "b": np.array([[2]], "int32")}
    assert evaluate(two_inputs(cat, ("int32", [None, 1]), ("int32", [None, 1])), ints)["y"].dtype == np.int32
    mixed = {"a": np.array([[1]], "int32"), "b": np.array([[2.5]], "float32")}
    got = evaluate(two_inputs(cat, ("int32", [None, 1]), ("float32", [None, 1])), mixed)["y"]
    assert got.dtype == np.float32 and got.tolist() == [[1.0, 2.5]]
    wide = {"a": np.array([[1]], "int32"), "b": np.array([[2]], "int64")}
    assert findings(two_inputs(cat, ("int32", [None, 1]), ("int64", [None, 1])), wide) == [
        ("EVAL_UNSUPPORTED", "/model/layers/0")]


def test_merge_inputs_broadcast_within_one_rank() -> None:
    add = Layer("add", "Add", {})
    got = evaluate(two_inputs(add, ("float32", [None, 1, 3]), ("float32", [None, 2, 3])),
                   {"a": np.ones((1, 1, 3), "float32"), "b": np.ones((1, 2, 3), "float32")})["y"]
    assert got.shape == (1, 2, 3) and np.all(got == 2)
    assert findings(two_inputs(add, ("float32", [None, 3]), ("float32", [None, 2, 3])),
                    {"a": np.ones((1, 3), "float32"), "b": np.ones((1, 2, 3), "float32")}) == [
        ("EVAL_UNSUPPORTED", "/model/layers/0")]


def test_a_value_the_layer_cannot_take_is_unsupported_at_the_layer() -> None:
    doc = one_layer("RepeatVector", {"n": 2}, {}, [None, 2, 2])
    assert findings(doc, {"x": np.zeros((1, 2, 2), "float32")}) == [("EVAL_UNSUPPORTED", "/model/layers/0")]
    doc = one_layer("Reshape", {"target_shape": [3]}, {}, [None, 2])
    assert findings(doc) == [("EVAL_UNSUPPORTED", "/model/layers/0")]


def test_padding_forms_and_permute_direction() -> None:
    x = np.arange(1, 4, dtype="float32").reshape(1, 3, 1)
    assert run1(one_layer("ZeroPadding1D", {}, {}, [None, 3, 1]), x)[0, :, 0].tolist() == [0, 1, 2, 3, 0]
    padded = run1(one_layer("ZeroPadding1D", {"padding": [2, 0]}, {}, [None, 3, 1]), x)
    assert padded[0, :, 0].tolist() == [0, 0, 1, 2, 3]
    assert run1(one_layer("Cropping1D", {"cropping": [[0, 2]]}, {}, [None, 3, 1]), x)[0, :, 0].tolist() == [1]
    image = np.ones((1, 2, 2, 1), "float32")
    assert run1(one_layer("ZeroPadding2D", {"padding": [[1, 0], 2]}, {}, [None, 2, 2, 1]), image).shape == (1, 3, 6, 1)
    cube = np.arange(24, dtype="float32").reshape(1, 2, 3, 4)
    got = run1(one_layer("Permute", {"dims": [3, 1, 2]}, {}, [None, 2, 3, 4]), cube)
    assert got.shape == (1, 4, 2, 3) and got[0, 3, 1, 2] == cube[0, 1, 2, 3]


def test_max_pooling_padding_never_wins_over_negative_values() -> None:
    x = -np.arange(1, 4, dtype="float32").reshape(1, 3, 1)
    got = run1(one_layer("MaxPooling1D", {"pool_size": 2, "padding": "same"}, {}, [None, 3, 1]), x)
    assert got[0, :, 0].tolist() == [-1, -3]


def test_the_stored_dtype_decides_the_comparison() -> None:
    from modeldoc.evaluator import compare

    assert compare(np.array([1.0]), np.array([1], "int32"), ATOL)[1]
    assert not compare(np.array([1.000001]), np.array([1], "int32"), ATOL)[1]  # within the float bound, still wrong


def test_the_evaluator_loads_on_first_use() -> None:
    """`import modeldoc` and `modeldoc --help` do not pay for the evaluator; `modeldoc.evaluate` loads it."""
    code = ("import sys, modeldoc, modeldoc.evaluator.cli\n"
            "assert 'modeldoc.evaluator._run' not in sys.modules\n"
            "f = modeldoc.evaluate\n"
            "assert 'modeldoc.evaluator._run' in sys.modules and f.__name__ == 'evaluate'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_evaluate_takes_a_mapping_a_sequence_or_one_array() -> None:
    """As Keras predict does: a list in input order, or one array for a one-input model."""
    g = modeldoc.Graph(layers=[modeldoc.Layer("d", "Dense", {"units": 1}, ["k", "b"])],
                       inputs=[modeldoc.Input("x", "float32", [None, 2])], nodes=[modeldoc.Node("d", ["x"], ["y"])],
                       outputs=["y"])
    doc = modeldoc.Document(g, {"k": np.ones((2, 1), "float32"), "b": np.zeros(1, "float32")},
                            producer=modeldoc.Producer(framework="keras"))
    x = np.array([[1.0, 2.0]], np.float32)
    want = modeldoc.evaluate(doc, {"x": x})["y"]
    assert modeldoc.evaluate(doc, x)["y"].tolist() == want.tolist() == modeldoc.evaluate(doc, [x])["y"].tolist()
    with pytest.raises(modeldoc.ModelDocError) as e:
        modeldoc.evaluate(doc, [x, x])
    assert e.value.code == "EVAL_INPUT" and e.value.pointer == "/model/inputs"


def test_a_mean_over_every_axis_is_a_0d_output() -> None:
    # keras.ops.mean(x) with no axis gives a 0-d value; the output keeps that shape (not a 1-d array of one).
    graph = modeldoc.Graph([modeldoc.Layer("mean", "ops.numpy.Mean", {})], [modeldoc.Input("x", "float32", [None, 3])],
                           [modeldoc.Node("mean", ["x"], ["y"])], ["y"])
    doc = modeldoc.Document(graph, producer=modeldoc.Producer(framework="keras"))
    y = modeldoc.evaluate(doc, np.array([[1.0, 2.0, 6.0]], "float32"))["y"]
    assert y.shape == () and y.dtype == np.float32 and float(y) == 3.0


def test_a_backward_layer_weight_that_does_not_fit_is_reported_at_the_wrapper_s_position() -> None:
    """spec.md 15.13: the wrapper's weights/K, K counted over both layers (the backward kernel is weight 3)."""
    lstm = {"class_name": "LSTM", "config": {"units": 2}}
    layer = Layer("bi", "Bidirectional", {"layer": lstm}, ["fk", "fr", "fb", "bk", "br", "bb"])
    graph = Graph([layer], [Input("x", "float32", [None, 3, 2])], [Node("bi", ["x"], ["y"])], ["y"])
    tensors = {"fk": np.ones((2, 8), np.float32), "fr": np.ones((2, 8), np.float32), "fb": np.ones(8, np.float32),
               "bk": np.ones((5, 8), np.float32), "br": np.ones((2, 8), np.float32), "bb": np.ones(8, np.float32)}
    with pytest.raises(modeldoc.ModelDocError) as info:
        evaluate(Document(graph, tensors, producer=KERAS), {"x": np.ones((1, 3, 2), np.float32)})
    assert [(f.code, f.pointer) for f in info.value.findings] == [("EVAL_MISMATCH", "/model/layers/0/weights/3")]


def _mha(arguments: dict[str, Any]) -> Document:
    rng = np.random.default_rng(5)
    names = ["query", "key", "value", "attention_output"]
    weights = {f"mha/{n}/kernel": rng.standard_normal((2, 4, 3) if n == "attention_output" else (3, 2, 4))
               .astype("float32") for n in names}
    weights |= {f"mha/{n}/bias": rng.standard_normal((3,) if n == "attention_output" else (2, 4)).astype("float32")
                for n in names}
    order = [f"mha/{n}/{k}" for n in names for k in ("kernel", "bias")]
    graph = Graph(layers=[Layer("mha", "MultiHeadAttention", {"num_heads": 2, "key_dim": 4}, order)],
                  inputs=[Input("q", "float32", [None, 4, 3]), Input("v", "float32", [None, 5, 3])],
                  nodes=[Node("mha", ["q", "v"], ["y"], arguments=arguments)], outputs=["y"])
    return Document(graph, weights, producer=KERAS)


def test_multi_head_attention_takes_a_null_key_as_the_value() -> None:
    rng = np.random.default_rng(6)
    feeds = {"q": rng.standard_normal((2, 4, 3)).astype("float32"), "v": rng.standard_normal((2, 5, 3)).astype("float32")}
    plain = evaluate(_mha({}), feeds)
    by_name = {"kwargs": {"query": {"$input": 0}, "value": {"$input": 1}, "key": None}}
    got = evaluate(_mha(by_name), feeds)
    assert np.array_equal(got["y"], plain["y"])  # Keras: key=None means the value
    refused = _mha({"args": [{"$input": 0}, {"$input": 1}], "kwargs": {"key": 1.5}})
    assert findings(refused, feeds) == [("EVAL_UNSUPPORTED", "/model/layers/0")]
