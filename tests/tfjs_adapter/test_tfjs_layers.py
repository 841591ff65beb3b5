"""The core profile's newer layers and features in tfjs: masks, Rescaling and keepdims pooling export and agree
in tfjs (Node), and read back into Keras with tfjs' predictions; what tfjs-layers 4.22 lacks or computes
otherwise is refused with the reason, at the right pointer."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import modeldoc
from modeldoc import Document, Graph, Input, Layer, ModelDocError, Node
from modeldoc.tfjs import from_tfjs, to_tfjs
from modeldoc.tfjs._support import REFUSED_LAYERS, REFUSED_OPS
from tests.testutil import inner_model
from tests.tfjs_adapter.tfjs_helpers import ATOL, INTEROP, RTOL, assert_close, node_check, node_env


def _masked_functional(k: Any) -> Any:
    """Embedding(mask_zero): Keras saves the mask each consumer reads as explicit NotEqual nodes; tfjs attaches
    the same mask itself. LSTM (zero_output_for_mask false), TimeDistributed carrying the mask, and a
    Bidirectional GRU returning the last step (Keras then sets zero_output_for_mask false too)."""
    layers = k.layers
    tokens = k.Input((9,), dtype="int32", name="tokens")
    h = layers.Embedding(20, 6, mask_zero=True, name="embed")(tokens)
    h = layers.LSTM(5, return_sequences=True, name="lstm")(h)
    h = layers.TimeDistributed(layers.Dense(4, activation="tanh"), name="per_step")(h)
    h = layers.Dropout(0.5, name="drop")(h)
    h = layers.Bidirectional(layers.GRU(3, reset_after=False), merge_mode="concat", name="bi_gru")(h)
    return k.Model(tokens, layers.Dense(2, activation="softmax", name="probs")(h), name="masked_functional")


def _masked_sequential(k: Any) -> Any:
    """Masking in a Sequential model (no explicit masks saved) feeding a SimpleRNN and an LSTM."""
    layers = k.layers
    return k.Sequential([k.Input((7, 3), name="x"), layers.Masking(0.0, name="masking"),
                         layers.SimpleRNN(4, return_sequences=True, name="rnn"),
                         layers.LSTM(3, name="lstm"), layers.Dense(2, name="head")], name="masked_sequential")


def _image(k: Any) -> Any:
    """Rescaling (a number, and one scale per channel with an offset), global pooling with keepdims, as
    MobileNet uses it (pooling, then a 1x1 convolution on the kept axes), and InceptionResNetV2's
    CustomScaleLayer (a residual x0 + x1 * scale)."""
    from keras.src.applications.inception_resnet_v2 import CustomScaleLayer

    layers = k.layers
    image = k.Input((6, 6, 3), name="image")
    h = layers.Rescaling(1 / 255.0, name="to_unit")(image)
    h = layers.Rescaling([0.5, 2.0, -1.0], offset=0.25, name="per_channel")(h)
    h = layers.Conv2D(4, 3, activation="relu", name="conv")(h)
    h = layers.BatchNormalization(name="bn")(h)
    h = CustomScaleLayer(0.17, name="residual")([h, layers.Conv2D(4, 1, name="branch")(h)])
    pooled = layers.GlobalAveragePooling2D(keepdims=True, name="gap")(layers.ReLU(name="relu")(h))
    y = layers.Flatten(name="flat")(layers.Conv2D(2, 1, name="head")(layers.Dropout(0.1, name="drop")(pooled)))
    seq = layers.Conv1D(3, 2, name="conv1d")(layers.Reshape((36, 3), name="rows")(image))
    z = layers.Flatten(name="flat1d")(layers.GlobalMaxPooling1D(keepdims=True, name="gmp1d")(seq))
    return k.Model(image, [y, z], name="image")


def _inputs(name: str) -> list[dict[str, np.ndarray]]:
    """Test inputs whose masked steps fall at the start, the middle and the end of rows."""
    rng = np.random.default_rng(7)
    if name == "masked_functional":
        ids = rng.integers(1, 20, (3, 9)).astype("int32")
        ids[0, :2] = 0
        ids[1, 3:5] = 0
        ids[2, 6:] = 0
        return [{"tokens": ids}]
    if name == "masked_sequential":
        x = rng.standard_normal((3, 7, 3)).astype("float32")
        x[0, :2] = 0.0
        x[1, 3] = 0.0
        x[2, 5:] = 0.0
        return [{"x": x}]
    return [{"image": rng.uniform(0, 255, (2, 6, 6, 3)).astype("float32")}]


def _documents() -> dict[str, Document]:
    import keras

    from modeldoc.keras import from_keras
    from modeldoc.keras.zoo import seed_weights

    docs = {}
    for seed, build in enumerate((_masked_functional, _masked_sequential, _image)):
        model = seed_weights(build(keras), seed + 20)
        docs[model.name] = from_keras(model, test_inputs=_inputs(model.name))
    return docs


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Document], str]:
    folder = tmp_path_factory.mktemp("tfjs-layers")
    docs = _documents()
    for name, doc in docs.items():
        to_tfjs(doc, folder / name)
        modeldoc.save(doc, folder / name / "doc.json")
    r = node_check(folder)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    return folder, docs, r.stdout


def test_new_mappings_load_in_tfjs_and_reproduce_the_keras_test_vectors(
        exported: tuple[Path, dict[str, Document], str]) -> None:
    folder, docs, stdout = exported
    m = re.search(r"MODELDOC_TFJS_CHECKED models=(\d+) vectors=(\d+) max_abs_diff=([0-9.eE+-]+)", stdout)
    assert m, stdout[-2000:]
    assert (int(m.group(1)), int(m.group(2))) == (3, sum(len(d.test_vectors) for d in docs.values()))
    assert float(m.group(3)) <= ATOL + RTOL


def test_masks_tfjs_attaches_itself_leave_no_mask_nodes(exported: tuple[Path, dict[str, Document], str]) -> None:
    folder, docs, _ = exported
    kinds = {layer.type for layer in inner_model(docs["masked_functional"]).layers}
    assert "ops.numpy.NotEqual" in kinds  # Keras wrote the masks out ...
    topology = json.loads((folder / "masked_functional" / "model.json").read_text())["modelTopology"]
    classes = [entry["class_name"] for entry in topology["config"]["layers"]]
    assert not any(c.startswith("ops.") for c in classes)  # ... and tfjs computes them itself
    for entry in topology["config"]["layers"]:
        for node in entry["inbound_nodes"]:
            assert all(item[3] == {} for item in node)
    ids = _inputs("masked_functional")[0]["tokens"]
    assert (ids == 0).any() and (ids[:, 1:-1] == 0).any()  # masked steps occur, inside rows too


def test_custom_scale_becomes_rescaling_then_add(exported: tuple[Path, dict[str, Document], str]) -> None:
    folder, _, _ = exported
    layers = json.loads((folder / "image" / "model.json").read_text())["modelTopology"]["config"]["layers"]
    by_name = {entry["name"]: entry for entry in layers}
    assert by_name["residual_scale"]["class_name"] == "Rescaling"
    assert by_name["residual_scale"]["config"]["scale"] == 0.17
    assert by_name["residual_scale"]["inbound_nodes"] == [[["branch", 0, 0, {}]]]
    assert by_name["residual"]["class_name"] == "Add"
    assert by_name["residual"]["inbound_nodes"] == [[["bn", 0, 0, {}], ["residual_scale", 0, 0, {}]]]


def test_custom_scale_without_a_number_is_refused() -> None:
    doc = _doc([Layer("it", "CustomScaleLayer", {"scale": "big"}, [])], [Node("it", ["x", "x"], ["y"])])
    found = _refusals(doc)
    assert [(c, p) for c, p, _ in found] == [("TFJS_UNSUPPORTED", "/model/layers/0/config/scale")]


def test_keepdims_pooling_becomes_pooling_then_reshape(exported: tuple[Path, dict[str, Document], str]) -> None:
    folder, _, _ = exported
    layers = json.loads((folder / "image" / "model.json").read_text())["modelTopology"]["config"]["layers"]
    by_name = {entry["name"]: entry for entry in layers}
    assert "keepdims" not in by_name["gap"]["config"]
    assert by_name["gap_keepdims"]["class_name"] == "Reshape"
    assert by_name["gap_keepdims"]["config"]["target_shape"] == [1, 1, 4]  # the channels of conv, through bn, relu
    assert by_name["gmp1d_keepdims"]["config"]["target_shape"] == [1, 3]
    assert by_name["drop"]["inbound_nodes"] == [[["gap_keepdims", 0, 0, {}]]]


def _tfjs_predictions(model_json: Path, inputs: list[np.ndarray], tmp: Path) -> list[np.ndarray]:
    (tmp / "in.json").write_text(json.dumps({"inputs": [
        {"shape": list(x.shape), "data": x.ravel().tolist(), "dtype": str(x.dtype)} for x in inputs]}))
    r = subprocess.run(["node", str(INTEROP / "reference.mjs"), str(model_json), str(tmp / "in.json"),
                        str(tmp / "out.json")], capture_output=True, text=True, env=node_env(), timeout=600)
    assert r.returncode == 0, r.stderr
    return [np.array(o["data"], np.float64).reshape(o["shape"])
            for o in json.loads((tmp / "out.json").read_text())["outputs"]]


def test_exports_read_back_into_keras_compute_what_tfjs_computes(
        exported: tuple[Path, dict[str, Document], str], tmp_path: Path) -> None:
    from modeldoc.keras import to_keras

    folder, docs, _ = exported
    for name, doc in docs.items():
        back = from_tfjs(folder / name / "model.json")
        assert modeldoc.validate(modeldoc.dumps(back)).ok
        vector = doc.test_vectors[0]
        inputs = [doc.tensors[vector.inputs[i.name]] for i in doc.model.inputs]
        want = _tfjs_predictions(folder / name / "model.json", inputs, tmp_path)
        model = to_keras(back)
        got = model(inputs, training=False)
        assert_close([np.asarray(g) for g in (got if isinstance(got, (list, tuple)) else [got])], want, name)
        # and to-tfjs of what was read gives back every weight byte for byte
        to_tfjs(back, tmp_path / name)
        assert _weight_bytes(tmp_path / name) == _weight_bytes(folder / name)


def _weight_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.glob("group1-shard*.bin")))


# --- refusals ------------------------------------------------------------------------------------------

def _doc(layers: list[Layer], nodes: list[Node], tensors: dict[str, np.ndarray] | None = None,
         shape: list[int | None] | None = None) -> Document:
    g = Graph(layers=layers, inputs=[Input("x", "float32", shape or [None, 5, 4])], nodes=nodes,
              outputs=[nodes[-1].outputs[0]])
    return Document(g, tensors or {})


def _refusals(doc: Document) -> list[tuple[str, str, str]]:
    with pytest.raises(ModelDocError) as e:
        to_tfjs(doc, "/nonexistent/never-written")
    return [(f.code, f.pointer, f.message) for f in e.value.findings]


@pytest.mark.parametrize("kind", ["GroupNormalization", "Normalization", "Attention", "AdditiveAttention",
                                  "MultiHeadAttention", "CenterCrop", "Resizing", "LayerScale",
                                  "ops.numpy.Add", "ops.nn.Gelu", "ops.numpy.Mean"])
def test_layers_tfjs_lacks_are_refused_with_the_measured_reason(kind: str) -> None:
    doc = _doc([Layer("dense", "Dense", {"units": 4, "use_bias": False}, ["dense/kernel"]), Layer("it", kind, {}, [])],
               [Node("dense", ["x"], ["h"]), Node("it", ["h"], ["y"])],
               {"dense/kernel": np.ones((4, 4), "float32")})
    found = _refusals(doc)
    assert [(c, p) for c, p, _ in found] == [("TFJS_UNSUPPORTED", "/model/layers/1/type")]
    reason = REFUSED_OPS if kind.startswith("ops.") else REFUSED_LAYERS[kind]
    assert reason in found[0][2] and kind in found[0][2]


def _lstm(name: str, units: int, features: int, **config: Any) -> tuple[Layer, dict[str, np.ndarray]]:
    rng = np.random.default_rng(1)
    tensors = {f"{name}/kernel": rng.standard_normal((features, 4 * units)).astype("float32"),
               f"{name}/recurrent_kernel": rng.standard_normal((units, 4 * units)).astype("float32"),
               f"{name}/bias": np.zeros(4 * units, "float32")}
    return Layer(name, "LSTM", {"units": units, **config}, list(tensors)), tensors


def test_masked_steps_that_keras_zeroes_are_refused() -> None:
    lstm, tensors = _lstm("lstm", 3, 4, return_sequences=True, zero_output_for_mask=True)
    doc = _doc([Layer("masking", "Masking", {"mask_value": 0.0}, []), lstm],
               [Node("masking", ["x"], ["m"]), Node("lstm", ["m"], ["y"])], tensors)
    found = _refusals(doc)
    assert [(c, p) for c, p, _ in found] == [("TFJS_UNSUPPORTED", "/model/layers/1")]
    assert "zero_output_for_mask" in found[0][2] and "repeats the previous state" in found[0][2]
    # without a mask the same layer is fine
    assert _no_refusal(_doc([lstm], [Node("lstm", ["x"], ["y"])], tensors))


def _no_refusal(doc: Document) -> bool:
    from modeldoc.tfjs._topology_out import build_topology

    return build_topology(doc)[2] == []


def test_masked_bidirectional_returning_sequences_is_refused() -> None:
    import keras

    from modeldoc.keras import from_keras

    k = keras
    tokens = k.Input((5,), dtype="int32", name="tokens")
    h = k.layers.Embedding(9, 4, mask_zero=True, name="embed")(tokens)
    y = k.layers.Bidirectional(k.layers.LSTM(3, return_sequences=True), name="bi")(h)
    doc = from_keras(k.Model(tokens, y))
    found = _refusals(doc)
    assert [(c, p) for c, p, _ in found] == [("TFJS_UNSUPPORTED", "/model/layers/0/model/layers/2")]
    assert "Bidirectional sets zero_output_for_mask with return_sequences" in found[0][2]


def test_mask_that_tfjs_ignores_or_passes_otherwise_is_refused() -> None:
    # GlobalAveragePooling1D: Keras averages the unmasked steps, tfjs all of them
    doc = _doc([Layer("masking", "Masking", {}, []), Layer("pool", "GlobalAveragePooling1D", {}, [])],
               [Node("masking", ["x"], ["m"]), Node("pool", ["m"], ["y"])])
    found = _refusals(doc)
    assert [(c, p) for c, p, _ in found] == [("TFJS_UNSUPPORTED", "/model/layers/1")]
    assert "tfjs-layers 4.22 ignores the mask" in found[0][2]
    # Softmax: tfjs adds the (batch, time) mask to the scores and throws when it predicts
    doc = _doc([Layer("masking", "Masking", {}, []), Layer("soft", "Softmax", {}, [])],
               [Node("masking", ["x"], ["m"]), Node("soft", ["m"], ["y"])])
    found = _refusals(doc)
    assert [(c, p) for c, p, _ in found] == [("TFJS_UNSUPPORTED", "/model/layers/1")]
    assert "throws when it predicts" in found[0][2]
    # a merge of masked values: Keras ORs the masks, tfjs passes on the first one, so the LSTM would differ
    lstm, tensors = _lstm("lstm", 2, 4)
    doc = _doc([Layer("masking", "Masking", {}, []), Layer("add", "Add", {}, []), lstm],
               [Node("masking", ["x"], ["m"]), Node("add", ["m", "m"], ["s"], arguments={
                   "args": [[{"$input": 0}, {"$input": 1}]]}), Node("lstm", ["s"], ["y"])], tensors)
    found = _refusals(doc)
    assert [(c, p) for c, p, _ in found] == [("TFJS_UNSUPPORTED", "/model/layers/2")]
    assert "tfjs merge layer" in found[0][2] and "OR" in found[0][2]
    # ELU carries a mask in Keras; tfjs' ELU drops it, so the LSTM after it would run unmasked
    doc = _doc([Layer("masking", "Masking", {}, []), Layer("elu", "ELU", {}, []), lstm],
               [Node("masking", ["x"], ["m"]), Node("elu", ["m"], ["e"]), Node("lstm", ["e"], ["y"])], tensors)
    found = _refusals(doc)
    assert [(c, p) for c, p, _ in found] == [("TFJS_UNSUPPORTED", "/model/layers/2")]
    assert "with no mask, Keras with the mask Masking(0)" in found[0][2]


def test_explicit_mask_tfjs_cannot_compute_is_refused() -> None:
    """A mask given as a model input is not one tfjs attaches: refused, never dropped."""
    lstm, tensors = _lstm("lstm", 2, 4)
    g = Graph(layers=[lstm], inputs=[Input("x", "float32", [None, 5, 4]), Input("keep", "bool", [None, 5])],
              nodes=[Node("lstm", ["x", "keep"], ["y"], arguments={"args": [{"$input": 0}],
                                                                  "kwargs": {"mask": {"$input": 1}}})],
              outputs=["y"])
    found = _refusals(Document(g, tensors))
    assert [(c, p) for c, p, _ in found] == [("TFJS_UNSUPPORTED", "/model/layers/0")]
    assert "with no mask, Keras with the mask keep" in found[0][2]


def test_keepdims_without_a_known_channel_count_is_refused() -> None:
    doc = _doc([Layer("pool", "GlobalAveragePooling2D", {"keepdims": True}, [])], [Node("pool", ["x"], ["y"])],
               shape=[None, 4, 4, None])
    found = _refusals(doc)
    assert [(c, p) for c, p, _ in found] == [("TFJS_UNSUPPORTED", "/model/layers/0/config/keepdims")]
    assert "ignores keepdims" in found[0][2]
    # with the channels known it exports: the pooling, then a Reshape
    doc.model.inputs[0].shape = [None, 4, 4, 3]
    assert _no_refusal(doc)


def test_keepdims_inside_time_distributed_stays_refused() -> None:
    doc = _doc([Layer("td", "TimeDistributed", {"layer": {"class_name": "GlobalAveragePooling1D",
                                                          "config": {"keepdims": True}}}, [])],
               [Node("td", ["x"], ["y"])], shape=[None, 3, 5, 4])
    found = _refusals(doc)
    assert ("TFJS_UNSUPPORTED", "/model/layers/0/config/layer/config/keepdims") in [(c, p) for c, p, _ in found]


@pytest.mark.parametrize("layer, pointer, words", [
    (Layer("it", "Activation", {"activation": "hard_silu"}, []), "/model/layers/1/config/activation",
     "no identical tfjs activation"),
    (Layer("it", "Conv1D", {"filters": 4, "kernel_size": 1, "groups": 2, "use_bias": False}, ["it/kernel"]),
     "/model/layers/1/config/groups", "implements only 1"),
])
def test_activation_and_grouped_convolution_tfjs_lacks_are_refused(layer: Layer, pointer: str, words: str) -> None:
    doc = _doc([Layer("dense", "Dense", {"units": 4, "use_bias": False}, ["dense/kernel"]), layer],
               [Node("dense", ["x"], ["h"]), Node("it", ["h"], ["y"])],
               {"dense/kernel": np.ones((4, 4), "float32"), "it/kernel": np.ones((1, 2, 4), "float32")})
    found = _refusals(doc)
    assert [(c, p) for c, p, _ in found] == [("TFJS_UNSUPPORTED", pointer)]
    assert words in found[0][2]


@pytest.mark.parametrize("kind", ["CenterCrop", "Resizing", "MultiHeadAttention"])
def test_tfjs_files_with_layers_tfjs_cannot_run_are_refused_with_the_reason(kind: str, tmp_path: Path) -> None:
    doc = _doc([Layer("act", "Activation", {"activation": "relu"}, [])], [Node("act", ["x"], ["y"])])
    to_tfjs(doc, tmp_path / "m")
    path = tmp_path / "m" / "model.json"
    model = json.loads(path.read_text())
    model["modelTopology"]["config"]["layers"][1]["class_name"] = kind
    path.write_text(json.dumps(model))
    with pytest.raises(ModelDocError) as e:
        from_tfjs(path)
    assert (e.value.code, e.value.pointer) == ("TFJS_UNSUPPORTED", "/modelTopology/config/layers/1/class_name")
    assert REFUSED_LAYERS[kind] in str(e.value)


@pytest.mark.parametrize("arguments", [{"args": [[{"$input": 0}], {"$input": 1}]}, {"args": [{"$input": 3}]},
                                       {"args": [{"$input": 0}], "kwargs": {"mask": {"$input": 5}}}])
def test_arguments_naming_inputs_the_node_lacks_are_refused_not_a_traceback(arguments: dict[str, Any]) -> None:
    lstm, tensors = _lstm("lstm", 2, 4)
    doc = _doc([lstm], [Node("lstm", ["x"], ["y"], arguments=arguments)], tensors)
    found = _refusals(doc)
    assert [(c, p) for c, p, _ in found] == [("TFJS_UNSUPPORTED", "/model/layers/0")]
