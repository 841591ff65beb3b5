"""ONNX export of ModelDoc documents (the optional extra ``modeldoc[onnx]``).

``to_onnx`` builds an ``onnx.ModelProto`` from a document, ``check_onnx`` runs
onnx.checker and, on the document's test vectors, onnxruntime, and
``save_onnx`` does both and writes the file atomically. The core never imports
this package. Its functions need the ``onnx`` and ``onnxruntime`` packages, which
are imported on first use: importing this package (and ``modeldoc --help``) stays
fast and works without them. What maps to which ONNX ops, and what does not, is
in docs/onnx.md and :func:`supported_types`.

>>> import numpy as np, modeldoc
>>> from modeldoc.onnx import to_onnx, check_onnx
>>> g = modeldoc.Graph(
...     layers=[modeldoc.Layer("dense", "Dense", {"units": 1}, ["k"])],
...     inputs=[modeldoc.Input("x", "float64", [None, 2])],
...     nodes=[modeldoc.Node("dense", ["x"], ["y"])], outputs=["y"])
>>> doc = modeldoc.Document(g, {"k": np.array([[1.0], [2.0]])})
>>> model = to_onnx(doc)
>>> check_onnx(doc, model)  # no test vectors: only onnx.checker runs
[]
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._opsets import DEFAULT_OPSET, MIN_OPSET

if TYPE_CHECKING:
    from ._api import check_onnx, save_onnx
    from ._check import OutputCheck
    from ._graph import to_onnx
    from ._support import max_opset, supported_types

# Public name -> private module; loaded on first access (PEP 562) because those modules import onnx.
_LAZY = {
    "check_onnx": "._api", "save_onnx": "._api", "to_onnx": "._graph",
    "OutputCheck": "._check", "max_opset": "._support", "supported_types": "._support",
}

__all__ = ["DEFAULT_OPSET", "MIN_OPSET", "OutputCheck", "check_onnx", "max_opset", "save_onnx",
           "supported_types", "to_onnx"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
