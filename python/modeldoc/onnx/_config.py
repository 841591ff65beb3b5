"""Reading a layer's config for export, collecting every problem instead of stopping at the first.

Each op family has, per layer type, a ``parse`` that reads the config through a
:class:`Config` into plain parameters and an ``emit`` that writes ONNX nodes
from them. The support check runs every ``parse`` before anything is built, so
all unsupported config members of all layers are reported at once; the build
then runs the same ``parse`` again, so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from ..document import Layer
from ..flatgraph import Call
from ._builder import Builder, Value

FLOATS = ("float16", "bfloat16", "float32", "float64")


@dataclass(frozen=True)
class Issue:
    """Something export cannot represent: where (relative to the layer) and why."""

    where: str
    message: str


class Unsupported(Exception):
    """Raised by ``parse`` helpers when a value cannot be used at all (already recorded as an Issue)."""


@dataclass
class Config:
    """A layer's config and weights, with every rejected member recorded in ``issues``."""

    layer: Layer
    tensors: dict[str, np.ndarray]
    issues: list[Issue] = field(default_factory=list)

    @property
    def type(self) -> str:
        return self.layer.type

    def has(self, key: str) -> bool:
        return self.layer.config.get(key) is not None

    def get(self, key: str, default: Any = None) -> Any:
        value = self.layer.config.get(key)
        return default if value is None else value

    def reject(self, key: str, message: str) -> None:
        self.issues.append(Issue(f"/config/{key}" if key else "", message))

    def choice(self, key: str, allowed: Sequence[Any], default: Any) -> Any:
        """The member, which must be one of ``allowed``; ``default`` when absent."""
        value = self.get(key, default)
        if isinstance(value, str) and value.lower() in allowed:
            value = value.lower()
        if value not in allowed:
            self.reject(key, f"{self.type} with {key}={value!r} is not supported (supported: "
                        f"{', '.join(repr(a) for a in allowed)})")
            return default
        return value

    def number(self, key: str, default: float) -> float:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.reject(key, f"{key}={value!r} is not a number")
            return default
        return float(value)

    def integer(self, key: str, default: int) -> int:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.reject(key, f"{key}={value!r} is not an integer")
            return default
        return int(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            self.reject(key, f"{key}={value!r} is not true or false")
            return default
        return bool(value)

    def ints(self, key: str, n: int, default: Sequence[int] | int | None) -> tuple[int, ...]:
        """An int or a list of ``n`` ints (Keras writes kernel_size=3 or [3, 3]) as a tuple of ``n``."""
        value = self.get(key, default)
        if isinstance(value, int) and not isinstance(value, bool):
            return (value,) * n
        if (isinstance(value, (list, tuple)) and len(value) == n
                and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
            return tuple(value)
        self.reject(key, f"{key}={value!r} is not an integer or a list of {n} integers")
        return (1,) * n

    def must_be(self, key: str, allowed: Sequence[Any], why: str) -> None:
        """Reject the member unless it is absent or one of ``allowed`` (values with no ONNX counterpart)."""
        value = self.layer.config.get(key)
        if key in self.layer.config and value not in allowed:
            self.reject(key, f"{self.type} with {key}={value!r} cannot be exported: {why}")

    def data_format(self) -> bool:
        """True for channels_first, False for channels_last (the Keras default)."""
        return bool(self.choice("data_format", ("channels_last", "channels_first"), "channels_last")
                    == "channels_first")

    def weights(self, names: Sequence[str], optional: Sequence[str] = ()) -> dict[str, np.ndarray]:
        """The layer's weights by role: ``names`` are required, ``optional`` may follow them in order."""
        w = self.layer.weights
        if not len(names) <= len(w) <= len(names) + len(optional):
            want = f"{len(names)}" if not optional else f"{len(names)} to {len(names) + len(optional)}"
            self.issues.append(Issue("/weights", f"{self.type} needs {want} weights "
                                     f"({', '.join([*names, *optional])}), the layer lists {len(w)}"))
            raise Unsupported
        out: dict[str, np.ndarray] = {}
        for role, tensor in zip([*names, *optional], w):
            if tensor not in self.tensors:
                self.issues.append(Issue("/weights", f"weight {tensor!r} is not among the document's tensors"))
                raise Unsupported
            out[role] = self.tensors[tensor]
        return out

    def policy(self) -> str | None:
        """The compute dtype named by the Keras dtype policy in the config (None when there is none)."""
        value = self.layer.config.get("dtype")
        if isinstance(value, dict):
            value = (value.get("config") or {}).get("name")
        if value is None:
            return None
        if not isinstance(value, str) or value not in FLOATS:
            self.reject("dtype", f"dtype policy {value!r} is not supported (mixed-precision policies are not: "
                        f"supported are {', '.join(FLOATS)})")
            return None
        return value

    def float_weights(self, weights: dict[str, np.ndarray]) -> np.dtype[Any] | None:
        """The one float dtype of the weights; an Issue when they differ from each other or from the policy.

        Export never converts a weight to another dtype: a float64 weight stays float64.
        """
        dtypes = {np.dtype(a.dtype) for a in weights.values()}
        policy = self.policy()
        if not dtypes:
            return np.dtype(policy) if policy else None
        if len(dtypes) > 1 or any(d.name not in FLOATS for d in dtypes):
            self.issues.append(Issue("/weights", f"{self.type} weights must share one float dtype, found "
                                     f"{', '.join(sorted(d.name for d in dtypes))}"))
            raise Unsupported
        (dtype,) = dtypes
        if policy is not None and policy != dtype.name:
            self.reject("dtype", f"the weights are {dtype.name} but the layer computes in {policy}: "
                        "exporting would convert the weights")
            raise Unsupported
        return dtype


Parse = Callable[[Config], Any]
Emit = Callable[[Builder, Any, list[Value], Call], list[Value]]


@dataclass(frozen=True)
class Op:
    """How one layer type is exported: ``parse`` its config, ``emit`` its nodes; ``onnx`` names the ONNX ops."""

    parse: Parse
    emit: Emit
    onnx: str


def compute_dtype(dtype: np.dtype[Any] | None, xs: Sequence[Value]) -> np.dtype[Any]:
    """The dtype a layer computes in: its weights' or policy's, else its first float input's, else float32."""
    if dtype is not None:
        return dtype
    for x in xs:
        if x.dtype.name in FLOATS:
            return x.dtype
    return np.dtype("float32")
