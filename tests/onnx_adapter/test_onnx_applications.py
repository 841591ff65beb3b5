"""keras.applications models exported to ONNX and run by onnxruntime against Keras' test vector: the same
representative subset as the core-profile test (docs/onnx.md has the full table of the 40, from
``scripts/applications.py --onnx``)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
pytest.importorskip("keras")  # the models are built by Keras
pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from modeldoc.keras._applications import REPRESENTATIVE, check_application_onnx


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_application_exports_and_matches_keras_in_onnxruntime(name: str) -> None:
    result = check_application_onnx(name)
    assert result.passed, result.problem
    assert result.max_abs_diff is not None  # an output was compared (spec.md 15.11's rule held for it)
