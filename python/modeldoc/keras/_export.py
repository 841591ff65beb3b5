"""Keras model -> ModelDoc document (``from_keras``).

The graph comes from the model's own serialized config (what Keras writes to
``config.json`` in a ``.keras`` file), so nothing about a layer is guessed:
``Layer.config`` is the layer's ``get_config()`` made JSON-safe, and every call
of a layer in a Functional model becomes one ModelDoc node. The top-level
Keras model is itself one layer (type ``Functional`` or ``Sequential``) holding
a nested graph, so a model nested inside another is written the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import __version__
from ..document import Document, Graph, Input, Layer, Node, Producer
from ..dtypes import dtype_of_array
from ._allowlist import OP_PREFIX, Resolver, op_type
from ._errors import refuse
from ._json import to_json
from ._structure import flatten_refs, is_flat

Where = tuple[str | int, ...]
GRAPH_MODELS = ("Functional", "Sequential")
_LOOKUPS = ("StringLookup", "IntegerLookup", "TextVectorization")


def from_keras(
    model: Any,
    *,
    test_vectors: int = 0,
    seed: int = 0,
    test_inputs: list[dict[str, np.ndarray]] | None = None,
    safe: bool = True,
    custom_objects: dict[str, Any] | None = None,
    metadata: dict[str, str] | None = None,
) -> Document:
    """A ModelDoc document holding ``model``'s graph, layer configs and every weight.

    ``test_vectors=N`` embeds N input batches (random, fixed by ``seed``; or the
    given ``test_inputs``) and the outputs Keras computes for them. A model
    with a Lambda layer or other code is refused unless ``safe=False``.

    >>> import keras, modeldoc.keras
    >>> m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="dense")])
    >>> doc = modeldoc.keras.from_keras(m)
    >>> sorted(doc.tensors)
    ['dense/bias', 'dense/kernel']
    """
    import keras

    from ._vectors import make_test_vectors

    if not isinstance(model, keras.Model):
        refuse("KERAS_UNSUPPORTED", "", f"expected a keras.Model, got {type(model).__name__}")
    serialized = keras.saving.serialize_keras_object(model)
    if serialized.get("class_name") not in GRAPH_MODELS or "layers" not in serialized.get("config", {}):
        refuse("KERAS_UNSUPPORTED", "/class_name",
               f"{type(model).__name__} is a subclassed model: only Functional and Sequential models have a graph")
    # The document must be one that to_keras accepts: check every name against the allowlist now.
    Resolver(custom_objects, safe=safe).clean(serialized)
    tensors: dict[str, np.ndarray] = {}
    namer = _WeightNamer(tensors)
    top = _model_layer(model, serialized, "", namer, ())
    assert top.model is not None
    inner = top.model
    outer_outputs = _outer_names(inner)
    graph = Graph(
        name=model.name,
        layers=[top],
        inputs=[Input(i.name, i.dtype, list(i.shape)) for i in inner.inputs],
        nodes=[Node(top.name, [i.name for i in inner.inputs], outer_outputs)],
        outputs=outer_outputs,
    )
    doc = Document(
        graph,
        tensors,
        metadata=dict(metadata or {}),
        producer=Producer("modeldoc", __version__, "keras", keras.__version__),
    )
    if test_vectors or test_inputs:
        make_test_vectors(doc, model, top, test_vectors, seed, test_inputs)
    return doc


def _outer_names(inner: Graph) -> list[str]:
    taken = {i.name for i in inner.inputs}
    if len(set(inner.outputs)) == len(inner.outputs) and not taken & set(inner.outputs):
        return list(inner.outputs)
    return [f"output_{i}" for i in range(len(inner.outputs))]


def layer_type(entry: dict[str, Any]) -> str:
    """A built-in's Keras class name, or a custom object's registered name."""
    module = entry.get("module") or ""
    if module.startswith(OP_PREFIX):
        return op_type(module, str(entry["class_name"]))
    if module == "keras" or module.startswith("keras."):
        return str(entry["class_name"])
    return str(entry.get("registered_name") or entry["class_name"])


def _model_layer(model: Any, entry: dict[str, Any], prefix: str, namer: "_WeightNamer", where: Where) -> Layer:
    config = dict(entry["config"])
    if entry["class_name"] == "Sequential":
        graph = _sequential_graph(model, config, prefix, namer, (*where, "config"))
        for key in ("layers", "build_input_shape"):
            config.pop(key, None)
    else:
        graph, structures = _functional_graph(model, config, prefix, namer, (*where, "config"))
        for key in ("layers", "input_layers", "output_layers"):
            config.pop(key, None)
        config.update(structures)
    graph.name = model.name
    return Layer(model.name, layer_type(entry), to_json(config, (*where, "config")), [], graph)


def _input(entry: dict[str, Any], where: Where) -> Input:
    cfg = entry["config"]
    dtype = cfg.get("dtype")
    if isinstance(dtype, dict):  # a DTypePolicy-like object in some configs
        dtype = dtype.get("config", {}).get("name")
    if dtype == "string":
        refuse("KERAS_UNSUPPORTED", (*where, "config", "dtype"),
               f"input {entry['name']!r} holds strings; ModelDoc 1.0 inputs are numeric or bool tensors")
    if dtype is None or not isinstance(dtype, str):
        refuse("KERAS_UNSUPPORTED", (*where, "config", "dtype"), f"input {entry['name']!r} has no dtype")
    for flag in ("sparse", "ragged"):
        if cfg.get(flag):
            refuse("KERAS_UNSUPPORTED", (*where, "config", flag), f"{flag} input {entry['name']!r} is not supported")
    if cfg.get("optional"):
        refuse("KERAS_UNSUPPORTED", (*where, "config", "optional"), f"optional input {entry['name']!r} is not supported")
    shape = cfg.get("batch_shape")
    return Input(str(entry["config"].get("name", entry.get("name"))), dtype, [None if d is None else int(d) for d in shape])


def _sequential_graph(model: Any, config: dict[str, Any], prefix: str, namer: "_WeightNamer", where: Where) -> Graph:
    entries = config["layers"]
    if not entries or entries[0]["class_name"] != "InputLayer":
        refuse("KERAS_UNSUPPORTED", (*where, "layers"), f"Sequential model {model.name!r} is not built: it has no input")
    graph = Graph(inputs=[_input(entries[0], (*where, "layers", 0))])
    current = graph.inputs[0].name
    for i, (entry, layer) in enumerate(zip(entries[1:], model.layers), start=1):
        graph.layers.append(_layer(layer, entry, prefix, namer, (*where, "layers", i)))
        graph.nodes.append(Node(layer.name, [current], [layer.name]))
        current = layer.name
    graph.outputs = [current]
    return graph


def _functional_graph(
    model: Any, config: dict[str, Any], prefix: str, namer: "_WeightNamer", where: Where
) -> tuple[Graph, dict[str, Any]]:
    from keras.src.models.functional import Functional
    from keras.src.ops.function import make_node_key

    ops = {op.name: op for op in model.operations}
    outputs_per_node: dict[str, list[int]] = {}
    for op in model.operations:
        for i, node in enumerate(op._inbound_nodes):
            if make_node_key(op, i) in model._nodes:
                outputs_per_node.setdefault(op.name, []).append(len(node.outputs))

    graph = Graph()
    value_of: dict[tuple[str, int, int], str] = {}
    for li, entry in enumerate(config["layers"]):
        name = entry["name"]
        if entry["class_name"] == "InputLayer":
            graph.inputs.append(_input(entry, (*where, "layers", li)))
            value_of[(name, 0, 0)] = graph.inputs[-1].name
            continue
        counts = outputs_per_node.get(name, [])
        offset = 1 if isinstance(ops[name], Functional) else 0
        for k, n_out in enumerate(counts):
            for t in range(n_out):
                single = len(counts) == 1 and n_out == 1
                value_of[(name, offset + k, t)] = name if single else f"{name}:{k}:{t}"

    for li, entry in enumerate(config["layers"]):
        if entry["class_name"] == "InputLayer":
            continue
        name = entry["name"]
        at = (*where, "layers", li)
        graph.layers.append(_layer(ops[name], entry, prefix, namer, at))
        counts = outputs_per_node.get(name, [])
        offset = 1 if isinstance(ops[name], Functional) else 0
        for k, node_data in enumerate(entry["inbound_nodes"]):
            inputs: list[str] = []
            arguments = _arguments(node_data, inputs, value_of, (*at, "inbound_nodes", k))
            outputs = [value_of[(name, offset + k, t)] for t in range(counts[k])]
            graph.nodes.append(Node(name, inputs, outputs, arguments=arguments))

    structures: dict[str, Any] = {}
    for key, member in (("input_layers", "inputs"), ("output_layers", "outputs")):
        refs, skeleton = flatten_refs(config[key])
        if member == "outputs":
            graph.outputs = [value_of[(r[0], r[1], r[2])] for r in refs]
        elif [i.name for i in graph.inputs] != [r[0] for r in refs]:
            by_name = {i.name: i for i in graph.inputs}
            graph.inputs = [by_name[r[0]] for r in refs]
        if not is_flat(skeleton, len(refs)):
            structures[key.replace("_layers", "_structure")] = skeleton
    return graph, structures


def _arguments(node_data: Any, inputs: list[str], value_of: dict[tuple[str, int, int], str], where: Where) -> dict[str, Any]:
    """The call's args and kwargs, each Keras tensor replaced by ``{"$input": i}`` (its place in ``inputs``)."""

    def walk(x: Any) -> Any:
        if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
            history = x["config"]["keras_history"]
            inputs.append(value_of[(history[0], history[1], history[2])])
            return {"$input": len(inputs) - 1}
        if isinstance(x, dict):
            return {k: walk(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [walk(v) for v in x]
        return x

    args = walk(node_data.get("args", []))
    kwargs = walk(node_data.get("kwargs", {}))
    if args == [{"$input": i} for i in range(len(inputs))] and not kwargs:
        return {}
    return to_json({"args": args, "kwargs": kwargs}, where)  # type: ignore[no-any-return]


def _layer(layer: Any, entry: dict[str, Any], prefix: str, namer: "_WeightNamer", where: Where) -> Layer:
    if entry["class_name"] in GRAPH_MODELS and "layers" in entry.get("config", {}):
        return _model_layer(layer, entry, prefix + layer.name + "/", namer, where)
    config = dict(entry["config"])
    if entry["class_name"] in _LOOKUPS:
        _lookup_state(layer, config)
    weights = namer.names(layer, prefix, where)
    return Layer(layer.name, layer_type(entry), to_json(config, (*where, "config")), weights)


def _lookup_state(layer: Any, config: dict[str, Any]) -> None:
    """Lookup layers keep an adapted vocabulary in assets, not weights: write it into the config."""
    if config.get("vocabulary") is None and layer.vocabulary_size() > 0:
        config["vocabulary"] = list(layer.get_vocabulary())
    if getattr(layer, "output_mode", None) == "tf_idf" and config.get("idf_weights") is None:
        config["idf_weights"] = [float(x) for x in np.asarray(layer.idf_weights)]


class _WeightNamer:
    """Names each variable after its Keras path, relative to the top-level model; one tensor per variable."""

    def __init__(self, tensors: dict[str, np.ndarray]) -> None:
        self.tensors = tensors
        self.by_variable: dict[int, str] = {}

    def names(self, layer: Any, prefix: str, where: Where) -> list[str]:
        out = []
        for v in getattr(layer, "weights", []):  # Keras operations have none
            if id(v) in self.by_variable:  # one variable shared by several layers: one tensor
                out.append(self.by_variable[id(v)])
                continue
            name = self._unique(prefix + layer.name + "/" + _suffix(v.path, layer.name))
            arr = np.array(v.numpy(), order="C")
            if dtype_of_array(arr) is None:
                refuse("KERAS_UNSUPPORTED", where, f"weight {v.path!r} has dtype {arr.dtype}, not a ModelDoc dtype")
            self.tensors[name] = arr
            self.by_variable[id(v)] = name
            out.append(name)
        return out

    def _unique(self, name: str) -> str:
        if name not in self.tensors:
            return name
        i = 1
        while f"{name}_{i}" in self.tensors:
            i += 1
        return f"{name}_{i}"


def _suffix(path: str, layer_name: str) -> str:
    """The part of a variable path after the layer's own name: ``kernel``, ``forward_lstm/lstm_cell/bias``."""
    parts = path.split("/")
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == layer_name:
            return "/".join(parts[i + 1:])
    return parts[-1]
