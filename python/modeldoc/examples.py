"""A small built-in model used by ``make demo``, the docs and doctests."""

from __future__ import annotations

import numpy as np

from .document import Document, Graph, Input, Layer, Node, Producer


def example_document(seed: int = 0) -> Document:
    """A small convolution + dense classifier with deterministic weights.

    It exercises the format rather than any framework: float32 weights, a
    float16 and a bfloat16 tensor, an int64 vocabulary beyond 2**53, a bool
    mask, a shared layer called twice and a nested model.

    >>> import modeldoc
    >>> doc = modeldoc.example_document()
    >>> [layer.name for layer in doc.model.layers]
    ['conv', 'flatten', 'head', 'dense', 'lookup']
    """
    import ml_dtypes

    rng = np.random.default_rng(seed)

    def f32(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape).astype(np.float32)

    tensors = {
        "conv/kernel": f32(3, 3, 1, 4),
        "conv/bias": f32(4),
        "head/dense/kernel": f32(64, 8),
        "head/dense/bias": rng.standard_normal(8).astype(np.float16),
        "dense/kernel": f32(8, 8),
        "dense/bias": rng.standard_normal(8).astype(ml_dtypes.bfloat16),
        "lookup/vocabulary": np.array([0, 2**53 + 1, -(2**63), 2**63 - 1], dtype=np.int64),
        "lookup/mask": np.array([True, False, True, True]),
    }
    tensors["conv/bias"][0] = np.float32(-0.0)
    tensors["dense/kernel"][0, 0] = np.float32(np.inf)
    tensors["dense/kernel"][0, 1] = np.float32(np.nan)
    head = Graph(
        name="head",
        layers=[Layer("dense", "Dense", {"units": 8, "activation": "relu"}, ["head/dense/kernel", "head/dense/bias"])],
        inputs=[Input("features", "float32", [None, 64])],
        nodes=[Node("dense", ["features"], ["hidden"])],
        outputs=["hidden"],
    )
    model = Graph(
        name="example",
        layers=[
            Layer("conv", "Conv2D", {"filters": 4, "kernel_size": [3, 3], "padding": "same"}, ["conv/kernel", "conv/bias"]),
            Layer("flatten", "Flatten"),
            Layer("head", "Functional", {}, [], head),
            Layer("dense", "Dense", {"units": 8, "dropout": 0.1}, ["dense/kernel", "dense/bias"]),
            Layer("lookup", "IntegerLookup", {"num_oov_indices": 1}, ["lookup/vocabulary", "lookup/mask"]),
        ],
        inputs=[Input("image", "float32", [None, 4, 4, 1]), Input("ids", "int64", [None])],
        nodes=[
            Node("conv", ["image"], ["conv:0"], name="conv_call"),
            Node("flatten", ["conv:0"], ["flat:0"]),
            Node("head", ["flat:0"], ["head:0"]),
            Node("dense", ["head:0"], ["dense:0"]),
            Node("dense", ["dense:0"], ["dense:1"], arguments={"note": "the same layer, called again"}),
            Node("lookup", ["ids"], ["lookup:0"]),
        ],
        outputs=["dense:1", "lookup:0"],
    )
    return Document(
        model=model,
        tensors=tensors,
        metadata={"description": "ModelDoc built-in example", "license": "CC0-1.0"},
        producer=Producer(framework="numpy", framework_version=np.__version__),
    )
