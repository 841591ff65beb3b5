"""The TensorFlow.js adapter: ModelDoc documents to the tfjs Layers format (model.json + shards) and back.

>>> import os, tempfile, numpy as np, modeldoc, modeldoc.tfjs
>>> g = modeldoc.Graph(
...     layers=[modeldoc.Layer("dense", "Dense", {"units": 2, "activation": "relu"}, ["dense/kernel", "dense/bias"])],
...     inputs=[modeldoc.Input("x", "float32", [None, 3])],
...     nodes=[modeldoc.Node("dense", ["x"], ["y"])], outputs=["y"])
>>> doc = modeldoc.Document(g, {"dense/kernel": np.ones((3, 2), "float32"), "dense/bias": np.zeros(2, "float32")})
>>> out = tempfile.mkdtemp()
>>> sorted(os.path.basename(p) for p in modeldoc.tfjs.to_tfjs(doc, out))
['group1-shard1of1.bin', 'model.json']
>>> back = modeldoc.tfjs.from_tfjs(os.path.join(out, "model.json"))
>>> bool(np.array_equal(back.tensors["dense/kernel"], doc.tensors["dense/kernel"]))
True

Neither direction imports TensorFlow, Keras or Node. Nothing is narrowed:
a float64 or int64 tensor, a layer or config value tfjs does not implement,
is refused (``TFJS_UNSUPPORTED``, every problem listed at once) and nothing
is written. See docs/tfjs.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._api import MAX_MODEL_JSON_BYTES as MAX_MODEL_JSON_BYTES
    from ._api import METADATA_QUANTIZATION as METADATA_QUANTIZATION
    from ._api import from_tfjs, to_tfjs
    from ._support import TFJS_UNSUPPORTED

# Public name -> private module, loaded on first access (PEP 562), as in modeldoc.onnx:
# `modeldoc --help` registers the tfjs commands through .cli without importing the converters.
_LAZY = {
    "to_tfjs": "._api", "from_tfjs": "._api", "MAX_MODEL_JSON_BYTES": "._api", "METADATA_QUANTIZATION": "._api",
    "TFJS_UNSUPPORTED": "._support",
}

__all__ = ["TFJS_UNSUPPORTED", "from_tfjs", "to_tfjs"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
