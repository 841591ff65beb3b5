"""Keras models beyond the zoo, for layer forms the exporter maps but the zoo does not use."""

from __future__ import annotations

import warnings
from typing import Any, Callable

from modeldoc.keras.zoo import seed_weights


def _convs(k: Any) -> Any:
    x = k.Input((9, 10, 3), name="x")
    h = k.layers.Conv2D(4, 3, strides=2, padding="same", activation="swish", name="strided_same")(x)
    h = k.layers.Conv2DTranspose(3, 3, strides=2, padding="same", name="deconv_same")(h)
    h = k.layers.Conv2DTranspose(2, 1, strides=2, padding="valid", name="deconv_small_kernel")(h)
    h = k.layers.DepthwiseConv2D(3, depth_multiplier=2, strides=2, padding="same", name="depthwise_x2")(h)
    h = k.layers.MaxPooling2D(3, strides=2, padding="same", name="max_same")(h)
    h = k.layers.GlobalAveragePooling2D(keepdims=True, name="gap_keep")(h)
    h = k.layers.Flatten(name="flat")(h)
    y = k.layers.Dense(3, activation="gelu", name="head")(h)
    return k.Model(x, y, name="convs")


def _conv1d_3d(k: Any) -> Any:
    s = k.Input((12, 4), name="s")
    a = k.layers.SeparableConv1D(5, 3, depth_multiplier=2, padding="same", name="sep1d")(s)
    a = k.layers.Conv1DTranspose(4, 3, strides=2, padding="valid", name="deconv1d")(a)
    a = k.layers.Cropping1D((2, 1), name="crop1d")(a)
    a = k.layers.UpSampling1D(2, name="up1d")(a)
    a = k.layers.Conv1D(4, 2, groups=2, activation="hard_silu", name="grouped")(a)
    a = k.layers.GlobalAveragePooling1D(name="gap1d")(a)
    v = k.Input((4, 5, 6, 2), name="v")
    b = k.layers.ZeroPadding3D(((1, 0), (0, 1), (1, 1)), name="pad3d")(v)
    b = k.layers.Conv3D(3, 2, activation="relu6", name="conv3d")(b)
    b = k.layers.MaxPooling3D(2, name="pool3d")(b)
    b = k.layers.UpSampling3D((1, 2, 1), name="up3d")(b)
    b = k.layers.Cropping3D(((0, 1), (1, 0), (0, 0)), name="crop3d")(b)
    b = k.layers.GlobalMaxPooling3D(name="gmp3d")(b)
    return k.Model([s, v], [a, b], name="conv1d_3d")


def _norms(k: Any) -> Any:
    x = k.Input((3, 4, 5), name="x")
    h = k.layers.BatchNormalization(axis=1, name="bn_axis1")(x)
    h = k.layers.LayerNormalization(axis=[1, 2], name="ln_two_axes")(h)
    h = k.layers.LayerNormalization(axis=-1, center=False, scale=False, name="ln_plain")(h)
    h = k.layers.LayerNormalization(rms_scaling=True, name="ln_rms")(h)
    h = k.layers.Softmax(axis=1, name="softmax_axis1")(h)
    h = k.layers.ReLU(max_value=6.0, name="relu6_layer")(h)
    h = k.layers.ReLU(threshold=0.05, negative_slope=0.3, name="relu_slope_threshold")(h)
    return k.Model(x, h, name="norms")


def _recurrent(k: Any) -> Any:
    x = k.Input((5, 3), name="x")
    seq, h, c = k.layers.LSTM(4, return_sequences=True, return_state=True, recurrent_activation="hard_sigmoid",
                              name="lstm_states")(x)
    g = k.layers.GRU(3, activation="relu", use_bias=False, name="gru_relu")(seq)
    r = k.layers.SimpleRNN(2, return_sequences=True, activation="softsign", name="rnn_seq")(x)
    y = k.layers.LSTM(2, name="lstm_init")(x, initial_state=[k.layers.Dense(2, name="h0")(h),
                                                              k.layers.Dense(2, name="c0")(c)])
    return k.Model(x, [g, r, y], name="recurrent")


def _more(k: Any) -> Any:
    s = k.Input((10, 3), name="s")
    a = k.layers.DepthwiseConv1D(3, depth_multiplier=2, padding="same", name="depthwise1d")(s)
    a = k.layers.SpatialDropout1D(0.3, name="spatial_dropout")(a)
    a = k.layers.GaussianNoise(0.5, name="noise")(a)
    acts = [k.layers.Activation(name, name=f"act_{name}")(a) for name in ("log_softmax", "mish", "silu", "hard_silu")]
    a = k.layers.Concatenate(name="acts")(acts)
    a = k.layers.LeakyReLU(name="leaky_default")(a)
    # A zero Pad straight before a pool, on values shifted negative: the zeros must win the max and count
    # in the average (ONNX Runtime's PadFusion would fold them into the pool's own padding).
    a = k.layers.Dense(4, bias_initializer="ones", name="shift")(a)
    a = k.layers.Activation("elu", name="negative")(a)
    a = k.layers.ZeroPadding1D(2, name="pad_before_max")(a)
    a = k.layers.MaxPooling1D(3, name="max_after_pad")(a)
    a = k.layers.ZeroPadding1D((1, 2), name="pad_before_avg")(a)
    a = k.layers.AveragePooling1D(2, name="avg_after_pad")(a)
    v = k.Input((3, 4, 4, 2), name="v")
    b = k.layers.Conv3DTranspose(2, 2, strides=(1, 2, 2), padding="same", name="deconv3d")(v)
    b = k.layers.AveragePooling3D(2, padding="same", name="avg3d")(b)
    b = k.layers.Reshape((-1,), name="flat3d")(b)
    return k.Model([s, v], [a, b], name="more")


def _channels_first(k: Any) -> Any:
    x = k.Input((2, 6, 5), name="x")
    h = k.layers.Conv2D(3, 3, padding="same", data_format="channels_first", name="conv_cf")(x)
    h = k.layers.ZeroPadding2D(1, data_format="channels_first", name="pad_cf")(h)
    h = k.layers.MaxPooling2D(2, data_format="channels_first", name="pool_cf")(h)
    h = k.layers.UpSampling2D(2, data_format="channels_first", name="up_cf")(h)
    h = k.layers.Cropping2D(1, data_format="channels_first", name="crop_cf")(h)
    h = k.layers.ZeroPadding2D((1, 0), data_format="channels_first", name="pad2_cf")(h)
    h = k.layers.AveragePooling2D(2, data_format="channels_first", name="avg_cf")(h)
    g = k.layers.GlobalAveragePooling2D(data_format="channels_first", name="gap_cf")(h)
    f = k.layers.Flatten(data_format="channels_first", name="flat_cf")(h)
    return k.Model(x, [g, f], name="channels_first")


def _backwards(k: Any) -> Any:
    # go_backwards in each recurrent type, with and without return_sequences / return_state / initial_state:
    # Keras returns the sequence in processing order (last time step first).
    x = k.Input((5, 3), name="x")
    seq, h, c = k.layers.LSTM(4, go_backwards=True, return_sequences=True, return_state=True,
                              name="lstm_back_seq")(x)
    last = k.layers.LSTM(2, go_backwards=True, name="lstm_back_init")(
        x, initial_state=[k.layers.Dense(2, name="h0")(h), k.layers.Dense(2, name="c0")(c)])
    gru_seq = k.layers.GRU(3, go_backwards=True, return_sequences=True, reset_after=False, name="gru_back_seq")(seq)
    gru_last = k.layers.GRU(3, go_backwards=True, name="gru_back")(x)
    rnn_seq, rnn_h = k.layers.SimpleRNN(2, go_backwards=True, return_sequences=True, return_state=True,
                                        name="rnn_back_seq")(x)
    return k.Model(x, [seq, last, gru_seq, gru_last, rnn_seq, rnn_h], name="backwards")


def _output_padding(k: Any) -> Any:
    # Transposed convolutions with an explicit output_padding (spec 15.5 lengths), valid and same, odd and even
    # kernels, kernels shorter than the stride, several spatial ranks and channels_first. ("same" with an even
    # kernel and output_padding 0 is left out: TensorFlow's CPU kernel refuses it.)
    s = k.Input((6, 2), name="s")
    ones = [k.layers.Conv1DTranspose(2, kk, strides=st, padding=pad, output_padding=op,
                                     name=f"t1_{pad}_{kk}{st}{op}")(s)
            for pad, kk, st, op in [("valid", 3, 2, 1), ("same", 3, 2, 1), ("same", 4, 3, 2), ("same", 1, 3, 2),
                                    ("valid", 1, 3, 2), ("same", 2, 3, 1), ("same", 5, 2, 1), ("valid", 5, 3, 0)]]
    x = k.Input((4, 5, 3), name="x")
    two = k.layers.Conv2DTranspose(2, (3, 4), strides=(2, 3), padding="same", output_padding=(1, 2),
                                   activation="tanh", name="t2_same")(x)
    two_cf = k.layers.Conv2DTranspose(3, 2, strides=2, padding="valid", output_padding=1,
                                      data_format="channels_first", name="t2_valid_cf")(x)
    v = k.Input((2, 3, 2, 2), name="v")
    three = k.layers.Conv3DTranspose(2, 3, strides=2, padding="same", output_padding=1, name="t3_same")(v)
    return k.Model([s, x, v], [*ones, two, two_cf, three], name="output_padding")


def _axes_and_acts(k: Any) -> Any:
    # Softmax over several axes, the activations spec 15.3 adds to the earlier set (on values scaled to +-20, where
    # log_sigmoid's -softplus(-x) and log(sigmoid(x)) part), and float64 layers inside a float32 model.
    x = k.Input((3, 4, 5), name="x")
    soft = [k.layers.Softmax(axis=axes, name=f"softmax_{i}")(x)
            for i, axes in enumerate([[1, 2], [-1, -3], [1, 2, 3], [3]])]
    # Negative inputs scaled to about -450: log(sigmoid(x)) would be -inf below about -104 in float32.
    wide = k.layers.LeakyReLU(negative_slope=150.0, name="wide")(x)
    acts = [k.layers.Activation(name, name=f"act_{name}")(wide)
            for name in ("celu", "hard_tanh", "tanh_shrink", "log_sigmoid")]
    f64 = k.layers.Dense(5, dtype="float64", name="dense_f64")(x)
    f64 = k.layers.Softmax(axis=[1, 3], dtype="float64", name="softmax_f64")(f64)
    f64 = k.layers.Activation("log_sigmoid", dtype="float64", name="log_sigmoid_f64")(f64)
    # A float32 sequence into a float64 Dense: Transpose -> Cast -> MatMul crashes onnxruntime's MatMul fusion,
    # which export avoids by casting before the Transpose. (onnxruntime runs no float64 LSTM or RNN.)
    back = k.layers.LSTM(2, go_backwards=True, return_sequences=True, name="lstm_back")(
        k.layers.Reshape((12, 5), name="to_seq")(x))
    after = k.layers.Dense(2, dtype="float64", name="dense_f64_after")(back)
    return k.Model(x, [*soft, *acts, f64, after], name="axes_and_acts")


EXTRA: dict[str, Callable[[Any], Any]] = {"convs": _convs, "conv1d_3d": _conv1d_3d, "norms": _norms,
                                          "recurrent": _recurrent, "more": _more, "channels_first": _channels_first,
                                          "backwards": _backwards, "output_padding": _output_padding,
                                          "axes_and_acts": _axes_and_acts}


def build_extra(name: str, seed: int = 0) -> Any:
    """The model ``name`` with weights drawn like the zoo's (variances in [0.5, 1.5))."""
    import keras

    with warnings.catch_warnings():  # LayerNormalization(rms_scaling=True) is deprecated, and still exported
        warnings.simplefilter("ignore", UserWarning)
        model = EXTRA[name](keras)
    return seed_weights(model, seed)
