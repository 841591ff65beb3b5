"""ModelDoc graph -> tfjs ``modelTopology`` (a Keras-2-style Functional config) and the weights to write.

The topology is built from the flattened graph (nested models inlined), not
from a Keras config: every leaf layer becomes one tfjs layer, a layer called
several times (shared) gets one inbound node per call. tfjs names layers and
weights globally, so each layer gets a unique name made from its path.
Every problem is collected; nothing is returned unless there is none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..document import Document
from ..errors import Collector, Finding, escape_pointer_token
from ..flatgraph import Call, flatten
from ..profile import weight_names
from ._custom_scale import KIND as CUSTOM_SCALE
from ._custom_scale import custom_scale_entries
from ._keepdims import GLOBAL_POOLING, channels, reshape_entry, wants_reshape
from ._masks import plan_masks
from ._support import (
    ACTIVATION_ALIASES,
    ACTIVATIONS_OUT,
    CONSTRAINTS,
    IGNORED_KERAS,
    INITIALIZERS,
    LAYERS,
    MERGE_LAYERS,
    MERGE_MODES,
    ONLY_VALUES,
    RECURRENT,
    REFUSED_LAYERS,
    REFUSED_OPS,
    REFUSED_VALUES,
    TFJS_DTYPES,
    WRAPPERS,
    LayerSpec,
)

KERAS_VERSION = "2.15.0"  # the Keras JSON dialect tfjs-layers reads


@dataclass
class Weight:
    """One entry of the weights manifest: its tfjs name and the document tensor it comes from."""

    name: str
    tensor: str
    array: np.ndarray
    pointer: str


def build_topology(doc: Document) -> tuple[dict[str, Any], list[Weight], list[Finding]]:
    """The ``modelTopology`` object, the weights in manifest order, and every reason tfjs cannot hold the model."""
    out = Collector()
    program = flatten(doc)
    names = _Names()
    inputs = []
    ref: dict[str, list[Any]] = {}
    for k, i in enumerate(program.inputs):
        at = f"/model/inputs/{k}"
        if i.dtype not in TFJS_DTYPES:
            out.add("TFJS_UNSUPPORTED", f"{at}/dtype", f"input {i.name!r} is {i.dtype}; tfjs inputs are "
                    f"{', '.join(TFJS_DTYPES)} ({i.dtype} is never narrowed)")
        name = names.take(i.name)
        ref[i.name] = [name, 0, 0]
        inputs.append({"name": name, "class_name": "InputLayer", "inbound_nodes": [], "config": {
            "batch_input_shape": list(i.shape), "dtype": i.dtype, "sparse": False, "name": name}})

    layer_names: dict[int, str] = {}
    entries: dict[int, dict[str, Any]] = {}
    weights: list[Weight] = []
    plan = plan_masks(program.calls, program.outputs, out)
    # A layer all of whose calls only compute a mask tfjs attaches itself is left out.
    kept = {id(c.layer) for n, c in enumerate(program.calls) if n not in plan.skipped}
    leaves = [call for call in program.layers() if id(call.layer) in kept]
    counts: dict[str, int] = {}
    for call in leaves:
        counts[call.layer.name] = counts.get(call.layer.name, 0) + 1
    producers = {v: c for c in program.calls for v in c.outputs}
    reshapes: dict[int, dict[str, Any]] = {}
    scaled: dict[int, dict[str, Any]] = {}  # CustomScaleLayer: the Rescaling of its second input
    ordered: list[dict[str, Any]] = []
    for call in leaves:
        # A layer keeps its own name when no other leaf has it (names, and so weight names, survive a round
        # trip); otherwise its path tells the copies apart.
        wanted = call.layer.name if counts[call.layer.name] == 1 else call.path.replace("/", "_")
        name = names.take(wanted)
        layer_names[id(call.layer)] = name
        if call.layer.type == CUSTOM_SCALE:
            scaled[id(call.layer)], entry = custom_scale_entries(call, name, names.take(f"{name}_scale"), out)
            _dtype(call.layer.config.get("dtype"), f"{call.pointer}/config/dtype", out)
            ordered.append(scaled[id(call.layer)])
        else:
            entry = _layer_entry(call, name, out)
        entries[id(call.layer)] = entry
        ordered.append(entry)
        weights.extend(_weights(doc, call, name, entry, out))
        if wants_reshape(call):
            c = channels(call.inputs[0], doc, program, producers) if call.inputs else None
            if c is None:
                out.add("TFJS_UNSUPPORTED", f"{call.pointer}/config/keepdims", f"{call.layer.type} keepdims=True: "
                        "tfjs-layers 4.22 ignores keepdims, and the channel count for the Reshape that keeps the "
                        "axes is not fixed by the layers before it")
            else:
                reshapes[id(call.layer)] = reshape_entry(names.take(f"{name}_keepdims"),
                                                         GLOBAL_POOLING[call.layer.type], c)
                ordered.append(reshapes[id(call.layer)])
    calls_of: dict[int, int] = {}
    for step, call in enumerate(program.calls):
        if step in plan.skipped:
            continue
        entry = entries[id(call.layer)]
        index = calls_of.get(id(call.layer), 0)
        calls_of[id(call.layer)] = index + 1
        data = [call.inputs[k] for k in plan.data[step]]
        _check_arguments(call, len(data), step in plan.mask_dropped, out)
        if any(v not in ref for v in data):
            out.add("TFJS_UNSUPPORTED", call.pointer, "a call reads a value no earlier call defines")
            continue
        rescale = scaled.get(id(call.layer))
        if rescale is None:
            entry["inbound_nodes"].append([[*ref[v], {}] for v in data])
        elif len(data) != 2:
            out.add("TFJS_UNSUPPORTED", call.pointer, f"layer {call.path!r}: {CUSTOM_SCALE} takes two inputs")
        else:
            rescale["inbound_nodes"].append([[*ref[data[1]], {}]])
            entry["inbound_nodes"].append([[*ref[data[0]], {}], [rescale["name"], index, 0, {}]])
        for t, v in enumerate(call.outputs):
            ref[v] = [layer_names[id(call.layer)], index, t]
        reshape = reshapes.get(id(call.layer))
        if reshape is not None:
            reshape["inbound_nodes"].append([[layer_names[id(call.layer)], index, 0, {}]])
            ref[call.outputs[0]] = [reshape["name"], index, 0]
    outputs = []
    for k, v in enumerate(program.outputs):
        if v in {i.name for i in program.inputs}:
            out.add("TFJS_UNSUPPORTED", f"/model/outputs/{k}", "an output that is an input unchanged has no tfjs "
                    "layer to come from")
        elif v in ref:
            outputs.append(ref[v])
    config = {"name": doc.model.name or "model", "layers": inputs + ordered,
              "input_layers": [ref[i.name] for i in program.inputs], "output_layers": outputs}
    topology = {"class_name": "Model", "config": config, "keras_version": KERAS_VERSION, "backend": "tensorflow"}
    return topology, weights, out.findings


class _Names:
    """Unique tfjs names (tfjs keys layers and weights by name across the whole model)."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def take(self, wanted: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_.\-]", "_", wanted) or "layer"
        name, i = base, 1
        while name in self.taken:
            name, i = f"{base}_{i}", i + 1
        self.taken.add(name)
        return name


def _layer_entry(call: Call, name: str, out: Collector) -> dict[str, Any]:
    layer = call.layer
    at = call.pointer
    entry: dict[str, Any] = {"name": name, "class_name": layer.type, "config": {}, "inbound_nodes": []}
    if layer.type in WRAPPERS:
        entry["config"] = _wrapper_config(call, name, out)
    elif layer.type in LAYERS:
        entry["config"] = _config(layer.type, layer.config, name, f"{at}/config", out, reshaped=wants_reshape(call))
    else:
        out.add("TFJS_UNSUPPORTED", f"{at}/type", f"layer {call.path!r}: {no_layer_reason(layer.type)}")
    return entry


def no_layer_reason(kind: str) -> str:
    """Why tfjs cannot hold a layer type outside the table: the measured reason where there is one."""
    if kind in REFUSED_LAYERS:
        return f"{kind}: {REFUSED_LAYERS[kind]}"
    if kind.startswith("ops."):
        return f"{kind}: {REFUSED_OPS}"
    return f"tfjs-layers has no {kind} layer"


def _config(kind: str, keras: dict[str, Any], name: str, at: str, out: Collector,
            own: tuple[str, ...] = (), reshaped: bool = False) -> dict[str, Any]:
    """The tfjs config of a layer of the table (or, with ``own``, the members of a wrapper but those;
    ``reshaped``: a global pooling whose keepdims a Reshape after it computes)."""
    spec = LAYERS.get(kind, LayerSpec())
    config: dict[str, Any] = {"name": name, "trainable": bool(keras.get("trainable", True))}
    policy = _dtype(keras.get("dtype"), f"{at}/dtype", out)
    if policy is not None:
        config["dtype"] = policy
    for key, value in keras.items():
        where = f"{at}/{escape_pointer_token(key)}"
        if key in own:
            continue
        if key in spec.keys:
            config[key] = _value(kind, key, value, where, out)
        elif key in spec.renamed:
            config[spec.renamed[key]] = _value(kind, key, value, where, out)
        elif key == "keepdims" and reshaped:
            continue  # a Reshape after the pooling keeps the axes (_keepdims.py), or build_topology refuses it
        elif key in spec.keras_defaults:
            if not _same(value, spec.keras_defaults[key]):
                out.add("TFJS_UNSUPPORTED", where, f"{kind} {key}={value!r}: tfjs-layers implements only "
                        f"{spec.keras_defaults[key]!r}")
        elif key not in IGNORED_KERAS:
            out.add("TFJS_UNSUPPORTED", where, f"{kind} config member {key!r} has no tfjs equivalent")
    for key, only in spec.tfjs_defaults.items():
        config[key] = only
    if kind == "GRU" and "reset_after" not in keras:
        out.add("TFJS_UNSUPPORTED", at, "GRU without reset_after is reset_after=True in Keras 3; "
                "tfjs supports only reset_after=False")
    return config


def _wrapper_config(call: Call, name: str, out: Collector) -> dict[str, Any]:
    """A Bidirectional or TimeDistributed config. tfjs reads the wrapped layer as ``layer`` and, for
    Bidirectional, builds the backward layer itself from it (go_backwards flipped, named
    ``backward_<name>``), so a Keras backward_layer is checked to be exactly that, then left out."""
    layer = call.layer
    at = f"{call.pointer}/config"
    config = _config(layer.type, layer.config, name, at, out, own=("layer", "merge_mode", "backward_layer"))
    inner = _inner(layer.config.get("layer"), f"{at}/layer", out)
    if inner is None:
        return config
    kind, keras = inner
    inner_at = f"{at}/layer/config"
    if layer.type == "Bidirectional":
        mode = layer.config.get("merge_mode", "concat")
        if mode not in MERGE_MODES:
            out.add("TFJS_UNSUPPORTED", f"{at}/merge_mode", f"Bidirectional merge_mode {mode!r} is not one tfjs-layers "
                    "has")
        if kind not in RECURRENT:
            out.add("TFJS_UNSUPPORTED", f"{at}/layer/class_name", f"Bidirectional of {kind}: ModelDoc maps "
                    f"Bidirectional of {', '.join(RECURRENT)}")
        _check_backward(layer.config.get("backward_layer"), kind, keras, f"{at}/backward_layer", out)
        config["merge_mode"] = mode
    elif kind not in LAYERS or kind in MERGE_LAYERS or keras.get("return_state"):
        out.add("TFJS_UNSUPPORTED", f"{at}/layer/class_name", f"TimeDistributed of {kind}: ModelDoc maps "
                "TimeDistributed of one-input, one-output layers")
    if kind not in LAYERS:
        out.add("TFJS_UNSUPPORTED", f"{at}/layer/class_name", f"layer {call.path!r}: {no_layer_reason(kind)}")
        return config
    config["layer"] = {"class_name": kind, "config": _config(kind, keras, inner_name(keras), inner_at, out)}
    return config


def inner_name(keras: dict[str, Any]) -> str:
    """The tfjs name of a wrapped layer: Keras 3 names Bidirectional's forward layer ``forward_<name>`` and
    tfjs prefixes ``forward_`` itself, so the prefix is dropped (Keras 3 drops it too when it reads one)."""
    name = str(keras.get("name") or "layer")
    name = name[len("forward_"):] if name.startswith("forward_") and len(name) > len("forward_") else name
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", name)


def _inner(value: Any, at: str, out: Collector) -> tuple[str, dict[str, Any]] | None:
    if not isinstance(value, dict) or not isinstance(value.get("class_name"), str) \
            or not isinstance(value.get("config"), dict):
        out.add("TFJS_UNSUPPORTED", at, "the wrapped layer must be a layer object {class_name, config}")
        return None
    return value["class_name"], value["config"]


def _check_backward(value: Any, kind: str, forward: dict[str, Any], at: str, out: Collector) -> None:
    if value is None:
        return
    inner = _inner(value, at, out)
    if inner is None:
        return
    skip = ("name", "go_backwards")
    backward = inner[1]
    if inner[0] != kind or bool(backward.get("go_backwards")) == bool(forward.get("go_backwards")) or \
            {k: v for k, v in backward.items() if k not in skip} != {k: v for k, v in forward.items() if k not in skip}:
        out.add("TFJS_UNSUPPORTED", at, "a backward_layer other than the forward layer with go_backwards flipped: "
                "tfjs-layers always builds the backward layer from the forward one")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    return bool(a == b)


def _dtype(policy: Any, where: str, out: Collector) -> str | None:
    if policy is None:
        return None
    config = policy.get("config") if isinstance(policy, dict) else None
    name = config.get("name") if isinstance(config, dict) else policy
    if name != "float32":
        out.add("TFJS_UNSUPPORTED", where, f"dtype policy {name!r}: tfjs-layers computes in float32")
        return None
    return "float32"


def _value(layer_type: str, key: str, value: Any, where: str, out: Collector) -> Any:
    if (layer_type, key) in ONLY_VALUES and not _same(value, ONLY_VALUES[(layer_type, key)]):
        out.add("TFJS_UNSUPPORTED", where, f"{layer_type} {key}={value!r}: tfjs-layers implements only "
                f"{ONLY_VALUES[(layer_type, key)]!r}")
    if value in REFUSED_VALUES.get((layer_type, key), ()):
        out.add("TFJS_UNSUPPORTED", where, f"{layer_type} {key}={value!r} is not implemented by tfjs-layers")
    if layer_type == "Reshape" and key == "target_shape" and isinstance(value, list) and -1 in value:
        out.add("TFJS_UNSUPPORTED", where, "Reshape with a -1 dimension: tfjs-layers leaves it unknown when it "
                "builds the model, so later layers (Flatten, Dense) fail to load; write the size")
    if key in ("activation", "recurrent_activation"):
        return _activation(value, where, out)
    if key.endswith("_initializer"):
        return _initializer(value, where, out)
    if key.endswith("_regularizer"):
        return _regularizer(value, where, out)
    if key.endswith("_constraint"):
        return _constraint(value, where, out)
    if isinstance(value, dict) and "$float" in value:
        out.add("TFJS_UNSUPPORTED", where, f"non-finite {key} has no JSON form in model.json")
    return value


def _activation(value: Any, where: str, out: Collector) -> Any:
    if value is None:
        return "linear"
    # A name, or {"class_name": "function", "config": NAME} as Keras writes a function (spec.md 15.3).
    name = value.get("config") if isinstance(value, dict) and value.get("class_name") == "function" else value
    name = ACTIVATION_ALIASES.get(name, name) if isinstance(name, str) else name
    if isinstance(name, str) and name in ACTIVATIONS_OUT:
        return ACTIVATIONS_OUT[name]
    shown = value if isinstance(value, str) else (value.get("config") if isinstance(value, dict) else value)
    reason = (" (Keras 3 computes relu6(x+3)/6, tfjs 0.2x+0.5, which is Keras 2's hard_sigmoid_keras2)"
              if shown == "hard_sigmoid" else "")
    out.add("TFJS_UNSUPPORTED", where, f"activation {shown!r} has no identical tfjs activation{reason}")
    return value


def _initializer(value: Any, where: str, out: Collector) -> Any:
    if value is None:
        return None
    cls = value.get("class_name") if isinstance(value, dict) else None
    if not isinstance(cls, str) or cls not in INITIALIZERS:
        out.add("TFJS_UNSUPPORTED", where, f"initializer {cls or value!r} has no tfjs equivalent")
        return None
    tfjs_cls, keys = INITIALIZERS[cls]
    config = value.get("config") if isinstance(value.get("config"), dict) else {}
    return {"class_name": tfjs_cls, "config": {k: config[k] for k in keys if k in config}}


def _regularizer(value: Any, where: str, out: Collector) -> Any:
    if value is None:
        return None
    cls = value.get("class_name") if isinstance(value, dict) else None
    config = value.get("config") if isinstance(value, dict) else None
    config = config if isinstance(config, dict) else {}
    if cls in ("L1", "L2", "L1L2") and all(isinstance(config.get(k, 0.0) or 0.0, (int, float)) for k in ("l1", "l2")):
        return {"class_name": "L1L2", "config": {"l1": float(config.get("l1", 0.0) or 0.0),
                                                 "l2": float(config.get("l2", 0.0) or 0.0)}}
    out.add("TFJS_UNSUPPORTED", where, f"regularizer {cls or value!r} has no tfjs equivalent")
    return None


def _constraint(value: Any, where: str, out: Collector) -> Any:
    if value is None:
        return None
    cls = value.get("class_name") if isinstance(value, dict) else None
    if not isinstance(cls, str) or cls not in CONSTRAINTS:
        out.add("TFJS_UNSUPPORTED", where, f"constraint {cls or value!r} has no tfjs equivalent")
        return None
    config = value.get("config") if isinstance(value.get("config"), dict) else {}
    return {"class_name": cls, "config": {k: config[k] for k in CONSTRAINTS[cls] if k in config}}


def _check_arguments(call: Call, n: int, mask_dropped: bool, out: Collector) -> None:
    """Only calls on the ``n`` data inputs themselves fit tfjs inbound nodes (a training flag changes nothing at
    inference; a mask argument tfjs attaches itself is dropped, ``mask_dropped``)."""
    args = call.arguments
    if not args:
        return
    if set(args) <= {"args", "kwargs"}:
        positional, kwargs = args.get("args", []), args.get("kwargs", {})
    else:
        positional, kwargs = None, args
    plain = [{"$input": i} for i in range(n)]
    if positional is not None and positional not in (plain, [plain]):
        out.add("TFJS_UNSUPPORTED", call.pointer, f"layer {call.path!r} is called with arguments other than its "
                "inputs in order; tfjs inbound nodes cannot carry them")
    if not isinstance(kwargs, dict):
        out.add("TFJS_UNSUPPORTED", call.pointer, f"layer {call.path!r}: call keyword arguments are not an object")
        return
    for key, value in kwargs.items():
        if key == "training" or (key == "mask" and (value is None or mask_dropped)):
            continue
        out.add("TFJS_UNSUPPORTED", call.pointer, f"layer {call.path!r} is called with {key}=...; tfjs inbound "
                "nodes cannot carry it")


def _weights(doc: Document, call: Call, name: str, entry: dict[str, Any], out: Collector) -> list[Weight]:
    layer = call.layer
    config, kind = layer.config, layer.type
    prefixes = [""]
    if layer.type in WRAPPERS:
        wrapped = entry["config"].get("layer")  # absent when the wrapped layer was refused
        if wrapped is None:
            return []
        config, kind = layer.config["layer"]["config"], wrapped["class_name"]
        if layer.type == "Bidirectional":  # tfjs scopes each side's weights by its layer's name
            prefixes = [f"forward_{wrapped['config']['name']}/", f"backward_{wrapped['config']['name']}/"]
    spec = LAYERS.get(kind)
    if spec is None:
        return []
    expected = [p + w for p in prefixes for w in weight_names(kind, config)]
    if len(expected) != len(layer.weights) and "use_bias" not in config and layer.type not in WRAPPERS:
        # A document not written from Keras may leave use_bias out and simply have no bias tensor.
        without = weight_names(kind, {**config, "use_bias": False})
        if len(without) == len(layer.weights) and len(without) < len(expected):
            expected = without
            entry["config"]["use_bias"] = False
    if len(expected) != len(layer.weights):
        out.add("TFJS_UNSUPPORTED", f"{call.pointer}/weights", f"{layer.type} {call.path!r} has "
                f"{len(layer.weights)} weights; tfjs expects {len(expected)} ({', '.join(expected)})")
        return []
    result = []
    for j, (suffix, tensor) in enumerate(zip(expected, layer.weights)):
        where = f"{call.pointer}/weights/{j}"
        if tensor not in doc.tensors:
            out.add("TFJS_UNSUPPORTED", where, f"tensor {tensor!r} is not in the document")
            continue
        arr = doc.tensors[tensor]
        q = doc.quantization.get(tensor)
        dtype = q.quantization.dtype if q is not None else _dtype_name(arr)
        if dtype not in TFJS_DTYPES:
            out.add("TFJS_UNSUPPORTED", where, f"tensor {tensor!r} is {dtype}; tfjs weights are "
                    f"{', '.join(TFJS_DTYPES)} ({dtype} is never narrowed)")
            continue
        result.append(Weight(f"{name}/{suffix}", tensor, arr, where))
    return result


def _dtype_name(arr: np.ndarray) -> str:
    return "bool" if arr.dtype == np.bool_ else str(arr.dtype)
