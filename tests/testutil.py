"""Helpers shared by the test modules: ``from tests.testutil import ...``.

Not in conftest.py: pytest imports conftest files itself, for fixtures and hooks; plain functions
and constants that tests import belong in a module of their own.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import modeldoc
from modeldoc.document import Document, Graph, Input, Layer, Node

ROOT = Path(__file__).resolve().parents[1]  # the repository root
FIXTURES = ROOT / "conformance_fixtures"
# Every case of the conformance manifest (spec.md 14), in its order.
CASES: list[dict[str, Any]] = json.loads((FIXTURES / "manifest.json").read_text("utf-8"))["cases"]


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


def inner_model(doc: Document) -> Graph:
    """The graph that the document's first layer holds: from_keras and from_tfjs write a Keras model as one
    layer whose ``model`` is the model's own graph."""
    graph = doc.model.layers[0].model
    assert graph is not None, f"layer 0 ({doc.model.layers[0].type}) holds no model"
    return graph


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def codes(report: modeldoc.Report) -> list[tuple[str, str]]:
    return [(f.code, f.pointer) for f in report.errors]


def findings(report: modeldoc.Report) -> list[tuple[str, str, str]]:
    """Every finding as (code, pointer, severity): what two paths that must agree are compared on."""
    return [(f.code, f.pointer, f.severity) for f in report.findings]


def lazy_agrees(source: Path | bytes, report: modeldoc.Report) -> None:
    """``modeldoc.open`` then ``get_tensor`` of every tensor reports what ``report`` (validate of the
    same document) reports, less DATA_DOCUMENT_CHECKSUM (spec.md 7.1), and hands out the tensors a
    full read gives, bit for bit."""
    want = sorted((f.code, f.pointer) for f in report.errors if f.code != "DATA_DOCUMENT_CHECKSUM")
    try:
        f = modeldoc.open(source)
    except modeldoc.ModelDocError as e:
        raised = [(x.code, x.pointer) for x in e.findings if x.severity == "error"]
        assert raised and set(raised) <= set(want), raised  # the structure's findings, at open
        return
    got: list[tuple[str, str]] = []
    with f:
        assert [w.code for w in f.warnings] == [w.code for w in report.warnings]
        full = f.load() if report.ok else None
        for name in f:
            try:
                arr = f.get_tensor(name)
            except modeldoc.ModelDocError as e:
                got.extend((x.code, x.pointer) for x in e.findings if x.severity == "error")
                continue
            if full is not None:
                assert same_bits(arr, full.tensors[name]), name
    if any(not c.startswith(("DATA_", "LIMIT_")) for c, _ in want):
        # A syntax error inside a payload is met when that payload is read (spec.md 7.1, item 2): from
        # then on every tensor reports the document's findings; tensors read before may have found their own.
        assert set(want) <= set(got) and all(c.startswith("DATA_") for c, _ in set(got) - set(want)), got
    else:
        assert sorted(got) == want


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m modeldoc ARGS`` in a fresh process, as a user runs it; text output captured."""
    return subprocess.run([sys.executable, "-m", "modeldoc", *args], capture_output=True, text=True, cwd=cwd)
