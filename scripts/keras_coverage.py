#!/usr/bin/env python3
"""Write docs/keras-coverage.md: every class in keras.layers, and whether it round-trips through ModelDoc.

    python scripts/keras_coverage.py           # write docs/keras-coverage.md
    python scripts/keras_coverage.py --check   # exit 1 if the file would change or a row is FAIL

For each layer class found in ``keras.layers`` at run time, a tiny model is built from the SPECS
table below, its weights are given random values, and it goes through
``to_keras(loads(dumps(from_keras(m), encoding)))`` in all three encodings: every weight must be
bit-identical and the predictions on fixed random inputs identical. A class with no entry in
SPECS or EXPECTED is a FAIL row: a new Keras release cannot add a class silently. When the
ModelDoc round trip fails, Keras' own ``.keras`` save/load is tried: if that fails too, Keras
cannot save the class here and the row says so; otherwise the row is a FAIL.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python"))
OUT = ROOT / "docs" / "keras-coverage.md"

import numpy as np  # noqa: E402

VEC, SEQ, IMG, VOL = (4,), (5, 3), (8, 8, 3), (4, 4, 4, 2)
Spec = tuple[Callable[[Any], Any], list[tuple[tuple[int, ...], str]]]  # layer factory, inputs (shape, dtype)


def _specs(L: Any) -> dict[str, Spec]:
    f32 = "float32"

    def one(shape: tuple[int, ...], dtype: str = f32) -> list[tuple[tuple[int, ...], str]]:
        return [(shape, dtype)]

    two_vec = [(VEC, f32), (VEC, f32)]
    two_seq = [(SEQ, f32), (SEQ, f32)]
    img255 = "image255"  # marker dtype: float32 image with values in [0, 255]
    s: dict[str, Spec] = {
        "Activation": (lambda: L.Activation("tanh"), one(VEC)),
        "ActivityRegularization": (lambda: L.ActivityRegularization(0.1), one(VEC)),
        "AdaptiveAveragePooling1D": (lambda: L.AdaptiveAveragePooling1D(2), one(SEQ)),
        "AdaptiveAveragePooling2D": (lambda: L.AdaptiveAveragePooling2D((2, 2)), one(IMG)),
        "AdaptiveAveragePooling3D": (lambda: L.AdaptiveAveragePooling3D((2, 2, 2)), one(VOL)),
        "AdaptiveMaxPooling1D": (lambda: L.AdaptiveMaxPooling1D(2), one(SEQ)),
        "AdaptiveMaxPooling2D": (lambda: L.AdaptiveMaxPooling2D((2, 2)), one(IMG)),
        "AdaptiveMaxPooling3D": (lambda: L.AdaptiveMaxPooling3D((2, 2, 2)), one(VOL)),
        "Add": (L.Add, two_vec), "Average": (L.Average, two_vec), "Maximum": (L.Maximum, two_vec),
        "Minimum": (L.Minimum, two_vec), "Multiply": (L.Multiply, two_vec), "Subtract": (L.Subtract, two_vec),
        "Concatenate": (L.Concatenate, two_vec), "Dot": (lambda: L.Dot(axes=-1), two_vec),
        "AdditiveAttention": (L.AdditiveAttention, two_seq), "Attention": (L.Attention, two_seq),
        "AlphaDropout": (lambda: L.AlphaDropout(0.1), one(VEC)),
        "AugMix": (lambda: L.AugMix(value_range=(0, 255)), one(IMG, img255)),
        "AutoContrast": (lambda: L.AutoContrast(value_range=(0, 255)), one(IMG, img255)),
        "AveragePooling1D": (lambda: L.AveragePooling1D(2), one(SEQ)),
        "AveragePooling2D": (lambda: L.AveragePooling2D(2), one(IMG)),
        "AveragePooling3D": (lambda: L.AveragePooling3D(2), one(VOL)),
        "BatchNormalization": (L.BatchNormalization, one(VEC)),
        "Bidirectional": (lambda: L.Bidirectional(L.LSTM(2)), one(SEQ)),
        "CategoryEncoding": (lambda: L.CategoryEncoding(num_tokens=4, output_mode="multi_hot"), one((3,), "int32")),
        "CenterCrop": (lambda: L.CenterCrop(4, 4), one(IMG)),
        "ContrastLimitedAdaptiveHistogramEqualization": (
            lambda: L.ContrastLimitedAdaptiveHistogramEqualization(value_range=(0, 255)), one(IMG, img255)),
        "Conv1D": (lambda: L.Conv1D(2, 3), one(SEQ)),
        "Conv1DTranspose": (lambda: L.Conv1DTranspose(2, 3), one(SEQ)),
        "Conv2D": (lambda: L.Conv2D(2, 3), one(IMG)),
        "Conv2DTranspose": (lambda: L.Conv2DTranspose(2, 3), one(IMG)),
        "Conv3D": (lambda: L.Conv3D(2, 2), one(VOL)),
        "Conv3DTranspose": (lambda: L.Conv3DTranspose(2, 2), one(VOL)),
        "ConvLSTM1D": (lambda: L.ConvLSTM1D(2, 2), one((3, 6, 2))),
        "ConvLSTM2D": (lambda: L.ConvLSTM2D(2, 2), one((3, 5, 5, 2))),
        "ConvLSTM3D": (lambda: L.ConvLSTM3D(2, 2), one((2, 4, 4, 4, 1))),
        "Cropping1D": (lambda: L.Cropping1D(1), one(SEQ)),
        "Cropping2D": (lambda: L.Cropping2D(1), one(IMG)),
        "Cropping3D": (lambda: L.Cropping3D(1), one(VOL)),
        "CutMix": (L.CutMix, one(IMG, img255)),
        "Dense": (lambda: L.Dense(2), one(VEC)),
        "DepthwiseConv1D": (lambda: L.DepthwiseConv1D(3), one(SEQ)),
        "DepthwiseConv2D": (lambda: L.DepthwiseConv2D(3), one(IMG)),
        "Discretization": (lambda: L.Discretization(bin_boundaries=[-0.5, 0.0, 0.5]), one(VEC)),
        "Dropout": (lambda: L.Dropout(0.5), one(VEC)),
        "ELU": (L.ELU, one(VEC)),
        "EinsumDense": (lambda: L.EinsumDense("ab,bc->ac", output_shape=2, bias_axes="c"), one(VEC)),
        "Embedding": (lambda: L.Embedding(5, 2), one((3,), "int32")),
        "Equalization": (lambda: L.Equalization(value_range=(0, 255)), one(IMG, img255)),
        "Flatten": (L.Flatten, one(IMG)),
        "GRU": (lambda: L.GRU(2), one(SEQ)),
        "GRUCell": (lambda: L.RNN(L.GRUCell(2)), one(SEQ)),
        "GaussianDropout": (lambda: L.GaussianDropout(0.1), one(VEC)),
        "GaussianNoise": (lambda: L.GaussianNoise(0.1), one(VEC)),
        "GlobalAveragePooling1D": (L.GlobalAveragePooling1D, one(SEQ)),
        "GlobalAveragePooling2D": (L.GlobalAveragePooling2D, one(IMG)),
        "GlobalAveragePooling3D": (L.GlobalAveragePooling3D, one(VOL)),
        "GlobalMaxPooling1D": (L.GlobalMaxPooling1D, one(SEQ)),
        "GlobalMaxPooling2D": (L.GlobalMaxPooling2D, one(IMG)),
        "GlobalMaxPooling3D": (L.GlobalMaxPooling3D, one(VOL)),
        "GroupNormalization": (lambda: L.GroupNormalization(groups=3), one(IMG)),
        "GroupedQueryAttention": (
            lambda: L.GroupQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1), two_seq),
        "HashedCrossing": (lambda: L.HashedCrossing(num_bins=4), [((1,), "int64"), ((1,), "int64")]),
        "Hashing": (lambda: L.Hashing(num_bins=4), one((3,), "int64")),
        "Identity": (L.Identity, one(VEC)),
        "IntegerLookup": (lambda: L.IntegerLookup(vocabulary=[1, 0, 7]), one((3,), "int64")),
        "LSTM": (lambda: L.LSTM(2), one(SEQ)),
        "LSTMCell": (lambda: L.RNN(L.LSTMCell(2)), one(SEQ)),
        "LayerNormalization": (L.LayerNormalization, one(VEC)),
        "LeakyReLU": (L.LeakyReLU, one(VEC)),
        "Masking": (L.Masking, one(SEQ)),
        "MaxNumBoundingBoxes": (lambda: L.MaxNumBoundingBoxes(max_number=2), one(IMG)),
        "MaxPooling1D": (lambda: L.MaxPooling1D(2), one(SEQ)),
        "MaxPooling2D": (lambda: L.MaxPooling2D(2), one(IMG)),
        "MaxPooling3D": (lambda: L.MaxPooling3D(2), one(VOL)),
        "MelSpectrogram": (lambda: L.MelSpectrogram(num_mel_bins=8, sampling_rate=8000, sequence_stride=32,
                                                    fft_length=64), one((256,))),
        "MixUp": (L.MixUp, one(IMG, img255)),
        "MultiHeadAttention": (lambda: L.MultiHeadAttention(2, 2), two_seq),
        "Normalization": (lambda: L.Normalization(mean=[0.5, 1, 2, 3], variance=[1, 2, 3, 4]), one(VEC)),
        "PReLU": (L.PReLU, one(VEC)),
        "Permute": (lambda: L.Permute((2, 1)), one(SEQ)),
        "Pipeline": (lambda: L.Pipeline([L.Rescaling(0.5), L.CenterCrop(4, 4)]), one(IMG)),
        "RMSNormalization": (L.RMSNormalization, one(VEC)),
        "RNN": (lambda: L.RNN(L.SimpleRNNCell(2)), one(SEQ)),
        "RandAugment": (lambda: L.RandAugment(value_range=(0, 255)), one(IMG, img255)),
        "RandomBrightness": (lambda: L.RandomBrightness(0.1, value_range=(0, 255)), one(IMG, img255)),
        "RandomColorDegeneration": (lambda: L.RandomColorDegeneration(0.1), one(IMG, img255)),
        "RandomColorJitter": (lambda: L.RandomColorJitter(value_range=(0, 255)), one(IMG, img255)),
        "RandomContrast": (lambda: L.RandomContrast(0.1), one(IMG)),
        "RandomCrop": (lambda: L.RandomCrop(4, 4), one(IMG)),
        "RandomElasticTransform": (lambda: L.RandomElasticTransform(value_range=(0, 255)), one(IMG, img255)),
        "RandomErasing": (lambda: L.RandomErasing(value_range=(0, 255)), one(IMG, img255)),
        "RandomFlip": (L.RandomFlip, one(IMG)),
        "RandomGaussianBlur": (lambda: L.RandomGaussianBlur(value_range=(0, 255)), one(IMG, img255)),
        "RandomGrayscale": (L.RandomGrayscale, one(IMG)),
        "RandomHue": (lambda: L.RandomHue(0.1, value_range=(0, 255)), one(IMG, img255)),
        "RandomInvert": (lambda: L.RandomInvert(value_range=(0, 255)), one(IMG, img255)),
        "RandomPerspective": (L.RandomPerspective, one(IMG)),
        "RandomPosterization": (lambda: L.RandomPosterization(factor=(1, 4), value_range=(0, 255)), one(IMG, img255)),
        "RandomRotation": (lambda: L.RandomRotation(0.1), one(IMG)),
        "RandomSaturation": (lambda: L.RandomSaturation(0.1, value_range=(0, 255)), one(IMG, img255)),
        "RandomSharpness": (lambda: L.RandomSharpness(0.1, value_range=(0, 255)), one(IMG, img255)),
        "RandomShear": (lambda: L.RandomShear(x_factor=(0.0, 0.1)), one(IMG)),
        "RandomTranslation": (lambda: L.RandomTranslation(0.1, 0.1), one(IMG)),
        "RandomZoom": (lambda: L.RandomZoom(0.1), one(IMG)),
        "ReLU": (L.ReLU, one(VEC)),
        "RepeatVector": (lambda: L.RepeatVector(2), one(VEC)),
        "Rescaling": (lambda: L.Rescaling(0.5, offset=-1.0), one(IMG)),
        "Reshape": (lambda: L.Reshape((15,)), one(SEQ)),
        "Resizing": (lambda: L.Resizing(4, 4), one(IMG)),
        "ReversibleEmbedding": (lambda: L.ReversibleEmbedding(5, 2), one((3,), "int32")),
        "STFTSpectrogram": (lambda: L.STFTSpectrogram(frame_length=32, frame_step=16, fft_length=32, window=None),
                            one((128, 1))),
        "SeparableConv1D": (lambda: L.SeparableConv1D(2, 3), one(SEQ)),
        "SeparableConv2D": (lambda: L.SeparableConv2D(2, 3), one(IMG)),
        "SimpleRNN": (lambda: L.SimpleRNN(2), one(SEQ)),
        "SimpleRNNCell": (lambda: L.RNN(L.SimpleRNNCell(2)), one(SEQ)),
        "Softmax": (L.Softmax, one(VEC)),
        "Solarization": (lambda: L.Solarization(value_range=(0, 255)), one(IMG, img255)),
        "SpatialDropout1D": (lambda: L.SpatialDropout1D(0.2), one(SEQ)),
        "SpatialDropout2D": (lambda: L.SpatialDropout2D(0.2), one(IMG)),
        "SpatialDropout3D": (lambda: L.SpatialDropout3D(0.2), one(VOL)),
        "SpectralNormalization": (lambda: L.SpectralNormalization(L.Dense(2)), one(VEC)),
        "StackedRNNCells": (lambda: L.RNN(L.StackedRNNCells([L.LSTMCell(2), L.GRUCell(2)])), one(SEQ)),
        "StringLookup": (lambda: L.StringLookup(vocabulary=["a", "b"], invert=True), one((3,), "int64")),
        "TimeDistributed": (lambda: L.TimeDistributed(L.Dense(2)), one(SEQ)),
        "UnitNormalization": (L.UnitNormalization, one(VEC)),
        "UpSampling1D": (lambda: L.UpSampling1D(2), one(SEQ)),
        "UpSampling2D": (lambda: L.UpSampling2D(2), one(IMG)),
        "UpSampling3D": (lambda: L.UpSampling3D(2), one(VOL)),
        "ZeroPadding1D": (lambda: L.ZeroPadding1D(1), one(SEQ)),
        "ZeroPadding2D": (lambda: L.ZeroPadding2D(1), one(IMG)),
        "ZeroPadding3D": (lambda: L.ZeroPadding3D(1), one(VOL)),
    }
    return s


SPREAD_ARGS = {"MultiHeadAttention", "GroupedQueryAttention"}  # called as layer(query, value)

# Classes with a fixed verdict, and why. Anything else must be in SPECS.
EXPECTED = {
    "InputLayer": ("round-trips", "every model's inputs; written as graph inputs, not layers"),
    "Lambda": ("refused", "KERAS_UNSAFE: holds Python code; only with safe=False / --unsafe"),
    "TFSMLayer": ("refused", "KERAS_UNSAFE: loads an external SavedModel from a path; only with safe=False"),
    "TextVectorization": ("refused", "KERAS_UNSUPPORTED: takes string inputs, which ModelDoc 1.0 cannot hold"),
    "Equalization": ("not saveable", "cannot sit in a Functional model: Keras rejects its output spec"),
    "Layer": ("not saveable", "abstract base class"),
    "Wrapper": ("not saveable", "abstract base class"),
    "JaxLayer": ("not saveable", "needs the JAX backend (this build runs TensorFlow)"),
    "FlaxLayer": ("not saveable", "needs the JAX backend and Flax"),
    "TorchModuleWrapper": ("not saveable", "needs the PyTorch backend"),
}


@dataclass
class Row:
    name: str
    status: str
    note: str


def layer_classes() -> list[str]:
    import keras

    names = {o.__name__ for _, o in inspect.getmembers(keras.layers, inspect.isclass)
             if issubclass(o, keras.layers.Layer)}
    return sorted(names)


def _inputs(spec_inputs: list[tuple[tuple[int, ...], str]]) -> tuple[list[Any], list[np.ndarray]]:
    import keras

    rng = np.random.default_rng(0)
    tensors, arrays = [], []
    for shape, dtype in spec_inputs:
        real = "float32" if dtype == "image255" else dtype
        tensors.append(keras.Input(shape, dtype=real))
        if dtype == "image255":
            arrays.append(rng.uniform(0, 255, (2, *shape)).astype("float32"))
        elif "int" in dtype:
            arrays.append(rng.integers(0, 2, (2, *shape)).astype(dtype))
        else:
            arrays.append(rng.standard_normal((2, *shape)).astype(dtype))
    return tensors, arrays


def build(name: str) -> tuple[Any, list[np.ndarray]]:
    import keras

    factory, spec_inputs = _specs(keras.layers)[name]
    tensors, arrays = _inputs(spec_inputs)
    layer = factory()
    if name in SPREAD_ARGS:
        y = layer(*tensors)
    else:
        y = layer(tensors if len(tensors) > 1 else tensors[0])
    model = keras.Model(tensors if len(tensors) > 1 else tensors[0], y)
    rng = np.random.default_rng(1)
    for v in model.weights:  # random values, so nothing passes by matching an initializer
        if "float" in str(v.dtype) and v.trainable:
            v.assign(rng.uniform(0.5, 1.5, tuple(v.shape)).astype(np.dtype(v.dtype)))
    return model, arrays


def _fingerprint(model: Any, arrays: list[np.ndarray]) -> tuple[Any, Any]:
    import keras

    feed = arrays if len(arrays) > 1 else arrays[0]
    outs = []
    for t in keras.tree.flatten(model(feed, training=False)):
        a = np.asarray(keras.ops.convert_to_numpy(t))
        outs.append((str(a.dtype), a.shape, a.tolist() if a.dtype == object else a.tobytes()))
    ws = [(str(np.asarray(v.numpy()).dtype), np.asarray(v.numpy()).tobytes()) for v in model.weights]
    return ws, outs


def modeldoc_round_trip(model: Any, arrays: list[np.ndarray]) -> None:
    import modeldoc
    import modeldoc.keras as mk

    want = _fingerprint(model, arrays)
    doc = mk.from_keras(model)
    for encoding in ("base64", "list", "msgpack"):
        back = mk.to_keras(modeldoc.loads(modeldoc.dumps(doc, encoding=encoding)))  # type: ignore[arg-type]
        got = _fingerprint(back, arrays)
        if got[0] != want[0]:
            raise AssertionError(f"weights differ after the {encoding} round trip")
        if got[1] != want[1]:
            raise AssertionError(f"predictions differ after the {encoding} round trip")


def keras_can_save(model: Any) -> bool:
    import keras

    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = os.path.join(tmp, "m.keras")
            model.save(path)
            keras.models.load_model(path)
            return True
        except Exception:
            return False


def row(name: str) -> Row:
    import modeldoc

    if name in EXPECTED:
        return Row(name, *EXPECTED[name])
    try:
        model, arrays = build(name)
    except KeyError:
        return Row(name, "FAIL", "new class: add a test model to SPECS in scripts/keras_coverage.py")
    except Exception as e:
        return Row(name, "FAIL", f"test model does not build: {type(e).__name__}")
    try:
        modeldoc_round_trip(model, arrays)
        return Row(name, "round-trips", "weights and predictions bit-exact in base64, list and msgpack")
    except Exception as e:
        why = f"{e.code}" if isinstance(e, modeldoc.ModelDocError) else type(e).__name__
        if not keras_can_save(model):
            return Row(name, "not saveable", f"Keras' own .keras save/load fails too ({why})")
        return Row(name, "FAIL", f"{why}: {str(e).splitlines()[0][:120]}")


def rows(names: list[str] | None = None) -> list[Row]:
    return [row(n) for n in (names if names is not None else layer_classes())]


def render(table: list[Row]) -> str:
    import keras

    counts = {s: sum(r.status == s for r in table) for s in ("round-trips", "refused", "not saveable", "FAIL")}
    lines = [
        "# Keras layer coverage",
        "",
        "<!-- generated by scripts/keras_coverage.py; do not edit. tests/keras_adapter/test_keras_coverage.py checks it. -->",
        "",
        f"Keras {keras.__version__}, {len(table)} layer classes in `keras.layers`: "
        f"{counts['round-trips']} round-trip, {counts['refused']} refused, "
        f"{counts['not saveable']} not saveable by Keras here, {counts['FAIL']} failing.",
        "",
        "A row *round-trips* when a small model using the class goes through `from_keras`, "
        "`dumps`/`loads` and `to_keras` in every encoding with every weight and every prediction "
        "bit-identical. See docs/keras.md for the refusals.",
        "",
        "| class | status | note |",
        "|---|---|---|",
    ]
    lines += [f"| `{r.name}` | {r.status} | {r.note} |" for r in table]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = render(rows())
    if args.check:
        old = OUT.read_text("utf-8") if OUT.exists() else ""
        if old != text:
            print(f"{OUT.relative_to(ROOT)} is out of date; run scripts/keras_coverage.py")
            return 1
        return 1 if "| FAIL |" in text else 0
    OUT.write_text(text, "utf-8")
    print(text)
    return 1 if "| FAIL |" in text else 0


if __name__ == "__main__":
    sys.exit(main())
