"""Test vectors: the embedded outputs are what the rebuilt model predicts, in every encoding."""

from __future__ import annotations

import numpy as np

from tests.keras_adapter.keras_helpers import ENCODINGS, QUIET, keras, perturb

pytestmark = QUIET

import modeldoc
import modeldoc.keras as mk
from modeldoc.keras._vectors import predict

L = keras.layers


def model() -> keras.Model:
    a, ids = keras.Input((None, 3), name="seq"), keras.Input((4,), dtype="int32", name="ids")
    h = L.Concatenate()([L.GlobalAveragePooling1D()(L.LSTM(2, return_sequences=True)(a)),
                         L.Flatten()(L.Embedding(2, 2)(ids))])
    m = keras.Model({"seq": a, "ids": ids}, {"y": L.Dense(2, dtype="mixed_float16")(h), "h": h})
    perturb(m)
    return m


def test_vectors_match_the_rebuilt_model_in_every_encoding() -> None:
    m = model()
    doc = mk.from_keras(m, test_vectors=2, seed=7)
    assert len(doc.test_vectors) == 2
    assert {t.inputs.keys() == {"seq", "ids"} for t in doc.test_vectors} == {True}
    for encoding in ENCODINGS:
        back_doc = modeldoc.loads(modeldoc.dumps(doc, encoding=encoding))
        rebuilt = mk.to_keras(back_doc)
        top = back_doc.model.layers[0]
        for vector in back_doc.test_vectors:
            arrays = {name: back_doc.tensors[t] for name, t in vector.inputs.items()}
            got = predict(rebuilt, top, back_doc.model.inputs, arrays)
            want = [back_doc.tensors[vector.outputs[o]] for o in back_doc.model.outputs]
            assert [(g.dtype, g.tobytes()) for g in got] == [(w.dtype, w.tobytes()) for w in want]
    # the float16 head really is float16 in the document
    assert {str(doc.tensors[t].dtype) for v in doc.test_vectors for t in v.outputs.values()} == {"float16", "float32"}


def test_vectors_are_deterministic_given_the_seed() -> None:
    m = model()
    a, b, c = (mk.from_keras(m, test_vectors=1, seed=s) for s in (3, 3, 4))
    assert modeldoc.reader_report(a) == modeldoc.reader_report(b)
    assert modeldoc.reader_report(a) != modeldoc.reader_report(c)
    ids = a.tensors[a.test_vectors[0].inputs["ids"]]
    assert ids.dtype == np.int32 and set(np.unique(ids)) <= {0, 1}


def test_deep_network_tolerance_holds_for_another_correct_implementation() -> None:
    """ResNet50 with BatchNormalization statistics set from a batch: Keras' float32 outputs and the
    reference evaluator's differ beyond 64 ulps; the tolerance measured against float64 covers them."""
    from modeldoc.evaluator import check_test_vectors
    from modeldoc.keras._vectors import float64_twin, tolerance

    m = keras.applications.ResNet50(weights=None, input_shape=(64, 64, 3), classifier_activation=None)
    norms = [layer for layer in m._flatten_layers() if isinstance(layer, L.BatchNormalization)]
    for layer in norms:
        layer.momentum = 0.0  # one training-mode call sets the moving statistics to the batch's
    m(np.random.default_rng(9).standard_normal((4, 64, 64, 3)).astype("float32"), training=True)
    doc = mk.from_keras(m, test_vectors=1)
    vector = doc.test_vectors[0]
    want = doc.tensors[next(iter(vector.outputs.values()))]
    assert float64_twin(m) is not None
    assert vector.tolerance > 4 * tolerance([want])  # the float64 distance decided it, not the ulp rule
    (check,) = check_test_vectors(doc)
    assert check.ok, check.finding().message
    assert check.max_abs_diff > tolerance([want]), "the 64-ulp rule alone would have failed this evaluator"
