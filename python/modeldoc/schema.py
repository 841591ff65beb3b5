"""The JSON Schema layer: the shipped schema, resolved locally, as findings.

The schema files under ``modeldoc/schema/`` are copies of the top-level
``schema/`` folder made by ``scripts/generate.py`` (CI checks they match).
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ._fast import schemacheck
from .codenames import Code
from .errors import Collector, escape_pointer_token

if TYPE_CHECKING:
    import jsonschema

SUPPORTED_MINOR = 0  # this reader implements format 1.0
SCHEMA_ID = "https://modeldoc.dev/schema/1.0/modeldoc.schema.json"

_KEYWORD_CODES: dict[str, Code] = {
    "required": "SCHEMA_REQUIRED",
    "type": "SCHEMA_TYPE",
    "enum": "SCHEMA_ENUM",
    "const": "SCHEMA_CONST",
    "pattern": "SCHEMA_PATTERN",
    "additionalProperties": "SCHEMA_ADDITIONAL_PROPERTY",
    "minimum": "SCHEMA_RANGE",
    "maximum": "SCHEMA_RANGE",
    "minLength": "SCHEMA_RANGE",
    "maxLength": "SCHEMA_RANGE",
    "minItems": "SCHEMA_RANGE",
    "maxItems": "SCHEMA_RANGE",
}


def schema_text(version: str = "1.0") -> str:
    """The text of the shipped schema for ``version`` (MAJOR.MINOR)."""
    here = os.path.join(os.path.dirname(__file__), "schema", version, "modeldoc.schema.json")
    if os.path.isfile(here):  # an installed package or a checkout: no importlib.resources to load
        with open(here, encoding="utf-8") as f:
            return f.read()
    from importlib import resources  # the package is inside a zip

    return (resources.files("modeldoc") / "schema" / version / "modeldoc.schema.json").read_text("utf-8")


@lru_cache(maxsize=None)
def _validator(version: str = "1.0") -> jsonschema.Draft202012Validator:
    # jsonschema (about 0.1 s of imports) loads with the first document checked, not with the package.
    import jsonschema

    # The schema is ours: tests/test_schema_and_semantics.py checks it against the metaschema,
    # so a reader need not spend a fresh process's time on that.
    return jsonschema.Draft202012Validator(json.loads(schema_text(version)))


def check_schema(tree: Any, out: Collector, *, ignore_unknown_members: bool = False) -> None:
    """Add one finding per schema violation, in document order.

    With ``ignore_unknown_members`` (a newer minor version), members this
    schema does not define are not errors: spec.md, "Versioning".
    """
    if schemacheck.is_valid(tree):
        return  # a tree the schema accepts has no findings to word: jsonschema is not needed
    errors = sorted(_validator().iter_errors(tree), key=lambda e: [str(p) for p in e.absolute_path])
    for err in errors:
        code: Code = _KEYWORD_CODES.get(str(err.validator), "SCHEMA_OTHER")
        if err.validator == "anyOf":
            # The only anyOf is an input dimension: integer >= 0 or null.
            # JSON Schema's integers include 2.0, so -2.0 fails on range like -2 does.
            x = err.instance
            integral = isinstance(x, (int, float)) and not isinstance(x, bool) and float(x).is_integer()
            code = "SCHEMA_RANGE" if integral else "SCHEMA_TYPE"
        base = "".join("/" + escape_pointer_token(p) for p in err.absolute_path)
        if code == "SCHEMA_ADDITIONAL_PROPERTY":
            if ignore_unknown_members:
                continue
            known = set(err.schema.get("properties", {}))
            for extra in sorted(k for k in err.instance if k not in known):
                out.add(code, f"{base}/{escape_pointer_token(extra)}", f"member {extra!r} is not defined here")
            continue
        out.add(code, base, _one_line(err.message))


def _one_line(message: str) -> str:
    line = " ".join(message.split())
    return line if len(line) <= 200 else line[:197] + "..."


def normalize_integers(tree: dict[str, Any]) -> None:
    """Turn integral numbers in integer positions (``2.0`` as a dimension) into integers.

    JSON Schema counts any number with a zero fraction as an integer, so the
    schema accepts them; every reader then uses them as integers (spec.md 5).
    """

    def dims(shape: list[Any]) -> list[Any]:
        return [d if d is None or type(d) is int else int(d) for d in shape]

    def graph(g: dict[str, Any]) -> None:
        for inp in g["inputs"]:
            inp["shape"] = dims(inp["shape"])
        for layer in g["layers"]:
            if "model" in layer:
                graph(layer["model"])

    for t in tree["tensors"]:
        t["shape"] = dims(t["shape"])
    graph(tree["model"])
