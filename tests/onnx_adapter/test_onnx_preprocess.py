"""The layers keras.applications models use beyond the core set (spec.md 15.15 and the forms of 15.3 to 15.6 they
need), each exported on its own and run by onnxruntime against the reference evaluator; and the refusals, each
one ONNX_UNSUPPORTED finding at the member (or the layer) that export cannot follow."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pytest.importorskip("onnx")  # a formality: `make test` installs the extra, so these run
pytest.importorskip("onnxruntime")

import modeldoc
from modeldoc.onnx import to_onnx
from tests.onnx_adapter.onnx_helpers import one_layer_doc, onnx_and_evaluator, op_types

RNG = np.random.default_rng(0)
F32 = {"class_name": "DTypePolicy", "config": {"name": "float32"}}


def _x(shape: tuple[int, ...], dtype: str = "float32") -> np.ndarray:
    return (RNG.standard_normal(shape) * 3).astype(dtype)


def _close(doc: modeldoc.Document, *xs: np.ndarray, exact: bool = False) -> np.ndarray:
    got, want = onnx_and_evaluator(doc, list(xs))
    assert got.dtype == want.dtype and got.shape == want.shape
    if exact:
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-6)
    return got


def _refused(doc: modeldoc.Document) -> list[tuple[str, str]]:
    with pytest.raises(modeldoc.ModelDocError) as e:
        to_onnx(doc)
    return [(f.code, f.pointer) for f in e.value.findings]


# --- Rescaling ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("scale, offset", [(1 / 255, 0.0), ([0.5, 2.0, -1.0], 0.25), ([[2.0], [-1.0], [0.5], [3.0]], -1.5)])
def test_rescaling_matches_the_evaluator(scale: Any, offset: float) -> None:
    doc = one_layer_doc("Rescaling", {"scale": scale, "offset": offset, "dtype": F32}, [None, 4, 4, 3])
    x = _x((2, 4, 4, 3))
    got = _close(doc, x)
    np.testing.assert_allclose(got, x * np.asarray(scale, np.float32) + np.float32(offset), rtol=1e-6)


def test_rescaling_casts_integer_images_to_the_policy() -> None:
    doc = one_layer_doc("Rescaling", {"scale": 1 / 127.5, "offset": -1, "dtype": F32}, [None, 3, 3, 3], dtype="uint8")
    got = _close(doc, RNG.integers(0, 256, (1, 3, 3, 3)).astype("uint8"))
    assert got.dtype == np.float32 and got.min() >= -1 and got.max() <= 1


def test_rescaling_refusals() -> None:
    bad = one_layer_doc("Rescaling", {"scale": "half", "dtype": F32}, [None, 3])
    assert _refused(bad) == [("ONNX_UNSUPPORTED", "/model/layers/0/config/scale")]
    missing = one_layer_doc("Rescaling", {"offset": 1.0}, [None, 3])
    assert _refused(missing) == [("ONNX_UNSUPPORTED", "/model/layers/0/config/scale")]
    too_deep = one_layer_doc("Rescaling", {"scale": [[[1.0]]]}, [None, 3])  # rank 3 against rank 2
    assert _refused(too_deep) == [("ONNX_UNSUPPORTED", "/model/layers/0")]


# --- Normalization --------------------------------------------------------------------------------------------------

def _stats(shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    return {"n/mean": RNG.standard_normal(shape).astype("float32"),
            "n/variance": RNG.uniform(0.1, 4.0, shape).astype("float32"), "n/count": np.asarray(10, np.int64)}


@pytest.mark.parametrize("axis, sizes", [(-1, (3,)), ([1, 3], (4, 3)), ([-3], (4,))])
@pytest.mark.parametrize("invert", [False, True])
def test_normalization_with_weights(axis: Any, sizes: tuple[int, ...], invert: bool) -> None:
    doc = one_layer_doc("Normalization", {"axis": axis, "invert": invert, "mean": None, "variance": None,
                                          "dtype": F32}, [None, 4, 5, 3], weights=_stats(sizes))
    _close(doc, _x((2, 4, 5, 3)))


@pytest.mark.parametrize("config", [
    {"axis": -1, "mean": [0.485, 0.456, 0.406], "variance": [0.052, 0.05, 0.051]},  # ConvNeXt's form
    {"axis": [1, 3], "mean": 0.5, "variance": 2.0, "invert": True},
    {"axis": [1, 3], "mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 9.0]},  # on the last kept axis only
    {"axis": [1, 3], "mean": [[1.0], [2.0], [3.0], [4.0]], "variance": [[1.0], [4.0], [9.0], [16.0]]},
    {"axis": None, "mean": 3.0, "variance": 0.0},  # a divisor of max(sqrt(0), 1e-7), not 0
])
def test_normalization_with_constants(config: dict[str, Any]) -> None:
    doc = one_layer_doc("Normalization", {**config, "dtype": F32}, [None, 4, 5, 3])
    got = _close(doc, _x((2, 4, 5, 3)))
    assert np.isfinite(got).all()


def test_normalization_refusals() -> None:
    deep = one_layer_doc("Normalization", {"axis": -1, "mean": [[1.0, 2.0]], "variance": [[1.0, 1.0]]}, [None, 2])
    assert _refused(deep) == [("ONNX_UNSUPPORTED", "/model/layers/0/config/mean")]
    unequal = one_layer_doc("Normalization", {"axis": -1, "mean": [1.0, 2.0], "variance": 1.0}, [None, 2])
    assert _refused(unequal) == [("ONNX_UNSUPPORTED", "/model/layers/0/config/variance")]
    axis = one_layer_doc("Normalization", {"axis": [1, 1], "mean": 0.0, "variance": 1.0}, [None, 2])
    assert _refused(axis) == [("ONNX_UNSUPPORTED", "/model/layers/0/config/axis")]
    outside = one_layer_doc("Normalization", {"axis": 5, "mean": 0.0, "variance": 1.0}, [None, 2])
    assert _refused(outside) == [("ONNX_UNSUPPORTED", "/model/layers/0")]


# --- CenterCrop and Resizing ----------------------------------------------------------------------------------------

def test_center_crop_puts_the_odd_margin_at_the_end() -> None:
    doc = one_layer_doc("CenterCrop", {"height": 6, "width": 5, "dtype": F32}, [None, 8, 8, 2])
    x = _x((2, 8, 8, 2))
    got = _close(doc, x, exact=True)
    np.testing.assert_array_equal(got, x[:, 1:7, 1:6, :])
    assert op_types(doc) == ["Slice", "Identity"]


def test_center_crop_casts_integers_to_the_policy() -> None:
    doc = one_layer_doc("CenterCrop", {"height": 2, "width": 2, "dtype": F32}, [None, 4, 4, 1], dtype="int32")
    assert _close(doc, RNG.integers(-9, 9, (1, 4, 4, 1)).astype("int32"), exact=True).dtype == np.float32


def test_center_crop_refusals() -> None:
    larger = one_layer_doc("CenterCrop", {"height": 9, "width": 2}, [None, 8, 8, 1])  # Keras would resize
    assert _refused(larger) == [("ONNX_UNSUPPORTED", "/model/layers/0")]
    unknown = one_layer_doc("CenterCrop", {"height": 2, "width": 2}, [None, None, None, 1])
    assert _refused(unknown) == [("ONNX_UNSUPPORTED", "/model/layers/0")]
    first = one_layer_doc("CenterCrop", {"height": 2, "width": 2, "data_format": "channels_first"}, [None, 1, 8, 8])
    assert _refused(first) == [("ONNX_UNSUPPORTED", "/model/layers/0/config/data_format")]
    no_width = one_layer_doc("CenterCrop", {"height": 2}, [None, 8, 8, 1])
    assert _refused(no_width) == [("ONNX_UNSUPPORTED", "/model/layers/0/config/width")]


@pytest.mark.parametrize("size, interpolation, rows", [
    ((12, 5), "nearest", [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]),  # up by 3: each row three times
    ((2, 5), "nearest", [1, 3]),  # down by 2: rows 1 and 3 (the middle of each pair, rounded up)
    ((4, 5), "bilinear", [0, 1, 2, 3]),  # the same size: unchanged, whatever the interpolation
    ((4, 5), "bicubic", [0, 1, 2, 3]),
])
def test_resizing_takes_the_rows_keras_takes(size: tuple[int, int], interpolation: str, rows: list[int]) -> None:
    doc = one_layer_doc("Resizing", {"height": size[0], "width": size[1], "interpolation": interpolation,
                                     "crop_to_aspect_ratio": False, "dtype": F32}, [None, 4, 5, 2])
    x = _x((2, 4, 5, 2))
    got = _close(doc, x, exact=True)
    np.testing.assert_array_equal(got, x[:, rows])
    assert "Resize" not in op_types(doc)


def test_resizing_down_by_three_on_both_axes_keeps_integers() -> None:
    doc = one_layer_doc("Resizing", {"height": 4, "width": 2, "interpolation": "nearest", "dtype": F32},
                        [None, 12, 6, 1], dtype="uint8")
    x = RNG.integers(0, 256, (1, 12, 6, 1)).astype("uint8")
    got = _close(doc, x, exact=True)
    np.testing.assert_array_equal(got, x[:, [1, 4, 7, 10]][:, :, [1, 4]])


def test_resizing_refusals() -> None:
    def doc(config: dict[str, Any], shape: list[int | None]) -> modeldoc.Document:
        return one_layer_doc("Resizing", {"height": 4, "width": 4, **config}, shape)

    interpolating = doc({"interpolation": "bilinear"}, [None, 8, 4, 1])  # 8 -> 4 by weights: not exact
    assert _refused(interpolating) == [("ONNX_UNSUPPORTED", "/model/layers/0/config/height")]
    not_whole = doc({"interpolation": "nearest"}, [None, 4, 6, 1])
    assert _refused(not_whole) == [("ONNX_UNSUPPORTED", "/model/layers/0/config/width")]
    lanczos = doc({"interpolation": "lanczos3"}, [None, 4, 4, 1])
    assert _refused(lanczos) == [("ONNX_UNSUPPORTED", "/model/layers/0/config/interpolation")]
    aspect = doc({"crop_to_aspect_ratio": True, "antialias": True}, [None, 4, 4, 1])
    assert _refused(aspect) == [("ONNX_UNSUPPORTED", "/model/layers/0/config/crop_to_aspect_ratio"),
                                ("ONNX_UNSUPPORTED", "/model/layers/0/config/antialias")]
    unknown = doc({}, [None, None, 4, 1])
    assert _refused(unknown) == [("ONNX_UNSUPPORTED", "/model/layers/0")]


# --- LayerScale, CustomScaleLayer -----------------------------------------------------------------------------------

def test_layer_scale_multiplies_the_last_axis() -> None:
    gamma = RNG.standard_normal(6).astype("float32")
    doc = one_layer_doc("LayerScale", {"init_values": 0.5, "projection_dim": 6, "dtype": F32}, [None, 3, 3, 6],
                        weights={"ls/gamma": gamma})
    x = _x((2, 3, 3, 6))
    np.testing.assert_array_equal(_close(doc, x), x * gamma)


def test_custom_scale_layer_adds_the_scaled_second_input() -> None:
    doc = one_layer_doc("CustomScaleLayer", {"scale": 0.17, "dtype": F32}, [None, 3, 4], inputs=2,
                        arguments={"args": [[{"$input": 0}, {"$input": 1}]], "kwargs": {}})
    a, b = _x((2, 3, 4)), _x((2, 3, 4))
    np.testing.assert_array_equal(_close(doc, a, b), a + b * np.float32(0.17))


def test_scale_layer_refusals() -> None:
    no_scale = one_layer_doc("CustomScaleLayer", {}, [None, 3], inputs=2)
    assert _refused(no_scale) == [("ONNX_UNSUPPORTED", "/model/layers/0/config/scale")]
    two = one_layer_doc("LayerScale", {}, [None, 3], weights={"a": np.ones(3, "float32"), "b": np.ones(3, "float32")})
    assert _refused(two) == [("ONNX_UNSUPPORTED", "/model/layers/0/weights")]


# --- grouped convolution, global pooling with keepdims, the applications' activations -------------------------------

@pytest.mark.parametrize("groups", [2, 4])
def test_grouped_convolution(groups: int) -> None:
    kernel = RNG.standard_normal((3, 3, 4 // groups, 8)).astype("float32")
    doc = one_layer_doc("Conv2D", {"filters": 8, "kernel_size": [3, 3], "groups": groups, "padding": "same",
                                   "dtype": F32}, [None, 5, 5, 4], weights={"c/kernel": kernel,
                                                                           "c/bias": np.zeros(8, "float32")})
    _close(doc, _x((2, 5, 5, 4)))
    assert [a.i for n in to_onnx(doc).graph.node if n.op_type == "Conv" for a in n.attribute
            if a.name == "group"] == [groups]


@pytest.mark.parametrize("layer_type", ["GlobalAveragePooling2D", "GlobalMaxPooling2D", "GlobalAveragePooling1D",
                                        "GlobalMaxPooling1D"])
def test_global_pooling_keepdims(layer_type: str) -> None:
    dims = (4, 5, 3) if layer_type.endswith("2D") else (4, 3)
    shape: list[int | None] = [None, *dims]
    doc = one_layer_doc(layer_type, {"keepdims": True, "dtype": F32}, shape)
    got = _close(doc, _x((2, *dims)))
    assert got.shape == (2, *[1] * (len(shape) - 2), 3)


@pytest.mark.parametrize("activation", ["hard_silu", "hard_swish", "gelu"])
def test_application_activations(activation: str) -> None:
    doc = one_layer_doc("Activation", {"activation": activation, "dtype": F32}, [None, 50])
    x = np.linspace(-8, 8, 100, dtype="float32").reshape(2, 50)  # both ends of hard_sigmoid's clip
    _close(doc, x)
