"""The catalogue as one mapping, and what the targets ask of it: which types, which weights, in what order."""

from __future__ import annotations

from typing import Any, Mapping, TypeVar

from . import _layers_seq  # noqa: F401  (its entries join _layers.ENTRIES)
from ._layers import ENTRIES
from ._model import TARGETS, LayerType


def _index(entries: list[LayerType]) -> dict[str, LayerType]:
    out: dict[str, LayerType] = {}
    for entry in entries:
        if entry.type in out:
            raise AssertionError(f"the catalogue lists {entry.type} twice")
        out[entry.type] = entry
    return out


CATALOGUE: Mapping[str, LayerType] = _index(ENTRIES)

# The wrappers list their wrapped layers' weights (spec.md 15.13), as :func:`weight_names` computes them.
WRAPPED_WEIGHTS = {
    "Bidirectional": "the forward layer's (15.10), then the backward layer's",
    "TimeDistributed": "the wrapped layer's",
}


class CatalogueError(Exception):
    """A target's kernel table and the catalogue disagree: a programming error, found at import."""


def types_for(target: str) -> frozenset[str]:
    """The layer types the catalogue says ``target`` implements.

    >>> "Dense" in types_for("onnx") and "Rescaling" not in types_for("tfjs")
    True
    """
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}")
    return frozenset(t for t, e in CATALOGUE.items() if target in e.targets)


K = TypeVar("K")


def kernels(target: str, table: Mapping[str, K]) -> dict[str, K]:
    """``table`` (type -> kernel) checked against the catalogue: every type the catalogue gives ``target`` has
    a kernel, and every kernel has a catalogue entry naming ``target``. Raises :class:`CatalogueError`.

    >>> kernels("onnx", {})
    Traceback (most recent call last):
    ...
    modeldoc.profile._catalogue.CatalogueError: onnx: the catalogue lists types without a kernel: ...
    """
    problems = mismatch(target, table)
    if problems:
        raise CatalogueError(f"{target}: " + "; ".join(problems))
    return dict(table)


def mismatch(target: str, table: Mapping[str, Any]) -> list[str]:
    """Why ``table`` does not match the catalogue for ``target`` (empty when it does)."""
    want = types_for(target)
    problems = []
    if missing := sorted(want - set(table)):
        problems.append(f"the catalogue lists types without a kernel: {', '.join(missing)}")
    if extra := sorted(set(table) - want):
        unknown = [t for t in extra if t not in CATALOGUE]
        problems.append(f"kernels of types the catalogue does not give this target: {', '.join(extra)}"
                        + (f" (no entry at all: {', '.join(unknown)})" if unknown else ""))
    return problems


def default(layer_type: str, member: str) -> Any:
    """Keras' default for ``member`` of ``layer_type`` (None if the catalogue does not list the member)."""
    entry = CATALOGUE.get(layer_type)
    m = entry.member(member) if entry else None
    return None if m is None else m.default


def weight_names(layer_type: str, config: Mapping[str, Any]) -> list[str]:
    """The weights a layer of ``layer_type`` with ``config`` lists, in order (wrappers: the wrapped layers').

    >>> weight_names("Dense", {"units": 2, "use_bias": False})
    ['kernel']
    >>> weight_names("BatchNormalization", {"scale": False})
    ['beta', 'moving_mean', 'moving_variance']
    """
    entry = CATALOGUE[layer_type]
    if layer_type in WRAPPED_WEIGHTS:
        return _wrapped(layer_type, config)
    return [w.name for w in entry.weights
            if all(_value(entry, config, member) == value for member, value in w.when)]


def _value(entry: LayerType, config: Mapping[str, Any], member: str) -> Any:
    m = entry.member(member)
    return config.get(member, None if m is None else m.default)


def _wrapped(layer_type: str, config: Mapping[str, Any]) -> list[str]:
    """TimeDistributed: the wrapped layer's weights; Bidirectional: the forward layer's, then the backward's."""
    inner = config.get("layer")
    if not isinstance(inner, dict) or inner.get("class_name") not in CATALOGUE:
        return []
    kind, inner_config = str(inner["class_name"]), inner.get("config") or {}
    names = weight_names(kind, inner_config)
    if layer_type == "TimeDistributed":
        return names
    backward = config.get("backward_layer")
    backward_config = backward.get("config") or {} if isinstance(backward, dict) else inner_config
    return names + weight_names(kind, backward_config)
