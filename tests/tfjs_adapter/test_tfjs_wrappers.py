"""Bidirectional and TimeDistributed both ways: a Keras model exported, loaded by tfjs in Node and checked
against the document's test vectors, then read back; what tfjs cannot hold of them is refused."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import modeldoc
from modeldoc import ModelDocError
from modeldoc.tfjs import from_tfjs, to_tfjs
from tests.testutil import inner_model
from tests.tfjs_adapter.tfjs_helpers import ATOL, RTOL, node_check


def _keras_model() -> Any:
    """Every merge mode both frameworks have, LSTM, GRU (reset_after=False, as tfjs) and SimpleRNN inside,
    returning sequences or the last step, or the states too; TimeDistributed on one of the two outputs of
    merge_mode=None."""
    import keras

    from modeldoc.keras.zoo import seed_weights

    k = keras
    x = k.Input((6, 3), name="seq")
    a = k.layers.Bidirectional(k.layers.LSTM(4, return_sequences=True, name="lstm"), name="bi_lstm")(x)
    b = k.layers.Bidirectional(k.layers.GRU(3, reset_after=False, return_sequences=True, name="gru"), merge_mode="sum",
                               name="bi_gru")(a)
    c = k.layers.Bidirectional(k.layers.SimpleRNN(3, name="rnn"), merge_mode="ave", name="bi_rnn")(b)
    d = k.layers.Bidirectional(k.layers.LSTM(2, name="lstm2"), merge_mode="mul", name="bi_mul")(a)
    e, f = k.layers.Bidirectional(k.layers.GRU(2, reset_after=False, return_sequences=True, name="gru2"), merge_mode=None,
                                  name="bi_none")(x)
    t = k.layers.TimeDistributed(k.layers.Dense(2, activation="tanh"), name="td")(e)
    states = k.layers.Bidirectional(k.layers.LSTM(2, return_state=True), name="bi_states")(x)  # output, 4 states
    return seed_weights(k.Model(x, [c, d, t, f, *states], name="wrappers"), 11)


def test_keras_wrappers_export_load_in_tfjs_and_read_back(tmp_path: Path) -> None:
    from modeldoc.keras import from_keras, to_keras

    model = _keras_model()
    doc = from_keras(model, test_vectors=2)
    folder = tmp_path / "exports" / "wrappers"
    to_tfjs(doc, folder)
    modeldoc.save(doc, folder / "doc.json")
    r = node_check(tmp_path / "exports")
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    m = re.search(r"MODELDOC_TFJS_CHECKED models=(\d+) vectors=(\d+)", r.stdout)
    assert m and (int(m.group(1)), int(m.group(2))) == (1, 2), r.stdout[-2000:]

    # the weights carry tfjs' own names (bi_lstm/forward_lstm/kernel, td/kernel), so tfjs' reading matches
    back = from_tfjs(folder / "model.json")
    assert [w for layer in inner_model(back).layers for w in layer.weights][:3] == [
        "bi_lstm/forward_lstm/kernel", "bi_lstm/forward_lstm/recurrent_kernel", "bi_lstm/forward_lstm/bias"]
    x = np.random.default_rng(3).standard_normal((2, 6, 3)).astype("float32")
    want = [np.asarray(y) for y in model(x)]
    got = [np.asarray(y) for y in to_keras(modeldoc.loads(modeldoc.dumps(back)))([x])]
    assert len(got) == len(want) == 9
    for g, w in zip(got, want):
        assert g.shape == w.shape
        assert bool(np.all(np.abs(g - w) <= ATOL + RTOL * np.abs(w)))


def test_numpy_evaluator_runs_bidirectional(tmp_path: Path) -> None:
    """Bidirectional is in the core profile (spec.md 15.13): ``modeldoc run`` reproduces Keras' test vector."""
    import sys

    from modeldoc.keras import from_keras

    doc = from_keras(_keras_model(), test_vectors=1)
    modeldoc.save(doc, tmp_path / "doc.json")
    r = subprocess.run([sys.executable, "-m", "modeldoc", "run", str(tmp_path / "doc.json")], capture_output=True,
                       text=True)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr


def _refused(model: Any, tmp_path: Path) -> set[tuple[str, str]]:
    from modeldoc.keras import from_keras

    with pytest.raises(ModelDocError) as e:
        to_tfjs(from_keras(model), tmp_path / "out")
    assert not (tmp_path / "out").exists()
    return {(f.pointer.split("/config/", 1)[-1], f.message) for f in e.value.findings}


def test_what_tfjs_cannot_hold_of_a_wrapper_is_refused(tmp_path: Path) -> None:
    import keras

    k = keras
    x = k.Input((5, 3), name="seq")
    # a backward layer of its own: tfjs would run the reversed forward layer instead
    own = k.layers.Bidirectional(k.layers.LSTM(2), backward_layer=k.layers.LSTM(2, activation="relu",
                                                                                go_backwards=True), name="own")(x)
    gru = k.layers.Bidirectional(k.layers.GRU(2), name="gru3")(x)  # reset_after=True, which tfjs' GRU throws for
    found = _refused(k.Model(x, [own, gru]), tmp_path)
    assert any(p == "backward_layer" and "go_backwards flipped" in m for p, m in found), found
    assert any("reset_after" in m for p, m in found), found

    y = k.Input((4, 6), name="seq2")
    td = k.layers.TimeDistributed(k.layers.Dense(2, activation="hard_silu"), name="td")(y)
    found = _refused(k.Model(y, td), tmp_path)
    assert any(p == "layer/config/activation" for p, m in found), found


def _wrapper_doc(config: dict[str, Any], weights: list[str]) -> modeldoc.Document:
    g = modeldoc.Graph(layers=[modeldoc.Layer("w", config.pop("type"), config, weights)],
                       inputs=[modeldoc.Input("x", "float32", [None, 5, 3])],
                       nodes=[modeldoc.Node("w", ["x"], ["y"])], outputs=["y"])
    return modeldoc.Document(g, {w: np.zeros((3, 2), "float32") for w in weights})


def test_malformed_wrapper_configs_are_refused_with_a_pointer(tmp_path: Path) -> None:
    cases: list[tuple[dict[str, Any], str]] = [({"type": "Bidirectional", "layer": "lstm"}, "/model/layers/0/config/layer"),
             ({"type": "Bidirectional", "merge_mode": "max", "layer": {"class_name": "SimpleRNN", "config": {
                 "units": 2, "use_bias": False}}}, "/model/layers/0/config/merge_mode"),
             ({"type": "Bidirectional", "layer": {"class_name": "Dense", "config": {"units": 2, "use_bias": False}}},
              "/model/layers/0/config/layer/class_name"),
             ({"type": "TimeDistributed", "layer": {"class_name": "Add", "config": {}}},
              "/model/layers/0/config/layer/class_name")]
    for config, pointer in cases:
        with pytest.raises(ModelDocError) as e:
            to_tfjs(_wrapper_doc(config, ["w/kernel"]), tmp_path / "out")
        assert pointer in {f.pointer for f in e.value.findings}, (config, e.value.findings)
