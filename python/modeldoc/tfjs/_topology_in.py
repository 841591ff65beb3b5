"""tfjs ``modelTopology`` -> a ModelDoc graph in the Keras profile (the form ``modeldoc.keras.to_keras`` reads).

tfjs writes Keras-2-style JSON: layer configs with snake_case members,
initializers as ``{"class_name", "config"}``, a dtype string, inbound nodes as
``[layer, node_index, tensor_index, kwargs]`` lists. Each is rewritten into
the Keras 3 form ``from_keras`` produces, through the same table the exporter
uses, so a member that has no Keras 3 meaning is refused rather than dropped.
No name found in the file is imported or resolved here; ``to_keras`` later
passes every class name through its allowlist.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..document import Graph, Input, Layer, Node
from ..errors import ModelDocError, escape_pointer_token
from ..profile import weight_names
from ._legacy import camel, dtype_name, first_layer_shape, input_dtype_name, rewrite_members
from ._support import (
    ACTIVATION_OBJECTS,
    ACTIVATIONS_DIFFERENT,
    ACTIVATIONS_IN,
    CONSTRAINTS,
    IGNORED_TFJS,
    INITIALIZER_STRINGS,
    INITIALIZERS_IN,
    LAYERS,
    MERGE_LAYERS,
    MERGE_MODES,
    ONLY_VALUES,
    RECURRENT,
    REFUSED_LAYERS,
    REFUSED_VALUES,
    TFJS_DTYPES,
    WRAPPERS,
)
from ._weights import ReadWeight

GRAPH_MODELS = ("Sequential", "Model", "Functional")


def _invalid(ptr: str, message: str) -> ModelDocError:
    return ModelDocError.of("TFJS_INVALID_INPUT", ptr, message)


def _unsupported(ptr: str, message: str) -> ModelDocError:
    return ModelDocError.of("TFJS_UNSUPPORTED", ptr, message)


def policy(dtype: str) -> dict[str, Any]:
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": dtype}, "registered_name": None}


class Importer:
    """Builds the graph of a topology and collects the weights it uses, by tfjs weight name."""

    def __init__(self, weights: list[ReadWeight]) -> None:
        self.weights = {w.name: w for w in weights}
        self.used: dict[str, str] = {}  # tfjs weight name -> pointer of the layer using it

    def model(self, entry: Any, at: str, nested: bool = False) -> Layer:
        """A Sequential or Functional model entry ({"class_name", "config"}) as a layer holding its graph."""
        if not isinstance(entry, dict) or entry.get("class_name") not in GRAPH_MODELS:
            raise _unsupported(f"{at}/class_name", "the topology must be a Sequential or Model (Functional)")
        config = entry.get("config")
        if entry["class_name"] == "Sequential":
            if isinstance(config, list):  # the oldest Keras form: the layer list itself
                config = {"layers": config}
            if not isinstance(config, dict):
                raise _invalid(f"{at}/config", "config must be an object")
            name = _name(config.get("name", entry.get("name", "sequential")), f"{at}/config/name")
            graph = self._sequential(config, f"{at}/config")
            kind = "Sequential"
        else:
            if not isinstance(config, dict):
                raise _invalid(f"{at}/config", "config must be an object")
            name = _name(config.get("name", entry.get("name", "model")), f"{at}/config/name")
            graph = self._functional(config, f"{at}/config")
            kind = "Functional"
        graph.name = name
        layer_config: dict[str, Any] = {"name": name, "trainable": True, "dtype": policy("float32")}
        if nested and kind == "Functional" and len(graph.inputs) == 1 and len(graph.outputs) == 1:
            # tfjs calls a one-input, one-output model on a tensor and gets a tensor back; Keras does so
            # only when the structures say so (else a list of one, which a following layer cannot take)
            layer_config.update(input_structure=0, output_structure=0)
        return Layer(name, kind, layer_config, [], graph)

    # --- graphs ---------------------------------------------------------------------------

    def _sequential(self, config: dict[str, Any], at: str) -> Graph:
        entries = config.get("layers")
        if not isinstance(entries, list) or not entries:
            raise _invalid(f"{at}/layers", "a Sequential model needs a non-empty layers array")
        graph = Graph()
        start = 0
        if isinstance(entries[0], dict) and entries[0].get("class_name") == "InputLayer":
            graph.inputs.append(self._input(entries[0], f"{at}/layers/0"))
            start = 1
        graph.layers = [self._layer(entries[k], f"{at}/layers/{k}") for k in range(start, len(entries))]
        if not graph.layers:
            raise _invalid(f"{at}/layers", "a Sequential model needs a layer after its InputLayer")
        if not graph.inputs:
            taken = {layer.name for layer in graph.layers}
            name = next(n for n in ("input_layer", *(f"input_layer_{i}" for i in range(1, len(taken) + 2)))
                        if n not in taken)
            graph.inputs.append(_first_input(entries[0], graph.layers[0], name, f"{at}/layers/0"))
        current = graph.inputs[0].name
        for layer in graph.layers:
            graph.nodes.append(Node(layer.name, [current], [layer.name]))
            current = layer.name
        graph.outputs = [current]
        _unique([layer.name for layer in graph.layers] + [graph.inputs[0].name], f"{at}/layers")
        return graph

    def _functional(self, config: dict[str, Any], at: str) -> Graph:
        entries = config.get("layers")
        if not isinstance(entries, list):
            raise _invalid(f"{at}/layers", "a Model needs a layers array")
        graph = Graph()
        value_of: dict[tuple[str, int, int], str] = {}
        calls: list[tuple[Layer, list[Any], str]] = []
        names = []
        for k, entry in enumerate(entries):
            where = f"{at}/layers/{k}"
            if not isinstance(entry, dict):
                raise _invalid(where, "a layer entry must be an object")
            if entry.get("class_name") == "InputLayer":
                i = self._input(entry, where)
                graph.inputs.append(i)
                names.append(i.name)
                value_of[(i.name, 0, 0)] = i.name
                continue
            layer = self._layer(entry, where)
            names.append(layer.name)
            graph.layers.append(layer)
            nodes = entry.get("inbound_nodes", [])
            if not isinstance(nodes, list):
                raise _invalid(f"{where}/inbound_nodes", "inbound_nodes must be an array")
            n_out = _outputs_per_call(layer)
            offset = 1 if layer.model is not None else 0  # a model's own node comes first (Keras and tfjs)
            for n, node in enumerate(nodes):
                for t in range(n_out):
                    value_of[(layer.name, offset + n, t)] = layer.name if len(nodes) == 1 and n_out == 1 else \
                        f"{layer.name}:{n}:{t}"
                calls.append((layer, node, f"{where}/inbound_nodes/{n}"))
        _unique(names, f"{at}/layers")
        by_name = {i.name: i for i in graph.inputs}
        refs = _refs(config.get("input_layers"), f"{at}/input_layers")
        if sorted(r[0] for r in refs) != sorted(by_name) or len(refs) != len(by_name):
            raise _invalid(f"{at}/input_layers", "input_layers must name each InputLayer once")
        graph.inputs = [by_name[r[0]] for r in refs]
        for layer, node, where in calls:
            n_out = _outputs_per_call(layer)
            index = sum(1 for n in graph.nodes if n.layer == layer.name)
            inputs = [_lookup(value_of, r, f"{where}/{j}") for j, r in enumerate(_node_refs(node, where))]
            arguments: dict[str, Any] = {}
            if len(inputs) > 1 or layer.type in MERGE_LAYERS:  # Keras calls a merge layer on one list
                arguments = {"args": [[{"$input": i} for i in range(len(inputs))]], "kwargs": {}}
            offset = 1 if layer.model is not None else 0
            outputs = [value_of[(layer.name, offset + index, t)] for t in range(n_out)]
            graph.nodes.append(Node(layer.name, inputs, outputs, arguments=arguments))
        graph.outputs = [_lookup(value_of, r, f"{at}/output_layers/{j}")
                         for j, r in enumerate(_refs(config.get("output_layers"), f"{at}/output_layers"))]
        return graph

    def _input(self, entry: dict[str, Any], at: str) -> Input:
        cfg = entry.get("config")
        if not isinstance(cfg, dict):
            raise _invalid(f"{at}/config", "an InputLayer needs a config object")
        if cfg.get("sparse"):
            raise _unsupported(f"{at}/config/sparse", "sparse inputs are not supported")
        name = _name(cfg.get("name", entry.get("name")), f"{at}/config/name")
        dtype = _input_dtype(input_dtype_name(cfg.get("dtype"), f"{at}/config/dtype"), f"{at}/config/dtype")
        found = first_layer_shape("InputLayer", cfg, f"{at}/config")
        if found is None:  # Keras 3 writes batch_shape, which tfjs-layers 4.22 does not read
            raise _unsupported(f"{at}/config", "an InputLayer needs batch_input_shape or input_shape: tfjs-layers "
                               "4.22 cannot load one without (Keras 3's batch_shape is not read)")
        return Input(name, dtype, _shape(*found))

    # --- layers ----------------------------------------------------------------------------

    def _layer(self, entry: Any, at: str) -> Layer:
        if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
            raise _invalid(at, "a layer entry needs a class_name")
        if entry["class_name"] in GRAPH_MODELS:
            return self.model(entry, at, nested=True)
        kind = entry["class_name"]
        if kind not in LAYERS and kind not in WRAPPERS:
            why = f": {REFUSED_LAYERS[kind]}" if kind in REFUSED_LAYERS else ""
            raise _unsupported(f"{at}/class_name", f"layer class {kind!r} is not one ModelDoc maps from tfjs{why}")
        cfg = entry.get("config")
        if not isinstance(cfg, dict):
            raise _invalid(f"{at}/config", "a layer needs a config object")
        name = _name(cfg.get("name", entry.get("name")), f"{at}/config/name")
        if kind == "Bidirectional":
            return self._bidirectional(name, cfg, at)
        if kind == "TimeDistributed":
            return self._time_distributed(name, cfg, at)
        config = _config(kind, name, cfg, f"{at}/config")
        weights = [self._weight(name, w, f"{at}") for w in weight_names(kind, config)]
        return Layer(name, kind, config, weights)

    def _bidirectional(self, name: str, cfg: dict[str, Any], at: str) -> Layer:
        """tfjs builds the forward layer from ``layer`` named ``forward_<its name>`` and the backward one from
        the same config with go_backwards flipped, named ``backward_<its name>``; it ignores
        ``backward_layer``. Its weights are ``<name>/forward_<inner>/kernel``... (a cell name between, as
        TF 2.2+ writes, is dropped when matching). Keras 3 gets both layers, as ``from_keras`` writes them."""
        _wrapper_members("Bidirectional", cfg, ("layer", "merge_mode", "backward_layer", "num_constants"), at)
        kind, inner, inner_at = _wrapped(cfg, f"{at}/config")
        if kind not in RECURRENT:
            raise _unsupported(f"{inner_at}/class_name", f"Bidirectional of {kind!r}: ModelDoc maps Bidirectional "
                               f"of {', '.join(RECURRENT)}")
        if cfg.get("num_constants") is not None:  # tfjs throws "not supported yet" when it reads one
            raise _unsupported(f"{at}/config/num_constants", "Bidirectional num_constants: tfjs-layers 4.22 cannot "
                               "load it")
        mode = cfg.get("merge_mode", "concat")
        if mode not in MERGE_MODES:
            raise _unsupported(f"{at}/config/merge_mode", f"Bidirectional merge_mode {mode!r} is not one tfjs-layers "
                               "4.22 has (tfjs itself cannot load this model)")
        inner_name = _name(inner.get("name"), f"{inner_at}/config/name")
        forward = _config(kind, f"forward_{inner_name}", inner, f"{inner_at}/config")
        backward = {**forward, "name": f"backward_{inner_name}", "go_backwards": not forward.get("go_backwards")}
        if cfg.get("backward_layer") is not None:
            _check_backward(cfg["backward_layer"], kind, inner, f"{at}/config/backward_layer")
        weights = [self._weight(name, f"{layer['name']}/{w}", at) for layer in (forward, backward)
                   for w in weight_names(kind, layer)]
        config: dict[str, Any] = {"name": name, "trainable": bool(cfg.get("trainable", True)),
                                  "dtype": _layer_dtype(cfg, f"{at}/config"), "merge_mode": mode,
                                  "layer": _keras_layer(kind, forward), "backward_layer": _keras_layer(kind, backward)}
        return Layer(name, "Bidirectional", config, weights)

    def _time_distributed(self, name: str, cfg: dict[str, Any], at: str) -> Layer:
        """tfjs builds the wrapped layer inside the wrapper's name scope only, so its weights are
        ``<name>/kernel``...; Keras 3 writes ``<name>/<inner>/kernel``, which tfjs matches by dropping the
        inner name, as it does for a cell name."""
        _wrapper_members("TimeDistributed", cfg, ("layer",), at)
        kind, inner, inner_at = _wrapped(cfg, f"{at}/config")
        if kind not in LAYERS or kind in MERGE_LAYERS or inner.get("return_state"):
            raise _unsupported(f"{inner_at}/class_name", f"TimeDistributed of {kind!r}: ModelDoc maps "
                               "TimeDistributed of one-input, one-output layers")
        inner_config = _config(kind, _name(inner.get("name"), f"{inner_at}/config/name"), inner, f"{inner_at}/config")
        weights = [self._weight(name, w, at) for w in weight_names(kind, inner_config)]
        config = {"name": name, "trainable": bool(cfg.get("trainable", True)),
                  "dtype": _layer_dtype(cfg, f"{at}/config"), "layer": _keras_layer(kind, inner_config)}
        return Layer(name, "TimeDistributed", config, weights)

    def _weight(self, layer: str, suffix: str, at: str) -> str:
        wanted = f"{layer}/{suffix}"
        found = wanted if wanted in self.weights else None
        if found is None:  # TF 2.2+ writes layer/cell/weight; tfjs drops the cell name when matching
            for name in self.weights:
                tokens = name.split("/")
                if "/".join(tokens[:-2] + tokens[-1:]) == wanted:
                    found = name
                    break
        if found is None:
            raise _invalid(at, f"the weights manifest has no weight {wanted!r}")
        if found in self.used:
            raise _invalid(at, f"weight {found!r} is claimed by two layers")
        self.used[found] = at
        return found


def _layer_dtype(cfg: dict[str, Any], at: str) -> dict[str, Any]:
    """The dtype policy of the layer whose config is at ``at``."""
    dtype = dtype_name(cfg.get("dtype"), f"{at}/dtype")
    if dtype != "float32":
        raise _unsupported(f"{at}/dtype", f"layer dtype {dtype!r}: ModelDoc maps float32 tfjs layers")
    return policy(dtype)


def _config(kind: str, name: str, cfg: dict[str, Any], at: str) -> dict[str, Any]:
    """The Keras 3 config of a layer of the table, from its tfjs config at ``at``."""
    spec = LAYERS[kind]
    config: dict[str, Any] = {"name": name, "trainable": bool(cfg.get("trainable", True)),
                              "dtype": _layer_dtype(cfg, at)}
    cfg = rewrite_members(kind, cfg, at)
    inverse = {v: k for k, v in spec.renamed.items()}
    for key, value in cfg.items():
        where = f"{at}/{escape_pointer_token(key)}"
        if key in IGNORED_TFJS and key not in spec.keys:
            continue
        if (kind, key) in ONLY_VALUES and value != ONLY_VALUES[(kind, key)]:
            raise _unsupported(where, f"{kind} {key}={value!r} is not implemented by tfjs")
        if value is None and key in ("activation", "recurrent_activation"):
            config[key] = "linear"  # tfjs reads a null activation as linear
        elif value is None:
            continue  # tfjs writes null for "not set": Keras' default then applies
        elif value in REFUSED_VALUES.get((kind, key), ()):
            raise _unsupported(where, f"{kind} {key}={value!r} is not implemented by tfjs-layers")
        elif key in spec.keys:
            config[key] = _value(key, value, where)
        elif key in inverse:
            config[inverse[key]] = _value(key, value, where)
        elif key in spec.keras_defaults:
            if value != spec.keras_defaults[key]:
                raise _unsupported(where, f"{kind} {key}={value!r} is not what tfjs computes")
        elif key in spec.tfjs_defaults:
            if value != spec.tfjs_defaults[key]:
                raise _unsupported(where, f"{kind} {key}={value!r} has no Keras 3 equivalent")
        else:
            raise _unsupported(where, f"{kind} config member {key!r} is not mapped to Keras 3")
    config.update(spec.keras_defaults)
    return config


def _wrapper_members(kind: str, cfg: dict[str, Any], own: tuple[str, ...], at: str) -> None:
    for key in cfg:
        if key not in own and key not in IGNORED_TFJS:
            raise _unsupported(f"{at}/config/{escape_pointer_token(key)}", f"{kind} config member {key!r} is not "
                               "mapped to Keras 3")


def _wrapped(cfg: dict[str, Any], at: str) -> tuple[str, dict[str, Any], str]:
    """The class name and config of the layer a wrapper holds (tfjs reads ``layer`` as a layer entry)."""
    entry = cfg.get("layer")
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str) \
            or not isinstance(entry.get("config"), dict):
        raise _invalid(f"{at}/layer", "a wrapper needs the wrapped layer as {\"class_name\", \"config\"}")
    kind = entry["class_name"]
    if kind not in LAYERS:
        raise _unsupported(f"{at}/layer/class_name", f"layer class {kind!r} is not one ModelDoc maps from tfjs")
    return kind, entry["config"], f"{at}/layer"


def _check_backward(entry: Any, kind: str, forward: dict[str, Any], at: str) -> None:
    """tfjs ignores ``backward_layer`` (it reverses the forward layer), so it is read only when it says the
    same; any other backward layer would compute something other than tfjs does."""
    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
        raise _invalid(at, "backward_layer must be a layer entry {\"class_name\", \"config\"}")
    config = entry["config"]
    same = entry.get("class_name") == kind and bool(config.get("go_backwards")) != bool(forward.get("go_backwards"))
    skip = ("name", "go_backwards", *IGNORED_TFJS)
    same = same and {k: v for k, v in config.items() if k not in skip} == \
        {k: v for k, v in forward.items() if k not in skip}
    if not same:
        raise _unsupported(at, "a backward_layer other than the forward layer with go_backwards flipped: "
                           "tfjs-layers ignores it and runs the reversed forward layer")


def _keras_layer(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    return {"module": "keras.layers", "class_name": kind, "config": config, "registered_name": None}


def _outputs_per_call(layer: Layer) -> int:
    if layer.model is not None:
        return len(layer.model.outputs)
    if layer.type in RECURRENT and layer.config.get("return_state"):
        return 3 if layer.type == "LSTM" else 2
    if layer.type == "Bidirectional":  # merged output (two when merge_mode is null), then each side's states
        inner = layer.config["layer"]
        states = (2 if inner["class_name"] == "LSTM" else 1) if inner["config"].get("return_state") else 0
        return (2 if layer.config["merge_mode"] is None else 1) + 2 * states
    return 1


def _value(key: str, value: Any, where: str) -> Any:
    if key in ("activation", "recurrent_activation"):
        return _activation(value, where)
    if key.endswith("_initializer"):
        if isinstance(value, str):  # tfjs camel-cases the name, then maps the short forms to classes
            value = {"class_name": INITIALIZER_STRINGS.get(camel(value), camel(value)), "config": {}, "shown": value}
        return _object(value, where, "keras.initializers", {k: v[1] for k, v in INITIALIZERS_IN.items()},
                       {k: v[0] for k, v in INITIALIZERS_IN.items()})
    if key.endswith("_regularizer"):
        return _object(value, where, "keras.regularizers", {"L1L2": ("l1", "l2")}, {})
    if key.endswith("_constraint"):
        return _object(value, where, "keras.constraints", CONSTRAINTS, {})
    if isinstance(value, dict):
        raise _unsupported(where, f"{key} holds an object ModelDoc does not map")
    return value


def _activation(value: Any, where: str) -> Any:
    """The Keras 3 activation tfjs resolves ``value`` to (it camel-cases the name first): a name, or the object
    Keras writes for ModelDoc's registered function (tfjs' hardSigmoid is Keras 2's)."""
    found = camel(value) if isinstance(value, str) else None
    if found in ACTIVATIONS_IN:
        name = ACTIVATIONS_IN[found]
        return dict(ACTIVATION_OBJECTS[name]) if name in ACTIVATION_OBJECTS else name
    if found in ACTIVATIONS_DIFFERENT:
        raise _unsupported(where, f"activation {value!r} has no identical Keras 3 activation "
                           f"({ACTIVATIONS_DIFFERENT[found]})")
    raise _unsupported(where, f"activation {value!r} is not one tfjs-layers 4.22 has (tfjs itself cannot load "
                       "this model)")


def _object(value: Any, where: str, module: str, keys: dict[str, tuple[str, ...]], rename: dict[str, str]) -> Any:
    if value is None:
        return None
    kind = module.split(".")[-1][:-1]
    if not isinstance(value, dict) or not isinstance(value.get("class_name"), str) or value["class_name"] not in keys:
        shown = value.get("shown", value.get("class_name")) if isinstance(value, dict) else value
        raise _unsupported(where, f"{shown!r} is not an {kind} tfjs-layers 4.22 has (tfjs itself cannot load "
                           "this model)" if kind == "initializer" else f"{shown!r} is not a {kind} ModelDoc maps "
                           "from tfjs")
    cls = str(value["class_name"])
    config = value.get("config") or {}
    if not isinstance(config, dict):
        raise _invalid(f"{where}/config", "config must be an object")
    out = {k: config[k] for k in keys[cls] if k in config}
    if cls == "VarianceScaling" and out.get("distribution") == "normal":
        out["distribution"] = "truncated_normal"  # what "normal" meant in Keras 2, which tfjs follows
    return {"module": module, "class_name": rename.get(cls, cls), "config": out, "registered_name": None}


def _name(value: Any, at: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 1000:
        raise _invalid(at, "a name must be a non-empty string")
    return value


def _unique(names: list[str], at: str) -> None:
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise _invalid(at, f"two layers are named {n!r}")
        seen.add(n)


def _input_dtype(dtype: Any, at: str) -> str:
    if dtype not in TFJS_DTYPES:
        raise _unsupported(at, f"input dtype {dtype!r} is not one of {', '.join(TFJS_DTYPES)}")
    return str(dtype)


def _first_input(entry: dict[str, Any], layer: Layer, name: str, at: str) -> Input:
    """The input a Sequential model without an InputLayer gets from its first layer: a nested model's
    own input (Teachable Machine nests a Sequential holding a Model), or the shape the layer declares."""
    if layer.model is not None:
        if len(layer.model.inputs) != 1:
            raise _invalid(at, "a model that starts a Sequential model must have exactly one input")
        inner = layer.model.inputs[0]
        return Input(name, inner.dtype, list(inner.shape))
    cfg = entry["config"]
    found = first_layer_shape(layer.type, cfg, f"{at}/config")
    if found is None:
        raise _invalid(f"{at}/config", "the first layer of a Sequential model must say its input shape "
                       "(batch_input_shape)")
    dtype = input_dtype_name(cfg.get("dtype", cfg.get("input_dtype")), f"{at}/config/dtype")
    return Input(name, _input_dtype(dtype, f"{at}/config/dtype"), _shape(*found))


def _shape(shape: Any, at: str) -> list[int | None]:
    if not isinstance(shape, list) or not shape or len(shape) > 32 or not all(
            d is None or (isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 2**53) for d in shape):
        raise _invalid(at, "a shape must be a non-empty array of non-negative integers or null")
    return list(shape)


def _refs(value: Any, at: str) -> list[list[Any]]:
    if not isinstance(value, list):
        raise _invalid(at, "expected an array of [layer, node, tensor] references")
    if len(value) == 3 and isinstance(value[0], str):
        value = [value]
    for j, r in enumerate(value):
        if not (isinstance(r, list) and len(r) >= 3 and isinstance(r[0], str) and all(
                isinstance(x, int) and not isinstance(x, bool) for x in r[1:3])):
            raise _invalid(f"{at}/{j}", "expected [layer_name, node_index, tensor_index]")
    return list(value)


def _node_refs(node: Any, at: str) -> list[list[Any]]:
    if isinstance(node, dict):
        raise _unsupported(at, "inbound nodes in the Keras 3 {args, kwargs} form are not tfjs model.json")
    refs = _refs(node, at)
    for j, r in enumerate(refs):
        if len(r) > 4 or (len(r) == 4 and r[3] not in ({}, None)):
            raise _unsupported(f"{at}/{j}", "call keyword arguments in an inbound node are not supported")
    return refs


def _lookup(value_of: dict[tuple[str, int, int], str], r: list[Any], at: str) -> str:
    key = (r[0], r[1], r[2])
    if key not in value_of:
        raise _invalid(at, f"no layer output {list(key)!r}")
    return value_of[key]


def tensors_of(importer: Importer) -> dict[str, np.ndarray]:
    return {name: importer.weights[name].array for name in importer.used}
