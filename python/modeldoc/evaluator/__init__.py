"""The NumPy reference evaluator of the core profile (spec.md section 15).

``evaluate(doc, inputs)`` runs a document exported from Keras on NumPy arrays:
a small, readable implementation of each core layer's forward pass, meant to
be read next to the spec by anyone writing an evaluator in another language.
``check_test_vectors(doc)`` compares it with the outputs stored in the
document. It imports no framework.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..vectorrule import ATOL, RTOL, allowed_atol, compare
    from ._api import CORE_LAYERS, evaluate
    from ._vectors import VectorCheck, check_test_vectors

# Public name -> private module, loaded on first access (PEP 562): `modeldoc --help` registers
# `modeldoc run` through .cli without importing the evaluator itself (about 15 ms).
_LAZY = {
    "CORE_LAYERS": "._api", "evaluate": "._api", "ATOL": "..vectorrule", "RTOL": "..vectorrule",
    "VectorCheck": "._vectors", "allowed_atol": "..vectorrule", "check_test_vectors": "._vectors",
    "compare": "..vectorrule",
}

__all__ = ["ATOL", "CORE_LAYERS", "RTOL", "VectorCheck", "allowed_atol", "check_test_vectors", "compare", "evaluate"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
