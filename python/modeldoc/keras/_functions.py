"""Functions ModelDoc itself supplies to Keras, for Keras 2 behaviour that Keras 3 no longer has.

Keras 2's ``hard_sigmoid`` (the default recurrent activation of LSTM and GRU up to Keras 2.2) is
``clip(0.2 x + 0.5, 0, 1)``; Keras 3 kept the name for ``relu6(x + 3) / 6``. A Keras 2 file is
therefore rebuilt with ``hard_sigmoid_keras2``, registered with Keras as
``modeldoc>hard_sigmoid_keras2``, which computes what Keras 2 (TensorFlow backend) computed,
in the same order of float operations.
"""

from __future__ import annotations

from typing import Any

PACKAGE = "modeldoc"
_registered: dict[str, Any] = {}


def registered_functions() -> dict[str, Any]:
    """Registered name -> function, registering them with Keras on first use."""
    if not _registered:
        import keras
        from keras import ops

        def hard_sigmoid_keras2(x: Any) -> Any:
            return ops.clip(ops.add(ops.multiply(x, 0.2), 0.5), 0.0, 1.0)

        register = keras.saving.register_keras_serializable(package=PACKAGE, name="hard_sigmoid_keras2")
        _registered[f"{PACKAGE}>hard_sigmoid_keras2"] = register(hard_sigmoid_keras2)
    return _registered


def function_entry(name: str) -> dict[str, Any]:
    """The serialized form of one of these functions, as Keras itself writes a registered function."""
    return {"module": None, "class_name": "function", "config": name, "registered_name": f"{PACKAGE}>{name}"}
