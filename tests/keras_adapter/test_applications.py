"""keras.applications models run in the core profile: a representative subset of the 40 (docs/evaluator.md has
the full table, from scripts/applications.py). Each is built with random weights and BatchNormalization
statistics from a batch, exported with one test vector, and checked by the reference evaluator."""

from __future__ import annotations

import pytest

from modeldoc.keras._applications import APPLICATIONS, check_application

from keras_helpers import keras  # noqa: F401  (skips without Keras)

# One model per family of layers that spec.md 15.15 added: operations with constants and Rescaling
# (MobileNetV3Small), Rescaling and Normalization with weights (EfficientNetB0), LayerScale, grouped
# convolutions and a constant Normalization (ConvNeXtTiny), CustomScaleLayer (InceptionResNetV2).
SUBSET = ("MobileNetV3Small", "EfficientNetB0", "ConvNeXtTiny", "InceptionResNetV2")


def test_forty_applications() -> None:
    assert len(APPLICATIONS) == 40


@pytest.mark.parametrize("name", SUBSET)
def test_application_passes_modeldoc_run(name: str) -> None:
    result = check_application(name)
    assert result.passed, result.problem
