"""The NumPy reference evaluator against Keras itself, on fresh random inputs (spec.md section 15).

Every zoo model with two weight seeds, and small models for the layers and configs the zoo does not
use (groups, dilation, transposed convolutions, 'same' pooling on odd sizes, go_backwards,
return_state, every activation name). The tolerance is the one spec.md 15.11 states.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

import modeldoc.keras as mk
from modeldoc.evaluator import ATOL, RTOL, compare, evaluate
from modeldoc.evaluator._activations import ACTIVATIONS
from modeldoc.keras._vectors import random_inputs
from modeldoc.keras.zoo import ZOO, build, seed_weights
from tests.keras_adapter.keras_helpers import keras

layers = keras.layers




def fresh_inputs(doc: Any, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = random_inputs(doc.model.inputs, rng)
    for spec in doc.model.inputs:  # token ids over the whole table, not only 0 and 1
        if spec.dtype.startswith("int"):
            arrays[spec.name] = rng.integers(0, 20, arrays[spec.name].shape).astype(spec.dtype)
        elif spec.dtype.startswith("float"):
            arrays[spec.name] = (arrays[spec.name] * 2).astype(spec.dtype)  # also beyond [-1, 1]
    return arrays


def keras_outputs(model: Any, doc: Any, arrays: dict[str, np.ndarray]) -> list[np.ndarray]:
    from modeldoc.keras._vectors import predict

    return predict(model, doc.model.layers[0], doc.model.inputs, arrays)


def max_diff_against_keras(model: Any, seed: int) -> float:
    doc = mk.from_keras(model)
    worst = 0.0
    for batch in range(2):
        arrays = fresh_inputs(doc, seed * 10 + batch)
        want = keras_outputs(model, doc, arrays)
        got = list(evaluate(doc, arrays).values())
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.dtype == w.dtype and g.shape == w.shape
            diff, ok, problem = compare(g, w, ATOL, RTOL)
            assert ok, f"max |diff| {diff} {problem}"
            # relative to the outputs' magnitude above 1 (the applications model's reach about 10)
            scale = max(1.0, float(np.abs(w.astype(np.float64)).max())) if w.size and w.dtype.kind == "f" else 1.0
            worst = max(worst, diff / scale)
    return worst


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", list(ZOO))
def test_zoo_model_matches_keras(name: str, seed: int) -> None:
    assert max_diff_against_keras(build(name, seed), seed) <= ATOL


# --- layers and configs beyond the zoo ---------------------------------------------------------------


def conv2d_extras() -> Any:
    x = keras.Input((9, 10, 4))
    a = layers.Conv2D(6, 3, strides=2, padding="same", groups=2, activation="relu")(x)
    b = layers.Conv2D(3, (2, 3), dilation_rate=(2, 1), padding="same")(x)
    c = layers.DepthwiseConv2D(3, strides=2, depth_multiplier=2, padding="same")(x)
    d = layers.Conv2DTranspose(2, 3, strides=2, padding="same")(a)
    e = layers.Conv2DTranspose(2, 3, strides=2, padding="same", output_padding=0)(a)
    f = layers.Conv2DTranspose(2, (3, 2), strides=(1, 3), padding="valid", use_bias=False)(a)
    g = layers.Conv2DTranspose(2, 3, dilation_rate=2, padding="same")(a)
    h = layers.SeparableConv2D(3, 3, strides=2, depth_multiplier=2, padding="same", use_bias=False)(x)
    return keras.Model(x, [a, b, c, d, e, f, g, h])


def conv1d_extras() -> Any:
    x = keras.Input((11, 4))
    outs = [
        layers.Conv1D(4, 3, strides=2, padding="same", groups=4)(x),
        layers.Conv1D(2, 4, strides=3, padding="valid", dilation_rate=1)(x),
        layers.Conv1DTranspose(2, 3, strides=2, padding="valid")(x),
        layers.Conv1DTranspose(3, 4, strides=2, padding="same", output_padding=1)(x),
        layers.SeparableConv1D(3, 3, strides=2, depth_multiplier=2, padding="same")(x),
        layers.DepthwiseConv1D(2, depth_multiplier=3, padding="valid")(x),
        layers.Cropping1D((1, 2))(layers.UpSampling1D(3)(x)),
        layers.ZeroPadding1D((2, 0))(x),
        layers.MaxPooling1D(3, strides=2, padding="same")(x),
        layers.AveragePooling1D(3, strides=2, padding="same")(x),
        layers.AveragePooling1D(4, strides=1, padding="valid")(x),
        layers.GlobalAveragePooling1D(keepdims=True)(x),
        layers.GlobalMaxPooling1D(keepdims=True)(x),
        layers.GaussianNoise(1.0)(layers.SpatialDropout1D(0.5)(x)),
    ]
    return keras.Model(x, outs)


def pool2d_extras() -> Any:
    x = keras.Input((7, 9, 3))
    outs = [
        layers.MaxPooling2D(3, strides=2, padding="same")(x),
        layers.AveragePooling2D((3, 2), strides=(2, 1), padding="same")(x),
        layers.AveragePooling2D(2, padding="valid")(x),
        layers.GlobalMaxPooling2D(keepdims=True)(x),
        layers.GlobalAveragePooling2D(keepdims=True)(x),
        layers.Cropping2D(1)(layers.UpSampling2D(2)(x)),
        layers.ZeroPadding2D(2)(x),
        layers.ActivityRegularization(0.1, 0.1)(layers.AlphaDropout(0.3)(layers.GaussianDropout(0.3)(
            layers.SpatialDropout2D(0.5)(x)))),
    ]
    return keras.Model(x, outs)


def norm_extras() -> Any:
    x = keras.Input((4, 6))
    outs = [
        layers.BatchNormalization(center=False, epsilon=0.1)(x),
        layers.BatchNormalization(scale=False, axis=1)(x),
        layers.LayerNormalization(axis=[1, 2])(x),
        layers.LayerNormalization(center=False, scale=False, epsilon=1e-5)(x),
        layers.Dense(3, activation="swish")(x),
        layers.Softmax(axis=1)(x),
        layers.PReLU(shared_axes=[1])(x),
        layers.Permute((2, 1))(x),
        layers.Reshape((3, 8))(x),
    ]
    return keras.Model(x, outs)


def recurrent_extras() -> Any:
    x = keras.Input((5, 3))
    seq_back = layers.LSTM(3, return_sequences=True, go_backwards=True)(x)
    out, h, c = layers.LSTM(2, return_state=True, use_bias=False)(x)
    g_out, g_h = layers.GRU(3, go_backwards=True, return_state=True, reset_after=False)(x)
    g_seq = layers.GRU(2, return_sequences=True, go_backwards=True)(seq_back)
    s = layers.SimpleRNN(2, return_sequences=True, activation="relu")(x)
    s_back = layers.SimpleRNN(2, go_backwards=True, use_bias=False)(x)
    return keras.Model(x, [seq_back, out, h, c, g_out, g_h, g_seq, s, s_back])


def initial_state_extras() -> Any:
    x, h0, c0 = keras.Input((5, 3)), keras.Input((4,)), keras.Input((4,))
    a = layers.LSTM(4)(x, initial_state=[h0, c0])
    b = layers.GRU(4, return_sequences=True)(x, initial_state=h0)
    c = layers.SimpleRNN(4, go_backwards=True)(x, initial_state=[h0])
    return keras.Model([x, h0, c0], [a, b, c])


def activation_extras() -> Any:
    x = keras.Input((6,))
    outs = [layers.Activation(name)(x) for name in sorted(ACTIVATIONS)]
    outs += [
        layers.ReLU(max_value=6.0)(x),
        layers.ReLU(threshold=0.5, max_value=1.0)(x),
        layers.ReLU(negative_slope=0.2)(x),
        layers.ReLU(negative_slope=0.3, threshold=0.5)(x),
        layers.LeakyReLU()(x),
        layers.ELU()(x),
    ]
    return keras.Model(x, outs)


def merge_extras() -> Any:
    a, b, c = keras.Input((2, 3)), keras.Input((2, 3)), keras.Input((4, 3))
    outs = [
        layers.Add()([a, b, a]),
        layers.Average()([a, b, b]),
        layers.Multiply()([a, b, a]),
        layers.Maximum()([a, b, a]),
        layers.Concatenate(axis=1)([a, c, b]),
        layers.RepeatVector(3)(layers.Flatten()(a)),
    ]
    return keras.Model([a, b, c], outs)


def embedding_extras() -> Any:
    tokens = keras.Input((5,), dtype="int32")
    h = layers.Embedding(20, 4)(tokens)
    return keras.Model(tokens, [h, layers.Dense(2)(h), layers.Flatten()(h)])


EXTRAS: dict[str, Callable[[], Any]] = {
    "conv2d": conv2d_extras, "conv1d": conv1d_extras, "pool2d": pool2d_extras, "norm": norm_extras,
    "recurrent": recurrent_extras, "initial_state": initial_state_extras, "activations": activation_extras, "merge": merge_extras,
    "embedding": embedding_extras,
}


@pytest.mark.parametrize("name", list(EXTRAS))
def test_layer_configs_beyond_the_zoo_match_keras(name: str) -> None:
    assert max_diff_against_keras(seed_weights(EXTRAS[name](), 7), 7) <= ATOL


def test_every_activation_name_is_one_keras_knows() -> None:
    for name in ACTIVATIONS:
        assert callable(keras.activations.get(name)), name


def _direct(model: Any, x: np.ndarray) -> np.ndarray:
    """Keras' own result from a direct call (predict would cast a float64 input to float32 first)."""
    return np.asarray(model(x))


@pytest.mark.parametrize("make", [lambda: layers.Masking(0.1), lambda: layers.ReLU(threshold=0.1)],
                         ids=["Masking", "ReLU"])
def test_numbers_compared_with_the_input_are_float32(make: Callable[[], Any]) -> None:
    # An input equal to the float32 nearest 0.1 is masked / not above the threshold, as in Keras (spec.md 15.2).
    x = np.array([[[0.1, 0.1], [0.2, 0.1], [0.1, 0.1]]], dtype="float32")
    inp = keras.Input((3, 2))
    model = keras.Model(inp, make()(inp))
    doc = mk.from_keras(model)
    got = evaluate(doc, x)[doc.model.outputs[0]]
    np.testing.assert_array_equal(got, _direct(model, x))


def test_not_equal_compares_a_float64_input_in_float64_with_a_float32_number() -> None:
    inp = keras.Input((3,), dtype="float64")
    model = keras.Model(inp, keras.ops.not_equal(inp, 0.1))
    doc = mk.from_keras(model)
    x = np.array([[0.1, float(np.float32(0.1)), 1.0]])
    got = evaluate(doc, x)[doc.model.outputs[0]]
    np.testing.assert_array_equal(got, _direct(model, x))
    assert got.tolist() == [[True, False, True]]
