"""The public functions that check and save an export (re-exported by ``modeldoc.onnx``)."""

from __future__ import annotations

import os
from typing import IO

import onnx

from ..document import Document
from ..errors import ModelDocError
from ..writer import atomic_write
from ._check import OutputCheck, failures, run_checker, run_test_vectors
from ._graph import to_onnx
from ._opsets import DEFAULT_OPSET


def check_onnx(doc: Document, model: onnx.ModelProto) -> list[OutputCheck]:
    """onnx.checker (full check), then onnxruntime on every test vector of ``doc``.

    Returns one :class:`OutputCheck` per vector and output; raises ModelDocError
    with one ``EVAL_TEST_VECTOR`` finding per output beyond its tolerance, or
    ``ONNX_UNSUPPORTED`` when the checker rejects the model or onnxruntime
    cannot run it.
    """
    run_checker(model)
    if not doc.test_vectors:
        return []
    results = run_test_vectors(doc, model)
    bad = failures(results)
    if bad:
        raise ModelDocError(bad)
    return results


def save_onnx(doc: Document, path: str | os.PathLike[str], *, opset: int = DEFAULT_OPSET,
              check: bool = True) -> list[OutputCheck]:
    """Export ``doc`` to the ONNX file ``path``, atomically; with ``check``, nothing is written unless
    :func:`check_onnx` passes. Returns the test-vector comparisons (empty without ``check``).

    >>> import os, tempfile, numpy as np, modeldoc
    >>> g = modeldoc.Graph(layers=[modeldoc.Layer("act", "Activation", {"activation": "tanh"})],
    ...     inputs=[modeldoc.Input("x", "float32", [None, 2])],
    ...     nodes=[modeldoc.Node("act", ["x"], ["y"])], outputs=["y"])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.onnx")
    >>> save_onnx(modeldoc.Document(g), path)
    []
    >>> onnx.load(path).graph.node[0].op_type
    'Tanh'
    """
    model = to_onnx(doc, opset=opset)
    results = check_onnx(doc, model) if check else []
    data = model.SerializeToString()

    def fill(fp: IO[bytes]) -> None:
        fp.write(data)

    atomic_write(path, fill)
    return results
