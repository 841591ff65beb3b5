"""``modeldoc upgrade``: the hand-rolled JSON people already have, turned into ModelDoc.

Two shapes are recognised (weights keyed ``layer_<i>_weight_<j>``, values
nested lists from ``ndarray.tolist()``):

1. ``{"model_config": [{"name", "class", "config"}, ...], "weights": {...}}``:
   one entry per layer, in order; the layers form a chain (a Sequential model).
2. ``{"model_json": model.to_json(), "weights": {...}}``: the full model config.

In both, ``i`` is the layer's position in the list the recipe enumerated
(``model_config`` order, or ``model.layers`` of the rebuilt model) and ``j``
the position in ``layer.get_weights()``. The config goes through the same
allowlist as every other input; nothing it names is imported or called.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..document import Document
from ._allowlist import Resolver
from ._errors import refuse
from ._export import from_keras
from ._files import model_from_config, parse_config
from ._import import build
from ._infer import CONV_RANK, FLATTENING, RECURRENT, SHAPE_KEEPING, infer_input_shape
from ._legacy import modernize

_KEY = re.compile(r"\Alayer_(0|[1-9][0-9]*)_weight_(0|[1-9][0-9]*)\Z")


def upgrade(
    data: bytes,
    *,
    input_shape: list[int | None] | None = None,
    input_dtype: str | None = None,
    custom_objects: dict[str, Any] | None = None,
    test_vectors: int = 0,
) -> Document:
    """A ModelDoc document from legacy JSON bytes (shape 1 or 2 above).

    Weights are a map ``layer_<i>_weight_<j>`` -> nested lists, or one list in ``model.get_weights()``
    order. Where ``model_config`` does not say the input shape (Keras 3 configs never do), it is read off
    the weights where they decide it (see ``_infer``); otherwise ``input_shape`` must give it.
    """
    tree = parse_config(data, "the legacy file")
    if not isinstance(tree, dict) or not isinstance(tree.get("weights"), (dict, list)):
        refuse("KERAS_INVALID_INPUT", "", "expected an object with \"weights\" and \"model_config\" or \"model_json\"")
    weights = tree["weights"]
    resolver = Resolver(custom_objects, safe=True)
    if "model_json" in tree:
        if not isinstance(tree["model_json"], str):
            refuse("KERAS_INVALID_INPUT", "/model_json", "model_json must be the text of model.to_json()")
        model = model_from_config(parse_config(tree["model_json"], "model_json"), resolver, "model_json")
        layers = list(model.layers)
    elif isinstance(tree.get("model_config"), list):
        model, layers = _chain(tree["model_config"], weights, resolver, input_shape, input_dtype)
    else:
        refuse("KERAS_INVALID_INPUT", "", "expected \"model_config\" (a list of layers) or \"model_json\" (text)")
    if isinstance(weights, dict):
        _set_weights(layers, weights)
    else:
        _set_weight_list(layers, weights)
    return from_keras(model, test_vectors=test_vectors, custom_objects=custom_objects)


def _chain(entries: list[Any], weights: dict[str, Any] | list[Any], resolver: Resolver,
           input_shape: list[int | None] | None, input_dtype: str | None) -> tuple[Any, list[Any]]:
    layers: list[dict[str, Any]] = []
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or not isinstance(e.get("class"), str) or not isinstance(e.get("config", {}), dict):
            refuse("KERAS_INVALID_INPUT", f"/model_config/{i}", "each layer needs \"class\" (a string) and \"config\"")
        config = dict(e.get("config", {}))
        if "name" in e:
            config["name"] = e["name"]
        layers.append({"class_name": e["class"], "config": config})
    if not layers:
        refuse("KERAS_INVALID_INPUT", "/model_config", "model_config lists no layer")
    offset = 1 if layers[0]["class_name"] == "InputLayer" else 0
    chain = modernize({"class_name": "Sequential", "config": {"name": "sequential", "layers": layers}})["config"]["layers"]
    if chain[0]["class_name"] == "InputLayer":
        first = chain.pop(0)["config"]
        input_shape = input_shape or first.get("batch_shape")
        input_dtype = input_dtype or first.get("dtype")
    if not input_shape:
        instances = [build(resolver.clean(e), resolver, True, f"/model_config/{k + offset}") for k, e in enumerate(chain)]
        input_shape, inferred_dtype = infer_input_shape(chain, _shapes(chain, weights, offset), instances)
        input_dtype = input_dtype or inferred_dtype
    input_layer = {"class_name": "InputLayer", "module": "keras.layers", "registered_name": None,
                   "config": {"batch_shape": list(input_shape), "dtype": input_dtype or "float32", "name": "input_layer"}}
    config = {"class_name": "Sequential", "module": "keras", "registered_name": None,
              "config": {"name": "sequential", "layers": [input_layer, *chain]}}
    model = model_from_config(config, resolver, "model_config")
    # Position i of the recipe is position i of model_config, InputLayer included.
    by_position = [None] * offset + list(model.layers)
    return model, by_position


# Weights per layer, for reading a plain get_weights() list before the model exists (only the shapes
# needed to infer the input shape are read this way; the weights are assigned by the built model).
def _count(entry: dict[str, Any]) -> int | None:
    cn, c = entry["class_name"], entry.get("config", {})
    bias = 1 if c.get("use_bias", True) else 0
    if cn == "Dense" or cn in CONV_RANK and not cn.startswith(("Separable", "ConvLSTM")):
        return 1 + bias
    if cn.startswith("SeparableConv"):
        return 2 + bias
    if cn in RECURRENT or cn.startswith("ConvLSTM"):
        return 2 + bias
    if cn == "Embedding" or cn == "PReLU":
        return 1
    if cn == "BatchNormalization":
        return 2 + int(c.get("center", True)) + int(c.get("scale", True))
    if cn == "LayerNormalization":
        return int(c.get("center", True)) + int(c.get("scale", True))
    if cn in ("Bidirectional",):
        inner = c.get("layer")
        n = _count(inner) if isinstance(inner, dict) else None
        return None if n is None else 2 * n
    if cn == "TimeDistributed":
        inner = c.get("layer")
        return _count(inner) if isinstance(inner, dict) else None
    return 0 if cn in SHAPE_KEEPING or cn in FLATTENING or "Pooling" in cn or cn in (
        "InputLayer", "RepeatVector", "Permute", "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D",
        "UpSampling1D", "UpSampling2D") else None


def _shapes(chain: list[dict[str, Any]], weights: dict[str, Any] | list[Any], offset: int) -> list[list[tuple[int, ...]]]:
    def shape(value: Any) -> tuple[int, ...]:
        try:
            return tuple(np.asarray(value, dtype=np.float64).shape)
        except (ValueError, TypeError, OverflowError):
            return ()

    if isinstance(weights, dict):
        return [[shape(weights[f"layer_{k + offset}_weight_{j}"]) for j in range(64)
                 if f"layer_{k + offset}_weight_{j}" in weights] for k in range(len(chain))]
    out: list[list[tuple[int, ...]]] = []
    at = 0
    for entry in chain:
        n = _count(entry)
        if n is None:  # a layer whose weight count is unknown here: the shapes after it are unknown too
            out.extend([] for _ in range(len(chain) - len(out)))
            break
        out.append([shape(w) for w in weights[at:at + n]])
        at += n
    return out


def _set_weight_list(layers: list[Any], weights: list[Any]) -> None:
    """Weights as one list in get_weights() order: layer by layer, each layer's weights in order."""
    keyed: dict[str, Any] = {}
    at = 0
    for i, layer in enumerate(layers):
        if layer is None:
            continue
        for j in range(len(layer.weights)):
            if at < len(weights):
                keyed[f"layer_{i}_weight_{j}"] = weights[at]
            at += 1
    if at != len(weights):
        refuse("KERAS_MISMATCH", "/weights", f"the weights list has {len(weights)} arrays, the model {at}")
    _set_weights(layers, keyed)


def _set_weights(layers: list[Any], weights: dict[str, Any]) -> None:
    used: set[str] = set()
    for i, layer in enumerate(layers):
        if layer is None:
            continue
        for j, variable in enumerate(layer.weights):
            key = f"layer_{i}_weight_{j}"
            if key not in weights:
                refuse("KERAS_MISMATCH", "/weights", f"{key} is missing: layer {layer.name!r} has {len(layer.weights)} weights")
            try:
                arr = np.asarray(weights[key], dtype=np.dtype(variable.dtype))
            except (ValueError, TypeError, OverflowError) as e:
                refuse("KERAS_INVALID_INPUT", f"/weights/{key}", f"not a {variable.dtype} array: {str(e)[:200]}")
            if arr.shape != tuple(variable.shape):
                refuse("KERAS_MISMATCH", f"/weights/{key}", f"shape {list(arr.shape)}, layer {layer.name!r} expects "
                       f"{list(variable.shape)}")
            variable.assign(arr)
            used.add(key)
    extra = sorted(set(weights) - used)
    if extra:
        bad = [k for k in extra if not _KEY.match(k)]
        refuse("KERAS_MISMATCH", f"/weights/{(bad or extra)[0]}",
               f"{len(extra)} weight(s) fit no layer of the model (first: {(bad or extra)[0]}); refusing to drop them")
