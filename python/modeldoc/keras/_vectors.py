"""Test vectors: input batches and the outputs Keras computed for them (spec.md section 4.1)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..document import Document, Input, Layer, TestVector
from ..dtypes import DTYPES, dtype_of_array
from ._errors import refuse
from ._structure import fill, is_flat

BATCH = 2  # the batch dimension of generated inputs
FREE_DIM = 4  # any other dimension the model leaves open (sequence lengths)
# Another correct evaluator adds up in another order: allow this many units in the last place of the
# outputs' dtype, relative to the largest output (spec.md 4.1 and 15.11; about 4 were measured on the zoo).
TOLERANCE_ULPS = 64
# Deep networks round far more than a few ulps: Keras' float32 outputs are measured against the same model
# computed in float64, and another correct implementation may land this many times as far from that
# (spec.md 15.11).
GAP_FACTOR = 8
_EPS = {"float16": 2.0**-10, "bfloat16": 2.0**-7, "float32": 2.0**-23, "float64": 2.0**-52}


def tolerance(outputs: list[np.ndarray], exact: list[np.ndarray] | None = None) -> float:
    """The ``tolerance`` of a test vector with these outputs: 0 for exact (integer, bool) results, else the
    larger of TOLERANCE_ULPS * eps(dtype) * max(1, largest finite |value|) and GAP_FACTOR times the largest
    distance of an output from ``exact`` (the same model's float64 outputs, when Keras could compute them)."""
    worst = 0.0
    for k, arr in enumerate(outputs):
        dtype = dtype_of_array(arr)
        if dtype is None or dtype.kind != "float" or arr.size == 0:
            continue
        values = arr.astype(np.float64)
        finite = np.isfinite(values)
        scale = max(1.0, float(np.abs(values[finite]).max()) if finite.any() else 1.0)
        worst = max(worst, TOLERANCE_ULPS * _EPS[dtype.name] * scale)
        if exact is not None and exact[k].shape == arr.shape:
            both = finite & np.isfinite(exact[k])
            if both.any():
                worst = max(worst, GAP_FACTOR * float(np.abs(values[both] - exact[k][both]).max()))
    return worst


def float64_twin(model: Any) -> Any | None:
    """``model`` rebuilt with every layer computing in float64 and the same weights; None where Keras
    cannot (layers without a float computation, operations it cannot clone)."""
    import keras

    def in_float64(layer: Any) -> Any:
        config = layer.get_config()
        if not isinstance(layer, keras.layers.Layer):
            return layer.__class__.from_config(config)  # an operation (x + 1.0) computes in its inputs' dtype
        config["dtype"] = "float64"
        return layer.__class__.from_config(config)

    try:
        twin = keras.models.clone_model(model, clone_function=in_float64, recursive=True)
        weights = model.get_weights()
        twin.set_weights([w.astype(np.float64) if w.dtype.kind == "f" else w for w in weights])
        for layer in twin._flatten_layers():
            if hasattr(layer, "finalize_state"):
                layer.finalize_state()  # Normalization computes with copies of its weights, taken here
        return twin
    except Exception:
        return None


def random_inputs(inputs: list[Input], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One batch for ``inputs``: normal floats, integers in {0, 1} (valid ids for any embedding), random bools."""
    out = {}
    for i in inputs:
        shape = tuple(
            (BATCH if k == 0 else FREE_DIM) if d is None else d for k, d in enumerate(i.shape)
        )
        dt = DTYPES[i.dtype]
        if dt.kind == "float":
            out[i.name] = rng.standard_normal(shape).astype(np.float32).astype(dt.native)
        elif dt.kind == "bool":
            out[i.name] = rng.random(shape) < 0.5
        else:
            out[i.name] = rng.integers(0, 2, shape).astype(dt.native)
    return out


def feed(model_layer: Layer, inputs: list[Input], arrays: dict[str, np.ndarray]) -> Any:
    """The arrays in the structure the Keras model was built with (a single array, a list, a dict)."""
    skeleton = model_layer.config.get("input_structure")
    flat = [arrays[i.name] for i in inputs]
    if skeleton is None and model_layer.type != "Sequential":
        return flat  # no structure written: the Functional model's inputs are a flat list, even of one
    if skeleton is None or is_flat(skeleton, len(flat)):
        return flat[0] if len(flat) == 1 else flat
    return fill(skeleton, lambda k: flat[k])


def predict(model: Any, model_layer: Layer, inputs: list[Input], arrays: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The model's outputs for one batch, flattened in the order of the graph's outputs."""
    import keras

    try:
        result = model(feed(model_layer, inputs, arrays), training=False)
    except Exception as e:  # e.g. channels_first convolutions, which TensorFlow has no CPU kernel for
        line = (str(e).strip().splitlines() or [""])[0][:200]
        refuse("KERAS_UNSUPPORTED", "/test_vectors", f"Keras cannot run this model here, so it has no test "
               f"vectors ({type(e).__name__}: {line}); convert it without --test-vectors")
    return [np.array(keras.ops.convert_to_numpy(t), order="C") for t in keras.tree.flatten(result)]


def make_test_vectors(
    doc: Document,
    model: Any,
    model_layer: Layer,
    n: int,
    seed: int,
    given: list[dict[str, np.ndarray]] | None,
) -> None:
    """Append test vectors (and their tensors) to ``doc``."""
    rng = np.random.default_rng(seed)
    inputs = doc.model.inputs
    batches = list(given) if given else [random_inputs(inputs, rng) for _ in range(n)]
    twin = float64_twin(model)
    for b, batch in enumerate(batches):
        outputs = predict(model, model_layer, inputs, batch)
        if len(outputs) != len(doc.model.outputs):
            refuse("KERAS_MISMATCH", "/model/outputs", f"the model returned {len(outputs)} tensors, "
                   f"the graph has {len(doc.model.outputs)} outputs")
        exact = _exact(twin, model_layer, inputs, batch)
        vector = TestVector(inputs={}, outputs={}, name=f"vector_{b}", tolerance=tolerance(outputs, exact))
        for i in inputs:
            name = f"test_vectors/{b}/inputs/{i.name}"
            doc.tensors[name] = np.array(batch[i.name], order="C")
            vector.inputs[i.name] = name
        for out_name, arr in zip(doc.model.outputs, outputs):
            if dtype_of_array(arr) is None:
                refuse("KERAS_UNSUPPORTED", "/model/outputs", f"output {out_name!r} has dtype {arr.dtype}, "
                       "not a ModelDoc dtype, so it cannot be a test vector")
            name = f"test_vectors/{b}/outputs/{out_name}"
            doc.tensors[name] = arr
            vector.outputs[out_name] = name
        doc.test_vectors.append(vector)


def _exact(twin: Any, model_layer: Layer, inputs: list[Input], batch: dict[str, np.ndarray]) -> list[np.ndarray] | None:
    """The float64 twin's outputs for ``batch`` (float inputs widened), or None."""
    if twin is None:
        return None
    wide = {k: (v.astype(np.float64) if v.dtype.kind == "f" else v) for k, v in batch.items()}
    try:
        return [np.asarray(t, np.float64) for t in predict(twin, model_layer, inputs, wide)]
    except Exception:
        return None
