"""``to_tfjs`` and ``from_tfjs`` (re-exported by the package, loaded on first use)."""

from __future__ import annotations

import json
import os
import re
from typing import IO, Any, Callable

from .._version import __version__
from ..document import Document, Graph, Node, Producer
from ..errors import ModelDocError
from ..reader import read_file_bounded
from ..writer import atomic_write
from ._topology_in import Importer, tensors_of
from ._topology_out import build_topology
from ._weights import SHARD_BYTES, as_modeldoc, encode_weights, invalid, read_weights, shard

MAX_MODEL_JSON_BYTES = 256 * 1024 * 1024
METADATA_QUANTIZATION = "tfjs.quantization"


def to_tfjs(doc: Document, outdir: str | os.PathLike[str], *, shard_bytes: int = SHARD_BYTES) -> list[str]:
    """Write ``doc`` as a tfjs Layers model: ``outdir/model.json`` and its weight shards; return the paths.

    Raises ModelDocError (``TFJS_UNSUPPORTED``, one finding per problem) before writing anything when
    tfjs cannot hold the model as it is. Quantized tensors stay quantized where tfjs has the same
    scheme (float16 cast, per-tensor uint8); else they are written as their dequantized float32 values.
    """
    if shard_bytes < 1:
        raise ValueError("shard_bytes must be positive")
    topology, weights, findings = build_topology(doc)
    if findings:
        raise ModelDocError(findings)
    specs, data = encode_weights(weights, doc.quantization)
    shards = shard(data, shard_bytes)
    model = {
        "format": "layers-model",
        "generatedBy": f"modeldoc {__version__}" + (f" from {doc.producer.framework}" if doc.producer.framework else ""),
        "convertedBy": f"modeldoc {__version__}",
        "modelTopology": topology,
        "weightsManifest": [{"paths": [name for name, _ in shards], "weights": specs}],
    }
    text = json.dumps(model, allow_nan=False, ensure_ascii=False).encode("utf-8")
    folder = os.fspath(outdir)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise ModelDocError.of("WRITE_FAILED", "", f"cannot create {folder!r}: {e.strerror}") from None
    stale = _shards_named_by(os.path.join(folder, "model.json")) - {name for name, _ in shards}
    written = []
    for name, piece in [*shards, ("model.json", text)]:  # shards first: a model.json never names a missing shard
        path = os.path.join(folder, name)
        atomic_write(path, _writer(piece))
        written.append(path)
    for name in sorted(stale):  # the shards of the model this one replaced, which nothing names now
        try:
            os.remove(os.path.join(folder, name))
        except OSError:
            pass
    return written


_SHARD_NAME = re.compile(r"\Agroup[0-9]+-shard[0-9]+of[0-9]+\.bin\Z")


def _shards_named_by(model_json: str) -> set[str]:
    """Shard file names (tfjs' own naming only) that an existing model.json lists; empty if there is
    none or it cannot be read: only files a replaced model owned are ever removed."""
    try:
        tree = json.loads(read_file_bounded(model_json, MAX_MODEL_JSON_BYTES))
        groups = tree["weightsManifest"]
        return {p for g in groups for p in g["paths"] if isinstance(p, str) and _SHARD_NAME.match(p)}
    except (ModelDocError, ValueError, KeyError, TypeError):
        return set()


def _writer(data: bytes) -> Callable[[IO[bytes]], None]:
    def fill(f: IO[bytes]) -> None:
        f.write(data)

    return fill


def from_tfjs(model_json_path: str | os.PathLike[str]) -> Document:
    """Read a tfjs Layers model (``model.json`` and the shards beside it) as a ModelDoc document.

    The result is in the Keras profile (``modeldoc.keras.to_keras`` rebuilds it). Quantized weights are
    kept exactly where ModelDoc can (float16 as a cast tensor, uint8 when its affine form is exact) and
    dequantized as tfjs does otherwise (uint16); either way the metadata entry ``tfjs.quantization``
    says what happened to each.
    """
    path = os.fspath(model_json_path)
    tree = _read_json(path)
    if not isinstance(tree, dict):
        raise invalid("", "model.json must hold an object")
    fmt = tree.get("format", "layers-model")
    if fmt != "layers-model":
        raise ModelDocError.of("TFJS_UNSUPPORTED", "/format", f"format {fmt!r}: only the tfjs Layers format "
                               "(layers-model) is read; graph models have no layer graph")
    topology = tree.get("modelTopology")
    at = "/modelTopology"
    if isinstance(topology, dict) and "model_config" in topology:
        topology, at = topology["model_config"], "/modelTopology/model_config"
    if not isinstance(topology, dict):
        raise invalid(at, "modelTopology must be an object")
    weights = read_weights(tree.get("weightsManifest", []), os.path.dirname(os.path.abspath(path)))
    importer = Importer(weights)
    top = importer.model(topology, at)
    unused = [w for w in weights if w.name not in importer.used]
    if unused:
        raise invalid(unused[0].pointer, f"weight {unused[0].name!r} belongs to no layer of the topology")
    tensors = tensors_of(importer)
    doc = _document(top, tensors, tree)
    notes = {}
    for w in weights:
        q, note = as_modeldoc(w)
        if q is not None:
            doc.quantization[w.name] = q
        if note:
            notes[w.name] = note
    if notes:
        doc.metadata[METADATA_QUANTIZATION] = json.dumps(notes, sort_keys=True)
    return doc


def _document(top: Any, tensors: dict[str, Any], tree: dict[str, Any]) -> Document:
    inner = top.model
    assert inner is not None
    taken = {i.name for i in inner.inputs}
    outer = list(inner.outputs) if len(set(inner.outputs)) == len(inner.outputs) and not taken & set(inner.outputs) \
        else [f"output_{i}" for i in range(len(inner.outputs))]
    graph = Graph(name=top.name, layers=[top], inputs=list(inner.inputs),
                  nodes=[Node(top.name, [i.name for i in inner.inputs], outer)], outputs=outer)
    metadata = {}
    for key in ("generatedBy", "convertedBy"):
        if isinstance(tree.get(key), str):
            metadata[f"tfjs.{key}"] = tree[key][:1000]
    version = tree.get("modelTopology", {}).get("keras_version", "") if isinstance(tree.get("modelTopology"), dict) \
        else ""
    return Document(graph, tensors, metadata=metadata,
                    producer=Producer("modeldoc", __version__, "keras", str(version)[:100] if version else ""))


def _read_json(path: str) -> Any:
    data = read_file_bounded(path, MAX_MODEL_JSON_BYTES)
    if len(data) > MAX_MODEL_JSON_BYTES:
        raise invalid("", f"model.json is larger than {MAX_MODEL_JSON_BYTES} bytes")

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                raise ValueError(f"duplicate key {k!r}")
            out[k] = v
        return out

    def constant(s: str) -> Any:
        raise ValueError(f"{s} is not JSON")

    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=pairs, parse_constant=constant)
    except UnicodeDecodeError as e:
        raise invalid("", f"model.json is not UTF-8 (byte {e.start})") from None
    except RecursionError:
        raise invalid("", "model.json nests too deeply") from None
    except ValueError as e:
        raise invalid("", f"model.json is not valid JSON: {str(e)[:200]}") from None
