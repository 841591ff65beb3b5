"""`modeldoc to-onnx`: the file is written atomically and onnxruntime runs it."""

from __future__ import annotations

import os

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")  # a formality: `make test` installs the extra, so these run
ort = pytest.importorskip("onnxruntime")

import modeldoc
from modeldoc.cli import main
from tests.onnx_adapter.onnx_helpers import zoo_doc


def test_to_onnx_writes_a_file_onnxruntime_runs(tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(tmp_path)
    doc = zoo_doc("merge")
    src, out = os.path.join(folder, "merge.mdpk"), os.path.join(folder, "merge.onnx")
    modeldoc.save(doc, src, encoding="msgpack")
    assert main(["to-onnx", src, out]) == 0
    assert sorted(os.listdir(folder)) == ["merge.mdpk", "merge.onnx"]  # no temporary file left behind
    printed = capsys.readouterr().out
    assert printed.count("max abs difference") == len(doc.test_vectors) * len(doc.model.outputs)
    assert "onnx.checker passed" in printed

    session = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
    vector = doc.test_vectors[1]
    got = session.run(None, {name: doc.tensors[t] for name, t in vector.inputs.items()})
    for name, array in zip(doc.model.outputs, got):
        np.testing.assert_allclose(array, doc.tensors[vector.outputs[name]], atol=1e-5)


def test_a_failed_check_writes_nothing_and_keeps_an_old_file(tmp_path: object,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(tmp_path)
    doc = modeldoc.loads(modeldoc.dumps(zoo_doc("mlp")))
    vector = doc.test_vectors[0]
    doc.tensors[vector.outputs["probs"]] = doc.tensors[vector.outputs["probs"]] + np.float32(0.25)
    src, out = os.path.join(folder, "mlp.json"), os.path.join(folder, "mlp.onnx")
    modeldoc.save(doc, src)
    with open(out, "wb") as f:
        f.write(b"old")
    assert main(["to-onnx", src, out]) == 2  # an existing output is replaced only with --force
    assert "--force" in capsys.readouterr().err
    assert main(["to-onnx", src, out, "--force"]) == 1
    captured = capsys.readouterr()
    assert "EVAL_TEST_VECTOR at /test_vectors/0/outputs/probs" in captured.out + captured.err
    assert sorted(os.listdir(folder)) == ["mlp.json", "mlp.onnx"]
    with open(out, "rb") as f:
        assert f.read() == b"old"

    assert main(["to-onnx", src, out, "--no-check", "--force"]) == 0  # the user's choice: written without the check
    assert onnx.load(out).graph.output[0].name == "probs"


def test_opset_option_is_written(tmp_path: object) -> None:
    folder = str(tmp_path)
    src, out = os.path.join(folder, "cnn.json"), os.path.join(folder, "cnn.onnx")
    modeldoc.save(zoo_doc("cnn"), src)
    assert main(["to-onnx", src, out, "--opset", "19"]) == 0
    assert [(o.domain, o.version) for o in onnx.load(out).opset_import] == [("", 19)]


def test_the_command_line_does_not_import_onnx_until_to_onnx_runs() -> None:
    import subprocess
    import sys

    code = ("import sys, modeldoc.cli, modeldoc.onnx; modeldoc.cli.build_parser(); "
            "print(sorted(m for m in ('onnx', 'onnxruntime') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_missing_extra_is_one_clear_line(tmp_path: object, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    src = os.path.join(str(tmp_path), "mlp.json")
    modeldoc.save(zoo_doc("mlp"), src)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if the extra were not installed
    assert main(["to-onnx", src, os.path.join(str(tmp_path), "mlp.onnx")]) == 2  # a usage error: the setup
    captured = capsys.readouterr()
    assert "pip install 'modeldoc[onnx]'" in captured.out + captured.err
    assert sorted(os.listdir(str(tmp_path))) == ["mlp.json"]
