"""What `import modeldoc` and `modeldoc --help` load, in a fresh process: the start-up every
user pays. Modules, not seconds: a module list is the same on every machine, a time is not.
ml_dtypes alone took over a second to import in some versions, jsonschema about 0.1 s."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import modeldoc
from modeldoc.choices import Encoding

# Loaded on first use only: the codecs, the schema validator, bfloat16 and every framework.
LAZY = {"ml_dtypes", "jsonschema", "referencing", "msgpack", "pybase64", "orjson",
        "keras", "tensorflow", "tf_keras", "h5py", "onnx", "onnxruntime"}


def loaded_after(code: str) -> set[str]:
    """The top-level names of the modules a fresh interpreter holds after running ``code``."""
    script = f"{code}\nimport json, sys\nprint('\\nMODULES=' + json.dumps(sorted(sys.modules)))"
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    line = r.stdout.rsplit("MODULES=", 1)[1]
    return set(json.loads(line))


def tops(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_import_modeldoc_loads_nothing_but_its_version() -> None:
    modules = loaded_after("import modeldoc")
    assert tops(modules) & (LAZY | {"numpy"}) == set()
    assert sorted(m for m in modules if m.split(".")[0] == "modeldoc") == ["modeldoc", "modeldoc._version"]


@pytest.mark.parametrize("argv", [["--help"], ["validate", "--help"], ["convert", "--help"], ["digest", "--help"],
                                  ["conformance", "run", "--help"], ["extract", "--help"], ["diff", "--help"]])
def test_core_help_loads_no_numpy(argv: list[str]) -> None:
    # The core commands import numpy and the codecs inside the command, after the arguments are parsed.
    code = f"from modeldoc.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass"
    assert tops(loaded_after(code)) & (LAZY | {"numpy"}) == set()


@pytest.mark.parametrize("argv", [
    ["--help"], ["validate", "--help"], ["convert", "--help"], ["conformance", "run", "--help"],
    ["from-keras", "--help"], ["to-onnx", "--help"], ["to-tfjs", "--help"], ["run", "--help"],
])
def test_help_loads_no_codec_and_no_framework(argv: list[str]) -> None:
    code = f"from modeldoc.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass"
    assert tops(loaded_after(code)) & LAZY == set()


def test_first_use_loads_what_the_document_needs() -> None:
    code = """
import numpy as np
import modeldoc
doc = modeldoc.Document(
    modeldoc.Graph(layers=[modeldoc.Layer("d", "Dense", {"units": 2}, ["d/kernel"])],
                   inputs=[modeldoc.Input("x", "float32", [None, 3])],
                   nodes=[modeldoc.Node("d", ["x"], ["y"])], outputs=["y"]),
    {"d/kernel": np.arange(6, dtype=np.float32).reshape(3, 2)})
back = modeldoc.loads(modeldoc.dumps(doc, encoding="list"))
assert back.tensors["d/kernel"].tobytes() == doc.tensors["d/kernel"].tobytes()
"""
    modules = tops(loaded_after(code))
    # A document the schema accepts needs no findings worded, so jsonschema stays out (_fast/schemacheck.py) ...
    assert "jsonschema" not in modules
    # ... and one it rejects gets jsonschema's findings.
    invalid = code + """
import json
tree = json.loads(modeldoc.dumps(doc, encoding="list"))
tree["producer"]["unknown"] = 1
report = modeldoc.validate(json.dumps(tree).encode())
assert [f.code for f in report.errors] == ["SCHEMA_ADDITIONAL_PROPERTY"], report.errors
"""
    assert "jsonschema" in tops(loaded_after(invalid))
    assert modules & {"ml_dtypes", "msgpack"} == set()  # no bfloat16, no MessagePack
    bfloat16 = code + """
ex = modeldoc.example_document()
again = modeldoc.loads(modeldoc.dumps(ex, encoding="msgpack"))
assert str(again.tensors["dense/bias"].dtype) == "bfloat16"
assert again.tensors["dense/bias"].tobytes() == ex.tensors["dense/bias"].tobytes()
"""
    assert {"ml_dtypes", "msgpack"} <= tops(loaded_after(bfloat16))


def test_every_public_name_resolves() -> None:
    for name in modeldoc.__all__:
        assert getattr(modeldoc, name) is not None
        assert name in dir(modeldoc)
    with pytest.raises(AttributeError):
        modeldoc.no_such_name  # type: ignore[attr-defined]  # noqa: B018  (the point: no such name)


@pytest.mark.parametrize("encoding", ["msgpack", "base64"])
def test_open_loads_no_checksum_code_and_no_document_classes(encoding: Encoding, tmp_path: Path) -> None:
    # Listing the tensors reads no tensor data, so it computes no checksum: hashlib (it loads OpenSSL),
    # the hashing threads and the base64 decoder stay out; the first get_tensor brings hashlib. Neither
    # builds the model, so the document classes (document.py) load with the first use of `.model`.
    path = str(tmp_path / ("m.msgpack" if encoding == "msgpack" else "m.json"))
    modeldoc.save(modeldoc.example_document(), path, encoding=encoding)
    code = f"import modeldoc\nwith modeldoc.open({path!r}) as f:\n    [i.shape for i in f.tensors.values()]"
    listed = loaded_after(code)
    assert {"hashlib", "_hashlib", "concurrent", "pybase64"} & tops(listed) == set()
    got = loaded_after(code + "\n    f.get_tensor('dense/kernel')")
    assert "hashlib" in tops(got) and "modeldoc.document" not in got
    assert "modeldoc.document" in loaded_after(code + "\n    f.model.layers")
