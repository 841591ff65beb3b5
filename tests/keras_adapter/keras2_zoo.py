"""Genuine Keras 2 files: small models built and saved by tf_keras itself, with its predictions.

``python tests/keras_adapter/keras2_zoo.py OUTDIR`` writes, for every name in ``NAMES``:

- ``NAME.h5``: ``model.save`` in the legacy HDF5 format (model_config + weights; two models are
  also compiled and trained one step, so their files carry training_config and optimizer weights);
- ``NAME.npz``: the fixed inputs ``x0, x1, ...`` (batch 2) and tf_keras' outputs ``y0, y1, ...``
  of ``model(inputs, training=False)``;
- for ``WEIGHTS_ONLY``: ``NAME.weights.h5`` and ``NAME_weights.h5`` (``save_weights``: tf_keras
  picks the layout by the name, see ``WEIGHT_FILES``) and ``NAME.arch.json`` (``to_json``);
- for ``RECIPES``: ``NAME.recipe.json``, one of the two hand-rolled JSON shapes people write.

``python tests/keras_adapter/keras2_zoo.py --check OUTDIR`` reloads every file with tf_keras in a fresh
process and prints a JSON report ``{NAME: [problem, ...]}``: an empty list means tf_keras
reproduces the stored predictions bit for bit from the file alone, i.e. the files are genuine.

This module imports tf_keras only (never Keras 3), and only when run: importing it (pytest
collects it for doctests, the tests read ``NAMES``) must stay cheap.

>>> len(NAMES) == len(set(NAMES)) and set(WEIGHTS_ONLY) <= set(NAMES) and set(RECIPES) <= set(NAMES)
True
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np

# Every model, in build order. The tests parametrize over this tuple without running the script.
NAMES: tuple[str, ...] = (
    "seq_input_shape",
    "seq_input_dim",
    "seq_input_layer",
    "functional_multi_io",
    "cnn_compiled",
    "conv1d",
    "separable_depthwise",
    "transpose_upsample_pad",
    "embedding_lstm_compiled",
    "gru_reset_after",
    "gru_reset_before",
    "simple_rnn",
    "bidirectional_lstm",
    "time_distributed",
    "stacked_lstm",
    "advanced_activations",
    "activation_layers",
    "dense_layer_activation",
    "merges",
    "seq_in_functional",
    "functional_in_seq",
    "shared_layer",
    "reshape_permute_repeat",
    "layernorm_masking",
    "tf_ops",
    "batchnorm_axis",
    "lambda_refused",
)

# Models that are also written as NAME.weights.h5 (weights only) + NAME.arch.json (architecture only).
WEIGHTS_ONLY: tuple[str, ...] = ("seq_input_shape", "functional_multi_io", "bidirectional_lstm")

# The weights-only files of a WEIGHTS_ONLY model: suffix -> what tf_keras writes under that name.
WEIGHT_FILES: dict[str, str] = {".weights.h5": "Keras 3 layout (layers/<name>/vars)",
                                "_weights.h5": "classic Keras 2 layout (layer_names, weight_names)"}

# Models that are also written as NAME.recipe.json, in the hand-rolled shape named here.
RECIPES: dict[str, str] = {"conv1d": "model_config", "cnn_compiled": "model_json"}

# The one model our reader must refuse (it carries marshaled Python bytecode).
REFUSED: dict[str, str] = {"lambda_refused": "KERAS_UNSAFE"}

SEED = 2024


def _quiet_tf() -> None:
    # oneDNN picks kernels by the CPU's instruction set, so with it on the stored outputs could
    # differ in the last bit between machines; both must be set before tensorflow is imported.
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    # Legacy HDF5 is the point here, so tf_keras' advice to use .keras is noise.
    warnings.filterwarnings("ignore", message="You are saving your model as an HDF5 file")


# --- the models --------------------------------------------------------------------------------
# Each builder takes the tf_keras module and tensorflow, and returns (model, input_kind).
# input_kind: "float" (normal), "int:N" (integers in [0, N)), "masked" (normal, last two steps 0).

Builder = Callable[[Any, Any], "tuple[Any, str]"]


def seq_input_shape(k: Any, tf: Any) -> tuple[Any, str]:
    # input_shape= on the first layer: the config carries batch_input_shape, Keras 3 refuses it.
    L = k.layers
    return k.Sequential([L.Dense(8, activation="relu", input_shape=(5,), name="hidden"),
                         L.Dropout(0.3, name="dropout"),
                         L.Dense(3, activation="softmax", name="probs")], name="seq_input_shape"), "float"


def seq_input_dim(k: Any, tf: Any) -> tuple[Any, str]:
    L = k.layers
    return k.Sequential([L.Dense(6, input_dim=4, activation="tanh"),  # default names: dense, dense_1
                         L.Dense(2)]), "float"


def seq_input_layer(k: Any, tf: Any) -> tuple[Any, str]:
    L = k.layers
    return k.Sequential([L.InputLayer(input_shape=(7,), name="features"),
                         L.Dense(4, activation="sigmoid", name="dense_a"),
                         L.Activation("softmax", name="softmax")], name="seq_input_layer"), "float"


def functional_multi_io(k: Any, tf: Any) -> tuple[Any, str]:
    L = k.layers
    a = k.Input(shape=(4,), name="a")
    b = k.Input(shape=(3,), name="b")
    h = L.Concatenate(name="concat")([L.Dense(5, activation="relu", name="da")(a), b])
    y1 = L.Dense(2, name="y1")(h)
    y2 = L.Dense(1, activation="sigmoid", name="y2")(h)
    y3 = L.Dense(3, activation="softmax", name="y3")(b)
    return k.Model([a, b], [y1, y2, y3], name="functional_multi_io"), "float"


def cnn_compiled(k: Any, tf: Any) -> tuple[Any, str]:
    L = k.layers
    m = k.Sequential([
        L.Conv2D(6, 3, activation="relu", input_shape=(12, 12, 3), name="conv1"),
        L.MaxPooling2D(2, name="pool1"),
        L.BatchNormalization(name="bn1"),
        L.Conv2D(8, 3, padding="same", activation="relu", name="conv2"),
        L.MaxPooling2D((2, 2), strides=2, name="pool2"),
        L.Dropout(0.25, name="drop"),
        L.Flatten(name="flatten"),
        L.Dense(10, activation="softmax", name="probs"),
    ], name="cnn_compiled")
    m.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return m, "fit:10"


def conv1d(k: Any, tf: Any) -> tuple[Any, str]:
    L = k.layers
    return k.Sequential([
        L.Conv1D(4, 3, activation="relu", input_shape=(16, 3), name="conv_a"),
        L.AveragePooling1D(2, name="avg"),
        L.Conv1D(5, 3, padding="causal", dilation_rate=2, name="conv_causal"),
        L.MaxPooling1D(2, name="max"),
        L.GlobalMaxPooling1D(name="gmp"),
        L.Dense(2, name="out"),
    ], name="conv1d"), "float"


def separable_depthwise(k: Any, tf: Any) -> tuple[Any, str]:
    L = k.layers
    x = k.Input(shape=(10, 10, 3), name="image")
    h = L.SeparableConv2D(4, 3, padding="same", depth_multiplier=2, activation="relu", name="sep")(x)
    h = L.DepthwiseConv2D(3, depth_multiplier=2, name="dw")(h)
    h = L.GlobalAveragePooling2D(name="gap")(h)
    return k.Model(x, L.Dense(3, name="out")(h), name="separable_depthwise"), "float"


def transpose_upsample_pad(k: Any, tf: Any) -> tuple[Any, str]:
    L = k.layers
    return k.Sequential([
        L.Conv2DTranspose(4, 3, strides=2, padding="same", input_shape=(5, 5, 2), name="deconv"),
        L.UpSampling2D(2, name="up"),
        L.ZeroPadding2D(((1, 0), (2, 1)), name="pad"),
        L.Conv2D(3, 3, name="conv"),
        L.GlobalAveragePooling2D(name="gap"),
    ], name="transpose_upsample_pad"), "float"


def embedding_lstm_compiled(k: Any, tf: Any) -> tuple[Any, str]:
    # The classic text classifier: Embedding with input_length (a Keras 2 argument), no Input.
    L = k.layers
    m = k.Sequential([
        L.Embedding(50, 8, input_length=10, name="embed"),
        L.LSTM(6, name="lstm"),
        L.Dense(1, activation="sigmoid", name="prob"),
    ], name="embedding_lstm_compiled")
    m.compile(optimizer="rmsprop", loss="binary_crossentropy")
    return m, "fit-int:50"


def gru_reset_after(k: Any, tf: Any) -> tuple[Any, str]:
    L = k.layers
    return k.Sequential([L.GRU(5, reset_after=True, return_sequences=True, input_shape=(6, 3), name="gru"),
                         L.GRU(4, name="gru_last")], name="gru_reset_after"), "float"


def gru_reset_before(k: Any, tf: Any) -> tuple[Any, str]:
    # reset_after=False: the Keras 2.0-era GRU (one bias vector), still written by tf_keras.
    L = k.layers
    return k.Sequential([L.GRU(5, reset_after=False, input_shape=(6, 3), name="gru_v1")],
                        name="gru_reset_before"), "float"


def simple_rnn(k: Any, tf: Any) -> tuple[Any, str]:
    L = k.layers
    return k.Sequential([L.SimpleRNN(5, return_sequences=True, input_shape=(6, 3), name="rnn_seq"),
                         L.SimpleRNN(3, activation="relu", name="rnn_last")], name="simple_rnn"), "float"


def bidirectional_lstm(k: Any, tf: Any) -> tuple[Any, str]:
    L = k.layers
    x = k.Input(shape=(6, 3), name="seq")
    h = L.Bidirectional(L.LSTM(4, return_sequences=True), name="bi_concat")(x)
    h = L.Bidirectional(L.LSTM(3), merge_mode="sum", name="bi_sum")(h)
    return k.Model(x, L.Dense(2, name="out")(h), name="bidirectional_lstm"), "float"


def time_distributed(k: Any, tf: Any) -> tuple[Any, str]:
    L = k.layers
    return k.Sequential([L.TimeDistributed(L.Dense(3, activation="relu"), input_shape=(5, 4), name="td"),
                         L.TimeDistributed(L.Dense(2), name="td_out")], name="time_distributed"), "float"


def stacked_lstm(k: Any, tf: Any) -> tuple[Any, str]:
    L = k.layers
    return k.Sequential([
        L.LSTM(6, return_sequences=True, input_shape=(7, 3), name="lstm_1"),
        L.LSTM(5, return_sequences=True, name="lstm_2"),
        L.LSTM(4, name="lstm_3"),
        L.Dense(2, activation="softmax", name="probs"),
    ], name="stacked_lstm"), "float"


def advanced_activations(k: Any, tf: Any) -> tuple[Any, str]:
    # Layer classes of tf_keras' advanced_activations, with their Keras 2 arguments (alpha=).
    L = k.layers
    return k.Sequential([
        L.Dense(8, input_shape=(6,), name="d1"),
        L.LeakyReLU(alpha=0.2, name="leaky"),
        L.Dense(8, name="d2"),
        L.PReLU(name="prelu"),
        L.Dense(8, name="d3"),
        L.ELU(alpha=0.5, name="elu"),
        L.Dense(8, name="d4"),
        L.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2, name="relu_capped"),
        L.Dense(4, name="d5"),
        L.Softmax(name="softmax"),
    ], name="advanced_activations"), "float"


def activation_layers(k: Any, tf: Any) -> tuple[Any, str]:
    L = k.layers
    x = k.Input(shape=(6,), name="x")
    outs = []
    for act in ("relu", "tanh", "sigmoid", "softplus", "softsign", "selu", "elu", "swish", "linear", "exponential"):
        outs.append(L.Activation(act, name=f"act_{act}")(L.Dense(3, name=f"dense_{act}")(x)))
    outs.append(L.Dense(3, activation="gelu", name="dense_gelu")(x))
    return k.Model(x, outs, name="activation_layers"), "float"


def dense_layer_activation(k: Any, tf: Any) -> tuple[Any, str]:
    # A layer object as activation: the config holds a serialized LeakyReLU, not a string.
    L = k.layers
    return k.Sequential([L.Dense(5, activation=L.LeakyReLU(alpha=0.1), input_shape=(4,), name="dense_leaky"),
                         L.Dense(2, name="out")], name="dense_layer_activation"), "float"


def merges(k: Any, tf: Any) -> tuple[Any, str]:
    L = k.layers
    a = k.Input(shape=(4,), name="a")
    b = k.Input(shape=(4,), name="b")
    c = k.Input(shape=(4,), name="c")
    outs = [
        L.Concatenate(axis=-1, name="concat")([a, b, c]),
        L.Add(name="add")([a, b, c]),
        L.Multiply(name="multiply")([a, b]),
        L.Average(name="average")([a, b, c]),
        L.Subtract(name="subtract")([a, c]),
        L.Maximum(name="maximum")([b, c]),
        L.Minimum(name="minimum")([a, b]),
        L.Dot(axes=1, name="dot")([a, c]),
    ]
    return k.Model([a, b, c], outs, name="merges"), "float"


def seq_in_functional(k: Any, tf: Any) -> tuple[Any, str]:
    L = k.layers
    inner = k.Sequential([L.Dense(6, activation="relu", input_shape=(5,), name="inner_d1"),
                          L.BatchNormalization(name="inner_bn"),
                          L.Dense(4, name="inner_d2")], name="inner_seq")
    x = k.Input(shape=(5,), name="x")
    h = inner(x)
    return k.Model(x, L.Dense(2, name="head")(h), name="seq_in_functional"), "float"


def functional_in_seq(k: Any, tf: Any) -> tuple[Any, str]:
    L = k.layers
    i = k.Input(shape=(4,), name="inner_in")
    inner = k.Model(i, L.Dense(3, activation="tanh", name="inner_dense")(i), name="inner_functional")
    return k.Sequential([L.Dense(4, input_shape=(6,), name="pre"), inner, L.Dense(2, name="post")],
                        name="functional_in_seq"), "float"


def shared_layer(k: Any, tf: Any) -> tuple[Any, str]:
    L = k.layers
    a = k.Input(shape=(5,), name="left")
    b = k.Input(shape=(5,), name="right")
    shared = L.Dense(4, activation="relu", name="shared")
    h = L.Add(name="add")([shared(a), shared(b)])
    return k.Model([a, b], L.Dense(1, name="score")(h), name="shared_layer"), "float"


def reshape_permute_repeat(k: Any, tf: Any) -> tuple[Any, str]:
    L = k.layers
    return k.Sequential([
        L.Reshape((3, 4), input_shape=(12,), name="reshape"),
        L.Permute((2, 1), name="permute"),
        L.Flatten(name="flatten"),
        L.Dense(3, name="dense"),
        L.RepeatVector(4, name="repeat"),
        L.Reshape((-1,), name="reshape_flat"),
    ], name="reshape_permute_repeat"), "float"


def layernorm_masking(k: Any, tf: Any) -> tuple[Any, str]:
    L = k.layers
    return k.Sequential([
        L.Masking(mask_value=0.0, input_shape=(6, 3), name="mask"),
        L.LayerNormalization(name="ln"),
        L.LSTM(4, name="lstm"),
        L.LayerNormalization(epsilon=1e-3, center=False, name="ln_scale_only"),
    ], name="layernorm_masking"), "masked"


def tf_ops(k: Any, tf: Any) -> tuple[Any, str]:
    # Plain TensorFlow calls on symbolic tensors: tf_keras records them as TFOpLambda
    # (function name in the config) and SlicingOpLambda (x[...]) layers.
    L = k.layers
    x = k.Input(shape=(6,), name="x")
    y = k.Input(shape=(6,), name="y")
    h = x * 0.5
    h = h + y
    h = tf.nn.relu6(h)
    s = tf.math.sigmoid(L.Dense(6, name="dense")(h))
    c = tf.concat([h, s], -1)
    sl = c[:, 1:3]
    r = tf.reshape(c, (-1, 3, 4))
    m = tf.reduce_mean(r, axis=1)
    return k.Model([x, y], [sl, m], name="tf_ops"), "float"


def batchnorm_axis(k: Any, tf: Any) -> tuple[Any, str]:
    L = k.layers
    return k.Sequential([
        # Not axis=[1, 2]: tf_keras accepts a list of axes, Keras 3 only one axis.
        L.BatchNormalization(axis=1, input_shape=(4, 6), name="bn_axis1"),
        L.Dense(3, name="dense"),
        L.Reshape((4, 3, 1), name="reshape"),
        L.BatchNormalization(axis=2, name="bn_axis2"),
        L.Flatten(name="flatten"),
    ], name="batchnorm_axis"), "float"


def lambda_refused(k: Any, tf: Any) -> tuple[Any, str]:
    # A Lambda layer stores marshaled bytecode: our reader must refuse the file (KERAS_UNSAFE).
    L = k.layers
    x = k.Input(shape=(4,), name="x")
    h = L.Lambda(lambda t: t * 2.0 + 1.0, name="lambda")(x)
    return k.Model(x, L.Dense(2, name="out")(h), name="lambda_refused"), "float"


BUILDERS: dict[str, Builder] = {name: globals()[name] for name in NAMES}


# --- weights, inputs, outputs ------------------------------------------------------------------


def _input_arrays(model: Any, kind: str, rng: np.random.Generator) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for t in model.inputs:
        shape = [2] + [4 if d is None else int(d) for d in t.shape[1:]]
        if kind.split(":")[0] in ("int", "fit-int"):
            out.append(rng.integers(0, int(kind.split(":")[1]), size=shape).astype(np.int32))
            continue
        a = rng.standard_normal(shape).astype(np.float32)
        if kind == "masked":  # whole time steps equal to mask_value, so Masking does something
            a[0, -2:, :] = 0.0
            a[1, 0, :] = 0.0
        out.append(a)
    return out


def _fit_one_step(model: Any, kind: str, rng: np.random.Generator) -> None:
    # Compiled and trained once, as real checkpoints are: the .h5 then holds training_config and
    # optimizer weights next to the model.
    if kind.startswith("fit-int:"):
        x = rng.integers(0, int(kind.split(":")[1]), size=(4, *model.input_shape[1:])).astype(np.int32)
        y = rng.integers(0, 2, size=(4, 1)).astype(np.float32)
    else:
        x = rng.standard_normal((4, *model.input_shape[1:])).astype(np.float32)
        y = np.eye(int(kind.split(":")[1]), dtype=np.float32)[rng.integers(0, int(kind.split(":")[1]), 4)]
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)


def _seed_weights(model: Any, rng: np.random.Generator) -> None:
    # Random normal * 0.5 everywhere, so no weight keeps its initializer's zeros and ones;
    # a variance must stay positive (sqrt of a negative would turn the outputs into NaN).
    for v in model.weights:
        values = rng.standard_normal(tuple(v.shape)) * 0.5
        if "moving_variance" in v.name:
            values = np.abs(values) + 0.1
        v.assign(values.astype(v.dtype.as_numpy_dtype))


def _outputs(model: Any, inputs: list[np.ndarray], tf: Any) -> list[np.ndarray]:
    y = model(inputs if len(inputs) > 1 else inputs[0], training=False)
    return [np.asarray(t) for t in tf.nest.flatten(y)]


def _legacy_weight_dict(layers: list[Any]) -> dict[str, Any]:
    return {f"layer_{i}_weight_{j}": w.tolist() for i, layer in enumerate(layers)
            for j, w in enumerate(layer.get_weights())}


def _recipe(model: Any, shape: str) -> dict[str, Any]:
    if shape == "model_config":  # one entry per layer of a Sequential, as hand-written exporters do
        return {"model_config": [{"name": layer.name, "class": layer.__class__.__name__, "config": layer.get_config()}
                                 for layer in model.layers],
                "weights": _legacy_weight_dict(model.layers)}
    # The other common shape: the full model JSON and get_weights() as one flat list. In tf_keras,
    # model.get_weights() lists all trainable weights first, then the non-trainable ones.
    return {"model_json": model.to_json(), "weights": [w.tolist() for w in model.get_weights()]}


def build_zoo(outdir: Path) -> dict[str, float]:
    """Write every file of the zoo into ``outdir``; returns the seconds each model took."""
    _quiet_tf()
    import tensorflow as tf
    import tf_keras as k

    tf.get_logger().setLevel("ERROR")
    outdir.mkdir(parents=True, exist_ok=True)
    timings = {}
    for index, name in enumerate(NAMES):
        start = time.perf_counter()
        k.backend.clear_session()
        k.utils.set_random_seed(SEED + index)
        rng = np.random.default_rng(SEED + index)
        model, kind = BUILDERS[name](k, tf)
        if kind.startswith("fit"):
            _fit_one_step(model, kind, rng)
        _seed_weights(model, rng)
        inputs = _input_arrays(model, kind, rng)
        outputs = _outputs(model, inputs, tf)
        model.save(outdir / f"{name}.h5")
        arrays: dict[str, Any] = {f"x{i}": a for i, a in enumerate(inputs)} | {f"y{i}": a for i, a in enumerate(outputs)}
        np.savez(outdir / f"{name}.npz", **arrays)
        if name in WEIGHTS_ONLY:
            # tf_keras writes a name ending in .weights.h5 in the Keras 3 layout (layers/.../vars);
            # any other name gets the classic Keras 2 layout (layer_names, weight_names), which is
            # what ModelCheckpoint(save_weights_only=True) and most Keras 2 weight files hold.
            for suffix in WEIGHT_FILES:
                model.save_weights(outdir / f"{name}{suffix}")
            (outdir / f"{name}.arch.json").write_text(model.to_json())
        if name in RECIPES:
            (outdir / f"{name}.recipe.json").write_text(json.dumps(_recipe(model, RECIPES[name])))
        timings[name] = time.perf_counter() - start
    return timings


# --- the self-check: tf_keras reads its own files back -----------------------------------------


def _compare(got: list[np.ndarray], data: Any, what: str) -> list[str]:
    want = [data[f"y{i}"] for i in range(sum(1 for key in data.files if key.startswith("y")))]
    if len(got) != len(want):
        return [f"{what}: {len(got)} outputs, the npz has {len(want)}"]
    return [f"{what}: output {i} differs (max abs {float(np.max(np.abs(g.astype(np.float64) - w))):.3g})"
            for i, (g, w) in enumerate(zip(got, want)) if g.dtype != w.dtype or not np.array_equal(g, w)]


def check_zoo(outdir: Path) -> dict[str, list[str]]:
    """Reload every file with tf_keras and compare with the npz; ``{name: problems}``."""
    _quiet_tf()
    import tensorflow as tf
    import tf_keras as k

    tf.get_logger().setLevel("ERROR")
    report: dict[str, list[str]] = {}
    for name in NAMES:
        k.backend.clear_session()
        problems: list[str] = []
        data = np.load(outdir / f"{name}.npz")
        inputs = [data[f"x{i}"] for i in range(sum(1 for key in data.files if key.startswith("x")))]
        try:
            model = k.models.load_model(outdir / f"{name}.h5", compile=False)
            problems += _compare(_outputs(model, inputs, tf), data, f"{name}.h5")
            if name in WEIGHTS_ONLY:
                model = k.models.model_from_json((outdir / f"{name}.arch.json").read_text())
                model.load_weights(outdir / f"{name}.weights.h5")
                problems += _compare(_outputs(model, inputs, tf), data, f"{name}.weights.h5 + arch.json")
                k.backend.clear_session()
                model = k.models.model_from_json((outdir / f"{name}.arch.json").read_text())
                model.load_weights(outdir / f"{name}_weights.h5")
                problems += _compare(_outputs(model, inputs, tf), data, f"{name}_weights.h5 + arch.json")
            if name in RECIPES:
                model = _from_recipe(k, json.loads((outdir / f"{name}.recipe.json").read_text()))
                problems += _compare(_outputs(model, inputs, tf), data, f"{name}.recipe.json")
        except Exception as e:  # the report says what broke; the test fails on any entry
            problems.append(f"{type(e).__name__}: {str(e)[:300]}")
        report[name] = problems
    return report


def _from_recipe(k: Any, recipe: dict[str, Any]) -> Any:
    if "model_json" in recipe:
        model = k.models.model_from_json(recipe["model_json"])
        model.set_weights([np.asarray(w, dtype=np.float32) for w in recipe["weights"]])
        return model
    layers = [k.layers.deserialize({"class_name": e["class"], "config": e["config"]}) for e in recipe["model_config"]]
    model = k.Sequential(layers)
    for i, layer in enumerate(model.layers):
        n = len(layer.get_weights())
        layer.set_weights([np.asarray(recipe["weights"][f"layer_{i}_weight_{j}"], dtype=np.float32) for j in range(n)])
    return model


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--check":
        report = check_zoo(Path(argv[1]))
        print(json.dumps(report, indent=1))
        return 1 if any(report.values()) else 0
    if len(argv) != 1 or argv[0].startswith("-"):
        print("usage: keras2_zoo.py OUTDIR | keras2_zoo.py --check OUTDIR", file=sys.stderr)
        return 2
    start = time.perf_counter()
    timings = build_zoo(Path(argv[0]))
    slowest = max(timings, key=lambda n: timings[n])
    print(f"{len(timings)} models in {time.perf_counter() - start:.1f} s (slowest: {slowest}, {timings[slowest]:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
