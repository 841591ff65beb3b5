"""Example Keras models that between them use every layer of the core profile, for testing converters and readers.

ModelDoc checks itself on these models: the reference evaluator, the ONNX and TensorFlow.js exporters and the
``keras-zoo-*`` conformance fixtures are all made from them. They serve the same purpose for a converter, a
reader or an evaluator of your own: build one, export it with :func:`modeldoc.keras.from_keras` and the test
vectors Keras computes, and compare. Each model is built with fixed weights drawn from a seeded generator, so
that batch-normalization statistics and biases are not the trivial zeros and ones of a fresh layer.

>>> from modeldoc.keras import from_keras, zoo
>>> model = zoo.build("cnn", seed=1)          # a keras.Model named "cnn", every weight drawn from seed 1
>>> doc = from_keras(model, test_vectors=2)   # with the outputs Keras computes for two random batches
>>> sorted(zoo.ZOO)[:4]
['activations', 'applications', 'attention', 'bilstm']

Stable: the names of ``__all__`` (``ZOO``, ``build``, ``seed_weights``) with their signatures, and the model
names ``mlp``, ``cnn``, ``conv1d``, ``lstm``, ``gru``, ``merge``, ``shapes``, ``activations``, ``nested``,
``edge``, ``keras2``, ``applications``, ``bilstm``, ``transformer`` and ``attention``: none is removed or
renamed, and more may be added. Not stable: what a model holds (its layers, sizes and configurations), and so
the weights a seed gives and the outputs; they may change in any minor release, as the core profile grows. To
keep numbers across versions, save the document a model gives rather than rebuilding the model.

Importing this module imports neither Keras nor TensorFlow; :func:`build` needs the ``keras`` extra.
docs/keras.md says what each model covers.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Callable, Mapping

import numpy as np

__all__ = ["ZOO", "build", "seed_weights"]

# A keras.Model. Keras ships no type information, so to a type checker it is Any.
_Model = Any


def _mlp(k: ModuleType) -> _Model:
    x = k.Input((6,), name="x")
    h = k.layers.Dense(8, activation="relu", name="hidden")(x)
    h = k.layers.Dropout(0.5, name="dropout")(h)
    h = k.layers.Dense(5, activation="tanh", name="hidden2")(h)
    y = k.layers.Dense(3, activation="softmax", name="probs")(h)
    return k.Model(x, y, name="mlp")


def _cnn(k: ModuleType) -> _Model:
    x = k.Input((12, 12, 3), name="image")
    h = k.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv_same")(x)
    h = k.layers.BatchNormalization(name="bn")(h)
    h = k.layers.MaxPooling2D(2, name="max_pool")(h)
    h = k.layers.Conv2D(5, (3, 2), strides=(1, 2), padding="valid", name="conv_valid")(h)
    h = k.layers.AveragePooling2D(2, padding="same", name="avg_pool")(h)
    h = k.layers.DepthwiseConv2D(2, padding="same", name="depthwise")(h)
    h = k.layers.SeparableConv2D(3, 2, padding="valid", activation="sigmoid", name="separable")(h)
    g = k.layers.GlobalAveragePooling2D(name="gap")(h)
    m = k.layers.GlobalMaxPooling2D(name="gmp")(h)
    y = k.layers.Dense(2, name="logits")(k.layers.Concatenate(name="concat")([g, m]))
    return k.Model(x, y, name="cnn")


def _conv1d(k: ModuleType) -> _Model:
    x = k.Input((16, 3), name="signal")
    h = k.layers.Conv1D(4, 3, padding="causal", activation="elu", name="causal")(x)
    h = k.layers.MaxPooling1D(2, name="max_pool")(h)
    h = k.layers.Conv1D(4, 3, dilation_rate=2, padding="same", name="dilated")(h)
    h = k.layers.AveragePooling1D(2, name="avg_pool")(h)
    h = k.layers.ZeroPadding1D(1, name="pad")(h)
    y = k.layers.GlobalMaxPooling1D(name="gmp")(h)
    z = k.layers.GlobalAveragePooling1D(name="gap")(h)
    return k.Model(x, [y, z], name="conv1d")


def _lstm(k: ModuleType) -> _Model:
    tokens = k.Input((7,), dtype="int32", name="tokens")
    h = k.layers.Embedding(20, 6, name="embed")(tokens)
    h = k.layers.LSTM(5, return_sequences=True, name="lstm_seq")(h)
    h = k.layers.LSTM(4, name="lstm_last")(h)
    y = k.layers.Dense(2, activation="sigmoid", name="out")(h)
    return k.Model(tokens, y, name="lstm")


def _gru(k: ModuleType) -> _Model:
    x = k.Input((6, 3), name="seq")
    a = k.layers.GRU(4, return_sequences=True, name="gru_seq")(x)
    b = k.layers.GRU(3, reset_after=False, name="gru_v1")(a)
    c = k.layers.SimpleRNN(3, name="simple_rnn")(x)
    y = k.layers.Add(name="add")([b, c])
    return k.Model(x, y, name="gru")


def _merge(k: ModuleType) -> _Model:
    a = k.Input((4,), name="a")
    b = k.Input((4,), name="b")
    c = k.Input((3,), name="c")
    da = k.layers.Dense(4, name="da")(a)
    db = k.layers.Dense(4, name="db")(b)
    outs = [
        k.layers.Add(name="add")([da, db]),
        k.layers.Subtract(name="subtract")([da, db]),
        k.layers.Multiply(name="multiply")([da, db]),
        k.layers.Average(name="average")([da, db]),
        k.layers.Maximum(name="maximum")([da, db]),
        k.layers.Minimum(name="minimum")([da, db]),
    ]
    merged = k.layers.Concatenate(name="concat")([*outs, c])
    y = k.layers.Dense(2, name="head")(merged)
    return k.Model([a, b, c], [y, outs[0]], name="merge")


def _shapes(k: ModuleType) -> _Model:
    x = k.Input((4, 6, 2), name="x")
    h = k.layers.ZeroPadding2D(((1, 0), (0, 2)), name="pad")(x)
    h = k.layers.UpSampling2D((2, 1), name="upsample")(h)
    h = k.layers.Conv2DTranspose(3, 2, strides=2, name="deconv")(h)
    h = k.layers.Cropping2D(((1, 1), (2, 0)), name="crop")(h)
    h = k.layers.Permute((2, 1, 3), name="permute")(h)
    h = k.layers.Flatten(name="flatten")(h)
    h = k.layers.Reshape((-1, 6), name="reshape")(h)
    h = k.layers.LayerNormalization(name="layer_norm")(h)
    h = k.layers.Dense(4, name="proj")(h)
    h = k.layers.RepeatVector(2, name="repeat")(k.layers.Flatten(name="flatten2")(h))
    return k.Model(x, h, name="shapes")


def _activations(k: ModuleType) -> _Model:
    x = k.Input((5,), name="x")
    outs = [k.layers.Activation(a, name=f"act_{a}")(x)
            for a in ("relu", "sigmoid", "tanh", "softmax", "elu", "selu", "softplus", "softsign",
                      "swish", "hard_sigmoid", "exponential", "linear", "gelu", "relu6", "leaky_relu")]
    outs.append(k.layers.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.2, name="relu_layer")(x))
    outs.append(k.layers.LeakyReLU(negative_slope=0.25, name="leaky")(x))
    outs.append(k.layers.ELU(alpha=0.5, name="elu_layer")(x))
    outs.append(k.layers.Softmax(name="softmax_layer")(x))
    outs.append(k.layers.PReLU(name="prelu")(x))
    return k.Model(x, k.layers.Concatenate(name="all")(outs), name="activations")


def _nested(k: ModuleType) -> _Model:
    block = k.Sequential([k.Input((5,)), k.layers.Dense(5, activation="relu", name="inner_dense"),
                          k.layers.BatchNormalization(name="inner_bn")], name="block")
    a = k.Input((5,), name="a")
    b = k.Input((5,), name="b")
    shared = k.layers.Dense(5, name="shared")
    y = k.layers.Add(name="add")([block(shared(a)), block(shared(b))])
    return k.Model([a, b], y, name="nested")


def _edge(k: ModuleType) -> _Model:
    """Forms the other models leave out, each set up so that a likely misreading of spec.md 15 moves an
    output beyond the tolerance of 15.11."""
    image = k.Input((5, 7, 3), name="image")
    seq = k.Input((6, 4), name="seq")
    layers = k.layers
    # log_sigmoid < 0 everywhere, so a max pool that let its 'same' zero padding win would show.
    pooled = layers.MaxPooling2D(2, padding="same", name="max_pool_same")(
        layers.Activation("log_sigmoid", name="negative")(image))
    permuted = layers.Permute((3, 1, 2), name="permute")(image)  # not its own inverse, unlike (2, 1, 3)
    # 'same' with an output_padding that changes the length (2n - 1, not 2n) and a crop b = 1 of the full output.
    up = layers.Conv2DTranspose(2, 4, strides=2, padding="same", output_padding=1, name="deconv_same")(pooled)
    out_b, h_b, c_b = layers.LSTM(3, go_backwards=True, return_state=True, name="lstm_back")(seq)
    lstm_init = layers.LSTM(3, use_bias=False, return_sequences=True, name="lstm_init")(
        seq, initial_state=[h_b, c_b])
    gru_back, gru_h = layers.GRU(3, go_backwards=True, return_sequences=True, return_state=True,
                                 name="gru_back")(seq)
    gru_init = layers.GRU(3, reset_after=False, name="gru_init")(seq, initial_state=gru_h)
    rnn_init = layers.SimpleRNN(3, go_backwards=True, name="rnn_init")(seq, initial_state=[out_b])
    crop = layers.Cropping1D((2, 1), name="crop1d")(layers.UpSampling1D(3, name="upsample1d")(seq))
    acts = [layers.Activation(a, name=f"act_{a}")(seq)
            for a in ("celu", "hard_tanh", "tanh_shrink", "hard_silu", "mish", "log_sigmoid", "log_softmax")]
    soft = layers.Softmax(axis=[1, 2], name="softmax_axes")(seq)
    norm = layers.LayerNormalization(axis=[1, 2], name="layer_norm_axes")(seq)
    grouped = layers.Conv1D(4, 2, groups=2, name="conv_groups")(seq)
    depth = layers.DepthwiseConv1D(3, depth_multiplier=2, padding="same", name="depthwise_m2")(seq)
    wide = layers.Dense(3, dtype="float64", name="dense64")(seq)  # a float64 layer in a float32 model
    after64 = layers.Dense(2, name="dense_after64")(wide)
    # 65535 x is rounded to float32 where it leaves a float32 layer (rounded_out) or enters one from a float64
    # layer (rounded_in); 65536 x is exact; the difference (exact by Sterbenz' lemma) keeps that rounding error,
    # about 1e-3, so an evaluator that skips either rounding fails.
    times_65536 = layers.LeakyReLU(negative_slope=65536.0, name="slope_65536")(seq)
    rounded_out = layers.Subtract(name="rounded_out")([
        layers.LeakyReLU(negative_slope=65535.0, name="slope_65535")(seq), times_65536])
    rounded_in = layers.Subtract(name="rounded_in")([
        layers.LeakyReLU(negative_slope=65535.0, dtype="float64", name="slope_65535_f64")(seq), times_65536])
    per_step = layers.Concatenate(name="per_step")([*acts, soft, norm, depth, lstm_init, gru_back, wide, after64,
                                                     rounded_out, rounded_in])
    # (A dilated transposed convolution is left out: TensorFlow's CPU kernel refuses it in eager mode.)
    return k.Model([image, seq], [pooled, permuted, up, per_step, crop, grouped, out_b, gru_init, rnn_init, wide],
                   name="edge")


def _keras2(k: ModuleType) -> _Model:
    """Keras 2's hard_sigmoid, ``clip(0.2 x + 0.5, 0, 1)``, where Keras 2 files have it: as the recurrent
    activation of LSTM and GRU (their default up to Keras 2.2, with Keras 2's GRU reset_after=False) and as an
    activation. A Keras 2 file is rebuilt with ModelDoc's registered function, and so is this model."""
    from ._functions import registered_functions

    hard_sigmoid = registered_functions()["modeldoc>hard_sigmoid_keras2"]
    seq = k.Input((6, 3), name="seq")
    layers = k.layers
    h = layers.LSTM(4, recurrent_activation=hard_sigmoid, return_sequences=True, name="lstm_k2")(seq)
    h = layers.GRU(3, recurrent_activation=hard_sigmoid, reset_after=False, name="gru_k2")(h)
    y = layers.Dense(3, activation=hard_sigmoid, name="dense_k2")(h)
    # 4 x (exact) reaches both clipped ends for the test vectors' normal inputs, where Keras 3's hard_sigmoid
    # (x / 6 + 0.5) would still be inside (0, 1).
    times4 = layers.Add(name="times4")([seq, seq, seq, seq])
    clipped = layers.Activation(hard_sigmoid, name="act_k2")(times4)
    return k.Model(seq, [y, clipped], name="keras2")


def _applications(k: ModuleType) -> _Model:
    """What keras.applications models use beyond the layers above (spec.md 15.15): preprocessing layers,
    LayerScale, CustomScaleLayer, grouped convolutions, and operations recorded from Python arithmetic,
    with constants on either side."""
    from keras.src.applications.convnext import LayerScale
    from keras.src.applications.inception_resnet_v2 import CustomScaleLayer

    layers, ops = k.layers, k.ops
    image = k.Input((8, 8, 3), name="image")
    h = layers.Rescaling([0.5, 2.0, -1.0], offset=0.25, name="rescale_channels")(image)
    h = layers.Normalization(axis=-1, name="norm_adapted")(h)  # mean and variance are weights
    h = layers.Normalization(mean=[0.1, -0.2, 0.3], variance=[4.0, 0.25, 1.0], name="norm_given")(h)
    h = layers.Normalization(axis=[1, 3], mean=0.5, variance=2.0, invert=True, name="norm_invert")(h)
    h = layers.CenterCrop(6, 5, name="center_crop")(h)  # an odd margin: the extra row or column is at the end
    h = layers.Resizing(12, 5, interpolation="nearest", name="resize_up")(h)
    h = layers.Resizing(4, 5, interpolation="nearest", name="resize_down")(h)  # every third row, from row 1
    h = layers.Resizing(4, 5, name="resize_same")(h)  # bilinear to the same size: unchanged
    c = layers.Conv2D(6, 3, padding="same", groups=3, name="conv_groups")(h)
    # MobileNetV3's hard sigmoid: ReLU(6)(x + 3) * (1 / 6), then hard_swish and the ops of keras.ops.
    hs = layers.ReLU(6.0, name="relu_max6")(c + 3.0) * (1.0 / 6.0)
    a = layers.Activation("hard_swish", name="act_hard_swish")(c) - hs
    g = layers.Activation("gelu", name="act_gelu")(c) + ops.gelu(c, approximate=True)
    s = ops.hard_silu(c) / 3.0 - ops.hard_sigmoid(c) + ops.relu6(c) * ops.sigmoid(c)
    r = 1.0 - ops.maximum(a, -0.5) + ops.minimum(2.0, g) / (1.0 + ops.relu6(c)) + s
    scaled = LayerScale(0.5, 6, name="layer_scale")(r)
    joined = CustomScaleLayer(0.17, name="custom_scale")([c, scaled])
    squeeze = layers.GlobalAveragePooling2D(keepdims=True, name="gap_keepdims")(joined)
    excited = layers.Multiply(name="excite")([joined, squeeze])
    mean = ops.mean(excited, axis=[1, 2], keepdims=False)
    both = ops.concatenate([mean, ops.reshape(ops.mean(joined, axis=[2, 3]), (-1, 4))], axis=-1)
    return k.Model(image, [both, ops.reshape(excited, (-1, 4 * 5 * 6))], name="applications")


def _bilstm(k: ModuleType) -> _Model:
    """A text classifier over padded token ids: Embedding(mask_zero) makes a mask that both Bidirectional
    layers honour (the test vectors' ids include 0, so masked steps occur anywhere in a row)."""
    tokens = k.Input((9,), dtype="int32", name="tokens")
    layers = k.layers
    h = layers.Embedding(20, 6, mask_zero=True, name="embed")(tokens)
    h = layers.Bidirectional(layers.LSTM(5, return_sequences=True), name="bi_lstm")(h)
    h = layers.TimeDistributed(layers.Dense(4, activation="tanh"), name="per_step")(h)
    h = layers.Bidirectional(layers.GRU(3), merge_mode="ave", name="bi_gru")(h)
    y = layers.Dense(2, activation="softmax", name="probs")(h)
    return k.Model(tokens, y, name="bilstm")


def _transformer(k: ModuleType) -> _Model:
    """One transformer encoder block: self-attention, residual adds, layer normalization, a feed-forward
    network, then mean pooling and a head. The attention is called by keyword with ``key=None``, as
    tutorials write it; Keras records that null key, which means the value."""
    x = k.Input((6, 8), name="x")
    layers = k.layers
    att = layers.MultiHeadAttention(num_heads=2, key_dim=4, name="self_attention")(query=x, value=x, key=None)
    h = layers.LayerNormalization(epsilon=1e-6, name="norm1")(layers.Add(name="residual1")([x, att]))
    ff = layers.Dense(16, activation="relu", name="ff1")(h)
    ff = layers.Dense(8, name="ff2")(ff)
    h = layers.LayerNormalization(epsilon=1e-6, name="norm2")(layers.Add(name="residual2")([h, ff]))
    y = layers.Dense(3, name="head")(layers.GlobalAveragePooling1D(name="pool")(h))
    return k.Model(x, y, name="transformer")


def _attention(k: ModuleType) -> _Model:
    """Attention and AdditiveAttention over two padded token sequences (the Embeddings' masks reach them
    as query and value masks), in every scoring form, causal and not, with a key; GroupNormalization
    over the channels of their sum and over a non-last axis of an image. Nothing after the attention
    layers consumes their query mask: Keras would record its propagation as operations outside the
    core profile."""
    queries = k.Input((5,), dtype="int32", name="queries")
    values = k.Input((6,), dtype="int32", name="values")
    image = k.Input((4, 3, 6), name="image")
    layers = k.layers
    q = layers.Embedding(20, 8, mask_zero=True, name="embed_q")(queries)
    v = layers.Embedding(20, 8, mask_zero=True, name="embed_v")(values)
    key = layers.Dense(8, name="key")(v)
    self_key = layers.Dense(8, name="self_key")(q)
    # causal only as self-attention: every kept query step then has a kept step to attend to (a row with
    # none is near uniform in float32 and not in float64, which would widen the test vectors' tolerance)
    dot = layers.Attention(use_scale=True, dropout=0.3, name="dot_scaled")([q, q], use_causal_mask=True)
    concat = layers.Attention(score_mode="concat", use_scale=True, name="concat_scaled")([q, v, key])
    plain = layers.Attention(score_mode="concat", name="concat_plain")([q, v])
    additive = layers.AdditiveAttention(name="additive")([q, q, self_key], use_causal_mask=True)
    unscaled = layers.AdditiveAttention(use_scale=False, name="additive_plain")([q, v])
    h = layers.Add(name="sum")([dot, concat, plain, additive, unscaled])
    h = layers.GroupNormalization(groups=4, name="group_norm")(h)
    y = layers.Dense(3, name="head")(h)
    g = layers.GroupNormalization(groups=2, axis=1, center=False, epsilon=0.01, name="group_norm_rows")(image)
    g = layers.GroupNormalization(groups=3, scale=False, name="group_norm_channels")(g)
    return k.Model([queries, values, image], [y, g], name="attention")


# Each model's name and its builder, which takes the keras module and returns the model with Keras' initial weights
# (build() then draws them). The order is the keras-zoo-* fixtures' order.
ZOO: Mapping[str, Callable[[ModuleType], _Model]] = {
    "mlp": _mlp,
    "cnn": _cnn,
    "conv1d": _conv1d,
    "lstm": _lstm,
    "gru": _gru,
    "merge": _merge,
    "shapes": _shapes,
    "activations": _activations,
    "nested": _nested,
    "edge": _edge,
    "keras2": _keras2,
    "applications": _applications,
    "bilstm": _bilstm,
    "transformer": _transformer,
    "attention": _attention,
}


def build(name: str, seed: int = 0) -> _Model:
    """The zoo model ``name`` (a ``keras.Model`` of that name) with every weight drawn from a generator seeded
    by ``seed``: the same name and seed give the same weights, in one version of ModelDoc.

    Float weights are uniform in [-0.5, 0.5), except variances (``moving_variance``)
    which are in [0.5, 1.5) so that batch normalization stays well conditioned.
    A name that is not in :data:`ZOO` raises ``KeyError``.
    """
    if name not in ZOO:
        raise KeyError(f"{name!r} is not a zoo model; the zoo has {', '.join(ZOO)}")
    import keras

    return seed_weights(ZOO[name](keras), seed)


def seed_weights(model: _Model, seed: int) -> _Model:
    """Give every weight of ``model`` the zoo's draw (see :func:`build`) and return it; tests use
    it for their own models so that all of them are weighted alike."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        low = 0.5 if "variance" in variable.path else -0.5
        variable.assign(rng.uniform(low, low + 1.0, tuple(variable.shape)).astype(variable.dtype))
    for layer in model._flatten_layers():
        if layer.__class__.__name__ == "Normalization":
            layer.finalize_state()  # it computes with a copy of its mean and variance, taken from the weights here
    return model
