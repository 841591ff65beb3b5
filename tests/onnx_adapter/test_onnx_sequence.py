"""Sequence models exported to ONNX match Keras: masks, Bidirectional, TimeDistributed, the attention layers and
GroupNormalization (spec.md 15.12 to 15.14), each built with Keras 3 and checked in onnxruntime."""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")  # a formality: `make test` installs the extra, so these run
pytest.importorskip("onnxruntime")
keras = pytest.importorskip("keras")

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import modeldoc
from modeldoc.keras import from_keras
from modeldoc.keras.zoo import seed_weights
from modeldoc.onnx import check_onnx, to_onnx
from tests.onnx_adapter.onnx_helpers import zoo_doc
from tests.testutil import inner_model

L = keras.layers
STEPS = 7
# Token rows: padding at the start, in the middle, at the end, none, and a row with every step masked.
TOKENS = np.array([[0, 0, 0, 3, 4, 1, 2],
                   [3, 0, 2, 0, 0, 4, 1],
                   [1, 2, 3, 0, 0, 0, 0],
                   [4, 3, 2, 1, 4, 3, 2],
                   [0, 0, 0, 0, 0, 0, 0]], np.int32)
# ONNX Runtime stays this close to Keras on these float32 models (measured: docs/onnx.md).
MEASURED_BOUND = 1e-5


def _doc(model: Any, inputs: list[dict[str, np.ndarray]]) -> modeldoc.Document:
    seed_weights(model, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return from_keras(model, test_inputs=inputs, test_vectors=len(inputs))


def _check(doc: modeldoc.Document) -> float:
    """Export, run onnxruntime on every test vector (check_onnx raises beyond the tolerance) and return the
    largest difference."""
    results = check_onnx(doc, to_onnx(doc))
    assert results and all(r.ok for r in results), [str(r) for r in results]
    worst = max(r.max_abs_diff for r in results)
    assert worst <= MEASURED_BOUND
    return worst


def _tokens() -> list[dict[str, np.ndarray]]:
    return [{"tokens": TOKENS}, {"tokens": TOKENS[::-1].copy()}]


def _embedded(functional: bool, recurrent: Any) -> Any:
    """Embedding(mask_zero) into ``recurrent``: a functional model saves the mask as an explicit argument
    (ops.numpy.NotEqual), a Sequential one leaves it attached."""
    if functional:
        tokens = keras.Input((STEPS,), dtype="int32", name="tokens")
        outputs = recurrent(L.Embedding(5, 3, mask_zero=True)(tokens))
        return keras.Model(tokens, list(outputs) if isinstance(outputs, (list, tuple)) else outputs)
    return keras.Sequential([keras.Input((STEPS,), dtype="int32", name="tokens"), L.Embedding(5, 3, mask_zero=True),
                             recurrent])


@pytest.mark.parametrize("functional", [False, True])
@pytest.mark.parametrize("kind,options", [
    ("LSTM", {"return_sequences": True}),
    ("LSTM", {"go_backwards": True, "return_sequences": True}),
    ("GRU", {"return_sequences": True, "zero_output_for_mask": True}),
    ("GRU", {"reset_after": False, "go_backwards": True}),
    ("SimpleRNN", {"return_sequences": True, "activation": "relu"}),
])
def test_masked_recurrent_layer(functional: bool, kind: str, options: dict[str, Any]) -> None:
    # Pre-, mid- and post-padded rows and an all-masked row: masked steps keep the state and repeat the output.
    layer = getattr(L, kind)(4, **options)
    _check(_doc(_embedded(functional, layer), _tokens()))


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_masked_recurrent_layer_states(kind: str) -> None:
    # The final states are those of the last unmasked step (a Sequential model cannot return them).
    _check(_doc(_embedded(True, getattr(L, kind)(3, go_backwards=True, return_state=True)), _tokens()))


def test_a_dropped_mask_would_be_caught() -> None:
    # The same weights without mask_zero give other outputs, so the masked tests above can fail.
    doc = _doc(_embedded(False, L.LSTM(4, return_sequences=True)), _tokens())
    inner_model(doc).layers[0].config["mask_zero"] = False
    with pytest.raises(modeldoc.ModelDocError) as e:
        check_onnx(doc, to_onnx(doc))
    assert {f.code for f in e.value.findings} == {"EVAL_TEST_VECTOR"}


def test_masked_lstm_uses_a_scan_and_an_unmasked_one_the_onnx_op() -> None:
    masked = to_onnx(_doc(_embedded(True, L.LSTM(3)), _tokens()))
    plain = keras.Sequential([keras.Input((STEPS, 2), name="x"), L.LSTM(3)])
    unmasked = to_onnx(_doc(plain, [{"x": np.ones((2, STEPS, 2), np.float32)}]))
    assert "Scan" in [n.op_type for n in masked.graph.node] and "LSTM" not in [n.op_type for n in masked.graph.node]
    assert "LSTM" in [n.op_type for n in unmasked.graph.node]


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("sequences", [True, False])
def test_bidirectional_merge_modes(merge_mode: str | None, sequences: bool) -> None:
    x = keras.Input((STEPS, 3), name="x")
    y = L.Bidirectional(L.GRU(4, return_sequences=sequences), merge_mode=merge_mode)(x)
    y = list(y) if isinstance(y, (list, tuple)) else y
    rng = np.random.default_rng(1)
    _check(_doc(keras.Model(x, y), [{"x": rng.uniform(-2, 2, (3, STEPS, 3)).astype(np.float32)}]))


@pytest.mark.parametrize("merge_mode", ["concat", None])
def test_masked_bidirectional_with_states(merge_mode: str | None) -> None:
    # return_state: the merged output(s), then the forward and the backward LSTM's h and c.
    layer = L.Bidirectional(L.LSTM(3, return_sequences=True, return_state=True), merge_mode=merge_mode)
    tokens = keras.Input((STEPS,), dtype="int32", name="tokens")
    doc = _doc(keras.Model(tokens, list(layer(L.Embedding(5, 3, mask_zero=True)(tokens)))), _tokens())
    assert len(doc.model.outputs) == (6 if merge_mode is None else 5)
    _check(doc)


@pytest.mark.parametrize("merge_mode", ["sum", "mul", "ave"])
def test_masked_bidirectional_with_an_attached_mask(merge_mode: str) -> None:
    layer = L.Bidirectional(L.GRU(3, return_sequences=merge_mode != "ave"), merge_mode=merge_mode)
    _check(_doc(_embedded(False, layer), _tokens()))


def test_bidirectional_with_a_backward_layer_and_initial_states() -> None:
    x = keras.Input((STEPS, 2), name="x")
    states = [keras.Input((3,), name=f"s{k}") for k in range(2)]
    layer = L.Bidirectional(L.SimpleRNN(3, return_sequences=True),
                            backward_layer=L.SimpleRNN(3, return_sequences=True, go_backwards=True,
                                                       activation="relu"), merge_mode="sum")
    rng = np.random.default_rng(2)
    feeds = {"x": rng.uniform(-1, 1, (2, STEPS, 2)).astype(np.float32),
             **{f"s{k}": rng.uniform(-1, 1, (2, 3)).astype(np.float32) for k in range(2)}}
    _check(_doc(keras.Model([x, *states], layer(x, initial_state=states)), [feeds]))


def test_time_distributed_carries_the_mask() -> None:
    # TimeDistributed(Dense) between two masked layers: it computes every step and passes the mask on.
    model = keras.Sequential([keras.Input((STEPS,), dtype="int32", name="tokens"), L.Embedding(5, 4, mask_zero=True),
                              L.TimeDistributed(L.Dense(3, activation="tanh")), L.GRU(2)])
    _check(_doc(model, _tokens()))


def test_time_distributed_convolution() -> None:
    x = keras.Input((3, 6, 2), name="x")
    y = L.TimeDistributed(L.Conv1D(4, 3, padding="same", activation="relu"))(x)
    y = L.TimeDistributed(L.GlobalMaxPooling1D())(y)
    rng = np.random.default_rng(3)
    _check(_doc(keras.Model(x, y), [{"x": rng.uniform(-1, 1, (2, 3, 6, 2)).astype(np.float32)}]))


def test_masking_layer_and_masked_average() -> None:
    # Masking marks the steps whose features all equal mask_value; GlobalAveragePooling1D averages the others
    # (a row with none gives NaN in Keras and in ONNX).
    model = keras.Sequential([keras.Input((STEPS, 2), name="x"), L.Masking(mask_value=0.5),
                              L.Dense(3), L.GlobalAveragePooling1D()])
    x = np.random.default_rng(4).uniform(-1, 1, (4, STEPS, 2)).astype(np.float32)
    x[0, :3] = 0.5
    x[1, 2:5] = 0.5
    x[2] = 0.5
    x[3, 1, 0] = 0.5  # one feature alone does not mask the step
    doc = _doc(model, [{"x": x}])
    _check(doc)
    assert np.isnan(doc.tensors[doc.test_vectors[0].outputs[doc.model.outputs[0]]][2]).all()


def test_masking_into_recurrent_layers_of_unknown_length() -> None:
    # The time axis is unknown at export (None): the Scan runs however many steps the input has.
    model = keras.Sequential([keras.Input((None, 2), name="x"), L.Masking(),
                              L.Bidirectional(L.LSTM(3, return_sequences=True)), L.SimpleRNN(2)])
    x = np.random.default_rng(8).uniform(-1, 1, (3, STEPS, 2)).astype(np.float32)
    x[0, 4:] = 0.0
    x[1, :2] = 0.0
    x[2, 3] = 0.0
    doc = _doc(model, [{"x": x}, {"x": x[:, :5].copy()}])
    assert doc.model.inputs[0].shape == [None, None, 2]
    _check(doc)


def test_masking_in_a_functional_model() -> None:
    # A functional model saves the mask the LSTM reads as ops.numpy.Any(ops.numpy.NotEqual(x, mask_value)).
    x = keras.Input((STEPS, 2), name="x")
    y = L.LSTM(3, return_sequences=True)(L.Masking(mask_value=0.5)(x))
    data = np.random.default_rng(9).uniform(-1, 1, (3, STEPS, 2)).astype(np.float32)
    data[0, 1:3] = 0.5
    data[1, 5:] = 0.5
    data[2, 2, 1] = 0.5  # one feature alone does not mask the step
    doc = _doc(keras.Model(x, y), [{"x": data}])
    types = {layer.type for layer in inner_model(doc).layers}
    assert {"ops.numpy.NotEqual", "ops.numpy.Any"} <= types
    _check(doc)


@pytest.mark.parametrize("causal,with_key", [(False, False), (False, True), (True, False)])
def test_multi_head_attention_with_a_mask(causal: bool, with_key: bool) -> None:
    q = keras.Input((5, 6), name="q")
    v = keras.Input((4, 3), name="v")
    m = keras.Input((5, 4), name="m")
    k = keras.Input((4, 2), name="k")
    mha = L.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=2)
    if causal:  # causal self-attention (T == S), without an attention_mask
        inputs, y = [q], mha(q, q, use_causal_mask=True)
    else:
        inputs = [q, v, m, k] if with_key else [q, v, m]
        y = mha(q, v, key=k, attention_mask=m) if with_key else mha(q, v, attention_mask=m)
    rng = np.random.default_rng(5)
    feeds = {"q": rng.uniform(-1, 1, (3, 5, 6)), "v": rng.uniform(-1, 1, (3, 4, 3)),
             "m": rng.integers(0, 2, (3, 5, 4)), "k": rng.uniform(-1, 1, (3, 4, 2))}
    feeds["m"][0, 1] = 0  # a query row with no allowed position
    names = [i.name for i in inputs]
    _check(_doc(keras.Model(inputs, y), [{n: feeds[n].astype(np.float32) for n in names}]))


def test_multi_head_attention_causal_and_mask_without_bias() -> None:
    x = keras.Input((5, 4), name="x")
    m = keras.Input((5, 5), name="m")
    y = L.MultiHeadAttention(num_heads=3, key_dim=2, use_bias=False)(x, x, attention_mask=m, use_causal_mask=True)
    rng = np.random.default_rng(6)
    _check(_doc(keras.Model([x, m], y), [{"x": rng.uniform(-1, 1, (2, 5, 4)).astype(np.float32),
                                          "m": rng.integers(0, 2, (2, 5, 5)).astype(np.float32)}]))


def _attention_model(layer: Any, causal: bool, masked: bool) -> Any:
    tokens = keras.Input((STEPS,), dtype="int32", name="tokens")
    other = keras.Input((STEPS,), dtype="int32", name="other")
    q = L.Embedding(5, 4, mask_zero=masked)(tokens)
    v = L.Embedding(5, 4, mask_zero=masked)(other)
    return keras.Model([tokens, other], layer([q, v], use_causal_mask=causal))


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("layer", ["dot", "dot_scaled", "concat", "concat_scaled", "additive", "additive_plain"])
def test_attention_layers(layer: str, masked: bool, causal: bool) -> None:
    made = {"dot": lambda: L.Attention(), "dot_scaled": lambda: L.Attention(use_scale=True),
            "concat": lambda: L.Attention(score_mode="concat"),
            "concat_scaled": lambda: L.Attention(use_scale=True, score_mode="concat"),
            "additive": lambda: L.AdditiveAttention(), "additive_plain": lambda: L.AdditiveAttention(use_scale=False)}
    inputs = [{"tokens": TOKENS, "other": TOKENS[[1, 2, 3, 4, 0]].copy()}]
    _check(_doc(_attention_model(made[layer](), causal, masked), inputs))


@pytest.mark.parametrize("shape,options", [
    ((6, 8), {"groups": 4}),
    ((6, 8), {"groups": 2, "center": False}),
    ((4, 5, 6), {"groups": 3, "scale": False, "epsilon": 1e-5}),
    ((6, 3, 5), {"groups": 3, "axis": 1}),
    ((3, 4), {"groups": 1, "center": False, "scale": False}),
])
def test_group_normalization(shape: tuple[int, ...], options: dict[str, Any]) -> None:
    x = keras.Input(shape, name="x")
    rng = np.random.default_rng(7)
    _check(_doc(keras.Model(x, L.GroupNormalization(**options)(x)),
                [{"x": rng.uniform(-3, 3, (2, *shape)).astype(np.float32)}]))


def test_a_mask_reaching_multi_head_attention_is_refused_with_a_pointer() -> None:
    # MultiHeadAttention reads its inputs' masks itself, a masked form the profile does not define.
    tokens = keras.Input((STEPS,), dtype="int32", name="tokens")
    h = L.Embedding(5, 4, mask_zero=True, name="embed")(tokens)
    y = L.MultiHeadAttention(num_heads=1, key_dim=2, name="mha")(h, h)
    doc = _doc(keras.Model(tokens, y), _tokens())
    with pytest.raises(modeldoc.ModelDocError) as e:
        to_onnx(doc)
    (finding,) = e.value.findings
    pointer = next(f"/model/layers/0/model/layers/{i}" for i, layer in enumerate(inner_model(doc).layers)
                   if layer.name == "mha")
    assert (finding.code, finding.pointer) == ("ONNX_UNSUPPORTED", pointer)
    assert "mask" in finding.message


@pytest.mark.parametrize("opset", [18, 21, 26])
@pytest.mark.parametrize("name", ["bilstm", "transformer"])
def test_zoo_sequence_models_in_later_opsets(name: str, opset: int) -> None:
    # From opset 18 on ReduceMax/ReduceMean take their axes as an input; the Scan body follows the same opset.
    doc = zoo_doc(name)
    model = to_onnx(doc, opset=opset)
    assert model.opset_import[0].version == opset
    results = check_onnx(doc, model)
    assert results and all(r.ok and r.max_abs_diff <= MEASURED_BOUND for r in results)


def test_a_float64_masked_recurrent_model() -> None:
    # Nothing is narrowed: float64 layers stay float64. onnxruntime has no float64 LSTM or GRU kernel, but the
    # masked form (a Scan of MatMul, Add, Sigmoid, Tanh, Where) runs in float64.
    model = keras.Sequential([keras.Input((STEPS,), dtype="int32", name="tokens"),
                              L.Embedding(5, 3, mask_zero=True, dtype="float64"),
                              L.Bidirectional(L.LSTM(3, return_sequences=True, dtype="float64"), dtype="float64"),
                              L.GRU(2, dtype="float64")])
    doc = _doc(model, _tokens())
    onnx_model = to_onnx(doc)
    assert onnx_model.graph.output[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    results = check_onnx(doc, onnx_model)
    assert results and all(r.ok and r.max_abs_diff <= 1e-12 for r in results)
