"""The model.json forms real writers emit (tfjs' browser save, Teachable Machine, ml5, the Python converter
on Keras 2, tf.keras and Keras 3), each reproduced here by editing a model tfjs built: from-tfjs reads
every form tfjs-layers 4.22 loads as tfjs computes it, and refuses, in one line and exit 1, what tfjs
cannot load or computes otherwise than the file says. tfjs' own predictions (interop/tfjs/reference.mjs)
are the reference for both."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

import modeldoc
from modeldoc.tfjs import from_tfjs
from tests.tfjs_adapter.tfjs_helpers import INTEROP, assert_close, io_inputs, keras_predict, node_env

Edit = Callable[[dict[str, Any], Path], None]
POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}


def _layers(m: dict[str, Any]) -> list[dict[str, Any]]:
    top = m["modelTopology"].get("model_config", m["modelTopology"])
    layers: list[dict[str, Any]] = top["config"]["layers"]
    return layers


def _set(index: int, **members: Any) -> Edit:
    def edit(m: dict[str, Any], folder: Path) -> None:
        _layers(m)[index]["config"].update(members)
    return edit


def _all(**members: Any) -> Edit:
    def edit(m: dict[str, Any], folder: Path) -> None:
        for entry in _layers(m):
            entry["config"].update(members)
    return edit


def _both(*edits: Edit) -> Edit:
    def edit(m: dict[str, Any], folder: Path) -> None:
        for e in edits:
            e(m, folder)
    return edit


def _dot_slash(m: dict[str, Any], folder: Path) -> None:
    m["weightsManifest"][0]["paths"] = ["./weights.bin"]


def _subfolder(m: dict[str, Any], folder: Path) -> None:
    (folder / "w").mkdir()
    (folder / "weights.bin").rename(folder / "w" / "weights.bin")
    m["weightsManifest"][0]["paths"] = ["./w/weights.bin"]


def _converter_wrapper(m: dict[str, Any], folder: Path) -> None:
    """The Python converter's layout: model_config beside keras_version, backend and training_config."""
    m["modelTopology"] = {"keras_version": "2.12.0", "backend": "tensorflow", "model_config": m["modelTopology"],
                          "training_config": {"loss": "categorical_crossentropy", "metrics": ["accuracy"]}}


def _input_shape_only(m: dict[str, Any], folder: Path) -> None:
    cfg = _layers(m)[0]["config"]
    cfg["input_shape"] = cfg.pop("batch_input_shape")[1:]


def _input_dim_only(m: dict[str, Any], folder: Path) -> None:
    cfg = _layers(m)[0]["config"]
    cfg["input_dim"] = cfg.pop("batch_input_shape")[1]


def _keras3_initializers(m: dict[str, Any], folder: Path) -> None:
    for entry in _layers(m):
        for key, value in entry["config"].items():
            if key.endswith("_initializer") and isinstance(value, dict):
                value.update(module="keras.initializers", registered_name=None)


def _string_initializers(m: dict[str, Any], folder: Path) -> None:
    for entry in _layers(m):
        if "kernel_initializer" in entry["config"]:
            entry["config"].update(kernel_initializer="glorot_uniform", bias_initializer="zeros")


def _input_batch_shape(m: dict[str, Any], folder: Path) -> None:
    cfg = _layers(m)[0]["config"]
    cfg["batch_shape"] = cfg.pop("batch_input_shape")


def _entry(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda m: next(e for e in _layers(m) if e["config"]["name"] == name)


def _rename_weights(rename: Callable[[str], str]) -> Edit:
    def edit(m: dict[str, Any], folder: Path) -> None:
        for w in m["weightsManifest"][0]["weights"]:
            w["name"] = rename(w["name"])
    return edit


def _cell_names(name: str) -> str:
    """The Python converter on a TF 2.2+ model: bidirectional/forward_lstm/lstm_cell_1/kernel."""
    parts = name.split("/")
    return "/".join([*parts[:-1], f"{parts[1].split('_', 1)[1]}_cell_1", parts[-1]]) if len(parts) == 3 else name


def _inner_config(layer: str, **members: Any) -> Edit:
    def edit(m: dict[str, Any], folder: Path) -> None:
        _entry(layer)(m)["config"]["layer"]["config"].update(members)
    return edit


def _backward_layer(layer: str, **changes: Any) -> Edit:
    """tf.keras 2 writes backward_layer when one was given; tfjs ignores it and reverses the forward layer."""
    def edit(m: dict[str, Any], folder: Path) -> None:
        entry = _entry(layer)(m)["config"]
        inner = json.loads(json.dumps(entry["layer"]))
        inner["config"].update(name=f"backward_{inner['config']['name']}", go_backwards=True, **changes)
        entry["backward_layer"] = inner
    return edit


def _gru_reset_after(value: bool) -> Edit:
    def edit(m: dict[str, Any], folder: Path) -> None:
        for e in _layers(m):
            if e["class_name"] == "GRU":
                e["config"].update(reset_after=value)
    return edit


def _dtype(dtype: str, *layers: str) -> Edit:
    def edit(m: dict[str, Any], folder: Path) -> None:
        for name in layers:
            _entry(name)(m)["config"].update(dtype=dtype)
    return edit


# Forms tfjs loads, and from-tfjs reads: name -> (model built by build-models.mjs, edit).
READ: dict[str, tuple[str, Edit]] = {
    "browser_save_dot_slash_path": ("mlp", _dot_slash),
    "path_in_subfolder": ("mlp", _subfolder),
    "converter_wrapper_keras2_members": ("embedding_lstm", _both(
        _converter_wrapper, _set(0, input_length=6), _set(1, time_major=False, implementation=2, unroll=False),
        _set(2, time_major=False, implementation=1, zero_output_for_mask=None), _set(3, input_dim=3,
                                                                                      batch_input_shape=[None, 3]))),
    "dtype_policies_float32": ("mlp", _both(_all(dtype=POLICY), _set(0, dtype="float32"))),
    "keras3_initializers": ("cnn", _keras3_initializers),
    "string_initializers": ("mlp", _string_initializers),
    "batchnorm_axis_list": ("cnn", lambda m, f: next(e for e in _layers(m) if e["class_name"] ==
                                                     "BatchNormalization")["config"].update(axis=[3])),
    "gru_reset_after_false": ("gru", _gru_reset_after(False)),
    "first_layer_input_shape": ("mlp", _input_shape_only),
    "first_layer_input_dim": ("mlp", _input_dim_only),
    "activation_log_softmax": ("mlp", _set(2, activation="log_softmax")),
    "activation_logSoftmax_camel": ("mlp", _set(2, activation="logSoftmax")),
    "activation_swish": ("mlp", _set(2, activation="swish")),
    "activations_relu6_gelu_selu": ("mlp", _both(_set(0, activation="relu6"), _set(2, activation="gelu"),
                                                 _set(3, activation="selu"))),
    # tfjs' hard_sigmoid is Keras 2's: read as ModelDoc's hard_sigmoid_keras2
    "activation_hard_sigmoid": ("mlp", _set(2, activation="hard_sigmoid")),
    "teachable_machine_dot_slash": ("teachable", _dot_slash),
    "bidirectional_converter_cell_names": ("bidirectional", _both(
        _converter_wrapper, _rename_weights(_cell_names),
        _inner_config("bi_lstm", time_major=False, implementation=2),
        _dtype("float32", "bi_gru", "bi_rnn", "bi_mul"))),
    "bidirectional_backward_layer_reversed": ("bidirectional", _backward_layer("bi_gru")),
    "time_distributed_keras3_weight_names": ("bidirectional", _rename_weights(
        lambda n: n.replace("td/", "td/dense/"))),
}

# Forms from-tfjs refuses: name -> (model, edit, does tfjs load it?, words the refusal must contain).
REFUSED: dict[str, tuple[str, Edit, bool, str]] = {
    "activation_leaky_relu": ("mlp", _set(2, activation="leaky_relu"), False, "cannot load"),
    "activation_silu": ("mlp", _set(2, activation="silu"), False, "cannot load"),
    "activation_hard_silu": ("mlp", _set(2, activation="hard_silu"), False, "cannot load"),
    "activation_gelu_new": ("mlp", _set(2, activation="gelu_new"), False, "cannot load"),
    "initializer_old_class_name": ("mlp", _set(2, kernel_initializer={"class_name": "OrthogonalInitializer",
                                                                      "config": {"gain": 1.0}}), False, "cannot load"),
    "initializer_lecun_string": ("mlp", _set(2, kernel_initializer="lecun_normal"), False, "cannot load"),
    "batchnorm_negative_axis_list": ("cnn", lambda m, f: next(e for e in _layers(m) if e["class_name"] ==
                                                              "BatchNormalization")["config"].update(axis=[-1]),
                                     False, "negative axis"),
    "keras3_input_batch_shape": ("cnn", _input_batch_shape, False, "batch_input_shape"),
    "gru_reset_after_true": ("gru", _gru_reset_after(True), False, "reset_after"),
    "time_major_true": ("embedding_lstm", _set(1, time_major=True), True, "time_major"),
    "mixed_float16_policy": ("mlp", _set(2, dtype={**POLICY, "config": {"name": "mixed_float16"}}), True,
                             "mixed_float16"),
    "dtype_policy_on_the_input_layer": ("mlp", _all(dtype=POLICY), False, "cannot predict"),
    "path_traversal": ("mlp", lambda m, f: m["weightsManifest"][0].update(paths=["./../mlp/weights.bin"]), False,
                       "no '..'"),
    "bidirectional_backward_layer_other": ("bidirectional", _backward_layer("bi_gru", activation="relu"), True,
                                           "go_backwards flipped"),
    "bidirectional_merge_mode_unknown": ("bidirectional", lambda m, f: _entry("bi_gru")(m)["config"].update(
        merge_mode="avg"), False, "cannot load"),
    "bidirectional_num_constants": ("bidirectional", lambda m, f: _entry("bi_gru")(m)["config"].update(
        num_constants=1), False, "cannot load"),
    "bidirectional_of_dense": ("bidirectional", lambda m, f: _entry("bi_gru")(m)["config"].update(
        layer={"class_name": "Dense", "config": {"name": "d", "units": 3}}), False, "Bidirectional of 'Dense'"),
}


# Built models with layers outside the NumPy evaluator's core profile (spec.md 15): it refuses them.
OUTSIDE_CORE: tuple[str, ...] = ()  # Bidirectional and TimeDistributed are in the core profile (spec.md 15.13)


def _variant(built: Path, out: Path, base: str, edit: Edit) -> Path:
    shutil.copytree(built / base, out)
    model = json.loads((out / "model.json").read_text())
    edit(model, out)
    (out / "model.json").write_text(json.dumps(model))
    return out


def _reference(folder: Path) -> subprocess.CompletedProcess[str]:
    """tfjs' predictions for the model in ``folder`` on its io.json inputs, written to tfjs.json."""
    return subprocess.run(["node", str(INTEROP / "reference.mjs"), str(folder / "model.json"), str(folder / "io.json"),
                           str(folder / "tfjs.json")], capture_output=True, text=True, env=node_env(), timeout=300)


@pytest.fixture(scope="module")
def forms(tfjs_built: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Any]]:
    """Every variant written and run through tfjs once (two Node processes at a time)."""
    root = tmp_path_factory.mktemp("tfjs-forms")
    folders = {name: _variant(tfjs_built, root / name, base, edit) for name, (base, edit) in READ.items()}
    folders.update({name: _variant(tfjs_built, root / name, spec[0], spec[1]) for name, spec in REFUSED.items()})
    with ThreadPoolExecutor(2) as pool:
        results = dict(zip(folders, pool.map(_reference, folders.values())))
    return {name: (folders[name], results[name]) for name in folders}


def _tfjs_outputs(folder: Path) -> list[np.ndarray]:
    out = json.loads((folder / "tfjs.json").read_text())["outputs"]
    return [np.array(o["data"], "float64").reshape(o["shape"]) for o in out]


@pytest.mark.parametrize("name", sorted(READ))
def test_form_is_read_and_predicts_what_tfjs_predicts(forms: dict[str, tuple[Path, Any]], name: str) -> None:
    folder, tfjs = forms[name]
    assert tfjs.returncode == 0, tfjs.stderr  # tfjs itself loads the form
    doc = from_tfjs(folder / "model.json")
    assert modeldoc.validate(modeldoc.dumps(doc)).ok
    want = _tfjs_outputs(folder)
    inputs = io_inputs(folder)
    assert_close(keras_predict(doc, inputs), want)
    # the NumPy evaluator checks input dtypes; tfjs (and Keras) take the int32 token ids of a float32 input
    feed = {i.name: x.astype(i.dtype) for i, x in zip(doc.model.inputs, inputs)}
    if READ[name][0] in OUTSIDE_CORE:
        with pytest.raises(modeldoc.ModelDocError) as e:
            modeldoc.evaluate(doc, feed)
        assert e.value.code == "EVAL_UNSUPPORTED"
        return
    assert_close(list(modeldoc.evaluate(doc, feed).values()), want)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_form_is_refused_in_one_line(forms: dict[str, tuple[Path, Any]], name: str, tmp_path: Path) -> None:
    folder, tfjs = forms[name]
    loads = REFUSED[name][2]
    assert (tfjs.returncode == 0) == loads, tfjs.stderr
    if not loads:
        assert tfjs.stderr.startswith("tfjs cannot use")
    r = subprocess.run([sys.executable, "-m", "modeldoc", "from-tfjs", str(folder / "model.json"),
                        str(tmp_path / "doc.json")], capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "TFJS_UNSUPPORTED" in lines[0] or "TFJS_INVALID_INPUT" in lines[0]
    assert REFUSED[name][3] in lines[0], lines[0]
    assert not (tmp_path / "doc.json").exists()


def test_reference_script_describes_a_model_and_reports_a_load_failure(tfjs_built: Path, tmp_path: Path) -> None:
    r = subprocess.run(["node", str(INTEROP / "reference.mjs"), str(tfjs_built / "teachable" / "model.json")],
                       capture_output=True, text=True, env=node_env(), timeout=300)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["loaded"] and info["inputs"][0]["shape"] == [None, 8, 8, 3]
    (tmp_path / "model.json").write_text("{}")
    r = subprocess.run(["node", str(INTEROP / "reference.mjs"), str(tmp_path / "model.json")],
                       capture_output=True, text=True, env=node_env(), timeout=300)
    assert r.returncode == 1 and r.stderr.startswith("tfjs cannot use")
