"""ModelDoc document -> Keras model (``to_keras``), with no name resolved outside the allowlist.

The document's graph is turned back into the config Keras itself writes
(Functional ``layers``/``inbound_nodes``/``input_layers``/``output_layers``, or
Sequential ``layers``), every serialized object in it is resolved by
:class:`~._allowlist.Resolver`, and only then does Keras build the model, with
``custom_objects`` holding exactly the resolved objects and safe mode on.
The weights are then assigned variable by variable, checking shape and dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..document import Document, Graph, Input, Layer, Node
from ._allowlist import Resolver
from ._errors import refuse
from ._json import from_json
from ._structure import fill

Where = tuple[str | int, ...]
_STRUCTURE_KEYS = ("input_structure", "output_structure")


def to_keras(doc: Document, *, safe: bool = True, custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuild the Keras model of ``doc`` and load its weights; test vectors are ignored.

    Every layer type and nested object must be on the allowlist of Keras classes
    or be a custom object registered with ``keras.saving.register_keras_serializable``
    (or given in ``custom_objects``, by registered name). Lambda layers and other
    code are refused unless ``safe=False``.

    >>> import keras, numpy as np, modeldoc.keras
    >>> m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="dense")])
    >>> m2 = modeldoc.keras.to_keras(modeldoc.keras.from_keras(m))
    >>> bool(np.array_equal(m2.get_layer("dense").kernel.numpy(), m.get_layer("dense").kernel.numpy()))
    True
    """
    resolver = Resolver(custom_objects, safe=safe)
    layer, layer_where, graph_where = top_model_layer(doc.model)
    entry = _model_entry(layer, layer_where, graph_where, resolver)
    model = build(entry, resolver, safe, "/model")
    assert layer.model is not None
    _assign(layer.model, model, graph_where, doc.tensors)
    return model


def top_model_layer(graph: Graph) -> tuple[Layer, Where, Where]:
    """The layer that holds the Keras model, as from_keras writes it; or the top graph as a Functional model."""
    if len(graph.layers) == 1 and graph.layers[0].model is not None and len(graph.nodes) == 1:
        node = graph.nodes[0]
        if node.layer == graph.layers[0].name and node.inputs == [i.name for i in graph.inputs] \
                and node.outputs == graph.outputs:
            return graph.layers[0], ("model", "layers", 0), ("model", "layers", 0, "model")
    return Layer(graph.name or "model", "Functional", {"name": graph.name or "model"}, [], graph), ("model",), ("model",)


def build(entry: dict[str, Any], resolver: Resolver, safe: bool, pointer: str) -> Any:
    """Let Keras instantiate a config whose every object ``resolver`` has already resolved."""
    import keras
    from keras.src.saving.serialization_lib import SafeModeScope

    try:
        with keras.saving.custom_object_scope(resolver.objects), SafeModeScope(safe):
            return keras.saving.deserialize_keras_object(entry, custom_objects=resolver.objects, safe_mode=safe)
    except Exception as e:  # Keras rejects a config with many exception types; all mean bad input here
        refuse("KERAS_INVALID_INPUT", pointer, f"Keras could not rebuild the model: {type(e).__name__}: {_cause(e)}")


def _cause(e: Exception) -> str:
    """The line of a Keras error that says what is wrong (Keras wraps the cause in long config dumps)."""
    text = str(e).strip()
    marker = "Exception encountered:"
    while marker in text:  # nested layers wrap the cause once per level
        text = text[text.rindex(marker) + len(marker):].strip()
    line = text.splitlines()[0] if text else ""
    return line[:300] + ("..." if len(line) > 300 else "")


# --- graph -> Keras config ----------------------------------------------------------------


def _model_entry(layer: Layer, where: Where, graph_where: Where, resolver: Resolver) -> dict[str, Any]:
    import keras
    from keras.src.models.functional import Functional

    cls, token = resolver.layer_class(layer.type, (*where, "type"))
    assert layer.model is not None
    raw = from_json(layer.config)
    structures = {k: raw.pop(k) for k in _STRUCTURE_KEYS if k in raw}
    config = resolver.clean(raw, (*where, "config"))
    config["name"] = layer.name
    if issubclass(cls, keras.Sequential):
        config.update(_sequential_config(layer.model, graph_where, resolver))
    elif issubclass(cls, Functional) or cls is keras.Model:
        config.update(_functional_config(layer.model, graph_where, resolver, structures))
    else:
        refuse("KERAS_UNSUPPORTED", (*where, "type"), f"a layer with a nested graph must be Functional or Sequential, "
               f"not {layer.type!r}")
    return {"module": None, "class_name": layer.type, "registered_name": token, "config": config, "name": layer.name}


def _input_entry(i: Input, where: Where, resolver: Resolver) -> dict[str, Any]:
    _, token = resolver.layer_class("InputLayer", where)
    config = {"batch_shape": list(i.shape), "dtype": i.dtype, "sparse": False, "ragged": False,
              "name": i.name, "optional": False}
    return {"module": None, "class_name": "InputLayer", "registered_name": token, "config": config,
            "name": i.name, "inbound_nodes": []}


def _layer_entry(layer: Layer, where: Where, resolver: Resolver) -> dict[str, Any]:
    if layer.model is not None:
        return _model_entry(layer, where, (*where, "model"), resolver)
    _, token = resolver.layer_class(layer.type, (*where, "type"))
    config = resolver.clean(from_json(layer.config), (*where, "config"))
    config["name"] = layer.name  # the document's name is the one nodes and weights refer to
    return {"module": None, "class_name": layer.type, "registered_name": token, "config": config, "name": layer.name}


def _sequential_config(graph: Graph, where: Where, resolver: Resolver) -> dict[str, Any]:
    if len(graph.inputs) != 1:
        refuse("KERAS_INVALID_INPUT", (*where, "inputs"), "a Sequential model has exactly one input")
    current = graph.inputs[0].name
    nodes = {n.layer: (k, n) for k, n in enumerate(graph.nodes)}
    layers = [_input_entry(graph.inputs[0], (*where, "inputs", 0), resolver)]
    for i, layer in enumerate(graph.layers):
        k, node = nodes.get(layer.name, (None, None))
        if node is None or node.inputs != [current] or len(node.outputs) != 1 or len(graph.nodes) != len(graph.layers):
            refuse("KERAS_INVALID_INPUT", (*where, "layers", i), "a Sequential graph must call each layer once, in "
                   "order, on the previous layer's output")
        layers.append(_layer_entry(layer, (*where, "layers", i), resolver))
        current = node.outputs[0]
    if graph.outputs != [current]:
        refuse("KERAS_INVALID_INPUT", (*where, "outputs"), "a Sequential graph's output is its last layer's output")
    return {"layers": layers, "build_input_shape": list(graph.inputs[0].shape)}


def _functional_config(graph: Graph, where: Where, resolver: Resolver, structures: dict[str, Any]) -> dict[str, Any]:
    from keras.src.models.functional import Functional

    ref: dict[str, list[Any]] = {i.name: [i.name, 0, 0] for i in graph.inputs}
    layer_names = {layer.name for layer in graph.layers}
    if layer_names & set(ref):
        refuse("KERAS_INVALID_INPUT", (*where, "inputs"), "Keras needs input names distinct from layer names")
    entries: dict[str, dict[str, Any]] = {}
    offsets: dict[str, int] = {}
    for i, layer in enumerate(graph.layers):
        entry = _layer_entry(layer, (*where, "layers", i), resolver)
        entry["inbound_nodes"] = []
        entries[layer.name] = entry
        cls = resolver.objects[entry["registered_name"]]
        offsets[layer.name] = 1 if issubclass(cls, Functional) else 0  # Keras counts a model's own node first
    calls: dict[str, int] = {}
    for k, node in enumerate(graph.nodes):
        if node.layer not in entries:
            refuse("KERAS_INVALID_INPUT", (*where, "nodes", k, "layer"), f"node calls unknown layer {node.layer!r}")
        index = offsets[node.layer] + calls.get(node.layer, 0)
        calls[node.layer] = calls.get(node.layer, 0) + 1
        for t, value in enumerate(node.outputs):
            ref[value] = [node.layer, index, t]
    for k, node in enumerate(graph.nodes):
        entries[node.layer]["inbound_nodes"].append(_node_data(node, ref, (*where, "nodes", k), resolver))

    def refs(values: list[str], member: str) -> Any:
        for j, v in enumerate(values):
            if v not in ref:
                refuse("KERAS_INVALID_INPUT", (*where, member, j), f"value {v!r} is not defined in this graph")
        skeleton = structures.get(member[:-1] + "_structure", list(range(len(values))))
        try:
            return fill(skeleton, lambda i: ref[values[i]])
        except (IndexError, ValueError, TypeError):
            refuse("KERAS_INVALID_INPUT", (*where, member), f"the {member[:-1]} structure does not fit the graph")

    return {
        "layers": [_input_entry(i, (*where, "inputs", j), resolver) for j, i in enumerate(graph.inputs)]
        + list(entries.values()),
        "input_layers": refs([i.name for i in graph.inputs], "inputs"),
        "output_layers": refs(graph.outputs, "outputs"),
    }


def _node_data(node: Node, ref: dict[str, list[Any]], where: Where, resolver: Resolver) -> dict[str, Any]:
    for j, v in enumerate(node.inputs):
        if v not in ref:
            refuse("KERAS_INVALID_INPUT", (*where, "inputs", j), f"value {v!r} is not defined in this graph")
    if node.arguments:
        arguments = resolver.clean(from_json(node.arguments), (*where, "arguments"))
        args, kwargs = arguments.get("args", []), arguments.get("kwargs", {})
    else:
        args, kwargs = [{"$input": i} for i in range(len(node.inputs))], {}

    def tensor(x: Any) -> Any:
        if isinstance(x, dict) and set(x) == {"$input"}:
            i = x["$input"]
            if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < len(node.inputs):
                refuse("KERAS_INVALID_INPUT", (*where, "arguments"), f"argument refers to input {i!r} of "
                       f"{len(node.inputs)}")
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": [], "dtype": "float32", "keras_history": ref[node.inputs[i]]}}
        if isinstance(x, dict):
            return {k: tensor(v) for k, v in x.items()}
        if isinstance(x, list):
            return [tensor(v) for v in x]
        return x

    return {"args": tensor(args), "kwargs": tensor(kwargs)}


# --- weights ------------------------------------------------------------------------------


def _assign(graph: Graph, model: Any, where: Where, tensors: dict[str, np.ndarray]) -> None:
    for i, layer in enumerate(graph.layers):
        at = (*where, "layers", i)
        try:
            target = model.get_layer(layer.name)
        except ValueError:  # a Keras operation (ops.*): in the graph, but not a layer, and without weights
            if layer.weights:
                refuse("KERAS_MISMATCH", (*at, "weights"), f"operation {layer.name!r} has no weights in Keras")
            continue
        if layer.model is not None:
            if layer.weights:
                refuse("KERAS_MISMATCH", (*at, "weights"), "a layer holding a nested model keeps no weights of its own")
            _assign(layer.model, target, (*at, "model"), tensors)
            continue
        variables = target.weights
        if len(variables) != len(layer.weights):
            refuse("KERAS_MISMATCH", (*at, "weights"), f"layer {layer.name!r} has {len(variables)} weights in Keras, "
                   f"{len(layer.weights)} in the document")
        for j, (variable, name) in enumerate(zip(variables, layer.weights)):
            if name not in tensors:
                refuse("KERAS_INVALID_INPUT", (*at, "weights", j), f"tensor {name!r} is not in the document")
            arr = tensors[name]
            if tuple(arr.shape) != tuple(variable.shape) or str(arr.dtype) != str(variable.dtype):
                refuse("KERAS_MISMATCH", (*at, "weights", j), f"tensor {name!r} is {arr.dtype}{list(arr.shape)}, "
                       f"Keras expects {variable.dtype}{list(variable.shape)} for {variable.path!r}")
            variable.assign(arr)
        if hasattr(target, "finalize_state") and variables:
            # Normalization and Discretization derive their state from the variables, as after Keras' own load.
            target.finalize_state()
