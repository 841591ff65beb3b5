"""The test-vector comparison rule of spec.md 15.11, the one every consumer applies.

An element passes when ``|got - want| <= max(tolerance, ATOL) + RTOL * |want|``, with ``tolerance``
the test vector's own member and ``want`` the stored output; NaN matches NaN and an infinity the
same infinity. Integer and bool outputs have to be equal. The reference evaluator (``modeldoc run``)
and the ONNX export check use this module; the JavaScript evaluator implements the same text.
"""

from __future__ import annotations

import numpy as np

from .dtypes import dtype_of_array

# The floor every float32 comparison gets: measured over the zoo (docs/evaluator.md), with headroom.
ATOL = 1e-5
RTOL = 1e-5


def allowed_atol(tolerance: float) -> float:
    """The absolute part of the allowed difference for a test vector with this ``tolerance`` member."""
    return max(float(tolerance), ATOL)


def compare(got: np.ndarray, want: np.ndarray, atol: float, rtol: float = RTOL) -> tuple[float, bool, str]:
    """(max |got - want|, whether every element is within ``atol + rtol * |want|``, what is wrong if not);
    the stored ``want`` decides the rule: integer and bool values have to be equal.

    >>> compare(np.array([1.0, 2.0]), np.array([1, 2], "int32"), 1e-5)
    (0.0, True, '')
    >>> compare(np.array([1.5]), np.array([1], "int32"), 1.0)[1]
    False
    """
    if got.shape != want.shape:
        return float("inf"), False, f"shape {list(got.shape)}, the test vector has {list(want.shape)}"
    want_type = dtype_of_array(want)
    if want_type is not None and want_type.kind != "float":
        # The stored tensor's dtype decides (spec.md 15.11): integer and bool outputs are equal or wrong.
        equal = bool(np.array_equal(got, want))
        return (0.0 if equal else float("inf")), equal, "" if equal else "integer results differ"
    g, w = got.astype(np.float64), want.astype(np.float64)
    same = (g == w) | (np.isnan(g) & np.isnan(w))  # also equal infinities
    with np.errstate(invalid="ignore"):
        diff = np.where(same, 0.0, np.abs(g - w))
    diff = np.where(np.isnan(diff), np.inf, diff)
    ok = bool(np.all(diff <= atol + rtol * np.where(np.isfinite(w), np.abs(w), 0.0)))
    return (float(diff.max()) if diff.size else 0.0), ok, ""
