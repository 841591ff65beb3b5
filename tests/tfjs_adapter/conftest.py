"""Session fixtures for the TensorFlow.js round trips: Node runs a bounded number of times.

``tfjs_built``: build-models.mjs run once (models built and saved by tfjs itself), plus copies with
quantized weights. ``tfjs_exports``: every model ModelDoc exports written to one folder, then the Node
test (``node --test interop/tfjs/test/``) run once over all of them.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

# The round trips build their models with Keras and check them with @tensorflow/tfjs in Node.
pytest.importorskip("keras", reason="the tfjs tests build their models with Keras (modeldoc[keras])")
if shutil.which("node") is None or not (Path(__file__).resolve().parents[2] / "interop/tfjs/node_modules").is_dir():
    pytest.skip("node or interop/tfjs/node_modules is missing (make test installs both)", allow_module_level=True)

import modeldoc
from tests.tfjs_adapter.tfjs_helpers import (
    BUILT,
    FIXTURE_IDS,
    INTEROP,
    QUANTIZED,
    VALID_FIXTURES,
    ZOO_SUPPORTED,
    Exports,
    extra_keras_models,
    io_inputs,
    node_check,
    node_env,
    quantize_tfjs_model,
    quantized_dir,
)


@pytest.fixture(scope="session")
def tfjs_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tfjs-built")
    r = subprocess.run(["node", str(INTEROP / "build-models.mjs"), str(out)], capture_output=True, text=True,
                       env=node_env(), timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == sorted(BUILT)
    quantized = tmp_path_factory.mktemp("tfjs-quantized")
    for name, modes in QUANTIZED.items():
        quantize_tfjs_model(out / name, quantized / name, modes)
    return out


@pytest.fixture(scope="session")
def tfjs_exports(tmp_path_factory: pytest.TempPathFactory, tfjs_built: Path) -> Exports:
    from modeldoc.keras import from_keras, to_keras
    from modeldoc.keras.zoo import build, seed_weights
    from modeldoc.tfjs import from_tfjs, to_tfjs

    folder = tmp_path_factory.mktemp("tfjs-exports")
    docs: dict[str, modeldoc.Document] = {}
    for name in ZOO_SUPPORTED:
        docs[f"zoo_{name}"] = from_keras(build(name), test_vectors=2)
    for seed, (name, model) in enumerate(extra_keras_models().items()):
        docs[name] = from_keras(seed_weights(model, seed), test_vectors=2)
    for fixture in FIXTURE_IDS:
        docs[f"fixture_{fixture}"] = modeldoc.load(next(VALID_FIXTURES.glob(f"{fixture}.*json")) if
                                                    "msgpack" not in fixture else VALID_FIXTURES / f"{fixture}.msgpack")
    for name, doc in docs.items():
        to_tfjs(doc, folder / name)
        modeldoc.save(doc, folder / name / "doc.json")
    # tfjs models with quantized weights, loaded by tfjs as they are; the document's test vectors are what
    # Keras computes from ModelDoc's reading of the same file.
    qdir = quantized_dir(tfjs_built)
    for name in QUANTIZED:
        doc = from_tfjs(qdir / name / "model.json")
        keras_model = to_keras(doc)
        docs[f"quantized_{name}"] = vectors = from_keras(keras_model, test_inputs=[
            dict(zip([i.name for i in doc.model.inputs], io_inputs(qdir / name)))])
        shutil.copytree(qdir / name, folder / f"quantized_{name}")
        modeldoc.save(vectors, folder / f"quantized_{name}" / "doc.json")
    return Exports(folder, sorted(docs), node_check(folder), docs)
