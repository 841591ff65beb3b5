"""Decimal text for floats in the ``list`` encoding, bit-exact both ways.

The reader rule (spec.md, "Float text") is what every language has: parse the
decimal as binary64 with correct rounding, then round that binary64 value to
the tensor's dtype, round-half-to-even. The writer emits, per value, the
shortest text of the dtype and checks it under exactly that rule; where the
check fails (double rounding: float32 0x15ae43fd is one such value) it writes
the binary64 ``repr`` of the value instead, which is always exact.
"""

from __future__ import annotations

import numpy as np

from .dtypes import DType

_NONFINITE_TEXT = {"NaN", "Infinity", "-Infinity"}


def round_from_float64(values: np.ndarray, dt: DType) -> np.ndarray:
    """Round binary64 values to ``dt`` with one correct round-half-to-even step.

    numpy and ml_dtypes cast float64 to bfloat16 through float32, which rounds
    twice and is wrong near midpoints (1 + 2**-8 + 2**-40 becomes 1.0). So we
    round to float32 *to odd* first: with at least two spare bits, a second
    round-half-even step from a round-to-odd intermediate equals one direct
    correct rounding (Boldo and Melquiond, 2008). float16 goes the same way so
    that the result never depends on which cast path numpy picks on this CPU.
    """
    v: np.ndarray = np.asarray(values, dtype=np.float64)
    if dt.name == "float64":
        same: np.ndarray = v.copy()
        return same
    with np.errstate(over="ignore", invalid="ignore"):  # overflow to inf is the rule, not an accident
        return _round_narrow(v, dt)


def _round_narrow(v: np.ndarray, dt: DType) -> np.ndarray:
    r = v.astype(np.float32)
    if dt.name == "float32":
        return r
    back = r.astype(np.float64)
    bits = r.view(np.uint32).copy()
    inexact = (back != v) & np.isfinite(back) & ~np.isnan(v)
    even = (bits & 1) == 0
    fix = inexact & even
    up = fix & (np.abs(back) < np.abs(v))
    down = fix & ~up
    bits[up] += 1
    bits[down] -= 1
    out: np.ndarray = bits.view(np.float32).astype(dt.numpy)
    return out


def _shortest_candidates(arr: np.ndarray, dt: DType) -> list[str]:
    flat = arr.reshape(-1)
    if dt.name == "float64":
        return [repr(x) for x in flat.tolist()]
    if dt.name in ("float16", "float32"):
        # numpy's str() of a float16/float32 scalar is Dragon4 shortest text for that dtype.
        return [str(x) for x in flat]
    # bfloat16: no shortest printer we can trust; search precisions (exact values as binary64).
    out: list[str] = []
    for x in as_float64(flat).tolist():
        for p in range(1, 10):
            t = format(x, f".{p}g")
            if round_from_float64(np.array([float(t)]), dt).view(np.uint16)[0] == np.array(
                [x]
            ).astype(dt.numpy).view(np.uint16)[0]:
                # "-0" would be a JSON integer; keep every float token visibly a decimal.
                out.append(t if ("." in t or "e" in t or "n" in t) else t + ".0")
                break
        else:  # pragma: no cover - 9 significant digits always identify a bfloat16
            out.append(repr(x))
    return out


def format_floats(arr: np.ndarray, dt: DType) -> list[str]:
    """JSON token text for every element of a float array, in C order.

    Non-finite values become the JSON strings ``"NaN"``, ``"Infinity"`` and
    ``"-Infinity"``. Every finite token is proven to read back bit-exactly.
    """
    flat = np.ascontiguousarray(arr).reshape(-1)
    texts = _shortest_candidates(flat, dt)
    finite = np.isfinite(as_float64(flat))
    if finite.any():
        idx = np.flatnonzero(finite)
        parsed = np.array([float(texts[i]) for i in idx.tolist()], dtype=np.float64)
        rounded = round_from_float64(parsed, dt)
        want = flat[idx]
        w = want.view(f"<u{dt.itemsize}")
        g = rounded.view(f"<u{dt.itemsize}")
        for j in np.flatnonzero(w != g).tolist():
            # Double-rounding victim: binary64 repr of the value is exact.
            texts[int(idx[j])] = repr(float(want[j]))
    if not finite.all():
        f64 = as_float64(flat)
        for i in np.flatnonzero(~finite).tolist():
            x = f64[i]
            texts[i] = '"NaN"' if np.isnan(x) else ('"Infinity"' if x > 0 else '"-Infinity"')
    return texts


def as_float64(arr: np.ndarray) -> np.ndarray:
    """Widen exactly; ml_dtypes warns on NaN when widening bfloat16, which is no error here."""
    with np.errstate(invalid="ignore"):
        return arr.astype(np.float64)


def parse_nonfinite(text: str) -> float | None:
    """The float named by one of the three non-finite strings, else None."""
    if text == "NaN":
        return float("nan")
    if text == "Infinity":
        return float("inf")
    if text == "-Infinity":
        return float("-inf")
    return None
