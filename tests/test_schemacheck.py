"""The schema verdict without jsonschema (_fast/schemacheck.py) agrees with jsonschema's.

schema.check_schema trusts a "valid" from schemacheck and skips jsonschema, so a tree that
schemacheck accepts and jsonschema rejects would lose its findings: these tests compare the two
verdicts on every fixture, on mutants of valid documents, and on the keyword corner cases
(2.0 as an integer, true as a number, strings with a trailing newline against ``$``).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modeldoc._fast import schemacheck
from modeldoc.examples import example_document
from modeldoc.schema import schema_text
from modeldoc.writer import dumps
from tests.testutil import FIXTURES

SCHEMA = json.loads(schema_text("1.0"))
REFERENCE = jsonschema.Draft202012Validator(SCHEMA)


def to_tree(doc: Any) -> Any:
    return json.loads(dumps(doc, encoding="list"))


def _reference(tree: Any) -> bool:
    return not any(True for _ in REFERENCE.iter_errors(tree))


def _fixture_trees() -> list[tuple[str, Any]]:
    trees = []
    for path in sorted(FIXTURES.glob("*/*")):
        if path.name.endswith(".report.json"):
            continue
        raw = path.read_bytes()
        try:
            if path.suffix == ".json":
                tree = json.loads(raw)
            elif path.suffix == ".msgpack":
                tree = msgpack.unpackb(raw, raw=False, strict_map_key=False)
            else:
                continue
        except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError, RecursionError):
            continue  # a syntax case: no tree reaches the schema layer
        trees.append((f"{path.parent.name}/{path.name}", tree))
    return trees


TREES = _fixture_trees()


def test_the_shipped_schema_compiles() -> None:
    assert schemacheck.is_valid(to_tree(example_document())) is True


@pytest.mark.parametrize("name, tree", TREES, ids=[n for n, _ in TREES])
def test_every_fixture_gets_jsonschemas_verdict(name: str, tree: Any) -> None:
    assert schemacheck.is_valid(tree) is _reference(tree)


def test_the_fixtures_include_trees_both_ways() -> None:
    verdicts = {_reference(t) for _, t in TREES}
    assert verdicts == {True, False}
    assert len(TREES) > 150


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from([2.0, -1.0, 0.5, 1e300])
    | st.sampled_from(["", "x", "float32", "base64", "list", "raw", "affine", "cast", "a" * 64, "0" * 64,
                       "1.0.0", "1.0.0\n", "modeldoc", "https://modeldoc.dev/schema/1.0/modeldoc.schema.json"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["name", "type", "dtype", "shape", "data", "encoding", "layers", "x", "scale", "axis"]),
        inner, max_size=3),
    max_leaves=6,
)


def _paths(tree: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [at]
    if isinstance(tree, dict):
        for k, v in tree.items():
            out += _paths(v, (*at, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out += _paths(v, (*at, i))
    return out


def _rich_tree() -> Any:
    # A valid document that reaches every definition: quantization, test vectors, a nested graph.
    for name, tree in TREES:
        if name.startswith("valid/") and "quantiz" in name and isinstance(tree, dict):
            return tree
    return to_tree(example_document())


BASES = [to_tree(example_document()), _rich_tree()]


@pytest.mark.slow  # 400 mutants, each judged both ways
@settings(max_examples=400, deadline=None)
@given(st.data())
def test_mutants_get_jsonschemas_verdict(data: st.DataObject) -> None:
    tree = copy.deepcopy(data.draw(st.sampled_from(BASES)))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(tree)))
        if not path:
            continue
        parent = tree
        for step in path[:-1]:
            parent = parent[step]
        action = data.draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = data.draw(JSON_VALUES)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[data.draw(st.sampled_from(["extra", "name", "config", "quantization"]))] = data.draw(JSON_VALUES)
        else:
            parent.append(data.draw(JSON_VALUES))
    assert schemacheck.is_valid(tree) is _reference(tree)


@pytest.mark.parametrize("value, expected", [
    (2, True), (2.0, True), (2.5, False), (True, False), (-1, False), (-1.0, False), (None, False), ("2", False),
])
def test_a_tensor_dimension_follows_jsonschemas_integer(value: Any, expected: bool) -> None:
    tree = to_tree(example_document())
    tree["tensors"][0]["shape"] = [value]
    assert _reference(tree) is expected
    assert schemacheck.is_valid(tree) is expected


def test_an_unknown_keyword_means_ask_jsonschema() -> None:
    with pytest.raises(schemacheck.Unsupported):
        schemacheck.compile_schema({"type": "object", "propertyNames": {"maxLength": 3}})
    with pytest.raises(schemacheck.Unsupported):
        schemacheck.compile_schema({"enum": [1, 2]})
