"""Helpers for the Keras adapter tests: perturbed weights, bit-level comparison, the round trip.

Not a conftest.py: pytest imports conftest files itself, for fixtures and hooks; test modules import these
(``from tests.keras_adapter.keras_helpers import ...``), and importing this module skips them without Keras.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from typing import Any

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import modeldoc
import modeldoc.keras as mk
from modeldoc.encodings import ENCODINGS as ENCODINGS  # test_keras_cli.py takes it from here
from modeldoc.encodings import Encoding


def perturb(model: Any, seed: int = 1) -> None:
    """Give every float weight random values, so nothing passes by matching the initializers."""
    rng = np.random.default_rng(seed)
    for layer in _leaf_layers(model, ""):
        touched = False
        for v in layer[1].weights:
            if "float" in str(v.dtype) and v.trainable or "moving" in v.path or "adapt" in v.path:
                values = rng.uniform(0.5, 1.5, tuple(v.shape)) * rng.choice([-1.0, 1.0], tuple(v.shape))
                if "variance" in v.path:  # a variance must stay positive
                    values = np.abs(values)
                v.assign(values.astype(np.float32).astype(np.dtype(v.dtype)))
                touched = True
        if touched and hasattr(layer[1], "finalize_state"):
            layer[1].finalize_state()


def _leaf_layers(model: Any, prefix: str) -> list[tuple[str, Any]]:
    """(structural path, layer) of every layer that is not itself a Functional or Sequential model."""
    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model) and hasattr(layer, "layers") and type(layer).__name__ in ("Functional", "Sequential"):
            out += _leaf_layers(layer, prefix + layer.name + "/")
        else:
            out.append((prefix + layer.name, layer))
    return out


def bits(x: Any) -> tuple[str, tuple[int, ...], bytes]:
    a = np.asarray(keras.ops.convert_to_numpy(x))
    return str(a.dtype), a.shape, a.tobytes()


def outputs(model: Any, inputs: Any) -> list[tuple[str, tuple[int, ...], bytes]]:
    return [bits(t) for t in keras.tree.flatten(model(inputs, training=False))]


def weights(model: Any) -> list[tuple[str, tuple[str, tuple[int, ...], bytes]]]:
    """Every variable, keyed by the path of layers that holds it and its place in that layer's weights.

    Keras' own ``variable.path`` depends on the name scope a layer was built in (a Bidirectional's
    LSTMs get "bidirectional/" only when built inside it), so it is not stable across rebuilds.
    """
    return [
        (f"{path}/{j}:{v.name}", bits(v)) for path, layer in _leaf_layers(model, "") for j, v in enumerate(layer.weights)
    ]


def assert_round_trip(
    model: Any, inputs: Any, *, custom_objects: dict[str, Any] | None = None, encodings: tuple[Encoding, ...] = ENCODINGS
) -> list[Any]:
    """to_keras(from_keras(model)) in each encoding: same weights by path, bit for bit, and same outputs."""
    expected_w = weights(model)
    expected_y = outputs(model, inputs)
    doc = mk.from_keras(model, custom_objects=custom_objects)
    rebuilt = []
    for encoding in encodings:
        data = modeldoc.dumps(doc, encoding=encoding)
        assert modeldoc.validate(data).ok
        back = mk.to_keras(modeldoc.loads(data), custom_objects=custom_objects)
        assert type(back).__name__ == type(model).__name__
        got_w = weights(back)
        assert [p for p, _ in got_w] == [p for p, _ in expected_w], encoding
        for (path, want), (_, got) in zip(expected_w, got_w):
            assert got == want, f"{encoding}: weight {path} differs"
        assert outputs(back, inputs) == expected_y, f"{encoding}: predictions differ"
        rebuilt.append(back)
    return rebuilt


def rand(*shape: int, seed: int = 0, dtype: str = "float32") -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# Keras' TensorFlow backend calls np.array(x, copy=False) on tensors; numpy 2 warns about TF's __array__.
QUIET = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")
