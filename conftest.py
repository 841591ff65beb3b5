"""Doctest collection of the package: an adapter's modules are left out when its extra is not installed.

``make check`` runs without Keras, ONNX or TensorFlow; importing such a module to find its doctests
would fail there. (Test helpers and fixtures live in tests/conftest.py and tests/testutil.py.)
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

# Adapter folder -> the modules its import needs.
_EXTRAS = {"keras": ("keras",), "onnx": ("onnx", "onnxruntime")}
_PACKAGE = Path(__file__).parent / "python" / "modeldoc"


def pytest_ignore_collect(collection_path: Path) -> bool | None:
    for folder, needs in _EXTRAS.items():
        if collection_path == _PACKAGE / folder and not all(importlib.util.find_spec(m) for m in needs):
            return True
    return None
