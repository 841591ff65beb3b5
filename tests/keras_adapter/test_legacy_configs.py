"""Keras 2 config forms rewritten into Keras 3's (keras/_legacy.py), recipes without an input shape
(keras/_infer.py), keras.applications' unregistered classes, and --custom-object.

The genuine Keras 2 files written by tf_keras are tested in test_keras2_files.py; these tests pin
each rule on a config written by hand in the legacy form, and the recipes Keras 3 users write.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from tests.keras_adapter.keras_helpers import QUIET, keras, perturb, rand
from tests.testutil import inner_model

pytestmark = QUIET

import modeldoc
import modeldoc.keras as mk
from modeldoc.errors import ModelDocError
from modeldoc.keras._allowlist import Resolver
from modeldoc.keras._files import model_from_config
from modeldoc.keras._legacy import modernize
from modeldoc.keras._upgrade import upgrade

L = keras.layers


def dense(name: str, units: int, **extra: Any) -> dict[str, Any]:
    return {"class_name": "Dense", "config": {"name": name, "units": units, "activation": "linear", **extra}}


def build(config: dict[str, Any]) -> Any:
    return model_from_config(config, Resolver(), "test")


# --- the rules, one by one -----------------------------------------------------------------


def test_oldest_sequential_form_with_batch_input_shape() -> None:
    config = {"class_name": "Sequential", "config": [dense("d1", 4, batch_input_shape=[None, 3]), dense("d2", 2)]}
    out = modernize(config)
    first = out["config"]["layers"][0]
    assert first["class_name"] == "InputLayer" and first["config"]["batch_shape"] == [None, 3]
    assert first["config"]["name"] == "d1_input"  # the name Keras 2 gave it
    assert "batch_input_shape" not in out["config"]["layers"][1]["config"]
    assert build(config).input_shape == (None, 3)


@pytest.mark.parametrize("member,value,shape", [("input_dim", 5, (None, 5)), ("input_shape", [7], (None, 7))])
def test_input_dim_and_input_shape_on_the_first_layer(member: str, value: Any, shape: tuple[Any, ...]) -> None:
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [dense("d", 2, **{member: value})]}}
    assert build(config).input_shape == shape


def test_time_major_false_is_dropped_true_is_refused() -> None:
    def lstm(time_major: bool) -> dict[str, Any]:
        return {"class_name": "Sequential", "config": {"name": "s", "layers": [
            {"class_name": "LSTM", "config": {"name": "l", "units": 2, "time_major": time_major, "implementation": 2,
                                              "batch_input_shape": [None, 5, 3]}}]}}

    assert "time_major" not in modernize(lstm(False))["config"]["layers"][1]["config"]
    with pytest.raises(ModelDocError) as e:
        modernize(lstm(True))
    assert e.value.code == "KERAS_UNSUPPORTED" and e.value.pointer == "/config/layers/0/config/time_major"


def test_axis_list_initializer_names_and_dtypes() -> None:
    bn = {"class_name": "BatchNormalization", "config": {
        "name": "bn", "axis": [1], "batch_input_shape": [None, 4],
        "gamma_initializer": {"class_name": "OnesInitializer", "config": {"dtype": "float32"}}}}
    d = dense("d", 2, kernel_initializer={"class_name": "OrthogonalInitializer", "config": {"gain": 1.0, "seed": None,
                                                                                             "dtype": "float32"}})
    out = modernize({"class_name": "Sequential", "config": {"name": "s", "layers": [bn, d]}})
    layers = out["config"]["layers"]
    assert layers[1]["config"]["axis"] == 1
    assert layers[1]["config"]["gamma_initializer"] == {"class_name": "Ones", "config": {},
                                                        "module": "keras.initializers"}
    assert layers[2]["config"]["kernel_initializer"]["class_name"] == "Orthogonal"
    build({"class_name": "Sequential", "config": {"name": "s", "layers": [bn, d]}})


def test_keras2_hard_sigmoid_is_keras2s_formula() -> None:
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "Activation", "config": {"name": "a", "activation": "hard_sigmoid",
                                                "batch_input_shape": [None, 5]}}]}}
    model = build(config)
    x = np.array([[-3.0, -1.0, 0.0, 1.2, 4.0]], np.float32)
    want = np.clip(x * np.float32(0.2) + np.float32(0.5), 0, 1)  # Keras 2; Keras 3's would give 1/3 at -1
    np.testing.assert_array_equal(np.asarray(model(x)), want)
    doc = mk.from_keras(model)  # the document names ModelDoc's registered function, and reads back
    np.testing.assert_array_equal(np.asarray(mk.to_keras(modeldoc.loads(modeldoc.dumps(doc)))(x)), want)


def test_layer_object_as_activation() -> None:
    leaky = {"class_name": "LeakyReLU", "config": {"name": "lr", "alpha": 0.1}}
    model = build({"class_name": "Sequential", "config": {"name": "s", "layers": [
        dense("d", 3, activation=leaky, batch_input_shape=[None, 2], use_bias=False)]}})
    model.get_layer("d").kernel.assign(np.eye(2, 3, dtype=np.float32))
    np.testing.assert_allclose(np.asarray(model(np.array([[-1.0, 2.0]], np.float32))), [[-0.1, 2.0, 0.0]])


def _functional(layers: list[dict[str, Any]], inputs: Any, outputs: Any) -> dict[str, Any]:
    return {"class_name": "Model", "config": {"name": "m", "layers": layers, "input_layers": inputs,
                                              "output_layers": outputs}}


def _input(name: str, shape: list[Any]) -> dict[str, Any]:
    return {"class_name": "InputLayer", "name": name, "inbound_nodes": [],
            "config": {"name": name, "batch_input_shape": shape, "dtype": "float32", "sparse": False}}


def test_tf_op_lambda_layers_become_keras_operations() -> None:
    def op(name: str, function: str, node: Any, cls: str = "TFOpLambda") -> dict[str, Any]:
        return {"class_name": cls, "name": name, "inbound_nodes": [node],
                "config": {"name": name, "trainable": True, "dtype": "float32", "function": function}}

    layers = [
        _input("x", [None, 4]), _input("y", [None, 4]),
        op("mul", "math.multiply", ["x", 0, 0, {"y": 0.5, "name": None}]),
        op("add", "__operators__.add", ["mul", 0, 0, {"y": ["y", 0, 0], "name": None}]),
        op("cat", "concat", [["add", 0, 0, {"axis": -1}], ["x", 0, 0, {"axis": -1}]]),
        op("mean", "math.reduce_mean", ["cat", 0, 0, {"axis": 1, "keepdims": True}]),
        op("sl", "__operators__.getitem", ["cat", 0, 0, {"slice_spec": [
            {"start": None, "stop": None, "step": None}, {"start": 1, "stop": 3, "step": None}]}], "SlicingOpLambda"),
    ]
    model = build(_functional(layers, [["x", 0, 0], ["y", 0, 0]], [["mean", 0, 0], ["sl", 0, 0]]))
    x, y = rand(2, 4), rand(2, 4, seed=1)
    mean, sl = (np.asarray(t) for t in model([x, y]))
    cat = np.concatenate([x * np.float32(0.5) + y, x], -1)
    np.testing.assert_allclose(mean, cat.mean(1, keepdims=True), rtol=1e-6)
    np.testing.assert_array_equal(sl, cat[:, 1:3])


def test_unknown_tf_function_is_refused_with_its_place() -> None:
    layers = [_input("x", [None, 4]), {"class_name": "TFOpLambda", "name": "f", "inbound_nodes": [["x", 0, 0, {}]],
                                       "config": {"name": "f", "function": "linalg.svd"}}]
    with pytest.raises(ModelDocError) as e:
        modernize(_functional(layers, [["x", 0, 0]], [["f", 0, 0]]))
    assert e.value.code == "KERAS_UNSUPPORTED" and e.value.pointer == "/config/layers/1/config/function"


def test_nested_sequential_node_indices_follow_keras2() -> None:
    # tf.keras counts a nested Sequential's calls from 1 when it has its own input; Keras 3 from 0.
    inner = {"class_name": "Sequential", "name": "inner", "config": {"name": "inner", "layers": [
        dense("d", 2, batch_input_shape=[None, 3])]}, "inbound_nodes": [[["x", 0, 0, {}]]]}
    head = {**dense("h", 1), "name": "h", "inbound_nodes": [[["inner", 1, 0, {}]]]}
    model = build(_functional([_input("x", [None, 3]), inner, head], [["x", 0, 0]], [["h", 0, 0]]))
    assert model.output_shape == (None, 1)


def test_keras3_configs_pass_unchanged() -> None:
    m = keras.Sequential([keras.Input((3,)), L.Dense(2, activation="relu")])
    config = keras.saving.serialize_keras_object(m)
    config = json.loads(json.dumps(config))
    out = modernize(config)
    assert out["config"] == config["config"]


# --- recipes without an input shape (Keras 3 get_config) ------------------------------------------


def _recipe(model: Any, form: str) -> bytes:
    cfg = [{"name": x.name, "class": x.__class__.__name__, "config": x.get_config()} for x in model.layers]
    if form == "map":
        weights: Any = {f"layer_{i}_weight_{j}": w.tolist() for i, x in enumerate(model.layers)
                        for j, w in enumerate(x.get_weights())}
    else:
        weights = [w.tolist() for w in model.get_weights()]
    return json.dumps({"model_config": cfg, "weights": weights}).encode()


# name -> (the Keras model, built when called; the input shape upgrade must read off the weights)
RECIPES: dict[str, tuple[Callable[[], Any], list[int | None]]] = {
    "mlp": (lambda: keras.Sequential([keras.Input((7,)), L.Dense(5, activation="relu"), L.Dense(3)]), [None, 7]),
    "cnn_gap": (lambda: keras.Sequential([keras.Input((9, 9, 3)), L.Conv2D(4, 3), L.GlobalAveragePooling2D(),
                                          L.Dense(2)]), [None, None, None, 3]),
    "conv1d_flatten": (lambda: keras.Sequential([keras.Input((20, 2)), L.Conv1D(3, 3), L.Flatten(), L.Dense(2)]),
                       [None, 20, 2]),
    "embedding_lstm": (lambda: keras.Sequential([keras.Input((6,), dtype="int32"), L.Embedding(20, 4), L.LSTM(3),
                                                 L.Dense(1)]), [None, None]),
    "flatten_first": (lambda: keras.Sequential([keras.Input((4, 5)), L.Flatten(), L.Dense(3)]), [None, 20]),
}


@pytest.mark.parametrize("form", ["map", "list"])
@pytest.mark.parametrize("name", sorted(RECIPES))
def test_recipe_input_shape_read_off_the_weights(name: str, form: str) -> None:
    build_model, want_shape = RECIPES[name]
    model = build_model()
    perturb(model)
    doc = upgrade(_recipe(model, form))
    (inp,) = doc.model.layers[0].model.inputs if doc.model.layers[0].model else doc.model.inputs
    assert inp.shape == want_shape
    dtype = np.int32 if inp.dtype == "int32" else np.float32
    concrete = [2] + [d if d is not None else 6 for d in model.input_shape[1:]]
    x = (np.random.default_rng(0).integers(0, 20, concrete) if dtype is np.int32 else rand(*concrete)).astype(dtype)
    x = x.reshape([2, *[d or 6 for d in want_shape[1:]]]) if name == "flatten_first" else x
    np.testing.assert_array_equal(np.asarray(mk.to_keras(doc)(x)), np.asarray(model(x.reshape(concrete))))


def test_recipe_whose_weights_do_not_decide_asks_with_shapes_that_fit(tmp_path: Path) -> None:
    model = keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(4, 3), L.MaxPooling2D(), L.Flatten(), L.Dense(3)])
    perturb(model)
    data = _recipe(model, "map")
    with pytest.raises(ModelDocError) as e:
        upgrade(data)
    assert e.value.code == "KERAS_INVALID_INPUT" and "--input-shape" in e.value.findings[0].message
    examples = e.value.findings[0].message.split("for example ")[1].split(")")[0].split(" or ")
    assert "None,28,28,1" in examples and len(examples) >= 2  # 28 and 29 both pool to 13
    for text in examples:  # every shape offered as an example fits the file
        shape = [None if d == "None" else int(d) for d in text.split(",")]
        upgrade(data, input_shape=shape)


def test_recipe_starting_with_batch_normalization_asks() -> None:
    model = keras.Sequential([keras.Input((6,)), L.BatchNormalization(), L.Dense(2)])
    with pytest.raises(ModelDocError) as e:
        upgrade(_recipe(model, "list"))
    assert "BatchNormalization" in e.value.findings[0].message


# --- classes of keras.applications and custom objects --------------------------------------------


def test_application_layers_round_trip_bit_exact() -> None:
    from keras.src.applications.convnext import LayerScale
    from keras.src.applications.inception_resnet_v2 import CustomScaleLayer

    x_in = keras.Input((5,))
    y = LayerScale(0.5, 5, name="scale")(x_in)
    y = CustomScaleLayer(0.17, name="custom")([y, y])
    model = keras.Model(x_in, y)
    perturb(model)
    doc = mk.from_keras(model)
    assert {layer.type for layer in inner_model(doc).layers} == {"LayerScale", "CustomScaleLayer"}
    x = rand(2, 5)
    np.testing.assert_array_equal(np.asarray(mk.to_keras(doc)(x)), np.asarray(model(x)))


def test_custom_object_option_imports_only_the_named_module(tmp_path: Path) -> None:
    (tmp_path / "my_layers.py").write_text(
        "import keras\n"
        "class Scale(keras.layers.Layer):\n"
        "    def __init__(self, factor=2.0, **kw):\n"
        "        super().__init__(**kw); self.factor = factor\n"
        "    def call(self, x): return x * self.factor\n"
        "    def get_config(self): return {**super().get_config(), 'factor': self.factor}\n")
    script = ("import sys; sys.path.insert(0, '.'); import keras, my_layers\n"
              "m = keras.Sequential([keras.Input((3,)), my_layers.Scale(3.0, name='s')]); m.save('m.keras')\n")
    env = {"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", script], cwd=tmp_path, check=True, env=env, capture_output=True)
    cmd = [sys.executable, "-m", "modeldoc", "from-keras", "m.keras", "m.json"]
    refused = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert refused.returncode == 1 and "KERAS_UNKNOWN_CLASS" in refused.stderr and "Traceback" not in refused.stderr
    ok = subprocess.run([*cmd, "--custom-object", "my_layers:Scale"], cwd=tmp_path, env=env, capture_output=True,
                        text=True)
    assert ok.returncode == 0, ok.stderr
    assert inner_model(modeldoc.load(tmp_path / "m.json")).layers[0].config["factor"] == 3.0
    bad = subprocess.run([*cmd, "--force", "--custom-object", "my_layers"], cwd=tmp_path, env=env, capture_output=True,
                         text=True)
    assert bad.returncode == 2 and "MODULE:CLASS" in bad.stderr
