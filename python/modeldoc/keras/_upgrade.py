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

_KEY = re.compile(r"\Alayer_(0|[1-9][0-9]*)_weight_(0|[1-9][0-9]*)\Z")


def upgrade(
    data: bytes,
    *,
    input_shape: list[int | None] | None = None,
    input_dtype: str = "float32",
    custom_objects: dict[str, Any] | None = None,
    test_vectors: int = 0,
) -> Document:
    """A ModelDoc document from legacy JSON bytes (shape 1 or 2 above)."""
    tree = parse_config(data, "the legacy file")
    if not isinstance(tree, dict) or not isinstance(tree.get("weights"), dict):
        refuse("KERAS_INVALID_INPUT", "", "expected an object with \"weights\" and \"model_config\" or \"model_json\"")
    resolver = Resolver(custom_objects, safe=True)
    if "model_json" in tree:
        if not isinstance(tree["model_json"], str):
            refuse("KERAS_INVALID_INPUT", "/model_json", "model_json must be the text of model.to_json()")
        model = model_from_config(parse_config(tree["model_json"], "model_json"), resolver, "model_json")
        layers = list(model.layers)
    elif isinstance(tree.get("model_config"), list):
        model, layers = _chain(tree["model_config"], resolver, input_shape, input_dtype)
    else:
        refuse("KERAS_INVALID_INPUT", "", "expected \"model_config\" (a list of layers) or \"model_json\" (text)")
    _set_weights(layers, tree["weights"])
    return from_keras(model, test_vectors=test_vectors, custom_objects=custom_objects)


def _chain(entries: list[Any], resolver: Resolver, input_shape: list[int | None] | None,
           input_dtype: str) -> tuple[Any, list[Any]]:
    layers: list[dict[str, Any]] = []
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or not isinstance(e.get("class"), str) or not isinstance(e.get("config", {}), dict):
            refuse("KERAS_INVALID_INPUT", f"/model_config/{i}", "each layer needs \"class\" (a string) and \"config\"")
        config = dict(e.get("config", {}))
        if "name" in e:
            config["name"] = e["name"]
        layers.append({"class_name": e["class"], "config": config, "module": None, "registered_name": None})
    if layers and layers[0]["class_name"] == "InputLayer":
        first = layers.pop(0)["config"]
        input_shape = input_shape or first.get("batch_shape") or first.get("batch_input_shape")
        input_dtype = first.get("dtype", input_dtype) if isinstance(first.get("dtype"), str) else input_dtype
        offset = 1
    else:
        offset = 0
        if input_shape is None and layers:
            cfg = layers[0]["config"]
            input_shape = cfg.get("batch_shape") or cfg.get("batch_input_shape") or (
                [None, *cfg["input_shape"]] if isinstance(cfg.get("input_shape"), list) else None)
    if not input_shape:
        refuse("KERAS_INVALID_INPUT", "/model_config", "the layers do not say the input shape; "
               "pass it (CLI: --input-shape None,28,28,1)")
    input_layer = {"class_name": "InputLayer", "module": None, "registered_name": None,
                   "config": {"batch_shape": list(input_shape), "dtype": input_dtype, "name": "input_layer"}}
    config = {"class_name": "Sequential", "module": None, "registered_name": None,
              "config": {"name": "sequential", "layers": [input_layer, *layers],
                         "build_input_shape": list(input_shape)}}
    model = model_from_config(config, resolver, "model_config")
    # Position i of the recipe is position i of model_config, InputLayer included.
    by_position = [None] * offset + list(model.layers)
    return model, by_position


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
