"""Forms of tfjs ``model.json`` that tfjs-layers 4.22 loads, read the way tfjs reads them.

Files come from many writers: tfjs itself (1.x to 4.x), the Python converter run on Keras 2,
tf.keras or Keras 3 models, ml5.js, Teachable Machine. They differ in small ways that tfjs either
ignores or resolves by its own rules. Each rule here follows what tfjs-layers 4.22 does with the
form, so the document computes what tfjs computes; where tfjs computes something other than the
file says (``time_major: true``), or cannot load the form at all, the member is refused with its
place, never dropped.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import ModelDocError

_CAMEL = re.compile(r"_+(\w|$)", re.ASCII)


def camel(name: str) -> str:
    """tfjs' ``toCamelCase``, which it applies to every string value of model.json before it looks a
    name up (``log_softmax`` -> ``logSoftmax``, ``glorot_uniform`` -> ``glorotUniform``)."""
    if len(name) <= 1 or "_" not in name:
        return name
    return _CAMEL.sub(lambda m: m.group(1).upper(), name)


def _unsupported(ptr: str, message: str) -> ModelDocError:
    return ModelDocError.of("TFJS_UNSUPPORTED", ptr, message)


def _invalid(ptr: str, message: str) -> ModelDocError:
    return ModelDocError.of("TFJS_INVALID_INPUT", ptr, message)


def dtype_name(value: Any, at: str) -> str:
    """A layer's or input's dtype: a string, or a Keras 3 ``DTypePolicy`` (tf.keras: ``Policy``) object.
    tfjs computes every layer in float32 whatever a policy says, so only float32 policies are read;
    a mixed policy (``mixed_float16``) means float16 compute in Keras and is refused."""
    if value is None:
        return "float32"
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value.get("class_name") in ("DTypePolicy", "Policy", "FloatDTypePolicy") \
            and isinstance(value.get("config"), dict):
        name = value["config"].get("name")
        if name == "float32":
            return "float32"
        raise _unsupported(at, f"dtype policy {name!r}: tfjs-layers computes in float32, so only float32 "
                           "policies are read")
    raise _invalid(at, "dtype must be a string or a DTypePolicy object")


def input_dtype_name(value: Any, at: str) -> str:
    """The dtype of a layer that defines a model input. tfjs gives the input that dtype as it is, so a
    policy object loads but no tensor can then be fed ("cannot be cast to ... [object Object]")."""
    if isinstance(value, dict):
        raise _unsupported(at, "a dtype policy on the layer that defines the input: tfjs-layers 4.22 gives the "
                           "input that object as its dtype and cannot predict with it")
    return dtype_name(value, at)


def rewrite_members(kind: str, cfg: dict[str, Any], at: str) -> dict[str, Any]:
    """``cfg`` with the members older writers emit rewritten into the form the table reads."""
    out = dict(cfg)
    if "time_major" in out:  # tf.keras 2 recurrent layers; tfjs ignores it and reads [batch, time, ...]
        if out["time_major"] is True:
            raise _unsupported(f"{at}/time_major", f"{kind} time_major=true: tfjs-layers ignores it and reads "
                               "inputs as [batch, time, ...], which is not what the file means")
        if out["time_major"] not in (False, None):
            raise _invalid(f"{at}/time_major", "time_major must be true or false")
        del out["time_major"]
    axis = out.get("axis")
    if kind == "BatchNormalization" and isinstance(axis, list):  # tf.keras 2 writes the axis as [3]
        if len(axis) != 1 or not isinstance(axis[0], int) or isinstance(axis[0], bool):
            raise _unsupported(f"{at}/axis", f"BatchNormalization axis {axis!r}: tfjs-layers normalizes over "
                               "one axis")
        if axis[0] < 0:  # tfjs adds the rank to the list itself ([-1] + 4 is "-14" in JavaScript)
            raise _unsupported(f"{at}/axis", f"BatchNormalization axis {axis!r}: tfjs-layers 4.22 cannot load a "
                               "negative axis in a list")
        out["axis"] = axis[0]
    return out


def first_layer_shape(kind: str, cfg: dict[str, Any], at: str) -> tuple[Any, str] | None:
    """The batch input shape a Sequential model's first layer declares, as tfjs' Layer constructor
    reads it (``batch_input_shape``; else ``input_shape`` after ``batch_size``; else a Dense layer's
    ``input_dim``), and the pointer it came from; None when it declares none."""
    if cfg.get("batch_input_shape") is not None:
        return cfg["batch_input_shape"], f"{at}/batch_input_shape"
    if cfg.get("input_shape") is not None:
        shape = cfg["input_shape"]
        batch = cfg.get("batch_size")
        return ([batch, *shape] if isinstance(shape, list) else shape), f"{at}/input_shape"
    if kind == "Dense" and cfg.get("input_dim") is not None:
        return [cfg.get("batch_size"), cfg["input_dim"]], f"{at}/input_dim"
    return None
