"""A yes/no answer to "does this tree pass the schema?", without jsonschema.

The schema layer's findings come from jsonschema (``schema.check_schema``), whose imports and
first validation cost about 0.15 s in a fresh process: more than opening a document lazily or
checking a small one takes otherwise. Almost every document a reader meets is valid, and for a
valid tree there are no findings to word, so a plain verdict is all that is needed. This module
compiles the shipped schema into Python closures once and answers that verdict; when the answer
is "no", the caller runs jsonschema to get the findings, so codes, pointers and messages never
depend on this module.

It understands only the keywords the shipped schema uses, with the meanings of JSON Schema
Draft 2020-12 as jsonschema implements them (an integer may be written ``2.0``; ``true`` is not a
number; ``enum`` and ``const`` hold strings only). A schema with any other keyword does not
compile (``Unsupported``), and ``is_valid`` then answers None: "ask jsonschema".
tests/test_schemacheck.py checks the verdict against jsonschema's on every fixture and on
mutated trees.
"""

from __future__ import annotations

import json
import numbers
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

Check = Callable[[Any], bool]

# Keywords that say nothing about validity.
_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "$comment", "title", "description", "examples", "default"})


class Unsupported(Exception):
    """The schema uses a keyword (or a form of one) this compiler does not implement."""


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Number) and not isinstance(x, bool)


def _is_integer(x: Any) -> bool:
    # jsonschema's integer: any number with a zero fraction, so 2.0 is one and true is not.
    if isinstance(x, bool):
        return False
    return isinstance(x, int) or (isinstance(x, float) and x.is_integer())


_TYPES: dict[str, Check] = {
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "string": lambda x: isinstance(x, str),
    "number": _is_number,
    "integer": _is_integer,
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
}


class _Compiler:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.defs: dict[str, Check] = {}

    def ref(self, target: str) -> Check:
        prefix = "#/$defs/"
        if not target.startswith(prefix) or target[len(prefix):] not in self.root.get("$defs", {}):
            raise Unsupported(f"$ref {target!r}")
        name = target[len(prefix):]
        defs = self.defs
        # Looked up when called, so recursive definitions (a graph inside a layer) compile.
        return lambda x: defs[name](x)

    def compile(self, schema: Any) -> Check:
        if schema is True or schema == {}:
            return lambda x: True
        if schema is False:
            return lambda x: False
        if not isinstance(schema, dict):
            raise Unsupported(f"schema {schema!r}")
        checks: list[Check] = []
        for key, value in schema.items():
            if key in _ANNOTATIONS or key == "then":
                continue
            checks.append(self.keyword(key, value, schema))
        if len(checks) == 1:
            return checks[0]
        return lambda x: all(c(x) for c in checks)

    def keyword(self, key: str, value: Any, schema: dict[str, Any]) -> Check:
        if key == "$ref":
            return self.ref(value)
        if key == "type":
            names = [value] if isinstance(value, str) else value
            if not isinstance(names, list) or any(n not in _TYPES for n in names):
                raise Unsupported(f"type {value!r}")
            tests = [_TYPES[n] for n in names]
            return lambda x: any(t(x) for t in tests)
        if key in ("enum", "const"):
            values = value if key == "enum" else [value]
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise Unsupported(f"{key} {value!r}")
            allowed = frozenset(values)
            return lambda x: isinstance(x, str) and x in allowed
        if key == "required":
            names = tuple(value)
            return lambda x: not isinstance(x, dict) or all(n in x for n in names)
        if key == "properties":
            props = {name: self.compile(sub) for name, sub in value.items()}
            return lambda x: not isinstance(x, dict) or all(c(x[n]) for n, c in props.items() if n in x)
        if key == "additionalProperties":
            known = frozenset(schema.get("properties", {}))
            if "patternProperties" in schema:
                raise Unsupported("additionalProperties with patternProperties")
            extra = self.compile(value)
            return lambda x: not isinstance(x, dict) or all(extra(v) for k, v in x.items() if k not in known)
        if key == "items":
            if "prefixItems" in schema:
                raise Unsupported("items with prefixItems")
            item = self.compile(value)
            return lambda x: not isinstance(x, list) or all(item(v) for v in x)
        if key == "minItems":
            n = int(value)
            return lambda x: not isinstance(x, list) or len(x) >= n
        if key == "minLength":
            n = int(value)
            return lambda x: not isinstance(x, str) or len(x) >= n
        if key == "minimum":
            m = value
            return lambda x: not _is_number(x) or not x < m
        if key == "pattern":
            search = re.compile(value).search
            return lambda x: not isinstance(x, str) or search(x) is not None
        if key == "allOf":
            parts = [self.compile(s) for s in value]
            return lambda x: all(p(x) for p in parts)
        if key == "anyOf":
            parts = [self.compile(s) for s in value]
            return lambda x: any(p(x) for p in parts)
        if key == "if":
            if "else" in schema:
                raise Unsupported("if with else")
            cond = self.compile(value)
            then = self.compile(schema.get("then", True))
            return lambda x: not cond(x) or then(x)
        raise Unsupported(f"keyword {key!r}")


def compile_schema(schema: dict[str, Any]) -> Check:
    """A predicate that is True exactly when ``schema`` (Draft 2020-12) accepts its argument."""
    c = _Compiler(schema)
    for name, sub in schema.get("$defs", {}).items():
        c.defs[name] = c.compile(sub)
    return c.compile(schema)


@lru_cache(maxsize=None)
def _shipped(version: str) -> Check | None:
    from ..schema import schema_text

    try:
        return compile_schema(json.loads(schema_text(version)))
    except Unsupported:
        return None


def is_valid(tree: Any, version: str = "1.0") -> bool | None:
    """True if the shipped schema accepts ``tree``, False if not, None if this module cannot tell."""
    check = _shipped(version)
    if check is None:
        return None
    try:
        return check(tree)
    except RecursionError:
        # Nesting deeper than Python's stack: let jsonschema decide and word it.
        return None
