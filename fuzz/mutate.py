"""Hypothesis strategies that break documents: at the byte level and in the tree."""

from __future__ import annotations

import json
from typing import Any

import msgpack
from hypothesis import strategies as st

from corpus import seeds

SEEDS = seeds()
VALID_TREES: list[Any] = []
for _data in SEEDS:
    try:
        _tree = json.loads(_data) if _data[:1] in (b"{", b" ") else msgpack.unpackb(_data, raw=False)
    except Exception:  # noqa: BLE001 - invalid seeds are used at the byte level only
        continue
    if isinstance(_tree, dict):
        try:  # keep trees whose values JSON can carry (bin as {"$bin": hex}); skip ext types
            VALID_TREES.append(json.loads(json.dumps(_tree, default=lambda b: {"$bin": b.hex()})))
        except (AttributeError, TypeError, ValueError):
            continue

# Values that parsers and validators tend to get wrong.
nasty_scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -1, 2**53 + 1, 2**63, 2**64 - 1, 1e308, -0.0, 5e-324]),
    st.text(max_size=20),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "", "base64", "list", "raw", "float16", "bfloat16",
                     "bool", "int64", "uint64", "1.0.0", "2.0.0", "modeldoc", "x" * 300]),
)
json_values = st.recursive(nasty_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)


@st.composite
def byte_mutants(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        op = draw(st.sampled_from(["flip", "truncate", "delete", "insert", "replace", "duplicate"]))
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            del data[i:]
        elif op == "delete":
            del data[i : i + draw(st.integers(1, 16))]
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=16))
        elif op == "replace":
            data[i] = draw(st.integers(0, 255))
        else:
            j = draw(st.integers(i, min(len(data), i + 64)))
            data[j:j] = data[i:j]
    return bytes(data)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node[:8]):  # tensor data can be long: mutate near the start
            out += _paths(v, prefix + (i,))
    return out


@st.composite
def tree_mutants(draw: st.DrawFn) -> bytes:
    tree = json.loads(json.dumps(draw(st.sampled_from(VALID_TREES))))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(tree) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = tree
        for key in path[:-1]:
            parent = parent[key]
        op = draw(st.sampled_from(["replace", "delete", "wrap", "copy"]))
        if op == "replace":
            parent[path[-1]] = draw(json_values)
        elif op == "delete":
            del parent[path[-1]]
        elif op == "wrap":
            parent[path[-1]] = [parent[path[-1]]]
        else:
            other = draw(st.sampled_from(paths))
            src = tree
            try:
                for key in other:
                    src = src[key]
                parent[path[-1]] = json.loads(json.dumps(src))
            except (KeyError, IndexError, TypeError):
                pass
    as_msgpack = draw(st.booleans())
    if as_msgpack:
        try:
            return msgpack.packb(_unbin(tree), use_bin_type=True)
        except (OverflowError, UnicodeEncodeError, ValueError):
            pass  # a value MessagePack cannot carry (huge int, lone surrogate): send it as JSON
    return json.dumps(tree, allow_nan=True).encode("utf-8", "surrogatepass")


def _unbin(node: Any) -> Any:
    if isinstance(node, dict):
        if set(node) == {"$bin"} and isinstance(node["$bin"], str):
            try:
                return bytes.fromhex(node["$bin"])
            except ValueError:
                return node
        return {k: _unbin(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_unbin(v) for v in node]
    return node
