"""Files of other formats: the finding keeps the code spec.md prescribes for those bytes, and its text
says what the file is and which command reads it."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import pytest

import modeldoc
from modeldoc.cli import main


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("config.json", "{}")
    return buf.getvalue()


def _safetensors() -> bytes:
    header = json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    return struct.pack("<Q", len(header)) + header + b"\0" * 4


CASES = {
    # name: (bytes, expected code, words the message must contain)
    "hdf5": (b"\x89HDF\r\n\x1a\n" + b"\0" * 64, "SYNTAX_TRAILING_DATA", "modeldoc from-keras"),
    "keras-zip": (_zip(), "SYNTAX_UNKNOWN_ENCODING", "modeldoc from-keras"),
    "safetensors": (_safetensors(), "SYNTAX_UNKNOWN_ENCODING", "safetensors"),
    "tflite": (b"\x1c\0\0\0TFL3" + b"\0" * 32, "SYNTAX_UNKNOWN_ENCODING", "TensorFlow Lite"),
    "onnx": (b"\x08\x07\x12\x07pytorch" + b"\0" * 8, "SYNTAX_UNKNOWN_ENCODING", "ONNX"),
    "tfjs-layers": (json.dumps({"format": "layers-model", "modelTopology": {}, "weightsManifest": []}).encode(),
                    "VERSION_FORMAT", "modeldoc from-tfjs"),
    "tfjs-graph": (json.dumps({"format": "graph-model", "modelTopology": {}}).encode(), "VERSION_FORMAT",
                   "graph model"),
    "keras-json": (json.dumps({"class_name": "Sequential", "config": {"layers": []}}).encode(), "VERSION_FORMAT",
                   "--model"),
    "recipe": (json.dumps({"model_config": [], "weights": {}}).encode(), "VERSION_FORMAT", "modeldoc upgrade"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_other_formats_are_named(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, code, words = CASES[name]
    report = modeldoc.validate(data)
    pointer = "/format" if code == "VERSION_FORMAT" else ""
    assert (report.errors[0].code, report.errors[0].pointer) == (code, pointer)
    assert words in report.errors[0].message and "not a ModelDoc document" in report.errors[0].message
    path = tmp_path / f"file.{name}"
    path.write_bytes(data)
    assert main(["inspect", str(path)]) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_ordinary_syntax_errors_keep_their_text() -> None:
    report = modeldoc.validate(b"\x07not anything")
    assert report.errors[0].code == "SYNTAX_UNKNOWN_ENCODING" and "not a ModelDoc" not in report.errors[0].message
    report = modeldoc.validate(b'{"format": "other"}')
    assert report.errors[0].message == 'format must be "modeldoc"'
