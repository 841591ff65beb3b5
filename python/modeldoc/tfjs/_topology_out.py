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
from ._support import (ACTIVATIONS_OUT, CONSTRAINTS, IGNORED_KERAS, INITIALIZERS, LAYERS, ONLY_VALUES,
                       REFUSED_VALUES,
                       TFJS_DTYPES)

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
    leaves = program.layers()
    counts: dict[str, int] = {}
    for call in leaves:
        counts[call.layer.name] = counts.get(call.layer.name, 0) + 1
    for call in leaves:
        # A layer keeps its own name when no other leaf has it (names, and so weight names, survive a round
        # trip); otherwise its path tells the copies apart.
        wanted = call.layer.name if counts[call.layer.name] == 1 else call.path.replace("/", "_")
        name = names.take(wanted)
        layer_names[id(call.layer)] = name
        entry = _layer_entry(call, name, out)
        entries[id(call.layer)] = entry
        weights.extend(_weights(doc, call, name, entry, out))
    calls_of: dict[int, int] = {}
    for call in program.calls:
        entry = entries[id(call.layer)]
        index = calls_of.get(id(call.layer), 0)
        calls_of[id(call.layer)] = index + 1
        _check_arguments(call, out)
        if any(v not in ref for v in call.inputs):
            out.add("TFJS_UNSUPPORTED", call.pointer, "a call reads a value no earlier call defines")
            continue
        entry["inbound_nodes"].append([[*ref[v], {}] for v in call.inputs])
        for t, v in enumerate(call.outputs):
            ref[v] = [layer_names[id(call.layer)], index, t]
    outputs = []
    for k, v in enumerate(program.outputs):
        if v in {i.name for i in program.inputs}:
            out.add("TFJS_UNSUPPORTED", f"/model/outputs/{k}", "an output that is an input unchanged has no tfjs "
                    "layer to come from")
        elif v in ref:
            outputs.append(ref[v])
    config = {"name": doc.model.name or "model", "layers": inputs + list(entries.values()),
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
    spec = LAYERS.get(layer.type)
    entry: dict[str, Any] = {"name": name, "class_name": layer.type, "config": {}, "inbound_nodes": []}
    if spec is None:
        out.add("TFJS_UNSUPPORTED", f"{at}/type", f"layer {call.path!r}: tfjs-layers has no {layer.type} layer")
        return entry
    config: dict[str, Any] = {"name": name, "trainable": bool(layer.config.get("trainable", True))}
    policy = _dtype(layer.config.get("dtype"), f"{at}/config/dtype", out)
    if policy is not None:
        config["dtype"] = policy
    for key, value in layer.config.items():
        where = f"{at}/config/{escape_pointer_token(key)}"
        if key in spec.keys:
            config[key] = _value(layer.type, key, value, where, out)
        elif key in spec.renamed:
            config[spec.renamed[key]] = _value(layer.type, key, value, where, out)
        elif key in spec.keras_defaults:
            if not _same(value, spec.keras_defaults[key]):
                out.add("TFJS_UNSUPPORTED", where, f"{layer.type} {key}={value!r}: tfjs-layers implements only "
                        f"{spec.keras_defaults[key]!r}")
        elif key not in IGNORED_KERAS:
            out.add("TFJS_UNSUPPORTED", where, f"{layer.type} config member {key!r} has no tfjs equivalent")
    for key, only in spec.tfjs_defaults.items():
        config[key] = only
    if layer.type == "GRU" and "reset_after" not in layer.config:
        out.add("TFJS_UNSUPPORTED", f"{at}/config", "GRU without reset_after is reset_after=True in Keras 3; "
                "tfjs supports only reset_after=False")
    entry["config"] = config
    return entry


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
    if isinstance(value, str) and value in ACTIVATIONS_OUT:
        return ACTIVATIONS_OUT[value]
    shown = value if isinstance(value, str) else (value.get("config") if isinstance(value, dict) else value)
    reason = " (Keras 3 computes relu6(x+3)/6, tfjs 0.2x+0.5)" if shown == "hard_sigmoid" else ""
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


def _check_arguments(call: Call, out: Collector) -> None:
    """Only calls on the inputs themselves fit tfjs inbound nodes (a training flag changes nothing at inference)."""
    args = call.arguments
    if not args:
        return
    if set(args) <= {"args", "kwargs"}:
        positional, kwargs = args.get("args", []), args.get("kwargs", {})
    else:
        positional, kwargs = None, args
    n = len(call.inputs)
    plain = [{"$input": i} for i in range(n)]
    if positional is not None and positional not in (plain, [plain]):
        out.add("TFJS_UNSUPPORTED", call.pointer, f"layer {call.path!r} is called with arguments other than its "
                "inputs in order; tfjs inbound nodes cannot carry them")
    if not isinstance(kwargs, dict):
        out.add("TFJS_UNSUPPORTED", call.pointer, f"layer {call.path!r}: call keyword arguments are not an object")
        return
    for key, value in kwargs.items():
        if key == "training" or (key == "mask" and value is None):
            continue
        out.add("TFJS_UNSUPPORTED", call.pointer, f"layer {call.path!r} is called with {key}=...; tfjs inbound "
                "nodes cannot carry it")


def _weights(doc: Document, call: Call, name: str, entry: dict[str, Any], out: Collector) -> list[Weight]:
    layer = call.layer
    spec = LAYERS.get(layer.type)
    if spec is None:
        return []
    expected = spec.weights(layer.config)
    if len(expected) != len(layer.weights) and "use_bias" not in layer.config:
        # A document not written from Keras may leave use_bias out and simply have no bias tensor.
        without = spec.weights({**layer.config, "use_bias": False})
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
