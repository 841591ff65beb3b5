"""Helpers shared by the test modules (imported as ``testutil``).

Not in conftest.py: several folders have a conftest.py, and a test module that imported
``conftest`` by name would get whichever was imported last.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import modeldoc
from modeldoc.document import Document, Graph, Input, Layer, Node


def needs_node(*packages: Path) -> pytest.MarkDecorator:
    """The ``node`` marker: ``make check`` (no Node) deselects these tests with ``-m "not node"``, and
    elsewhere tests/conftest.py skips them unless ``node`` is on PATH and each JavaScript package has its
    ``node_modules``; ``make test`` installs both, so there nothing is skipped."""
    return pytest.mark.node(*packages)


def needs_extra(*modules: str) -> pytest.MarkDecorator:
    """Skip unless every module (an optional extra's framework) is installed: ``make check`` has none."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    return pytest.mark.skipif(bool(missing), reason=f"{', '.join(missing)} not installed (an optional extra; make test has it)")


def doc_with(tensors: dict[str, np.ndarray]) -> Document:
    """A minimal valid document whose one layer holds ``tensors``."""
    graph = Graph(
        layers=[Layer("layer", "Constant", {}, list(tensors))],
        inputs=[Input("x", "float32", [None])],
        nodes=[Node("layer", ["x"], ["y"])],
        outputs=["y"],
    )
    return Document(graph, dict(tensors))


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def codes(report: modeldoc.Report) -> list[tuple[str, str]]:
    return [(f.code, f.pointer) for f in report.errors]
