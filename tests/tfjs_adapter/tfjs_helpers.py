"""Helpers for the TensorFlow.js round trips: the models, the quantizer, the tolerances (fixtures: conftest.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import modeldoc
from tests.testutil import ROOT

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

INTEROP = ROOT / "interop" / "tfjs"
VALID_FIXTURES = ROOT / "conformance_fixtures" / "valid"
# The zoo models tfjs can hold; the others are refused (test_tfjs_refusals.py checks why).
ZOO_SUPPORTED = ("mlp", "cnn", "lstm", "nested", "keras2")
ZOO_REFUSED = {"conv1d": "causal", "gru": "reset_after", "merge": "Subtract", "shapes": "Reshape",
               "activations": "hard_sigmoid", "edge": "float64", "applications": "no Normalization class",
               "bilstm": "Bidirectional sets zero_output_for_mask", "transformer": "MultiHeadAttention",
               "attention": "Attention"}
# The fixtures whose test vectors are a model's outputs (test-vectors-* holds placeholder values: it tests
# the format, not a computation).
FIXTURE_IDS = ("keras-mlp-base64", "keras-conv-two-inputs-base64", "keras-mlp-msgpack")
BUILT = ("mlp", "cnn", "embedding_lstm", "gru", "multi_input", "nested", "teachable", "bidirectional")
QUANTIZED = {"mlp": ("uint8", "uint16", "float16"), "cnn": ("float16", "uint8", "uint16")}
# Keras vs tfjs, per element: |a - b| <= ATOL + RTOL * |b| (the same numbers as the Node test).
ATOL = 1e-4
RTOL = 1e-4


def node_env() -> dict[str, str]:
    return {**os.environ, "NODE_NO_WARNINGS": "1"}


def node_check(exports: Path) -> subprocess.CompletedProcess[str]:
    """interop/tfjs's Node test (tfjs loads every model under ``exports`` and checks its doc.json's test
    vectors), run once over the whole folder: starting Node and tfjs costs seconds per run."""
    return subprocess.run(["node", "--test", "test/"], cwd=INTEROP, capture_output=True, text=True, timeout=600,
                          env={**node_env(), "MODELDOC_TFJS_EXPORTS": str(exports)})


def keras_predict(doc: modeldoc.Document, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """The document's outputs for ``inputs`` as Keras computes them, after a trip through msgpack."""
    from modeldoc.keras import to_keras

    model = to_keras(modeldoc.loads(modeldoc.dumps(doc, encoding="msgpack")))
    sequential = doc.model.layers[0].type == "Sequential"
    out = model(inputs[0] if sequential else inputs, training=False)
    return [np.asarray(y) for y in (out if isinstance(out, (list, tuple)) else [out])]


def assert_close(got: list[np.ndarray], want: list[np.ndarray], what: str = "") -> float:
    """Every element within the Keras-vs-tfjs tolerance (ATOL, RTOL); returns the largest difference."""
    assert len(got) == len(want), what
    worst = 0.0
    for g, w in zip(got, want):
        assert g.shape == w.shape, what
        diff = np.abs(np.asarray(g, np.float64) - w)
        assert bool(np.all(diff <= ATOL + RTOL * np.abs(w))), (what, float(diff.max()))
        worst = max(worst, float(diff.max()))
    return worst


def extra_keras_models() -> dict[str, Any]:
    """Keras models covering the layers of the zoo models tfjs refuses, in the forms tfjs has."""
    import keras

    k = keras
    out = {}
    x = k.Input((6, 3), name="seq")
    a = k.layers.GRU(4, reset_after=False, return_sequences=True, name="gru_seq")(x)
    b = k.layers.GRU(3, reset_after=False, name="gru_v1")(a)
    c = k.layers.SimpleRNN(3, name="simple_rnn")(x)
    out["keras_gru"] = k.Model(x, k.layers.Add(name="add")([b, c]), name="keras_gru")

    a_in, b_in, c_in = k.Input((4,), name="a"), k.Input((4,), name="b"), k.Input((3,), name="c")
    da, db = k.layers.Dense(4, name="da")(a_in), k.layers.Dense(4, name="db")(b_in)
    merged = [k.layers.Add(name="add")([da, db]), k.layers.Multiply(name="multiply")([da, db]),
              k.layers.Average(name="average")([da, db]), k.layers.Maximum(name="maximum")([da, db]),
              k.layers.Minimum(name="minimum")([da, db])]
    y = k.layers.Dense(2, name="head")(k.layers.Concatenate(name="concat")([*merged, c_in]))
    out["keras_merge"] = k.Model([a_in, b_in, c_in], [y, merged[0]], name="keras_merge")

    x = k.Input((16, 3), name="signal")
    h = k.layers.Conv1D(4, 3, padding="valid", activation="elu", name="conv")(x)
    h = k.layers.MaxPooling1D(2, name="max_pool")(h)
    h = k.layers.Conv1D(4, 3, dilation_rate=2, padding="same", name="dilated")(h)
    h = k.layers.AveragePooling1D(2, name="avg_pool")(h)
    out["keras_conv1d"] = k.Model(x, [k.layers.GlobalMaxPooling1D(name="gmp")(h),
                                      k.layers.GlobalAveragePooling1D(name="gap")(h)], name="keras_conv1d")

    x = k.Input((4, 6, 2), name="x")
    h = k.layers.ZeroPadding2D(((1, 0), (0, 2)), name="pad")(x)
    h = k.layers.UpSampling2D((2, 1), name="upsample")(h)
    h = k.layers.Conv2DTranspose(3, 2, strides=2, name="deconv")(h)
    h = k.layers.Cropping2D(((1, 1), (2, 0)), name="crop")(h)
    h = k.layers.Permute((2, 1, 3), name="permute")(h)
    h = k.layers.Flatten(name="flatten")(h)
    h = k.layers.Reshape((126, 6), name="reshape")(h)
    h = k.layers.LayerNormalization(name="layer_norm")(h)
    h = k.layers.Dense(4, name="proj")(h)
    h = k.layers.RepeatVector(2, name="repeat")(k.layers.Flatten(name="flatten2")(h))
    out["keras_shapes"] = k.Model(x, h, name="keras_shapes")

    x = k.Input((5,), name="x")
    acts = [k.layers.Activation(a, name=f"act_{a}")(x) for a in
            ("relu", "sigmoid", "tanh", "softmax", "elu", "selu", "softplus", "softsign", "swish", "linear",
             "gelu", "relu6", "mish", "log_softmax")]
    acts += [k.layers.ReLU(max_value=1.5, name="relu_layer")(x), k.layers.LeakyReLU(negative_slope=0.25,
             name="leaky")(x), k.layers.ELU(name="elu_layer")(x), k.layers.Softmax(name="softmax_layer")(x),
             k.layers.PReLU(name="prelu")(x)]
    out["keras_activations"] = k.Model(x, k.layers.Concatenate(name="all")(acts), name="keras_activations")
    return out




@dataclass
class Exports:
    folder: Path
    names: list[str]
    result: subprocess.CompletedProcess[str]
    docs: dict[str, modeldoc.Document] = field(default_factory=dict)

    def checked(self) -> tuple[int, int, float]:
        m = re.search(r"MODELDOC_TFJS_CHECKED models=(\d+) vectors=(\d+) max_abs_diff=([0-9.eE+-]+)",
                      self.result.stdout)
        assert m, self.result.stdout[-3000:]
        return int(m.group(1)), int(m.group(2)), float(m.group(3))


def _affine(values: np.ndarray, bits: int) -> tuple[np.ndarray, float, float]:
    """uint8/uint16 quantization as tfjs' converter does it: range nudged so that 0 is exact."""
    top = (1 << bits) - 1
    lo, hi = float(values.min()), float(values.max())
    scale = (hi - lo) / top
    if lo <= 0 <= hi:
        low = -round(-lo / scale) * scale
    else:
        low = lo
    q = np.round((np.clip(values.astype(np.float64), low, low + top * scale) - low) / scale)
    return q.astype(np.uint8 if bits == 8 else np.uint16), scale, low


def quantize_tfjs_model(src: Path, dst: Path, modes: tuple[str, ...]) -> None:
    """A copy of a tfjs model whose kernels are stored uint8 / uint16 / float16 (in turn), biases float32."""
    model = json.loads((src / "model.json").read_text())
    data = (src / "weights.bin").read_bytes()
    specs = model["weightsManifest"][0]["weights"]
    offset, chunks, k = 0, [], 0
    for spec in specs:
        n = int(np.prod(spec["shape"])) * 4
        values = np.frombuffer(data[offset:offset + n], "<f4")
        offset += n
        if spec["name"].endswith("kernel") and spec["dtype"] == "float32":
            mode = modes[k % len(modes)]
            k += 1
            if mode == "float16":
                spec["quantization"] = {"dtype": "float16"}
                chunks.append(values.astype("<f2").tobytes())
            else:
                q, scale, low = _affine(values, 8 if mode == "uint8" else 16)
                spec["quantization"] = {"dtype": mode, "scale": scale, "min": low}
                chunks.append(q.astype("<u2" if mode == "uint16" else "u1").tobytes())
        else:
            chunks.append(values.tobytes())
    dst.mkdir(parents=True)
    (dst / "weights.bin").write_bytes(b"".join(chunks))
    (dst / "model.json").write_text(json.dumps(model))
    shutil.copy(src / "io.json", dst / "io.json")


def quantized_dir(built: Path) -> Path:
    return built.parent / (built.name.replace("tfjs-built", "tfjs-quantized"))


def io_inputs(folder: Path) -> list[np.ndarray]:
    io = json.loads((folder / "io.json").read_text())
    return [np.array(i["data"], dtype=i["dtype"]).reshape(i["shape"]) for i in io["inputs"]]
