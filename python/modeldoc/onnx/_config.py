"""The ONNX exporter's reading of a layer: the profile's one config reader, plus the layer's weights.

Each op family has, per layer type, a ``parse`` that reads the config through a
:class:`Config` (``modeldoc.profile.Config`` with the weights) into plain parameters and an ``emit`` that writes ONNX nodes
from them. The support check runs every ``parse`` before anything is built, so
all unsupported config members of all layers are reported at once; the build
then runs the same ``parse`` again, so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from .. import profile
from ..document import Layer
from ..flatgraph import Call
from ._builder import Builder, Value

FLOATS = ("float16", "bfloat16", "float32", "float64")


class Unsupported(Exception):
    """Raised by ``parse`` helpers when a value cannot be used at all (already recorded as a finding)."""


class Config(profile.Config):
    """The profile's config reader with the layer's weights: findings are ``ONNX_UNSUPPORTED``, and a member
    written as null reads as absent (Keras writes null for "the default" in several places)."""

    def __init__(self, layer: Layer, tensors: dict[str, np.ndarray], pointer: str = "", path: str = "") -> None:
        super().__init__(layer.config, pointer, layer.type, code="ONNX_UNSUPPORTED",
                         label=f"layer {path!r} ({layer.type}): ", null_is_default=True)
        self.layer = layer
        self.tensors = tensors

    @property
    def type(self) -> str:
        return self.layer.type

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw(key, default)

    def must_be(self, key: str, allowed: Sequence[Any], why: str) -> None:
        """Reject the member unless it is absent or one of ``allowed`` (values with no ONNX counterpart)."""
        self.require(key, allowed, f"cannot be exported: {why}")

    def data_format(self) -> bool:
        """True for channels_first, False for channels_last (the Keras default)."""
        return bool(self.choice("data_format", "channels_last", ("channels_last", "channels_first"), fold_case=True)
                    == "channels_first")

    def catalogue_weights(self, rename: dict[str, str] | None = None) -> dict[str, np.ndarray]:
        """The layer's weights by the catalogue's names (``rename``: catalogue name -> the role used here).

        A trailing ``bias`` is optional whatever ``use_bias`` says (a document may leave the member out, and
        then the weights say; the caller compares the two); other weights follow the config."""
        present = {k: v for k, v in self.values.items() if v is not None}  # null reads as absent here
        names = profile.weight_names(self.type, {**present, "use_bias": True})
        optional: list[str] = []
        if names[-1:] == ["bias"]:
            names, optional = names[:-1], ["bias"]
        else:
            names = profile.weight_names(self.type, present)
        roles = rename or {}
        return self.weights([roles.get(n, n) for n in names], [roles.get(n, n) for n in optional])

    def weights(self, names: Sequence[str], optional: Sequence[str] = ()) -> dict[str, np.ndarray]:
        """The layer's weights by role: ``names`` are required, ``optional`` may follow them in order."""
        w = self.layer.weights
        if not len(names) <= len(w) <= len(names) + len(optional):
            want = f"{len(names)}" if not optional else f"{len(names)} to {len(names) + len(optional)}"
            self.reject_at("/weights", f"{self.type} needs {want} weights ({', '.join([*names, *optional])}), "
                           f"the layer lists {len(w)}")
            raise Unsupported
        out: dict[str, np.ndarray] = {}
        for role, tensor in zip([*names, *optional], w):
            if tensor not in self.tensors:
                self.reject_at("/weights", f"weight {tensor!r} is not among the document's tensors")
                raise Unsupported
            out[role] = self.tensors[tensor]
        return out

    def export_policy(self) -> str | None:
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
        """The one float dtype of the weights; a finding when they differ from each other or from the policy.

        Export never converts a weight to another dtype: a float64 weight stays float64.
        """
        dtypes = {np.dtype(a.dtype) for a in weights.values()}
        policy = self.export_policy()
        if not dtypes:
            return np.dtype(policy) if policy else None
        if len(dtypes) > 1 or any(d.name not in FLOATS for d in dtypes):
            self.reject_at("/weights", f"{self.type} weights must share one float dtype, found "
                           f"{', '.join(sorted(d.name for d in dtypes))}")
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
