"""Keras configs made JSON-safe for a ModelDoc ``config``, and back.

A Keras config is almost JSON: tuples become lists, NumPy scalars become
Python numbers. The one thing JSON (and the ModelDoc data model) cannot hold
is a non-finite float, which Keras configs do carry (``clip_value=inf``,
``mask_value=nan``); those are written as ``{"$float": "NaN"}`` and read back.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._errors import refuse

_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1


def to_json(value: Any, where: tuple[str | int, ...] = ()) -> Any:
    """``value`` as a tree of dict/list/str/int/float/bool/None that ModelDoc can store."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        if not _INT_MIN <= value <= _INT_MAX:
            refuse("KERAS_UNSUPPORTED", where, f"integer {value} is outside the ModelDoc data model")
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"$float": "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")}
    if isinstance(value, (list, tuple)):
        return [to_json(v, (*where, i)) for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                refuse("KERAS_UNSUPPORTED", where, f"config key {k!r} is not a string")
            out[k] = to_json(v, (*where, k))
        return out
    refuse("KERAS_UNSUPPORTED", where, f"config value of type {type(value).__name__} has no JSON form")


def from_json(value: Any) -> Any:
    """The inverse of :func:`to_json` (a fresh tree; the input is not modified)."""
    if isinstance(value, dict):
        if len(value) == 1 and "$float" in value and value["$float"] in _NONFINITE:
            return _NONFINITE[value["$float"]]
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value
