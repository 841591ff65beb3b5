"""``evaluate`` and the list of core layers (re-exported by the package, loaded on first use)."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ..document import Document
from ..errors import ModelDocError
from ..profile import EVALUATOR, types_for
from ._registry import BUILDERS  # noqa: F401  (checks the kernels against the catalogue)
from ._run import Plan, run

CORE_LAYERS = tuple(sorted(types_for(EVALUATOR)))
"""Every layer type of the core profile (the catalogue's evaluator types)."""


def evaluate(doc: Document, inputs: Mapping[str, np.ndarray] | Sequence[np.ndarray] | np.ndarray
             ) -> dict[str, np.ndarray]:
    """The outputs of ``doc``'s model for ``inputs``, by output name, in order.

    ``inputs`` is a mapping (graph input name -> array), a sequence of arrays in the order of the
    graph's inputs, or one array for a model with one input, as Keras ``predict`` takes them.

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
    >>> modeldoc.evaluate(doc, np.array([[1.0, 0.5]], "float32"))["y"].tolist()
    [[2.0, 0.0]]
    """
    return run(Plan(doc), _by_name(doc, inputs))


def _by_name(doc: Document, inputs: Mapping[str, np.ndarray] | Sequence[np.ndarray] | np.ndarray
             ) -> Mapping[str, np.ndarray]:
    names = [i.name for i in doc.model.inputs]
    if isinstance(inputs, Mapping):
        return inputs
    if isinstance(inputs, np.ndarray):
        if len(names) != 1:
            raise ModelDocError.of("EVAL_INPUT", "/model/inputs", f"one array given, the model has {len(names)} "
                                   f"inputs ({', '.join(names)}): give a list in that order or a mapping")
        return {names[0]: inputs}
    arrays = list(inputs)
    if len(arrays) != len(names):
        raise ModelDocError.of("EVAL_INPUT", "/model/inputs", f"{len(arrays)} arrays given, the model has "
                               f"{len(names)} inputs ({', '.join(names)})")
    return dict(zip(names, arrays))
