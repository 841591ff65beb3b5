"""spec.md's per-layer tables of section 15, written from the catalogue (scripts/generate.py puts them in).

One table per section: each type of the section with its members (Keras'
default, what the member may hold, the values it *has to be*) and its
weights in order with their shapes and the condition for each.
"""

from __future__ import annotations

import json
from typing import Any

from ._catalogue import CATALOGUE, WRAPPED_WEIGHTS
from ._model import LayerType, Member, Weight


def block(entry: LayerType) -> str | None:
    """The generated table an entry appears in: its section, or ``"SECTION operations"`` for an operation in a
    section that also has layers (spec.md lists the two apart)."""
    if entry.section is None:
        return None
    mixed = any(e.section == entry.section and not e.type.startswith("ops.") for e in CATALOGUE.values())
    return f"{entry.section} operations" if entry.type.startswith("ops.") and mixed else entry.section


def blocks() -> list[str]:
    """The generated tables of spec.md, in spec order."""
    found = {b for e in CATALOGUE.values() if (b := block(e)) is not None}
    return sorted(found, key=lambda b: (tuple(int(p) for p in b.split()[0].split(".")), b))


def table(key: str) -> str:
    """The markdown table of the types of block ``key``, in catalogue order."""
    rows = ["| type | members (default) | weights, in order |", "|---|---|---|"]
    for entry in CATALOGUE.values():
        if block(entry) == key:
            rows.append(f"| `{entry.type}` | {_members(entry)} | {_weights(entry)} |")
    return "\n".join(rows) + "\n"


def _json(value: Any) -> str:
    return json.dumps(value)


def _alternatives(values: tuple[Any, ...]) -> str:
    texts = [f"`{_json(v)}`" for v in values]
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " or " + texts[-1]


def _member(m: Member) -> str:
    parts = ["required" if m.required else f"`{_json(m.default)}`"]
    if m.values:
        parts.append(m.values)
    if m.only:
        parts.append("has to be " + _alternatives(m.only))
    return f"`{m.name}` ({'; '.join(parts)})"


def _members(entry: LayerType) -> str:
    return ", ".join(_member(m) for m in entry.members) or "none"


def _condition(member: str, value: Any) -> str:
    if value is True:
        return f"`{member}`"
    return f"`{member}` is `{_json(value)}`"


def _weight(w: Weight) -> str:
    text = f"`{w.name}` `{w.shape}`" if w.shape.startswith("(") else f"`{w.name}`: {w.shape}"
    if w.when:
        text += (" " if w.shape.startswith("(") else ", ") + "if " + " and ".join(_condition(m, v) for m, v in w.when)
    return text


def _weights(entry: LayerType) -> str:
    if entry.type in WRAPPED_WEIGHTS:
        return WRAPPED_WEIGHTS[entry.type]
    return "; ".join(_weight(w) for w in entry.weights) or "none"
