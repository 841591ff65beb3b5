"""modeldoc.keras.zoo as public API: the names it promises to keep, and what build and seed_weights give.

(That every zoo model converts, and that the reference evaluator reproduces Keras on it, is
test_evaluator_keras.py's work; the keras-zoo-* fixtures are built from the same models.)
"""

from __future__ import annotations

import numpy as np
import pytest

import modeldoc
from modeldoc.evaluator import check_test_vectors
from modeldoc.keras import from_keras, zoo
from tests.keras_adapter.keras_helpers import QUIET, keras  # skips this module without Keras
from tests.testutil import ROOT

pytestmark = QUIET

# The model names the module's docstring and docs/keras.md promise: more may come, none may go.
STABLE_NAMES = ("mlp", "cnn", "conv1d", "lstm", "gru", "merge", "shapes", "activations", "nested", "edge", "keras2",
                "applications", "bilstm", "transformer", "attention")


def test_the_promised_names_are_there() -> None:
    assert zoo.__all__ == ["ZOO", "build", "seed_weights"]
    assert set(STABLE_NAMES) <= set(zoo.ZOO)
    assert zoo.__doc__ is not None and all(f"``{name}``" in zoo.__doc__ for name in STABLE_NAMES)


def test_docs_describe_every_zoo_model() -> None:
    text = (ROOT / "docs" / "keras.md").read_text("utf-8")
    section = text[text.index("## Example models: `modeldoc.keras.zoo`"):].split("\n## ")[0]
    assert [name for name in zoo.ZOO if f"| `{name}` |" not in section] == []


def test_build_gives_the_named_model_with_the_seeded_draw() -> None:
    model = zoo.build("cnn", seed=3)
    assert isinstance(model, keras.Model) and model.name == "cnn"
    for variable in model.weights:
        values = np.asarray(keras.ops.convert_to_numpy(variable))
        low = 0.5 if "variance" in variable.path else -0.5  # variances stay positive
        assert low <= values.min() and values.max() < low + 1.0, variable.path
    again, other = zoo.build("cnn", seed=3), zoo.build("cnn", seed=4)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), again.get_weights()))
    assert not any(np.array_equal(a, b) for a, b in zip(model.get_weights(), other.get_weights()))


def test_a_zoo_model_converts_and_its_keras_outputs_are_reproduced() -> None:
    doc = from_keras(zoo.build("mlp"), test_vectors=2)
    assert modeldoc.validate(modeldoc.dumps(doc)).ok
    checks = check_test_vectors(doc)
    assert checks and all(c.ok for c in checks)


def test_seed_weights_draws_for_a_model_of_ones_own() -> None:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.BatchNormalization()])
    assert zoo.seed_weights(model, 0) is model
    kernel, bias, gamma, beta, mean, variance = model.get_weights()
    assert (bias != 0).all() and (gamma != 1).all()  # not a fresh layer's zeros and ones
    assert ((0.5 <= variance) & (variance < 1.5)).all()


def test_an_unknown_name_says_what_the_zoo_has() -> None:
    with pytest.raises(KeyError, match="'no_such_model' is not a zoo model; the zoo has mlp, cnn"):
        zoo.build("no_such_model")
