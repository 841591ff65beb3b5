"""The one reader of a layer's Keras config, for every target, with one way of refusing.

A kernel builder asks for each member it needs. A value of the wrong type, or
one outside what the target implements (``data_format="channels_first"`` for
the evaluator, ``padding="reflect"`` everywhere), is not an exception: it is
recorded as a finding with the caller's code (``EVAL_UNSUPPORTED``,
``ONNX_UNSUPPORTED``) at that member's JSON Pointer, and a harmless stand-in is
returned, so one pass over a document lists every problem at once. A getter
called without a default uses the catalogue's (Keras') default.
"""

from __future__ import annotations

from typing import Any, Collection

from ..codenames import Code
from ..errors import Finding, escape_pointer_token
from ._catalogue import default as catalogue_default

# Keras dtype policies the evaluator knows, and the dtype each layer's float results are rounded to.
POLICY_DTYPES = {"float32": "float32", "float64": "float64"}


class _FromCatalogue:
    def __repr__(self) -> str:
        return "the catalogue's default"


FROM_CATALOGUE: Any = _FromCatalogue()


class Config:
    """One layer's ``config`` with typed getters; problems go to ``findings``, each with ``code``.

    ``label`` starts every message (default ``"TYPE: "``). With ``null_is_default`` a member written as null
    reads as absent (the ONNX exporter's reading); otherwise null is a value like any other.
    """

    def __init__(self, config: dict[str, Any], pointer: str, layer_type: str, *, code: Code = "EVAL_UNSUPPORTED",
                 label: str | None = None, null_is_default: bool = False) -> None:
        self.values = config
        self.pointer = pointer
        self.layer_type = layer_type
        self.code: Code = code
        self.label = f"{layer_type}: " if label is None else label
        self.null_is_default = null_is_default
        self.findings: list[Finding] = []

    # --- where and how a problem is recorded ---

    def at(self, member: str) -> str:
        return f"{self.pointer}/config/{escape_pointer_token(member)}"

    def reject_at(self, where: str, message: str) -> None:
        """A problem at ``where`` below the layer's pointer (``""``, ``"/weights"``), in the caller's words."""
        self.findings.append(Finding(self.code, self.pointer + where, self.label + message))

    def reject(self, member: str, message: str) -> None:
        """A problem with ``member``, in the caller's words."""
        self.findings.append(Finding(self.code, self.at(member), self.label + message))

    def refuse(self, member: str, why: str) -> None:
        """Record that ``member`` (its value) is outside what the target implements."""
        self.reject(member, f"{member}={_short(self.values.get(member))} {why}")

    # --- reading ---

    def _default(self, member: str, default: Any) -> Any:
        return catalogue_default(self.layer_type, member) if default is FROM_CATALOGUE else default

    def raw(self, member: str, default: Any = FROM_CATALOGUE) -> Any:
        default = self._default(member, default)
        value = self.values.get(member, default)
        return default if value is None and self.null_is_default else value

    def has(self, member: str) -> bool:
        """The member is present and not null."""
        return self.values.get(member) is not None

    def required(self, *members: str) -> None:
        """Refuse each of ``members`` that is absent: Keras has no default for it (spec.md 15.1)."""
        for member in members:
            if member not in self.values:
                self.reject(member, f"{member} is required (Keras has no default)")

    def integer(self, member: str, default: Any = FROM_CATALOGUE, *, minimum: int = 0) -> int:
        value = self.raw(member, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.refuse(member, f"is not an integer >= {minimum}")
            fallback = self._default(member, default)
            return max(fallback if isinstance(fallback, int) else minimum, minimum)
        return int(value)

    def number(self, member: str, default: Any = FROM_CATALOGUE, *, minimum: float | None = None) -> float:
        value = self.raw(member, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (minimum is not None and value < minimum):
            self.refuse(member, "is not a number" if minimum is None else f"is not a number >= {minimum}")
            return 0.0 if minimum is None else float(minimum)
        return float(value)

    def optional_number(self, member: str) -> float | None:
        if self.values.get(member) is None:
            return None
        return self.number(member, None)

    def flag(self, member: str, default: Any = FROM_CATALOGUE) -> bool:
        value = self.raw(member, default)
        if not isinstance(value, bool):
            self.refuse(member, "is not true or false")
            return bool(self._default(member, default))
        return value

    def choice(self, member: str, default: Any, allowed: Collection[Any], *, fold_case: bool = False) -> Any:
        """One of ``allowed``; with ``fold_case`` a string is compared in lower case (as Keras lowers padding)."""
        value = self.raw(member, default)
        if fold_case and isinstance(value, str) and value.lower() in allowed:
            value = value.lower()
        if value not in allowed:
            self.refuse(member, f"is not one of {', '.join(sorted(repr(a) for a in allowed))}")
            return self._default(member, default)
        return value

    def ints(self, member: str, default: Any, n: int, *, minimum: int = 1) -> list[int]:
        """A tuple of ``n`` integers; a single integer means the same value ``n`` times (as Keras reads it)."""
        value = self.raw(member, default)
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value] * n
        if (not isinstance(value, (list, tuple)) or len(value) != n
                or any(isinstance(v, bool) or not isinstance(v, int) or v < minimum for v in value)):
            self.refuse(member, f"is not {n} integer(s) >= {minimum}")
            return [max(minimum, 1)] * n
        return list(value)

    def pairs(self, member: str, n: int, default: Any = FROM_CATALOGUE) -> list[tuple[int, int]]:
        """Per spatial axis a (before, after) pair, from an int, ``n`` ints or ``n`` pairs (ZeroPadding,
        Cropping); for ``n == 1`` Keras stores the pair itself."""
        value = self.raw(member, default)
        if isinstance(value, int) and not isinstance(value, bool):
            value = [[value, value]] * n
        if n == 1 and isinstance(value, list) and len(value) == 2 and not any(isinstance(v, list) for v in value):
            value = [value]  # the 1D layers store one (before, after) pair, not a list of pairs
        if isinstance(value, list) and len(value) == n and (n > 1 or isinstance(value[0], list)):
            pairs = [v if isinstance(v, list) else [v, v] for v in value]  # 2D: an integer means both sides
            if all(len(p) == 2 and all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in p)
                   for p in pairs):
                return [(p[0], p[1]) for p in pairs]
        self.refuse(member, f"is not {n} (before, after) pair(s) of integers >= 0")
        return [(0, 0)] * n

    def require(self, member: str, allowed: Collection[Any], why: str = "is outside the core profile") -> None:
        """Refuse unless the member is absent or has one of the ``allowed`` values."""
        if member in self.values and self.values[member] not in allowed:
            self.refuse(member, why)

    def channels_last(self) -> None:
        self.require("data_format", ("channels_last",), "is not supported (only channels_last)")

    def policy(self, *, quiet: bool = False) -> str:
        """The dtype the layer's float inputs, weights and results are rounded to, from its Keras dtype policy
        (absent or null: float32; an object's members other than class_name and config are ignored). An
        unknown policy is refused (float32 is returned), unless ``quiet``: a second reader of the policy
        leaves that finding to the first."""
        value = self.values.get("dtype")
        name = value
        if isinstance(value, dict):
            inner = value.get("config")
            name = inner.get("name") if isinstance(inner, dict) else None
            if value.get("class_name") not in ("DTypePolicy", "FloatDTypePolicy"):
                name = None
        if value is None:
            return "float32"
        if name not in POLICY_DTYPES:
            if not quiet:
                self.refuse("dtype", "is not a float32 or float64 dtype policy")
            return "float32"
        return POLICY_DTYPES[str(name)]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
