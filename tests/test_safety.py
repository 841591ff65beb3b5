"""Loading a document never imports or executes anything it names (spec.md section 12)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import modeldoc


def test_core_imports_no_framework() -> None:
    code = (
        "import sys, modeldoc\n"
        "doc = modeldoc.loads(modeldoc.dumps(modeldoc.example_document(), encoding='msgpack'))\n"
        "bad = [m for m in ('tensorflow', 'keras', 'torch', 'jax', 'onnx', 'h5py') if m in sys.modules]\n"
        "print(bad)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"


def test_names_in_a_document_are_only_data(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    t = json.loads(modeldoc.dumps(modeldoc.example_document()))
    del t["document_sha256"]  # we edit the document below
    layer = t["model"]["layers"][0]
    layer["type"] = "os.system"
    layer["config"] = {
        "module": "os", "class_name": "system", "registered_name": "builtins>eval",
        "function": f"__import__('pathlib').Path({str(marker)!r}).touch()",
        "code": "YWJj",  # looks like Keras' marshaled Lambda bytecode
    }
    t["metadata"]["module"] = "subprocess"
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(t))
    before = set(sys.modules)
    doc = modeldoc.load(path)
    report = modeldoc.validate(path)
    modeldoc.reader_report(doc)
    assert report.ok and doc.model.layers[0].type == "os.system"
    assert set(sys.modules) - before == set()
    assert not marker.exists()
