"""Genuine Keras 2 files (written by tf_keras, see keras2_zoo.py) through from-keras and upgrade.

One module fixture builds the zoo in a subprocess, another runs every command line once (in
parallel, each in its own process as a user would), and one more process rebuilds every
document with ``modeldoc.keras.to_keras`` and predicts on the stored inputs. The tests then
check, per model, what those runs recorded.

Keras 3 runs in subprocesses only, with oneDNN off as tf_keras was: oneDNN chooses kernels by
the CPU and can move the last bit, and this pytest process may already have imported
TensorFlow with it on (the env var is read once, at import). tf_keras never enters this process.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

for _module in ("tf_keras", "keras", "h5py"):
    if importlib.util.find_spec(_module) is None:
        pytest.skip(f"{_module} is not installed (Keras 2 files need tf_keras to write them, "
                    "Keras 3 and h5py to read them)", allow_module_level=True)

import modeldoc
from tests.keras_adapter import keras2_zoo as zoo
from tests.testutil import ROOT

# Models whose predictions cannot be bit-identical because Keras 3 computes a layer another way
# than tf_keras, with the tolerance (absolute, on every output) and what was measured.
NOT_BIT_EXACT: dict[str, tuple[float, str]] = {
    "cnn_compiled": (1e-6, "reason measured: tf_keras runs BatchNormalization on 4-D input with "
                     "axis=-1 as fused_batch_norm, Keras 3 as its own formula; the BN output differs by "
                     "up to 9.5e-7 (max |x| 11.3), the logits by 1.9e-6, the saturated softmax by 6.8e-14; "
                     "1e-6 bounds a softmax whose logits move by 2e-6 (slope <= 1/4)"),
    "layernorm_masking": (1e-6, "reason measured: tf_keras runs LayerNormalization over the last axis "
                          "as fused_batch_norm, Keras 3 with moments; the LN output differs by up to "
                          "2.4e-7 in 15 of 36 values, the model output by 1.2e-7"),
}

HERE = Path(__file__).resolve().parent
ENV = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": "0", "TF_CPP_MIN_LOG_LEVEL": "3"}
TIMEOUT = 600


@dataclass
class Run:
    """One command line: its exit code, its text, and the document it wrote (if any)."""

    argv: list[str]
    code: int
    text: str
    output: Path
    validate_code: int | None = None
    validate_text: str = ""

    def show(self) -> str:
        return f"$ modeldoc {' '.join(self.argv[3:])}\nexit {self.code}\n{self.text[-3000:]}"


def _run(argv: list[str], cwd: Path | None = None) -> tuple[int, str]:
    p = subprocess.run(argv, capture_output=True, text=True, env=ENV, timeout=TIMEOUT, cwd=cwd)
    return p.returncode, p.stdout + p.stderr


def _modeldoc(*args: str) -> list[str]:
    return [sys.executable, "-m", "modeldoc", *args]


@pytest.fixture(scope="module")
def zoo_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    out = tmp_path_factory.mktemp("keras2_zoo")
    start = time.perf_counter()
    code, text = _run([sys.executable, str(HERE / "keras2_zoo.py"), str(out)])
    assert code == 0, f"the zoo script failed:\n{text[-5000:]}"
    return out, time.perf_counter() - start


@pytest.fixture(scope="module")
def reload_report(zoo_dir: tuple[Path, float]) -> dict[str, list[str]]:
    code, text = _run([sys.executable, str(HERE / "keras2_zoo.py"), "--check", str(zoo_dir[0])])
    try:
        report: dict[str, list[str]] = json.loads(text[text.index("{"):text.rindex("}") + 1])
    except ValueError:
        pytest.fail(f"keras2_zoo.py --check printed no report (exit {code}):\n{text[-5000:]}")
    return report


# Keys of the conversion runs: ("h5", name), ("weights", name, suffix), ("weights+model", name,
# suffix), ("recipe", name).
Key = tuple[str, ...]


def _jobs(src: Path, out: Path) -> dict[Key, tuple[list[str], Path]]:
    jobs: dict[Key, tuple[list[str], Path]] = {}
    for name in zoo.NAMES:
        doc = out / f"{name}.json"
        jobs[("h5", name)] = (_modeldoc("from-keras", str(src / f"{name}.h5"), str(doc), "--test-vectors", "1"), doc)
    for name in zoo.WEIGHTS_ONLY:
        for suffix in zoo.WEIGHT_FILES:
            weights = str(src / f"{name}{suffix}")
            doc = out / f"{name}{suffix}.nomodel.json"
            jobs[("weights", name, suffix)] = (_modeldoc("from-keras", weights, str(doc)), doc)
            doc = out / f"{name}{suffix}.json"
            jobs[("weights+model", name, suffix)] = (
                _modeldoc("from-keras", weights, str(doc), "--model", str(src / f"{name}.arch.json")), doc)
    for name in zoo.RECIPES:
        doc = out / f"{name}.recipe.json"
        jobs[("recipe", name)] = (_modeldoc("upgrade", str(src / f"{name}.recipe.json"), str(doc)), doc)
    return jobs


def _convert(argv: list[str], doc: Path) -> Run:
    code, text = _run(argv)
    run = Run(argv, code, text, doc)
    if code == 0 and doc.exists():
        run.validate_code, run.validate_text = _run(_modeldoc("validate", str(doc)))
    return run


@pytest.fixture(scope="module")
def converted(zoo_dir: tuple[Path, float], tmp_path_factory: pytest.TempPathFactory) -> dict[Key, Run]:
    src = zoo_dir[0]
    out = tmp_path_factory.mktemp("keras2_docs")
    jobs = _jobs(src, out)
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {key: pool.submit(_convert, argv, doc) for key, (argv, doc) in jobs.items()}
        runs = {key: f.result() for key, f in futures.items()}
    # Rebuild and predict every document that was written, in one Keras 3 process (see the docstring).
    todo = [{"doc": str(r.output), "npz": str(src / f"{key[1]}.npz"), "out": str(r.output) + ".pred.npz"}
            for key, r in runs.items() if r.code == 0 and r.output.exists()]
    (out / "predict.json").write_text(json.dumps(todo))
    # run as a module of the tests package from the repository root: it imports its neighbours as tests.*
    code, text = _run([sys.executable, "-m", "tests.keras_adapter.test_keras2_files", "--predict",
                       str(out / "predict.json")], cwd=ROOT)
    assert code == 0, f"the prediction process crashed:\n{text[-5000:]}"
    return runs


# --- what the zoo wrote (no conversion involved: these pass today) -----------------------------


def _npz(src: Path, name: str, prefix: str) -> list[np.ndarray]:
    with np.load(src / f"{name}.npz") as data:
        return [data[f"{prefix}{i}"] for i in range(sum(1 for k in data.files if k.startswith(prefix)))]


def test_zoo_builds_quickly(zoo_dir: tuple[Path, float]) -> None:
    assert zoo_dir[1] < 60, f"the zoo took {zoo_dir[1]:.0f} s; keep it small"


@pytest.mark.parametrize("name", zoo.NAMES)
def test_zoo_files(zoo_dir: tuple[Path, float], name: str) -> None:
    import h5py

    src = zoo_dir[0]
    xs, ys = _npz(src, name, "x"), _npz(src, name, "y")
    assert xs and ys
    assert all(x.shape[0] == 2 and x.dtype in (np.float32, np.int32) for x in xs)
    assert all(y.shape[0] == 2 and np.all(np.isfinite(y)) for y in ys)
    with h5py.File(src / f"{name}.h5", "r") as f:
        assert "model_config" in f.attrs and f.attrs["keras_version"].startswith("2.")
    weights = _h5_weights(src / f"{name}.h5")
    assert sum(w.size for group in weights.values() for _, w in group) < 100_000
    for group in weights.values():
        for wname, w in group:  # seeded normal * 0.5: nothing keeps an initializer's zeros
            assert np.all(w != 0), f"{wname} has zeros"


@pytest.mark.parametrize("name", zoo.NAMES)
def test_tf_keras_reloads_its_own_files(reload_report: dict[str, list[str]], name: str) -> None:
    # tf_keras, in a fresh process, rebuilds each file (.h5; weights-only + arch JSON; recipe)
    # and reproduces the stored predictions bit for bit: the files are genuine and complete.
    assert name in reload_report
    assert reload_report[name] == []


# --- from-keras NAME.h5 ------------------------------------------------------------------------


@pytest.mark.parametrize("name", zoo.NAMES)
def test_from_keras_h5(converted: dict[Key, Run], name: str) -> None:
    run = converted[("h5", name)]
    assert "Traceback" not in run.text, run.show()
    if name in zoo.REFUSED:
        assert run.code == 1 and zoo.REFUSED[name] in run.text, run.show()
        assert not run.output.exists()
    else:
        assert run.code == 0, run.show()


@pytest.mark.parametrize("name", [n for n in zoo.NAMES if n not in zoo.REFUSED])
def test_validate(converted: dict[Key, Run], name: str) -> None:
    run = converted[("h5", name)]
    assert run.code == 0, run.show()
    assert run.validate_code == 0, run.validate_text[-3000:]


@pytest.mark.parametrize("name", [n for n in zoo.NAMES if n not in zoo.REFUSED])
def test_predictions(zoo_dir: tuple[Path, float], converted: dict[Key, Run], name: str) -> None:
    _assert_predictions(zoo_dir[0], name, converted[("h5", name)])


@pytest.mark.parametrize("name", [n for n in zoo.NAMES if n not in zoo.REFUSED])
def test_weights(zoo_dir: tuple[Path, float], converted: dict[Key, Run], name: str) -> None:
    _assert_weights(zoo_dir[0], name, converted[("h5", name)])


# --- weights-only files ------------------------------------------------------------------------

WEIGHT_CASES = [pytest.param(n, s, id=f"{n}{s}") for n in zoo.WEIGHTS_ONLY for s in zoo.WEIGHT_FILES]


@pytest.mark.parametrize(("name", "suffix"), WEIGHT_CASES)
def test_weights_only_file_needs_the_model(converted: dict[Key, Run], name: str, suffix: str) -> None:
    run = converted[("weights", name, suffix)]
    assert run.code == 1, run.show()
    assert "Traceback" not in run.text and "KERAS_INVALID_INPUT" in run.text, run.show()
    assert "weights only" in run.text.lower(), run.show()
    assert not run.output.exists()


@pytest.mark.parametrize(("name", "suffix"), WEIGHT_CASES)
def test_weights_only_file_with_model(zoo_dir: tuple[Path, float], converted: dict[Key, Run], name: str,
                                      suffix: str) -> None:
    run = converted[("weights+model", name, suffix)]
    assert run.code == 0 and "Traceback" not in run.text, run.show()
    assert run.validate_code == 0, run.validate_text[-3000:]
    _assert_predictions(zoo_dir[0], name, run)
    _assert_weights(zoo_dir[0], name, run)


# --- hand-rolled recipes -----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(zoo.RECIPES), ids=[f"{n}-{s}" for n, s in zoo.RECIPES.items()])
def test_upgrade_recipe(zoo_dir: tuple[Path, float], converted: dict[Key, Run], name: str) -> None:
    run = converted[("recipe", name)]
    assert run.code == 0 and "Traceback" not in run.text, run.show()
    assert run.validate_code == 0, run.validate_text[-3000:]
    _assert_predictions(zoo_dir[0], name, run)
    _assert_weights(zoo_dir[0], name, run)


# --- comparisons -------------------------------------------------------------------------------


def _assert_predictions(src: Path, name: str, run: Run) -> None:
    assert run.code == 0, run.show()
    pred = Path(str(run.output) + ".pred.npz")
    error = Path(str(run.output) + ".pred.error")
    if error.exists():
        pytest.fail(f"to_keras(load({run.output.name})) failed:\n{error.read_text()[-3000:]}")
    want = _npz(src, name, "y")
    with np.load(pred) as data:
        got = [data[f"y{i}"] for i in range(sum(1 for k in data.files if k.startswith("y")))]
    assert len(got) == len(want), f"{len(got)} outputs, tf_keras gave {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.dtype == w.dtype and g.shape == w.shape, f"output {i}: {g.dtype}{g.shape}, tf_keras {w.dtype}{w.shape}"
        if name in NOT_BIT_EXACT:
            tolerance, why = NOT_BIT_EXACT[name]
            np.testing.assert_allclose(g, w, rtol=0, atol=tolerance, err_msg=f"output {i}; {why}")
        else:
            np.testing.assert_array_equal(g, w, err_msg=f"output {i} is not bit-identical to tf_keras")


def _h5_weights(path: Path) -> dict[str, list[tuple[str, np.ndarray]]]:
    """{top-level layer name: [(weight name, array), ...]} in the file's order, from a full .h5."""
    import h5py

    def text(s: Any) -> str:
        return s.decode("utf-8") if isinstance(s, bytes) else str(s)

    out: dict[str, list[tuple[str, np.ndarray]]] = {}
    with h5py.File(path, "r") as f:
        group = f["model_weights"]
        for layer in map(text, group.attrs["layer_names"]):
            names = [text(w) for w in group[layer].attrs["weight_names"]]
            if names:
                out[layer] = [(w, np.array(group[layer][w])) for w in names]
    return out


def _leaves(layer: modeldoc.Layer) -> list[modeldoc.Layer]:
    if layer.model is None:
        return [layer]
    return [leaf for inner in layer.model.layers for leaf in _leaves(inner)]


def _assert_weights(src: Path, name: str, run: Run) -> None:
    """Every weight of the document equals tf_keras's, bit for bit, matched by layer name and order.

    The .h5 keeps a nested model's weights in one group under the nested model's name, named
    ``inner_layer/variable:0`` and trainable ones first; so within a group, each inner layer's
    weights are the entries whose first name component is that layer's name, in file order.
    """
    assert run.code == 0, run.show()
    doc = modeldoc.load(run.output)
    assert len(doc.model.layers) == 1 and doc.model.layers[0].model is not None, "expected one model layer"
    by_name = {layer.name: layer for layer in doc.model.layers[0].model.layers}
    expected = _h5_weights(src / f"{name}.h5")
    for group, entries in expected.items():
        assert group in by_name, f"the document has no layer {group!r} (layers: {sorted(by_name)})"
        leaves = _leaves(by_name[group])
        assert sum(len(leaf.weights) for leaf in leaves) == len(entries), \
            f"{group}: {[w for leaf in leaves for w in leaf.weights]} against {[w for w, _ in entries]}"
        for leaf in leaves:
            mine = entries if leaf is by_name[group] else [e for e in entries if e[0].split("/")[0] == leaf.name]
            assert len(mine) == len(leaf.weights), f"{group}/{leaf.name}: {leaf.weights} against {[w for w, _ in mine]}"
            for tensor, (wname, want) in zip(leaf.weights, mine):
                got = doc.tensors[tensor]
                assert (got.dtype, got.shape) == (want.dtype, want.shape), \
                    f"{tensor} is {got.dtype}{got.shape}, tf_keras's {wname} {want.dtype}{want.shape}"
                assert got.tobytes() == want.tobytes(), f"{tensor} differs from tf_keras's {wname}"
    extra = [layer.name for layer in by_name.values() if layer.name not in expected
             and any(leaf.weights for leaf in _leaves(layer))]
    assert not extra, f"layers with weights that tf_keras's file does not have: {extra}"


# --- the prediction process (Keras 3), run by the `converted` fixture --------------------------


def _predict_main(jobs_path: str) -> int:
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import traceback

    import keras

    import modeldoc.keras as mk

    for job in json.loads(Path(jobs_path).read_text()):
        try:
            model = mk.to_keras(modeldoc.load(job["doc"]))
            with np.load(job["npz"]) as data:
                xs = [data[f"x{i}"] for i in range(sum(1 for k in data.files if k.startswith("x")))]
            y = model(xs if len(xs) > 1 else xs[0], training=False)
            outs: list[Any] = [np.asarray(keras.ops.convert_to_numpy(t)) for t in keras.tree.flatten(y)]
            arrays: dict[str, Any] = {f"y{i}": a for i, a in enumerate(outs)}
            np.savez(job["out"], **arrays)
        except Exception:  # recorded per document; the test of that document reports it
            Path(job["out"].removesuffix(".npz") + ".error").write_text(traceback.format_exc())
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--predict":
        sys.exit(_predict_main(sys.argv[2]))
    sys.exit("usage: python -m tests.keras_adapter.test_keras2_files --predict JOBS.json (run by the test fixture)")
