"""The proof that both directions work, checked by TensorFlow.js itself (Node, @tensorflow/tfjs)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

import modeldoc
from modeldoc.tfjs import METADATA_QUANTIZATION, from_tfjs, to_tfjs
from tests.tfjs_adapter.tfjs_helpers import (
    ATOL,
    BUILT,
    INTEROP,
    QUANTIZED,
    RTOL,
    ZOO_SUPPORTED,
    Exports,
    assert_close,
    io_inputs,
    keras_predict,
    node_env,
    quantized_dir,
)


def test_every_export_loads_in_tfjs_and_matches_its_test_vectors(tfjs_exports: Exports) -> None:
    r = tfjs_exports.result
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    models, vectors, worst = tfjs_exports.checked()
    assert models == len(tfjs_exports.names) == len(ZOO_SUPPORTED) + 5 + 3 + len(QUANTIZED)
    assert vectors == sum(len(d.test_vectors) for d in tfjs_exports.docs.values())
    assert worst <= ATOL + RTOL  # the Node test checks each element; this is the largest it saw


def test_node_check_fails_without_exports(tmp_path: Path) -> None:
    """No exports must be a failure of the proof, never a silent pass."""
    for env in ({}, {"MODELDOC_TFJS_EXPORTS": str(tmp_path)}):
        r = subprocess.run(["node", "--test", "test/"], cwd=INTEROP, capture_output=True, text=True, timeout=300,
                           env={**{k: v for k, v in node_env().items() if k != "MODELDOC_TFJS_EXPORTS"}, **env})
        assert r.returncode != 0
        assert "# fail 1" in r.stdout and "MODELDOC_TFJS_CHECKED" not in r.stdout


def test_exports_are_tfjs_layers_models(tfjs_exports: Exports) -> None:
    for name in tfjs_exports.names:
        if name.startswith("quantized_"):
            continue
        model = json.loads((tfjs_exports.folder / name / "model.json").read_text())
        assert model["format"] == "layers-model"
        assert model["modelTopology"]["class_name"] == "Model"
        names = [w["name"] for g in model["weightsManifest"] for w in g["weights"]]
        assert len(names) == len(set(names))
        layers = [entry["name"] for entry in model["modelTopology"]["config"]["layers"]]
        assert len(layers) == len(set(layers))


def _expected(folder: Path) -> list[np.ndarray]:
    io = json.loads((folder / "io.json").read_text())
    return [np.array(o["data"], "float32").reshape(o["shape"]) for o in io["outputs"]]


def test_models_built_by_tfjs_run_in_keras_with_tfjs_predictions(tfjs_built: Path) -> None:
    for name in BUILT:
        doc = from_tfjs(tfjs_built / name / "model.json")
        report = modeldoc.validate(modeldoc.dumps(doc))
        assert report.ok, report.findings
        assert doc.producer.framework == "keras"
        assert_close(keras_predict(doc, io_inputs(tfjs_built / name)), _expected(tfjs_built / name))


def _manifest(folder: Path) -> tuple[list[Any], bytes]:
    model = json.loads((folder / "model.json").read_text())
    groups = model["weightsManifest"]
    data = b"".join((folder / p).read_bytes() for g in groups for p in g["paths"])
    return [w for g in groups for w in g["weights"]], data


def test_from_tfjs_then_to_tfjs_gives_the_same_weight_bytes(tfjs_built: Path, tmp_path: Path) -> None:
    for name in BUILT:
        to_tfjs(from_tfjs(tfjs_built / name / "model.json"), tmp_path / name, shard_bytes=1000)
        before, after = _raw(tfjs_built / name), _raw(tmp_path / name)
        assert sorted(after) == sorted(before)
        for weight, (spec, raw) in before.items():
            assert after[weight] == (spec, raw), weight  # same shape, dtype and bytes
        total = sum(len(raw) for _, raw in before.values())
        assert len(list(tmp_path.joinpath(name).glob("group1-shard*.bin"))) == max(1, -(-total // 1000))


def _raw(folder: Path) -> dict[str, tuple[str, bytes]]:
    """Each weight's manifest entry (as JSON text) and stored bytes, by name."""
    specs, data = _manifest(folder)
    out, offset = {}, 0
    for spec in specs:
        size = {"float16": 2, "uint8": 1, "uint16": 2}.get(spec.get("quantization", {}).get("dtype"), 4)
        n = int(np.prod(spec["shape"])) * size
        out[spec["name"]] = (json.dumps(spec, sort_keys=True), data[offset:offset + n])
        offset += n
    return out


def _tfjs_values(spec: dict[str, Any], raw: bytes) -> np.ndarray:
    """What tfjs' decodeWeight gives, computed here independently of the adapter."""
    q = spec.get("quantization")
    if q is None:
        return np.frombuffer(raw, "<f4")
    if q["dtype"] == "float16":
        return np.frombuffer(raw, "<f2").astype(np.float32)
    stored = np.frombuffer(raw, "u1" if q["dtype"] == "uint8" else "<u2")
    return (stored.astype(np.float64) * float(q["scale"]) + float(q["min"])).astype(np.float32)


def _values(folder: Path) -> dict[str, np.ndarray]:
    specs, data = _manifest(folder)
    out, offset = {}, 0
    for spec in specs:
        size = {"float16": 2, "uint8": 1, "uint16": 2}.get(spec.get("quantization", {}).get("dtype"), 4)
        n = int(np.prod(spec["shape"])) * size
        out[spec["name"]] = _tfjs_values(spec, data[offset:offset + n]).reshape(spec["shape"])
        offset += n
    return out


def test_quantized_weights_are_read_as_tfjs_reads_them_and_recorded(tfjs_built: Path, tmp_path: Path) -> None:
    qdir = quantized_dir(tfjs_built)
    for name, modes in QUANTIZED.items():
        doc = from_tfjs(qdir / name / "model.json")
        assert modeldoc.validate(modeldoc.dumps(doc)).ok
        want = _values(qdir / name)
        for tensor, values in want.items():
            assert np.array_equal(doc.tensors[tensor].view(np.uint32), values.view(np.uint32)), tensor
        notes = json.loads(doc.metadata[METADATA_QUANTIZATION])
        specs, _ = _manifest(qdir / name)
        quantized = {w["name"]: w["quantization"]["dtype"] for w in specs if "quantization" in w}
        assert sorted(notes) == sorted(quantized) and set(quantized.values()) == set(modes)
        for tensor, mode in quantized.items():
            assert notes[tensor].startswith(mode)
            kept = doc.quantization.get(tensor)
            if mode == "float16":
                assert kept is not None and kept.quantization.scheme == "cast"
            elif mode == "uint16":
                assert kept is None and "dequantized" in notes[tensor]
            elif kept is None:  # uint8 whose ModelDoc affine form would not be exact
                assert "dequantized" in notes[tensor]
            else:
                assert kept.quantization.scheme == "affine" and "exact" in notes[tensor]
        # Back to tfjs: what tfjs then reads is bit for bit what it read from the original.
        to_tfjs(doc, tmp_path / name)
        again = _values(tmp_path / name)
        for tensor, values in want.items():
            assert np.array_equal(again[tensor].view(np.uint32), values.view(np.uint32)), tensor
        # ... and the Keras model computes what tfjs computed from the unquantized model, within
        # the quantization error, which is larger than the float tolerance.
        got = keras_predict(doc, io_inputs(qdir / name))
        for g, w in zip(got, _expected(qdir / name)):
            assert float(np.max(np.abs(g - w))) < 0.1


def test_tfjs_dequantization_rules() -> None:
    """float32: q * scale + min in binary64, then float32; int32: JavaScript's Math.round (halves go up)."""
    from modeldoc.tfjs._weights import tfjs_dequantize

    q = np.array([0, 1, 2, 3, 255], np.uint8)
    got = tfjs_dequantize(q, "uint8", "int32", 0.5, -1.0)
    assert got.dtype == np.int32 and got.tolist() == [-1, 0, 0, 1, 127]  # -1, -0.5, 0, 0.5, 126.5
    f = tfjs_dequantize(q, "uint8", "float32", 0.1, 0.3)
    assert f.dtype == np.float32
    assert f.tolist() == [np.float32(v * 0.1 + 0.3) for v in (0.0, 1.0, 2.0, 3.0, 255.0)]


def test_modeldoc_quantized_tensors_export_as_tfjs_reads_them(tfjs_exports: Exports, tmp_path: Path) -> None:
    """float16 and per-tensor uint8 stay quantized in tfjs; int8 (which tfjs lacks) is written dequantized.
    Either way tfjs reads exactly the values ModelDoc's reader gives."""
    from modeldoc.quantize import quantize_document

    for mode in ("float16", "uint8", "int8"):
        doc = modeldoc.load(tfjs_exports.folder / "zoo_mlp" / "doc.json")
        quantize_document(doc, mode)
        to_tfjs(doc, tmp_path / mode)
        specs, _ = _manifest(tmp_path / mode)
        stored = {w.get("quantization", {}).get("dtype") for w in specs}
        if mode == "float16":
            assert stored == {"float16"}
        elif mode == "uint8":  # kept where tfjs' q * scale + min gives ModelDoc's values bit for bit
            assert "uint8" in stored and stored <= {"uint8", None}
        else:
            assert stored == {None}
        for name, got in _values(tmp_path / mode).items():  # the mlp's weight names are its tensor names
            assert np.array_equal(got.view(np.uint32), doc.tensors[name].view(np.uint32)), (mode, name)


def test_rewriting_a_folder_removes_only_the_replaced_models_shards(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    g = modeldoc.Graph(
        layers=[modeldoc.Layer("dense", "Dense", {"units": 64}, ["dense/kernel", "dense/bias"])],
        inputs=[modeldoc.Input("x", "float32", [None, 32])], nodes=[modeldoc.Node("dense", ["x"], ["y"])],
        outputs=["y"])
    doc = modeldoc.Document(g, {"dense/kernel": rng.standard_normal((32, 64)).astype("float32"),
                                "dense/bias": rng.standard_normal(64).astype("float32")})
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "group9-shard1of1.bin").write_bytes(b"not named by any model.json")
    to_tfjs(doc, tmp_path, shard_bytes=1024)  # 8,448 bytes: 9 shards
    assert len(list(tmp_path.glob("group1-shard*.bin"))) == 9
    to_tfjs(doc, tmp_path)  # one shard now
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "group1-shard1of1.bin", "group9-shard1of1.bin", "model.json", "notes.txt"]
    back = from_tfjs(tmp_path / "model.json")
    assert back.tensors["dense/kernel"].tobytes() == doc.tensors["dense/kernel"].tobytes()
