"""The schema layer (shipped schema, codes per keyword) and the semantic layer."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import modeldoc
from modeldoc.errors import Collector
from modeldoc.schema import SCHEMA_ID, schema_text
from modeldoc.semantics import check_semantics
from tests.testutil import ROOT, codes


def test_shipped_schema_is_the_repository_schema_and_valid_draft_2020_12() -> None:
    shipped = schema_text("1.0")
    assert shipped == (ROOT / "schema/1.0/modeldoc.schema.json").read_text("utf-8")
    schema = json.loads(shipped)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == SCHEMA_ID
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _annotated_subschemas(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every property (wherever ``properties`` occurs) and every ``$defs`` entry, with its pointer.

    ``if`` subschemas are conditions that test a member, not descriptions of one, so they are skipped.
    """
    if isinstance(node, dict):
        for keyword in ("properties", "$defs"):
            for name, sub in node.get(keyword, {}).items():
                yield f"{path}/{keyword}/{name}", sub
        for key, sub in node.items():
            if key != "if":
                yield from _annotated_subschemas(sub, f"{path}/{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from _annotated_subschemas(sub, f"{path}/{i}")


def test_every_property_and_definition_has_a_title_and_a_description_naming_the_spec() -> None:
    schema = json.loads(schema_text("1.0"))
    entries = dict(_annotated_subschemas(schema))
    # The walk must reach every level: the top, the definitions, their members and the if/then branches.
    for ptr in ("/properties/producer", "/$defs/quantization", "/$defs/graph/properties/nodes",
                "/$defs/tensor/allOf/0/then/properties/data"):
        assert ptr in entries
    assert "/$defs/tensor/allOf/0/if/properties/encoding" not in entries
    lacking = [p for p, sub in entries.items()
               if not (isinstance(sub.get("title"), str) and sub["title"].strip()
                       and isinstance(sub.get("description"), str) and sub["description"].strip())]
    assert lacking == []
    unsourced = [p for p, sub in entries.items() if not re.search(r"spec\.md sections? \d", sub["description"])]
    assert unsourced == []
    long_titles = [p for p, sub in entries.items() if len(sub["title"]) > 40]
    assert long_titles == []


def test_schema_examples_are_valid_where_they_stand() -> None:
    schema = json.loads(schema_text("1.0"))
    root = jsonschema.Draft202012Validator(schema)
    with_examples = [(p, sub) for p, sub in _annotated_subschemas(schema) if "examples" in sub]
    named = {p.rsplit("/", 1)[1] for p, _ in with_examples}
    assert {"dtype", "shape", "encoding", "producer", "layer", "node"} <= named
    for ptr, sub in with_examples:
        assert isinstance(sub["examples"], list) and sub["examples"], ptr
        for example in sub["examples"]:
            # evolve keeps the root's resolver, so the example's $refs resolve in the whole schema
            assert list(root.evolve(schema=sub).iter_errors(example)) == [], (ptr, example)


def test_schema_tensor_examples_carry_their_true_checksums() -> None:
    examples = json.loads(schema_text("1.0"))["$defs"]["tensor"]["examples"]
    assert {t["encoding"] for t in examples} == {"base64", "list"}
    for t in examples:
        dtype = np.dtype(t["dtype"]).newbyteorder("<")
        raw = (base64.b64decode(t["data"], validate=True) if t["encoding"] == "base64"
               else np.array(t["data"], dtype).tobytes())
        assert len(raw) == math.prod(t["shape"]) * dtype.itemsize
        assert hashlib.sha256(raw).hexdigest() == t["sha256"], t["name"]


# The placeholder repository that docs/development.md states; the catalog's url is a file in it.
REPOSITORY = "https://github.com/modeldoc/modeldoc"
RAW_MAIN = "https://raw.githubusercontent.com/modeldoc/modeldoc/main/"


def test_schemastore_catalog_entry_locates_the_schema_whose_id_documents_name() -> None:
    entry = json.loads((ROOT / "docs/schemastore-catalog.json").read_text("utf-8"))
    # SchemaStore's catalog schema: these members only; name, url, description required; https urls.
    assert {"name", "url", "description"} <= set(entry) <= {"name", "url", "description", "fileMatch", "versions"}
    assert entry["fileMatch"] == ["*.modeldoc.json"]
    assert REPOSITORY in (ROOT / "docs/development.md").read_text("utf-8")
    schema = json.loads(schema_text("1.0"))
    # The $id stays the identifier documents carry in $schema (spec.md 11); the url is where that file
    # lives in the repository, at the same path as the $id's.
    id_path = urlsplit(schema["$id"]).path.lstrip("/")
    assert entry["url"] == RAW_MAIN + id_path
    assert set(entry["versions"]) == {p.name for p in (ROOT / "schema").iterdir() if p.is_dir()}
    for version, url in entry["versions"].items():
        assert url.startswith(RAW_MAIN)
        located = json.loads((ROOT / url.removeprefix(RAW_MAIN)).read_text("utf-8"))
        assert located["$id"] == f"https://modeldoc.dev/schema/{version}/modeldoc.schema.json"
    assert entry["versions"]["1.0"] == entry["url"]


def base_tree() -> dict[str, Any]:
    tree: dict[str, Any] = json.loads(modeldoc.dumps(modeldoc.example_document()))
    del tree["document_sha256"]  # the tests edit the tree; the checksum is tested on its own
    return tree


def check(tree: dict[str, Any]) -> list[tuple[str, str]]:
    return codes(modeldoc.validate(json.dumps(tree).encode()))


def test_schema_errors_are_all_reported_with_keyword_codes() -> None:
    t = base_tree()
    del t["producer"]["name"]
    t["tensors"][0]["dtype"] = "complex64"
    t["model"]["layers"][0]["colour"] = "red"
    t["model"]["inputs"][0]["shape"] = [None, -1, "x", 1]
    got = check(t)
    assert sorted(got) == sorted([
        ("SCHEMA_REQUIRED", "/producer"),
        ("SCHEMA_ENUM", "/tensors/0/dtype"),
        ("SCHEMA_ADDITIONAL_PROPERTY", "/model/layers/0/colour"),
        ("SCHEMA_RANGE", "/model/inputs/0/shape/1"),
        ("SCHEMA_TYPE", "/model/inputs/0/shape/2"),
    ])


def test_schema_layer_stops_before_semantics() -> None:
    t = base_tree()
    t["model"]["nodes"][0]["layer"] = "missing"  # a semantic error...
    t["tensors"][0]["sha256"] = "XYZ"  # ...and a schema error: only the schema one is reported
    assert check(t) == [("SCHEMA_PATTERN", "/tensors/0/sha256")]


def test_newer_minor_ignores_unknown_members_but_not_unknown_enums() -> None:
    t = base_tree()
    t["format_version"] = "1.4.0"
    t["model"]["layers"][0]["new_thing"] = 1
    r = modeldoc.validate(json.dumps(t).encode())
    assert r.ok and [(w.code, w.pointer) for w in r.warnings] == [("VERSION_NEWER_MINOR", "/format_version")]
    t["tensors"][0]["dtype"] = "float8_e4m3"
    assert check(t) == [("SCHEMA_ENUM", "/tensors/0/dtype")]


@pytest.mark.parametrize(
    "version, code",
    [("2.0.0", "VERSION_UNSUPPORTED"), ("0.9.0", "VERSION_UNSUPPORTED"), ("1.0", "VERSION_INVALID"),
     ("01.0.0", "VERSION_INVALID"), (1, "VERSION_INVALID")],
)
def test_versions(version: object, code: str) -> None:
    t = base_tree()
    t["format_version"] = version
    assert check(t) == [(code, "/format_version")]


def test_semantic_findings_are_all_reported() -> None:
    t = base_tree()
    g = t["model"]
    g["layers"][1]["name"] = "conv"  # duplicate layer name; "flatten" now undefined
    g["nodes"][5]["inputs"] = ["nowhere"]
    g["layers"][0]["weights"].append("ghost")
    got = check(t)
    assert ("SEMANTIC_DUPLICATE_LAYER", "/model/layers/1/name") in got
    assert ("SEMANTIC_UNKNOWN_LAYER", "/model/nodes/1/layer") in got
    assert ("SEMANTIC_UNKNOWN_VALUE", "/model/nodes/5/inputs/0") in got
    assert ("SEMANTIC_UNKNOWN_TENSOR", "/model/layers/0/weights/2") in got


def test_cycle_message_names_the_cycle() -> None:
    t = base_tree()
    g = t["model"]
    # conv <- dense:1 closes a loop conv -> flatten -> head -> dense -> dense -> conv
    g["nodes"][0]["inputs"] = ["dense:1"]
    r = modeldoc.validate(json.dumps(t).encode())
    [f] = r.errors
    assert (f.code, f.pointer) == ("SEMANTIC_CYCLE", "/model/nodes/0")
    assert "nodes/0" in f.message and "nodes/4" in f.message


def test_value_defined_in_nested_graph_is_not_visible_outside() -> None:
    t = base_tree()
    t["model"]["outputs"] = ["hidden"]  # defined only inside the nested model
    assert check(t) == [("SEMANTIC_UNKNOWN_VALUE", "/model/outputs/0")]


def test_layer_names_are_scoped_per_graph() -> None:
    t = base_tree()
    t["model"]["layers"][2]["model"]["layers"][0]["name"] = "conv"  # same name as an outer layer: fine
    t["model"]["layers"][2]["model"]["nodes"][0]["layer"] = "conv"
    assert check(t) == []


@given(st.lists(st.lists(st.integers(0, 7), max_size=3), min_size=1, max_size=8))
def test_cycle_detection_matches_brute_force(edges: list[list[int]]) -> None:
    """Random graphs: node k reads the outputs of the nodes in edges[k]."""
    n = len(edges)
    preds = [{p for p in e if p < n} for e in edges]

    def reaches(a: int, b: int) -> bool:  # is there a path a -> ... -> b along successor edges?
        seen, todo = set(), [a]
        while todo:
            x = todo.pop()
            for y in range(n):
                if x in preds[y] and y not in seen:
                    seen.add(y)
                    todo.append(y)
        return b in seen

    on_cycle = [k for k in range(n) if reaches(k, k)]
    nodes = [{"layer": "l", "inputs": [f"v{p}" for p in sorted(preds[k])], "outputs": [f"v{k}"]} for k in range(n)]
    tree = {
        "tensors": [],
        "model": {"layers": [{"name": "l", "type": "T"}], "inputs": [], "nodes": nodes, "outputs": []},
    }
    out = Collector()
    check_semantics(tree, out)
    got = [f.pointer for f in out.errors if f.code == "SEMANTIC_CYCLE"]
    assert got == ([f"/model/nodes/{min(on_cycle)}"] if on_cycle else [])
