"""keras.applications models run in the core profile: a representative subset of the 40 (docs/evaluator.md has
the full table, from scripts/applications.py). Each is built with random weights and BatchNormalization
statistics from a batch, exported with one test vector, and checked by the reference evaluator."""

from __future__ import annotations

import pytest

from modeldoc.keras._applications import APPLICATIONS, REPRESENTATIVE, check_application
from tests.keras_adapter.keras_helpers import keras  # noqa: F401  (skips without Keras)


def test_forty_applications() -> None:
    assert len(APPLICATIONS) == 40


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_application_passes_modeldoc_run(name: str) -> None:
    result = check_application(name)
    assert result.passed, result.problem
