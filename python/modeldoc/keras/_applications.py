"""The 40 models of ``keras.applications`` as the core-profile and ONNX measurements build them
(docs/evaluator.md, docs/onnx.md).

Each is built with random weights (``weights=None``) at a small input size, its BatchNormalization
moving statistics set from one random batch (momentum 0 for one training-mode call, so that
activations neither vanish nor explode as they do with the initial statistics 0 and 1), exported
with one test vector, and checked against that vector by the reference evaluator
(:func:`check_application`) or by onnxruntime after ONNX export (:func:`check_application_onnx`).

>>> len(APPLICATIONS)
40
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..document import Document

# Application -> input side. 64 where Keras allows it; Inception models need at least 75, Xception 71.
APPLICATIONS: dict[str, int] = {
    **{f"ConvNeXt{s}": 64 for s in ("Tiny", "Small", "Base", "Large", "XLarge")},
    **{f"DenseNet{n}": 64 for n in (121, 169, 201)},
    **{f"EfficientNetB{n}": 64 for n in range(8)},
    **{f"EfficientNetV2{s}": 64 for s in ("B0", "B1", "B2", "B3", "S", "M", "L")},
    "InceptionResNetV2": 75,
    "InceptionV3": 75,
    "MobileNet": 64,
    "MobileNetV2": 64,
    "MobileNetV3Small": 64,
    "MobileNetV3Large": 64,
    "NASNetMobile": 64,
    "NASNetLarge": 64,
    **{f"ResNet{n}": 64 for n in (50, 101, 152)},
    **{f"ResNet{n}V2": 64 for n in (50, 101, 152)},
    "VGG16": 64,
    "VGG19": 64,
    "Xception": 71,
}

# One model per family of layers that spec.md 15.15 added, which the tests run (the full 40 take tens of
# minutes): operations with constants and Rescaling (MobileNetV3Small), Rescaling and Normalization with
# weights (EfficientNetB0), LayerScale, grouped convolutions and a constant Normalization (ConvNeXtTiny),
# CustomScaleLayer (InceptionResNetV2).
REPRESENTATIVE = ("MobileNetV3Small", "EfficientNetB0", "ConvNeXtTiny", "InceptionResNetV2")


def build_application(name: str, seed: int = 0) -> Any:
    """``keras.applications.<name>`` with random weights and BatchNormalization statistics from a batch."""
    import keras

    side = APPLICATIONS[name]
    keras.utils.set_random_seed(seed)
    model = getattr(keras.applications, name)(weights=None, input_shape=(side, side, 3),
                                              classifier_activation=None)
    norms = [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)]
    momenta = [layer.momentum for layer in norms]
    for layer in norms:
        layer.momentum = 0.0  # one training-mode call then sets the moving statistics to the batch's
    batch = np.random.default_rng(seed).standard_normal((4, side, side, 3)).astype("float32")
    model(batch, training=True)
    for layer, momentum in zip(norms, momenta):
        layer.momentum = momentum
    return model


@dataclass
class Result:
    """One application's measurement: whether ``modeldoc run`` passes, and the numbers behind it."""

    name: str
    side: int
    layers: int
    passed: bool
    max_abs_diff: float | None
    tolerance: float | None
    problem: str
    seconds: float


def application_document(name: str, seed: int = 0, *, keep: str | None = None) -> tuple[Document, int]:
    """The application exported with one test vector, and its number of distinct layers (nested models
    inlined).

    With ``keep`` (a folder), the document is read from ``keep/NAME-SEED.mdpk`` when it is there and
    written there otherwise: the Keras side (building, the batch statistics, the float64 measurement of
    the test vector) is most of the time, and an exporter change does not alter the document.
    """
    import modeldoc
    import modeldoc.keras as mk
    from modeldoc.flatgraph import flatten

    path = None if keep is None else os.path.join(keep, f"{name}-{seed}.mdpk")
    if path is not None and os.path.exists(path):
        doc = modeldoc.load(path)
    else:
        doc = mk.from_keras(build_application(name, seed), test_vectors=1, seed=seed)
        if path is not None:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            modeldoc.save(doc, path)
    return doc, len(flatten(doc).layers())


def check_application(name: str, seed: int = 0, *, keep: str | None = None) -> Result:
    """Build, export with one test vector, and check that vector with the reference evaluator."""
    from modeldoc.errors import ModelDocError
    from modeldoc.evaluator import check_test_vectors

    start = time.perf_counter()
    doc, count = application_document(name, seed, keep=keep)
    tol = doc.test_vectors[0].tolerance
    try:
        checks = check_test_vectors(doc)
    except ModelDocError as e:
        kinds = sorted({f.code + " " + f.message.split(":")[0] for f in e.findings})
        return Result(name, APPLICATIONS[name], count, False, None, tol, "; ".join(kinds)[:300],
                      time.perf_counter() - start)
    worst = max(c.max_abs_diff for c in checks)
    failed = [c for c in checks if not c.ok]
    problem = failed[0].finding().message[:300] if failed else ""
    return Result(name, APPLICATIONS[name], count, not failed, worst, tol, problem, time.perf_counter() - start)


def check_application_onnx(name: str, seed: int = 0, *, keep: str | None = None) -> Result:
    """Build, export with one test vector, export that document to ONNX and check the vector with
    onnxruntime (``modeldoc.onnx.check_onnx``: onnx.checker, then spec.md 15.11's rule)."""
    from modeldoc.errors import ModelDocError
    from modeldoc.onnx import check_onnx, to_onnx

    start = time.perf_counter()
    doc, count = application_document(name, seed, keep=keep)
    tol = doc.test_vectors[0].tolerance
    try:
        checks = check_onnx(doc, to_onnx(doc))
    except ModelDocError as e:
        problems = sorted({f"{f.code} {f.pointer} {f.message}" for f in e.findings})
        return Result(name, APPLICATIONS[name], count, False, None, tol, "; ".join(problems)[:300],
                      time.perf_counter() - start)
    worst = max(c.max_abs_diff for c in checks)
    return Result(name, APPLICATIONS[name], count, True, worst, tol, "", time.perf_counter() - start)
