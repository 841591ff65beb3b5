"""Global pooling with ``keepdims=True`` as tfjs can compute it: the pooling, then a Reshape to [1, (1,) c].

tfjs-layers 4.22's global pooling layers ignore ``keepdims`` (the output is [batch, c]) and its Reshape leaves
a -1 unresolved when it builds the model, so the Reshape needs the channel count c written out. c is found
by following the pooled value back through layers that keep the channel count to one that fixes it (a
convolution's ``filters``, a normalization's weights, a model input); where that fails the export is refused.
"""

from __future__ import annotations

from typing import Any

from ..document import Document
from ..flatgraph import Call, Program

GLOBAL_POOLING = {"GlobalAveragePooling1D": 1, "GlobalMaxPooling1D": 1, "GlobalAveragePooling2D": 2,
                  "GlobalMaxPooling2D": 2}
# Layers whose output has the channel count of their first input (channels last).
_SAME_CHANNELS = frozenset((
    "Activation", "ReLU", "LeakyReLU", "ELU", "PReLU", "Softmax", "Dropout", "SpatialDropout1D", "SpatialDropout2D",
    "GaussianNoise", "GaussianDropout", "AlphaDropout", "ZeroPadding1D", "ZeroPadding2D", "Cropping1D",
    "Cropping2D", "UpSampling1D", "UpSampling2D", "MaxPooling1D", "MaxPooling2D", "AveragePooling1D",
    "AveragePooling2D", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "LayerNormalization",
    "CustomScaleLayer",
))
_FILTERS = ("Conv1D", "Conv2D", "Conv2DTranspose", "SeparableConv1D", "SeparableConv2D")


def wants_reshape(call: Call) -> bool:
    """Whether this call is a global pooling with keepdims=True over channels-last data."""
    config = call.layer.config
    return (call.layer.type in GLOBAL_POOLING and config.get("keepdims") is True
            and config.get("data_format", "channels_last") in ("channels_last", None))


def channels(value: str, doc: Document, program: Program, producers: dict[str, Call]) -> int | None:
    """The size of the last axis of ``value``, where the graph fixes it; None where it does not."""
    for _ in range(10_000):  # a chain of layers, never a cycle (the program is in topological order)
        for i in program.inputs:
            if i.name == value:
                last = i.shape[-1] if i.shape else None
                return last if isinstance(last, int) else None
        call = producers.get(value)
        if call is None or call.outputs.index(value) != 0:
            return None
        kind, config = call.layer.type, call.layer.config
        if kind in _FILTERS and isinstance(config.get("filters"), int):
            return int(config["filters"])
        if kind == "Dense" and isinstance(config.get("units"), int):
            return int(config["units"])
        if kind == "BatchNormalization" and config.get("axis", -1) not in (-1, [-1]):
            return None
        if kind in ("BatchNormalization", "DepthwiseConv2D", "DepthwiseConv1D") and call.layer.weights:
            shape = _shape(doc, call.layer.weights[-1])  # moving_variance (c,), or the bias (c,)
            if kind.startswith("Depthwise") and not config.get("use_bias", True):
                kernel = _shape(doc, call.layer.weights[0])
                return kernel[-2] * kernel[-1] if kernel and len(kernel) >= 2 else None
            return shape[0] if shape and len(shape) == 1 else None
        scalar = kind == "Rescaling" and all(isinstance(config.get(k, 0.0), (int, float)) for k in ("scale", "offset"))
        if not (kind in _SAME_CHANNELS or scalar) or not call.inputs:
            return None
        value = call.inputs[0]
    return None


def _shape(doc: Document, tensor: str) -> tuple[int, ...] | None:
    array = doc.tensors.get(tensor)
    return tuple(array.shape) if array is not None else None


def reshape_entry(name: str, rank: int, c: int) -> dict[str, Any]:
    """The tfjs Reshape that gives a pooled [batch, c] value back its ``rank`` size-1 spatial axes."""
    return {"name": name, "class_name": "Reshape", "inbound_nodes": [],
            "config": {"name": name, "trainable": False, "dtype": "float32", "target_shape": [*[1] * rank, c]}}
