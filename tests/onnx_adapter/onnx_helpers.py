"""Shared helpers of the ONNX export tests: Keras-built documents, made once per test run."""

from __future__ import annotations

import functools
import os
import warnings
from typing import Any

import numpy as np

import modeldoc

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

TEST_VECTORS = 2


@functools.lru_cache(maxsize=None)
def zoo_doc(name: str) -> modeldoc.Document:
    """The zoo model ``name`` exported by modeldoc.keras with two test vectors that Keras computed."""
    from modeldoc.keras import from_keras
    from modeldoc.keras.zoo import build

    return from_keras(build(name), test_vectors=TEST_VECTORS)


@functools.lru_cache(maxsize=None)
def extra_doc(name: str) -> modeldoc.Document:
    """A model of onnx_extra_models exported the same way."""
    from modeldoc.keras import from_keras
    from tests.onnx_adapter.onnx_extra_models import build_extra

    with warnings.catch_warnings():  # Keras warns that rms_scaling (used by "norms") is deprecated
        warnings.simplefilter("ignore", UserWarning)
        return from_keras(build_extra(name), test_vectors=TEST_VECTORS)


# Zoo models the exporter refuses, with a word of the reason its finding gives (their keras-zoo fixtures too).
ZOO_REFUSED: dict[str, str] = {}


def one_layer_doc(layer_type: str, config: dict[str, Any], shape: list[int | None], *, dtype: str = "float32",
                  weights: dict[str, np.ndarray] | None = None, inputs: int = 1,
                  arguments: dict[str, Any] | None = None) -> modeldoc.Document:
    """A Keras-framework document whose model is one call of one layer on ``inputs`` inputs of ``shape``."""
    weights = weights or {}
    layer = modeldoc.Layer("layer", layer_type, config, list(weights))
    names = [f"x{k}" for k in range(inputs)]
    graph = modeldoc.Graph([layer], [modeldoc.Input(n, dtype, shape) for n in names],
                           [modeldoc.Node("layer", names, ["y"], arguments=arguments or {})], ["y"])
    return modeldoc.Document(graph, dict(weights), producer=modeldoc.Producer(framework="keras"))


def onnx_and_evaluator(doc: modeldoc.Document, xs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The document's first output as onnxruntime computes it after export, and as the reference evaluator
    does (spec.md 15), for the same inputs."""
    import onnxruntime as ort

    from modeldoc.onnx import to_onnx

    model = to_onnx(doc)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    got = session.run(None, {i.name: x for i, x in zip(doc.model.inputs, xs)})[0]
    want = modeldoc.evaluate(doc, list(xs))[doc.model.outputs[0]]
    return np.asarray(got), np.asarray(want)


def op_types(doc: modeldoc.Document) -> list[str]:
    """The ONNX op types of the document's export, in order."""
    from modeldoc.onnx import to_onnx

    return [n.op_type for n in to_onnx(doc).graph.node]
