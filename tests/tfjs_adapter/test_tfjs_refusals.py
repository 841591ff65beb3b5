"""What tfjs cannot hold is refused, all of it at once; malformed or hostile tfjs input never gets through."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import modeldoc
from modeldoc import Document, Graph, Input, Layer, ModelDocError, Node
from modeldoc.tfjs import TFJS_UNSUPPORTED, from_tfjs, to_tfjs
from tests.tfjs_adapter.tfjs_helpers import ZOO_REFUSED


def _dense_doc() -> Document:
    g = Graph(layers=[Layer("dense", "Dense", {"units": 2}, ["dense/kernel", "dense/bias"]),
                      Layer("act", "Activation", {"activation": "relu"}, [])],
              inputs=[Input("x", "float32", [None, 3])],
              nodes=[Node("dense", ["x"], ["h"]), Node("act", ["h"], ["y"])], outputs=["y"])
    return Document(g, {"dense/kernel": np.arange(6, dtype="float32").reshape(3, 2),
                        "dense/bias": np.array([0.5, -1], "float32")})


def test_float64_unknown_layer_and_dtype_are_all_reported_and_nothing_is_written(tmp_path: Path) -> None:
    doc = _dense_doc()
    doc.tensors["dense/kernel"] = doc.tensors["dense/kernel"].astype(np.float64)
    doc.model.inputs[0].dtype = "int64"
    doc.model.layers.append(Layer("sub", "Subtract", {}, []))
    doc.model.nodes.append(Node("sub", ["y", "y"], ["z"], arguments={"args": [[{"$input": 0}, {"$input": 1}]]}))
    doc.model.outputs = ["z"]
    doc.model.layers[1].config["activation"] = "hard_sigmoid"
    with pytest.raises(ModelDocError) as e:
        to_tfjs(doc, tmp_path / "out")
    found = {(f.code, f.pointer) for f in e.value.findings}
    assert found == {("TFJS_UNSUPPORTED", "/model/inputs/0/dtype"),
                     ("TFJS_UNSUPPORTED", "/model/layers/0/weights/0"),
                     ("TFJS_UNSUPPORTED", "/model/layers/1/config/activation"),
                     ("TFJS_UNSUPPORTED", "/model/layers/2/type")}
    assert any("never narrowed" in f.message for f in e.value.findings)
    assert not (tmp_path / "out").exists()


def test_int64_weight_is_refused_not_narrowed(tmp_path: Path) -> None:
    doc = _dense_doc()
    doc.tensors["dense/bias"] = np.array([1, 2], "int64")
    with pytest.raises(ModelDocError) as e:
        to_tfjs(doc, tmp_path / "out")
    assert e.value.code == "TFJS_UNSUPPORTED" and "int64" in str(e.value)


def test_refused_zoo_models_name_the_reason() -> None:
    from modeldoc.keras import from_keras
    from modeldoc.keras.zoo import build

    for name, reason in ZOO_REFUSED.items():
        with pytest.raises(ModelDocError) as e:
            to_tfjs(from_keras(build(name)), os.devnull + "/never")
        assert all(f.code == "TFJS_UNSUPPORTED" for f in e.value.findings)
        assert any(reason in f.message or reason in f.pointer for f in e.value.findings), name
    assert any("hard_sigmoid" in k for k in TFJS_UNSUPPORTED)


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    to_tfjs(_dense_doc(), tmp_path / "m")
    return tmp_path / "m"


def _rewrite(folder: Path, change: Any) -> Path:
    model = json.loads((folder / "model.json").read_text())
    change(model)
    (folder / "model.json").write_text(json.dumps(model))
    return folder / "model.json"


def _refused(path: Path, code: str, pointer: str) -> ModelDocError:
    with pytest.raises(ModelDocError) as e:
        from_tfjs(path)
    assert (e.value.code, e.value.pointer) == (code, pointer), str(e.value)
    return e.value


def test_round_trip_of_a_small_model_is_exact(saved: Path) -> None:
    doc = from_tfjs(saved / "model.json")
    assert np.array_equal(doc.tensors["dense/kernel"], _dense_doc().tensors["dense/kernel"])
    assert modeldoc.validate(modeldoc.dumps(doc)).ok


@pytest.mark.parametrize("text", [b"", b"{", b"[1, 2]", b'{"a": 1, "a": 2}', b'{"x": NaN}', b"\xff\xfe"])
def test_malformed_model_json(tmp_path: Path, text: bytes) -> None:
    (tmp_path / "model.json").write_bytes(text)
    _refused(tmp_path / "model.json", "TFJS_INVALID_INPUT", "")


def test_malformed_members_point_into_model_json(saved: Path) -> None:
    path = _rewrite(saved, lambda m: m.update(weightsManifest={"paths": []}))
    _refused(path, "TFJS_INVALID_INPUT", "/weightsManifest")
    path = _rewrite(saved, lambda m: m.update(weightsManifest=[{"paths": ["group1-shard1of1.bin"],
                                                                "weights": [{"name": "w", "shape": [-1],
                                                                             "dtype": "float32"}]}]))
    _refused(path, "TFJS_INVALID_INPUT", "/weightsManifest/0/weights/0/shape")


def test_unknown_dtype_and_layer_are_unsupported(saved: Path) -> None:
    path = _rewrite(saved, lambda m: m["weightsManifest"][0]["weights"][0].update(dtype="float64"))
    _refused(path, "TFJS_UNSUPPORTED", "/weightsManifest/0/weights/0/dtype")
    path = _rewrite(saved, lambda m: (m["weightsManifest"][0]["weights"][0].update(dtype="float32"),
                                      m["modelTopology"]["config"]["layers"][2].update(class_name="Frobnicate")))
    _refused(path, "TFJS_UNSUPPORTED", "/modelTopology/config/layers/2/class_name")


@pytest.mark.parametrize("bad", ["../group1-shard1of1.bin", "./../m/group1-shard1of1.bin", "a/../../x.bin", "/etc/passwd",
                                 "~/x.bin", "sub/x.bin", "..", ".", "./", "a\\b.bin", "C:x.bin", ""])
def test_path_traversal_is_refused(saved: Path, bad: str) -> None:
    path = _rewrite(saved, lambda m: m["weightsManifest"][0].update(paths=[bad]))
    _refused(path, "TFJS_INVALID_INPUT", "/weightsManifest/0/paths/0")


def test_symlinked_shard_is_refused(saved: Path) -> None:
    target = saved / "group1-shard1of1.bin"
    (saved / "link.bin").symlink_to(target)
    path = _rewrite(saved, lambda m: m["weightsManifest"][0].update(paths=["link.bin"]))
    _refused(path, "TFJS_INVALID_INPUT", "/weightsManifest/0/paths/0")


def test_shard_in_a_symlinked_folder_is_refused(saved: Path) -> None:
    (saved / "real").mkdir()
    (saved / "group1-shard1of1.bin").rename(saved / "real" / "group1-shard1of1.bin")
    (saved / "linked").symlink_to(saved / "real")
    path = _rewrite(saved, lambda m: m["weightsManifest"][0].update(paths=["./linked/group1-shard1of1.bin"]))
    _refused(path, "TFJS_INVALID_INPUT", "/weightsManifest/0/paths/0")
    path = _rewrite(saved, lambda m: m["weightsManifest"][0].update(paths=["./real/group1-shard1of1.bin"]))
    assert from_tfjs(path).tensors["dense/kernel"].shape == (3, 2)


@pytest.mark.parametrize("delta", [-1, 1])
def test_shard_shorter_or_longer_than_the_manifest(saved: Path, delta: int) -> None:
    shard = saved / "group1-shard1of1.bin"
    data = shard.read_bytes()
    shard.write_bytes(data[:-1] if delta < 0 else data + b"\0")
    _refused(saved / "model.json", "TFJS_INVALID_INPUT", "/weightsManifest/0/paths")


def test_huge_declared_shape_is_checked_before_reading(saved: Path) -> None:
    path = _rewrite(saved, lambda m: m["weightsManifest"][0]["weights"][0].update(shape=[1 << 20, 1 << 20]))
    e = _refused(path, "TFJS_INVALID_INPUT", "/weightsManifest/0/paths")
    assert "describes" in str(e)


def test_unused_weight_and_missing_weight(saved: Path) -> None:
    def extra(m: dict[str, Any]) -> None:
        m["weightsManifest"][0]["weights"].append({"name": "stray", "shape": [0], "dtype": "float32"})
    _refused(_rewrite(saved, extra), "TFJS_INVALID_INPUT", "/weightsManifest/0/weights/2")

    def missing(m: dict[str, Any]) -> None:
        m["weightsManifest"][0]["weights"] = m["weightsManifest"][0]["weights"][2:]
        m["weightsManifest"][0]["paths"] = []
    _refused(_rewrite(saved, missing), "TFJS_INVALID_INPUT", "/modelTopology/config/layers/1")
