"""The coverage matrix: regenerated from keras.layers at run time, equal to the checked-in file."""

from __future__ import annotations

import importlib
import sys

from tests.keras_adapter.keras_helpers import QUIET, keras
from tests.testutil import ROOT

pytestmark = QUIET

# scripts/keras_coverage.py, by name from its folder: scripts/ is no package, and mypy does not check it
sys.path.insert(0, str(ROOT / "scripts"))
keras_coverage = importlib.import_module("keras_coverage")


def test_matrix_is_current_and_has_no_failures() -> None:
    table = keras_coverage.rows()
    assert [r.name for r in table if r.status == "FAIL"] == []
    assert keras_coverage.render(table) == (ROOT / "docs" / "keras-coverage.md").read_text("utf-8"), (
        "docs/keras-coverage.md is out of date: run .venv/bin/python scripts/keras_coverage.py"
    )


def test_a_new_class_is_a_failing_row() -> None:
    row = keras_coverage.row("LayerFromAFutureKeras")
    assert row.status == "FAIL" and "SPECS" in row.note


def test_every_saveable_class_is_on_the_allowlist() -> None:
    from modeldoc.keras._allowlist import LAYERS

    refused_or_absent = {n for n, (status, _) in keras_coverage.EXPECTED.items() if status != "round-trips"}
    exported = {getattr(keras.layers, n).__name__: n for n in dir(keras.layers)
                if isinstance(getattr(keras.layers, n), type) and issubclass(getattr(keras.layers, n), keras.layers.Layer)}
    missing = {cls for cls, attr in exported.items() if cls not in refused_or_absent and attr not in LAYERS
               and not any(a in LAYERS for a in dir(keras.layers) if getattr(keras.layers, a) is getattr(keras.layers, attr))}
    assert missing == set()
