"""``evaluate`` and the list of core layers (re-exported by the package, loaded on first use)."""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..document import Document
from ._registry import BUILDERS
from ._run import Plan, run

CORE_LAYERS = tuple(sorted(BUILDERS))
"""Every layer type of the core profile."""


def evaluate(doc: Document, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The outputs of ``doc``'s model for ``inputs`` (graph input name -> array), by output name, in order.

    Raises ModelDocError: ``EVAL_UNSUPPORTED`` listing every layer type and
    config value outside the core profile (checked before anything runs),
    ``EVAL_INPUT`` for a missing array or one of the wrong dtype or shape,
    ``EVAL_MISMATCH`` for a weight that does not fit its layer.

    >>> import numpy as np, modeldoc
    >>> g = modeldoc.Graph(layers=[modeldoc.Layer("d", "Dense", {"units": 2, "activation": "relu"}, ["k", "b"])],
    ...     inputs=[modeldoc.Input("x", "float32", [None, 2])], nodes=[modeldoc.Node("d", ["x"], ["y"])],
    ...     outputs=["y"])
    >>> doc = modeldoc.Document(g, {"k": np.array([[1, -1], [2, 0]], "float32"), "b": np.zeros(2, "float32")},
    ...     producer=modeldoc.Producer(framework="keras"))
    >>> modeldoc.evaluate(doc, {"x": np.array([[1.0, 0.5]], "float32")})
    {'y': array([[2., 0.]], dtype=float32)}
    """
    return run(Plan(doc), inputs)
