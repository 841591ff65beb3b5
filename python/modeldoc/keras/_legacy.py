"""Keras 1/2 and tf.keras model configs rewritten into the form Keras 3 builds (pure data, no Keras import).

Files written by Keras 2 and tf.keras (HDF5 ``model_config``, ``model.to_json()``, the hand-rolled
recipes) differ from Keras 3 configs in many small ways: the input shape rides on the first layer
(``batch_input_shape``, ``input_shape``, ``input_dim``), the oldest Sequential form is a bare layer
list, recurrent layers say ``time_major``, initializers carry ``dtype`` and old class names, a
BatchNormalization ``axis`` is a one-item list, inbound nodes are ``[layer, node, tensor, kwargs]``
lists, and plain TensorFlow calls are ``TFOpLambda`` layers. Keras 3 refuses most of these.

Each rule here rewrites one legacy form into the Keras 3 form that computes the same thing. A
legacy value with no Keras 3 equivalent is refused (``KERAS_UNSUPPORTED``) with its place, never
dropped. Nothing is imported or resolved here: the result still goes through the allowlist
(:class:`~._allowlist.Resolver`) before Keras sees it, and a config already in the Keras 3 form
passes through unchanged.
"""

from __future__ import annotations

import copy
from typing import Any

from ._errors import refuse
from ._functions import function_entry

Where = tuple[str | int, ...]

MODEL_CLASSES = {"Sequential": "Sequential", "Model": "Functional", "Functional": "Functional"}

# Members Keras 2 layers write that Keras 3 has no argument for, and which change nothing at inference
# (a choice of kernel implementation, or a length Keras 3 reads off the input); any value is dropped.
DROPPED_ANY = {
    "implementation": ("LSTM", "GRU", "SimpleRNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "LSTMCell", "GRUCell",
                       "SimpleRNNCell"),
    "input_length": ("Embedding",),
    "fused": ("BatchNormalization",),
}
# Members dropped only when they hold the value that Keras 3 always computes; anything else is refused.
DROPPED_IF: dict[str, Any] = {"time_major": False, "virtual_batch_size": None, "adjustment": None}
# Members Keras 2 wrote for classes whose Keras 3 version lacks them, with the only value that means the same.
DROPPED_IF_CLASS: dict[tuple[str, str], Any] = {
    ("DepthwiseConv1D", "groups"): 1, ("DepthwiseConv2D", "groups"): 1, ("SeparableConv1D", "groups"): 1,
    ("SeparableConv2D", "groups"): 1, ("Conv1DTranspose", "groups"): 1, ("Conv2DTranspose", "groups"): 1,
    ("Conv3DTranspose", "groups"): 1,
}
# Keras 2's SeparableConv layers write the unused kernel_* members of their Conv base class.
DROPPED_ANY.update({k: ("SeparableConv1D", "SeparableConv2D")
                    for k in ("kernel_initializer", "kernel_regularizer", "kernel_constraint")})
# Where Keras 2 put the input shape on an ordinary layer. Only the first layer of a Sequential means it.
INPUT_SHAPE_KEYS = ("batch_input_shape", "input_shape", "batch_size")

RECURRENT_CALLS = {"LSTM", "GRU", "SimpleRNN", "RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "Bidirectional"}

RENAMED_MEMBERS = {("LeakyReLU", "alpha"): "negative_slope"}

# Old initializer class names (tf.keras v1, TF 2 internals, Keras 1 strings) -> Keras 3 names.
INITIALIZER_NAMES = {
    "OrthogonalInitializer": "Orthogonal", "GlorotUniformInitializer": "GlorotUniform",
    "GlorotNormalInitializer": "GlorotNormal", "ZerosInitializer": "Zeros", "OnesInitializer": "Ones",
    "ConstantInitializer": "Constant", "RandomNormalInitializer": "RandomNormal",
    "RandomUniformInitializer": "RandomUniform", "TruncatedNormalInitializer": "TruncatedNormal",
    "VarianceScalingInitializer": "VarianceScaling", "IdentityInitializer": "Identity",
    "glorot_uniform": "GlorotUniform", "glorot_normal": "GlorotNormal", "he_uniform": "HeUniform",
    "he_normal": "HeNormal", "lecun_uniform": "LecunUniform", "lecun_normal": "LecunNormal", "zeros": "Zeros",
    "ones": "Ones", "orthogonal": "Orthogonal", "identity": "Identity", "zero": "Zeros", "one": "Ones",
}

# Keras 2's hard_sigmoid is clip(0.2x + 0.5, 0, 1); Keras 3's is relu6(x + 3) / 6. Same name, other
# function: Keras 2 files get ModelDoc's own function with Keras 2's formula (see _functions).
RENAMED_ACTIVATIONS = {"hard_sigmoid": "hard_sigmoid_keras2"}

# TensorFlow functions that tf.keras records as TFOpLambda/SlicingOpLambda layers, and the Keras 3
# operation computing the same: (ops module, class, TF parameters passed on as positional arguments
# after the first, TF parameters that become constructor members).
TF_OPS: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {
    "__operators__.add": ("numpy", "Add", ("y",), ()),
    "math.add": ("numpy", "Add", ("y",), ()),
    "__operators__.sub": ("numpy", "Subtract", ("y",), ()),
    "math.subtract": ("numpy", "Subtract", ("y",), ()),
    "math.multiply": ("numpy", "Multiply", ("y",), ()),
    "__operators__.mul": ("numpy", "Multiply", ("y",), ()),
    "math.truediv": ("numpy", "TrueDivide", ("y",), ()),
    "__operators__.truediv": ("numpy", "TrueDivide", ("y",), ()),
    "math.divide": ("numpy", "TrueDivide", ("y",), ()),
    "math.maximum": ("numpy", "Maximum", ("y",), ()),
    "math.minimum": ("numpy", "Minimum", ("y",), ()),
    "math.pow": ("numpy", "Power", ("y",), ()),
    "math.square": ("numpy", "Square", (), ()),
    "math.sqrt": ("numpy", "Sqrt", (), ()),
    "math.exp": ("numpy", "Exp", (), ()),
    "math.log": ("numpy", "Log", (), ()),
    "math.abs": ("numpy", "Absolute", (), ()),
    "math.negative": ("numpy", "Negative", (), ()),
    "math.tanh": ("numpy", "Tanh", (), ()),
    "nn.relu": ("nn", "Relu", (), ()),
    "nn.relu6": ("nn", "Relu6", (), ()),
    "math.sigmoid": ("nn", "Sigmoid", (), ()),
    "nn.sigmoid": ("nn", "Sigmoid", (), ()),
    "nn.silu": ("nn", "Silu", (), ()),
    "nn.swish": ("nn", "Silu", (), ()),
    "math.reduce_mean": ("numpy", "Mean", (), ("axis", "keepdims")),
    "math.reduce_sum": ("numpy", "Sum", (), ("axis", "keepdims")),
    "math.reduce_max": ("numpy", "Max", (), ("axis", "keepdims")),
    "math.reduce_min": ("numpy", "Min", (), ("axis", "keepdims")),
    "concat": ("numpy", "Concatenate", (), ("axis",)),
    "reshape": ("numpy", "Reshape", (), ("shape",)),
    "expand_dims": ("numpy", "ExpandDims", (), ("axis",)),
    "compat.v1.squeeze": ("numpy", "Squeeze", (), ("axis",)),
    "squeeze": ("numpy", "Squeeze", (), ("axis",)),
    "transpose": ("numpy", "Transpose", (), ("perm",)),
    "compat.v1.transpose": ("numpy", "Transpose", (), ("perm",)),
    "__operators__.getitem": ("numpy", "GetItem", ("slice_spec",), ()),
}
# TensorFlow keyword -> Keras 3 constructor member, where the two differ.
TF_OP_MEMBERS = {"shape": "newshape", "perm": "axes"}


def modernize(entry: Any, where: Where = ()) -> Any:
    """A copy of the model config ``entry`` ({"class_name", "config"}) in the Keras 3 form."""
    return _Modernizer().model(copy.deepcopy(entry), where)


def model_class(entry: Any) -> str | None:
    """"Sequential" or "Functional" when ``entry`` is a model config in any Keras form, else None."""
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        return None
    return MODEL_CLASSES.get(entry["class_name"])


class _Modernizer:
    def model(self, entry: Any, at: Where) -> dict[str, Any]:
        kind = model_class(entry)
        if kind is None:
            refuse("KERAS_INVALID_INPUT", (*at, "class_name"), "not a Sequential or Functional model config")
        config = entry.get("config")
        if kind == "Sequential" and isinstance(config, list):  # the oldest form: the layer list itself
            config = {"name": entry.get("name", "sequential"), "layers": config}
        if not isinstance(config, dict):
            refuse("KERAS_INVALID_INPUT", (*at, "config"), "a model config must be an object")
        layers = config.get("layers")
        if not isinstance(layers, list) or not layers:
            refuse("KERAS_INVALID_INPUT", (*at, "config", "layers"), "a model config needs a non-empty layers array")
        out = {k: v for k, v in entry.items() if k not in ("config", "class_name", "module", "registered_name")}
        body = {k: v for k, v in config.items() if k != "layers"}
        if "dtype" in body:
            body["dtype"] = _dtype(body["dtype"])
        if kind == "Sequential":
            body["layers"] = self.sequential_layers(layers, body.get("build_input_shape"), (*at, "config"))
        else:
            body["layers"], legacy, shift = self.functional_layers(layers, (*at, "config", "layers"))
            if legacy:
                for key in ("input_layers", "output_layers"):
                    refs = _shift_refs(body.get(key), shift)
                    # tf.keras treats a one-item list of inputs or outputs as the item itself
                    if isinstance(refs, list) and len(refs) == 1 and isinstance(refs[0], list) \
                            and len(refs[0]) == 3 and isinstance(refs[0][0], str):
                        refs = refs[0]
                    body[key] = refs
        out.update({"module": "keras", "class_name": kind, "config": body, "registered_name": None})
        return out

    # --- Sequential ------------------------------------------------------------------------

    def sequential_layers(self, layers: list[Any], build_shape: Any, at: Where) -> list[Any]:
        first = layers[0]
        shape = _input_shape(first) if isinstance(first, dict) and first.get("class_name") != "InputLayer" else None
        entries = [self.entry(e, (*at, "layers", i)) for i, e in enumerate(layers)]
        if entries[0].get("class_name") == "InputLayer":
            return entries
        if shape is None and isinstance(build_shape, list):
            shape = list(build_shape)
        if shape is None:
            return entries  # no input shape anywhere: Keras 3 builds the model on its first call
        cfg = entries[0].get("config", {})
        dtype = cfg.get("dtype") if isinstance(cfg.get("dtype"), str) else "float32"
        name = f"{cfg.get('name', 'sequential')}_input"  # the name Keras 2 gave this input
        return [_input_entry(name, shape, dtype), *entries]

    # --- Functional ------------------------------------------------------------------------

    def functional_layers(self, layers: list[Any], at: Where) -> tuple[list[Any], bool, dict[str, int]]:
        entries = [self.entry(e, (*at, i)) for i, e in enumerate(layers)]
        legacy = any(isinstance(n, list) for e in entries for n in e.get("inbound_nodes") or [])
        # tf.keras and Keras 2 count a nested Sequential's calls from 1 when it has its own input (its
        # first node links that input to its output); Keras 3 gives a Sequential no such node.
        shift = {_name(e): 1 for e in entries if e.get("class_name") == "Sequential" and _has_own_input(e)}
        if not legacy:
            return entries, False, {}
        for i, e in enumerate(entries):
            nodes = e.get("inbound_nodes") or []
            if not isinstance(nodes, list):
                refuse("KERAS_INVALID_INPUT", (*at, i, "inbound_nodes"), "inbound_nodes must be an array")
            e["inbound_nodes"] = [self.node(n, e, shift, (*at, i, "inbound_nodes", k)) for k, n in enumerate(nodes)]
            for key in ("_function", "_positional", "_members"):
                e.pop(key, None)
        return _explicit_masks(entries), True, shift

    def node(self, node: Any, entry: dict[str, Any], shift: dict[str, int], at: Where) -> Any:
        if not isinstance(node, list) or not node:
            refuse("KERAS_INVALID_INPUT", at, "an inbound node must be a non-empty array of [layer, node, tensor]")
        op = "_function" in entry
        # A TensorFlow call keeps the structure of its first argument: one reference, or a list of them.
        # Other layers always write a list of references, one item meaning a single tensor.
        single = isinstance(node[0], str) or (len(node) == 1 and not op)
        if isinstance(node[0], str):
            node = [node]
        tensors, kwargs = [], {}
        for j, item in enumerate(node):
            if not isinstance(item, list) or len(item) not in (3, 4) or not isinstance(item[0], str):
                refuse("KERAS_INVALID_INPUT", (*at, j), "expected [layer_name, node_index, tensor_index, kwargs]")
            if item[0] == "_CONSTANT_VALUE":  # a constant where a tensor was expected
                tensors.append(_tensors_in(item[2], shift))
            else:
                tensors.append(_tensor(item, shift, (*at, j)))
            if len(item) == 4 and item[3]:
                if not isinstance(item[3], dict):
                    refuse("KERAS_INVALID_INPUT", (*at, j, 3), "call arguments must be an object")
                kwargs = {k: _tensors_in(v, shift) for k, v in item[3].items() if k != "name"}
        first: Any = tensors[0] if single else tensors
        if op:
            return _op_call(entry, first, kwargs, at)
        if not single and entry["class_name"] in RECURRENT_CALLS and "initial_state" not in kwargs:
            # Keras 2 recurrent layers took [x, *initial_states] as one list; Keras 3 wants the keyword.
            return {"args": [tensors[0]], "kwargs": {**kwargs, "initial_state": tensors[1:]}}
        return {"args": [first], "kwargs": kwargs}

    # --- one layer entry -------------------------------------------------------------------

    def entry(self, entry: Any, at: Where) -> dict[str, Any]:
        if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
            refuse("KERAS_INVALID_INPUT", at, "a layer entry needs a class_name")
        if model_class(entry) is not None:
            return self.model(entry, at)
        cn = entry["class_name"]
        config = entry.get("config")
        if not isinstance(config, dict):
            refuse("KERAS_INVALID_INPUT", (*at, "config"), "a layer config must be an object")
        if cn in ("TFOpLambda", "SlicingOpLambda"):
            return _tf_op(entry, config, at)
        return {**entry, "config": self.layer_config(cn, config, (*at, "config"))}

    def layer_config(self, cn: str, config: dict[str, Any], at: Where) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in config.items():
            where = (*at, key)
            if (key in DROPPED_ANY and cn in DROPPED_ANY[key]) or (key in INPUT_SHAPE_KEYS and cn != "InputLayer") \
                    or (key == "input_dim" and cn not in ("Embedding", "InputLayer")):
                continue
            if key in DROPPED_IF or (cn, key) in DROPPED_IF_CLASS:
                if value != DROPPED_IF.get(key, DROPPED_IF_CLASS.get((cn, key))):
                    refuse("KERAS_UNSUPPORTED", where, f"{cn} {key}={value!r} has no Keras 3 equivalent")
                continue
            key = RENAMED_MEMBERS.get((cn, key), key)
            if key == "dtype":
                out[key] = _dtype(value)
            elif key in ("activation", "recurrent_activation"):
                out[key] = self.activation(value, where)
            elif key == "noise_shape" and value is not None and not isinstance(value, list):
                # Keras 2 took any value here; it shapes the training-time mask only. Keras 3 wants a list.
                out[key] = None
            elif key == "axis" and cn == "BatchNormalization" and isinstance(value, list) and len(value) == 1:
                out[key] = value[0]  # tf.keras writes the axis of BatchNormalization as a one-item list
            elif key in ("layer", "backward_layer", "cell") and isinstance(value, dict) and "class_name" in value:
                out[key] = self.entry(value, where)  # the wrapped layer of Bidirectional, TimeDistributed, RNN
            elif key == "cells" and isinstance(value, list):
                out[key] = [self.entry(v, (*where, i)) for i, v in enumerate(value)]
            elif isinstance(value, dict) and "class_name" in value:
                out[key] = _object(key, value)
            else:
                out[key] = value
        if cn == "InputLayer" and "batch_input_shape" in out:
            shape = out.pop("batch_input_shape")
            out.setdefault("batch_shape", shape)
        return out

    def activation(self, value: Any, at: Where) -> Any:
        if isinstance(value, str) and value in RENAMED_ACTIVATIONS:
            return function_entry(RENAMED_ACTIVATIONS[value])
        if isinstance(value, dict) and "class_name" in value and value.get("class_name") != "function":
            return self.entry(value, at)  # a layer object used as an activation (LeakyReLU(alpha=0.1))
        return value


# --- helpers ----------------------------------------------------------------------------------


def _name(entry: dict[str, Any]) -> Any:
    config = entry.get("config")
    return entry.get("name", config.get("name") if isinstance(config, dict) else None)


def _input_shape(entry: dict[str, Any]) -> list[Any] | None:
    """The batch shape the first layer of a Keras 2 Sequential declares, if any."""
    config = entry.get("config")
    if not isinstance(config, dict):
        return None
    size = config.get("batch_size")
    if config.get("batch_input_shape") is not None:
        return _shape_list(config["batch_input_shape"])
    if config.get("input_shape") is not None:
        return [size, *_shape_list(config["input_shape"])]
    if entry.get("class_name") == "Embedding":
        return [size, config["input_length"]] if config.get("input_length") is not None else None
    if config.get("input_dim") is not None:
        return [size, config["input_dim"]]
    return None


def _has_own_input(entry: dict[str, Any]) -> bool:
    layers = entry.get("config", {}).get("layers", [])
    return bool(layers) and isinstance(layers[0], dict) and layers[0].get("class_name") == "InputLayer"


def _input_entry(name: str, shape: list[Any], dtype: str) -> dict[str, Any]:
    return {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
            "config": {"batch_shape": shape, "dtype": dtype, "sparse": False, "name": name}}


def _shape_list(shape: Any) -> list[Any]:
    if isinstance(shape, int) and not isinstance(shape, bool):
        return [shape]
    if not isinstance(shape, list):
        refuse("KERAS_INVALID_INPUT", (), f"an input shape must be an array, not {shape!r}")
    return list(shape)


def _dtype(value: Any) -> Any:
    if isinstance(value, dict) and value.get("class_name") == "Policy":  # tf.keras mixed precision
        config = value.get("config")
        name = config.get("name") if isinstance(config, dict) else None
        return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name}, "registered_name": None}
    return value


def _object(key: str, value: dict[str, Any]) -> dict[str, Any]:
    """A serialized initializer, regularizer or constraint in its Keras 3 form."""
    out = dict(value)
    module = out.get("module")
    legacy_module = module is None or (isinstance(module, str) and module.count(".") > 1 and module.startswith("keras."))
    if key.endswith("_initializer"):
        out["class_name"] = INITIALIZER_NAMES.get(out["class_name"], out["class_name"])
        config = out.get("config")
        if isinstance(config, dict):
            # tf.keras v1 initializers store a dtype, which Keras 3 does not take. "normal" meant truncated.
            config = {k: v for k, v in config.items() if k != "dtype"}
            if out["class_name"] == "VarianceScaling" and config.get("distribution") == "normal":
                config["distribution"] = "truncated_normal"
            out["config"] = config
        if legacy_module:
            out["module"] = "keras.initializers"
    elif key.endswith("_regularizer") and legacy_module:
        out["module"] = "keras.regularizers"
    elif key.endswith("_constraint") and legacy_module:
        out["module"] = "keras.constraints"
    return out


def _tf_op(entry: dict[str, Any], config: dict[str, Any], at: Where) -> dict[str, Any]:
    """A TFOpLambda entry as the Keras 3 operation entry; its node is translated by ``_op_call``."""
    function = config.get("function")
    if not isinstance(function, str) or function not in TF_OPS:
        refuse("KERAS_UNSUPPORTED", (*at, "config", "function"), f"TensorFlow call {function!r} "
               f"({entry['class_name']}) has no Keras 3 operation equivalent here")
    module, cls, positional, members = TF_OPS[function]
    out: dict[str, Any] = {k: v for k, v in entry.items() if k not in ("class_name", "config", "module")}
    out.update({"module": f"keras.src.ops.{module}", "class_name": cls, "config": {"name": config.get("name")},
                "registered_name": None, "_function": function, "_positional": positional, "_members": members})
    if len(entry.get("inbound_nodes") or []) != 1:
        refuse("KERAS_UNSUPPORTED", (*at, "inbound_nodes"), "a TensorFlow call must be recorded exactly once")
    return out


def _op_call(entry: dict[str, Any], first: Any, kwargs: dict[str, Any], at: Where) -> dict[str, Any]:
    function = entry["_function"]
    args = [first]
    for name in entry["_positional"]:
        if name not in kwargs:
            refuse("KERAS_UNSUPPORTED", at, f"TensorFlow call {function!r} lacks its argument {name!r}")
        value = kwargs.pop(name)
        args.append(_slices(value) if name == "slice_spec" else value)
    for member in entry["_members"]:
        if member in kwargs:
            entry["config"][TF_OP_MEMBERS.get(member, member)] = kwargs.pop(member)
    if kwargs:
        refuse("KERAS_UNSUPPORTED", at, f"TensorFlow call {function!r} with arguments {sorted(kwargs)!r} has no "
               "Keras 3 operation equivalent here")
    return {"args": args, "kwargs": {}}


def _explicit_masks(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Recurrent calls with initial states on a masking Embedding's output, given that mask explicitly.

    Keras 2 passed the Embedding's mask (``mask_zero=True``) on to a recurrent layer called as
    ``rnn(x, initial_state=...)``; Keras 3 fills in ``mask`` only for a call with one tensor
    argument, so the same graph would run the padded steps. The mask Keras 2 used is
    ``ids != 0`` on the Embedding's input: that operation is added to the graph (as Keras 3
    records a mask it computes) and passed as ``mask``.
    """
    by_name = {_name(e): e for e in entries}
    out: list[dict[str, Any]] = []
    for e in entries:
        added = []
        if e.get("class_name") in RECURRENT_CALLS:
            for k, node in enumerate(e.get("inbound_nodes") or []):
                kwargs = node.get("kwargs", {}) if isinstance(node, dict) else {}
                args = node.get("args") if isinstance(node, dict) else None
                if not kwargs.get("initial_state") or "mask" in kwargs or not args:
                    continue
                source = _history_of(args[0])
                emb = by_name.get(source[0]) if source else None
                if emb is None or emb.get("class_name") != "Embedding" or not emb["config"].get("mask_zero"):
                    continue
                emb_nodes = emb.get("inbound_nodes") or []
                if source is None or not 0 <= source[1] < len(emb_nodes):
                    continue
                ids = emb_nodes[source[1]]["args"][0]
                name = f"{_name(e)}_mask_{k}"
                added.append({"module": "keras.src.ops.numpy", "class_name": "NotEqual", "registered_name": None,
                              "name": name, "config": {"name": name},
                              "inbound_nodes": [{"args": [ids, 0], "kwargs": {}}]})
                kwargs["mask"] = {"class_name": "__keras_tensor__",
                                  "config": {"shape": [], "dtype": "bool", "keras_history": [name, 0, 0]}}
        out.extend(added)
        out.append(e)
    return out


def _history_of(value: Any) -> list[Any] | None:
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        history = value.get("config", {}).get("keras_history")
        return history if isinstance(history, list) and len(history) == 3 else None
    return None


def _history(item: list[Any], shift: dict[str, int]) -> list[Any]:
    return [item[0], item[1] - shift.get(item[0], 0), item[2]]


def _tensor(item: list[Any], shift: dict[str, int], at: Where) -> dict[str, Any]:
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in item[1:3]):
        refuse("KERAS_INVALID_INPUT", at, "node and tensor indices must be integers")
    return {"class_name": "__keras_tensor__",
            "config": {"shape": [], "dtype": "float32", "keras_history": _history(item, shift)}}


def _tensors_in(value: Any, shift: dict[str, int]) -> Any:
    """Call arguments with tf.keras' tensor references ([layer, node, tensor] lists) as Keras 3 tensors.

    tf.keras itself reads any 3- or 4-item list that starts with a string as a reference.
    """
    if isinstance(value, list) and len(value) in (3, 4) and isinstance(value[0], str) \
            and all(isinstance(x, int) and not isinstance(x, bool) for x in value[1:3]):
        return _tensor(value, shift, ())
    if isinstance(value, list):
        return [_tensors_in(v, shift) for v in value]
    if isinstance(value, dict):
        return {k: _tensors_in(v, shift) for k, v in value.items()}
    return value


def _slices(value: Any) -> Any:
    """tf.keras' slice dicts ({"start", "stop", "step"}) as Keras 3's ``__slice__`` objects."""
    def one(x: Any) -> Any:
        if isinstance(x, dict) and set(x) == {"start", "stop", "step"}:
            return {"class_name": "__slice__", "config": dict(x)}
        return x
    return [one(v) for v in value] if isinstance(value, list) else [one(value)]


def _shift_refs(refs: Any, shift: dict[str, int]) -> Any:
    """input_layers/output_layers references renumbered like the nodes (see ``functional_layers``)."""
    if isinstance(refs, list) and len(refs) == 3 and isinstance(refs[0], str) and isinstance(refs[1], int):
        return _history(refs, shift)
    if isinstance(refs, list):
        return [_shift_refs(r, shift) for r in refs]
    return refs
