"""The proof: after to_keras(from_keras(m)), every weight and every prediction is bit-identical."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.keras_adapter.keras_helpers import QUIET, assert_round_trip, keras, perturb, rand

pytestmark = QUIET

L = keras.layers


def _check(model: Any, inputs: Any, **kw: Any) -> list[Any]:
    perturb(model)
    return assert_round_trip(model, inputs, **kw)


def test_sequential() -> None:
    m = keras.Sequential([keras.Input((5,)), L.Dense(4, activation="relu"), L.Dropout(0.5), L.Dense(2)])
    (back, *_) = _check(m, rand(3, 5))
    assert isinstance(back, keras.Sequential) and [x.name for x in back.layers] == [x.name for x in m.layers]


def test_functional_several_inputs_and_outputs() -> None:
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    x = L.Concatenate()([L.Dense(3)(a), b])
    m = keras.Model([a, b], [L.Dense(2, name="y1")(x), L.Dense(1, activation="sigmoid", name="y2")(x)])
    _check(m, [rand(2, 4), rand(2, 3, seed=1)])


def test_dict_outputs_and_shared_layer_at_several_places() -> None:
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    shared = L.Dense(3, name="shared")
    h = shared(shared(a))  # called twice in a row, and once more on another input
    m = keras.Model({"a": a, "b": b}, {"sum": L.Add()([h, shared(b)]), "h": h})
    _check(m, {"a": rand(2, 3), "b": rand(2, 3, seed=1)})


def test_nested_models() -> None:
    inner_seq = keras.Sequential([keras.Input((4,)), L.Dense(4, name="d1"), L.BatchNormalization()], name="inner_seq")
    i = keras.Input((4,))
    inner_fun = keras.Model(i, L.Dense(2, name="d2")(i), name="inner_fun")
    x = keras.Input((4,))
    y = inner_seq(x)
    m = keras.Model(x, [inner_fun(y), inner_fun(x)])  # the nested functional model is shared too
    _check(m, rand(2, 4))


def test_convolutions_and_pooling() -> None:
    x1, x2, x3 = keras.Input((8, 2)), keras.Input((6, 6, 2)), keras.Input((4, 4, 4, 1))
    y1 = L.GlobalAveragePooling1D()(L.MaxPooling1D()(L.SeparableConv1D(3, 3)(L.DepthwiseConv1D(3)(L.Conv1D(2, 3)(x1)))))
    y2 = L.Conv2D(3, 3, padding="same")(x2)
    y2 = L.DepthwiseConv2D(2)(y2)
    y2 = L.SeparableConv2D(2, 2)(y2)
    y2 = L.Conv2DTranspose(2, 2)(L.AveragePooling2D(2)(y2))
    y2 = L.GlobalMaxPooling2D()(y2)
    y3 = L.Flatten()(L.MaxPooling3D()(L.Conv3D(2, 2)(x3)))
    m = keras.Model([x1, x2, x3], [y1, y2, y3])
    _check(m, [rand(2, 8, 2), rand(2, 6, 6, 2, seed=1), rand(2, 4, 4, 4, 1, seed=2)])


def test_normalization_embedding_masking() -> None:
    tokens = keras.Input((5,), dtype="int32")
    x = L.Embedding(10, 4, mask_zero=True)(tokens)
    x = L.LayerNormalization()(x)
    x = L.BatchNormalization()(x)
    x = L.LSTM(3)(x)  # consumes the mask
    m = keras.Model(tokens, x)
    ids = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 6, 0]], dtype="int32")
    _check(m, ids)
    seq = keras.Input((4, 3))
    m2 = keras.Model(seq, L.GRU(2)(L.Masking(mask_value=0.0)(seq)))
    data = rand(2, 4, 3)
    data[0, 2:] = 0.0
    _check(m2, data)


def test_recurrent_wrappers_attention() -> None:
    seq = keras.Input((5, 3))
    x = L.Bidirectional(L.LSTM(2, return_sequences=True))(seq)
    x = L.TimeDistributed(L.Dense(3))(x)
    x = L.SimpleRNN(3, return_sequences=True)(x)
    x = L.MultiHeadAttention(num_heads=2, key_dim=2, name="mha")(x, x, x)  # query, value, key
    gru, state = L.GRU(2, return_state=True)(x)
    m = keras.Model(seq, [gru, state])
    _check(m, rand(2, 5, 3))


def test_attention_with_keyword_tensors() -> None:
    q, v = keras.Input((3, 4)), keras.Input((5, 4))
    m = keras.Model([q, v], L.MultiHeadAttention(num_heads=1, key_dim=4)(query=q, value=v, key=v))
    _check(m, [rand(2, 3, 4), rand(2, 5, 4, seed=1)])


def test_merge_and_reshaping_layers() -> None:
    a, b = keras.Input((2, 3)), keras.Input((2, 3))
    merged = [L.Add()([a, b]), L.Subtract()([a, b]), L.Multiply()([a, b]), L.Average()([a, b]),
              L.Maximum()([a, b]), L.Minimum()([a, b])]
    x = L.Concatenate(axis=-1)(merged)
    x = L.Permute((2, 1))(x)
    x = L.Reshape((6, 6))(x)
    x = L.Cropping1D((1, 1))(L.ZeroPadding1D(1)(L.UpSampling1D(2)(x)))
    y = L.RepeatVector(2)(L.Flatten()(x))
    dot = L.Dot(axes=-1)([L.Flatten()(a), L.Flatten()(b)])
    m = keras.Model([a, b], [y, dot])
    _check(m, [rand(2, 2, 3), rand(2, 2, 3, seed=1)])


def test_normalization_layer_and_lookups() -> None:
    x = keras.Input((3,))
    norm = L.Normalization()
    norm.adapt(rand(20, 3, seed=5))
    ids = keras.Input((2,), dtype="int64")
    lookup = L.IntegerLookup()
    lookup.adapt(np.array([[7, 9], [9, 11], [2**40, 7]], dtype="int64"))
    inv = L.StringLookup(vocabulary=["a", "b", "c"], invert=True)  # ints in, strings out: not a test vector
    m = keras.Model([x, ids], [norm(x), lookup(ids)])
    _check(m, [rand(2, 3), np.array([[7, 2**40], [5, 9]], dtype="int64")])
    assert inv.get_vocabulary()  # built fine; string outputs are checked in test_refusals


def test_custom_registered_layer() -> None:
    @keras.saving.register_keras_serializable(package="modeldoc_tests")
    class Scale(keras.layers.Layer):  # type: ignore[misc]  # Keras is untyped: its Layer is Any to mypy
        def __init__(self, factor: float = 2.0, **kw: Any) -> None:
            super().__init__(**kw)
            self.factor = factor

        def build(self, shape: Any) -> None:
            self.w = self.add_weight(shape=(shape[-1],), initializer="ones", name="w")

        def call(self, x: Any) -> Any:
            return x * self.w * self.factor

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "factor": self.factor}

    x = keras.Input((3,))
    m = keras.Model(x, Scale(3.0, name="scale")(L.Dense(3)(x)))
    import modeldoc.keras as mk

    doc = mk.from_keras(m)
    assert doc.model.layers[0].model is not None
    assert doc.model.layers[0].model.layer("scale").type == "modeldoc_tests>Scale"
    _check(m, rand(2, 3))
    # By registered name through custom_objects, when the registry does not know it.
    del keras.saving.get_custom_objects()["modeldoc_tests>Scale"]
    _check(m, rand(2, 3), custom_objects={"modeldoc_tests>Scale": Scale})


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16", "float64", "bfloat16", "float16"])
def test_dtype_policies(policy: str) -> None:
    x = keras.Input((4,), dtype="float64" if policy == "float64" else "float32")
    y = L.Dense(3, dtype=policy)(x)
    y = L.BatchNormalization(dtype=policy)(y)
    y = L.Dense(2, dtype="float32" if policy.startswith("mixed") else policy)(y)
    m = keras.Model(x, y)
    _check(m, rand(2, 4, dtype="float64" if policy == "float64" else "float32"))
