"""Recognising model files of other formats, so that an error says what a file is and which command reads it.

A reader that is handed a Keras ``.h5`` sees MessagePack (its first byte, 0x89, is a MessagePack map
header) and reports trailing data; a tfjs ``model.json`` is JSON without ``"format": "modeldoc"``.
The finding's code and pointer stay what spec.md prescribes for those bytes; only its one line of
text names the format and the command, from the first bytes (and, for JSON, the top-level members).
"""

from __future__ import annotations

import struct
from typing import Any

HDF5 = b"\x89HDF\r\n\x1a\n"
ZIP = b"PK\x03\x04"
TFLITE = b"TFL3"


def describe(head: bytes, tree: Any = None) -> str | None:
    """What the file starting with ``head`` (its parsed JSON/MessagePack value ``tree``, if any) is,
    and which command reads it; None when it looks like no known model format."""
    if head.startswith(HDF5):
        return "this is an HDF5 file (a Keras .h5/.hdf5 model or weights), not a ModelDoc document; " \
               "convert it with: modeldoc from-keras FILE OUT.json"
    if head.startswith(ZIP):
        return "this is a zip archive (a Keras .keras model?), not a ModelDoc document; " \
               "convert a .keras file with: modeldoc from-keras FILE.keras OUT.json"
    if head[4:8] == TFLITE:
        return "this is a TensorFlow Lite flatbuffer (.tflite), not a ModelDoc document; ModelDoc does not read it"
    if _safetensors(head):
        return "this is a safetensors file (tensors only, no model graph), not a ModelDoc document"
    if isinstance(tree, dict):
        return _json_kind(tree)
    if _onnx(head):
        return "this looks like an ONNX model (protobuf), not a ModelDoc document; ModelDoc writes ONNX " \
               "(modeldoc to-onnx) but does not read it"
    return None


def _json_kind(tree: dict[str, Any]) -> str | None:
    if "modelTopology" in tree or tree.get("format") in ("layers-model", "graph-model"):
        if tree.get("format") == "graph-model":
            return "this is a TensorFlow.js graph model (model.json), not a ModelDoc document; " \
                   "ModelDoc reads tfjs Layers models only"
        return "this is a TensorFlow.js Layers model (model.json), not a ModelDoc document; " \
               "convert it with: modeldoc from-tfjs model.json OUT.json"
    if ("model_config" in tree or "model_json" in tree) and "weights" in tree:
        return "this is a hand-rolled Keras JSON file (config + weights lists), not a ModelDoc document; " \
               "convert it with: modeldoc upgrade FILE OUT.json"
    if tree.get("class_name") in ("Sequential", "Functional", "Model") and "config" in tree:
        return "this is a Keras model architecture (model.to_json()), not a ModelDoc document; it has no " \
               "weights: modeldoc from-keras WEIGHTS.h5 OUT.json --model FILE reads it with its weights file"
    return None


def _safetensors(head: bytes) -> bool:
    # An 8-byte little-endian header length, then a JSON object.
    if len(head) < 10:
        return False
    (n,) = struct.unpack("<Q", head[:8])
    return 2 <= n < 100 * 2**20 and head[8:9] == b"{"


def _onnx(head: bytes) -> bool:
    # ModelProto starts with field 1 (ir_version, varint: 0x08) and small versions; then usually
    # producer_name (0x12), opset_import (0x42) or graph (0x3a).
    return len(head) >= 3 and head[0] == 0x08 and 1 <= head[1] <= 20 and head[2] in (0x12, 0x1a, 0x22, 0x2a, 0x3a, 0x42)
