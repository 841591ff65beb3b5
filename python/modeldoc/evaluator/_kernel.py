"""What an op module hands the runner: a builder reads a config once, the kernel it returns runs a call.

A builder (``Config -> Kernel``) runs before anything is evaluated, so every
unsupported config value of a document is known up front. A kernel
(``(inputs, Ctx) -> outputs``) takes its weights from the ``Ctx`` in the
layer's own order, each checked against the shape the config and the input
imply; a weight that does not fit raises ``EVAL_MISMATCH`` at that weight.
"""

from __future__ import annotations

from typing import Any, Callable, NoReturn

import numpy as np

from ..dtypes import dtype_of_array
from ..errors import ModelDocError
from ..profile import Config


class Ctx:
    """One call's weights, in the layer's order, and the float dtypes to round to and to compute in."""

    def __init__(self, weights: list[np.ndarray], pointer: str, layer_type: str, compute: np.dtype,
                 policy: np.dtype | None = None, converted: dict[tuple[int, str], np.ndarray] | None = None,
                 arguments: Any = None, offset: int = 0) -> None:
        self._weights = weights
        self.arguments = arguments  # the node's arguments: an operation's constant operands (spec.md 15.15)
        self._next = 0
        self.pointer = pointer
        self.layer_type = layer_type
        self.compute = compute
        self.policy = np.dtype(policy if policy is not None else compute)
        self._converted = converted if converted is not None else {}
        self.offset = offset  # a wrapped layer's first weight is weight `offset` of its wrapper (spec.md 15.13)
        # Masks and named tensor arguments of the call (spec.md 15.12, 15.13); kernels that take none ignore them.
        self.mask: np.ndarray | list[np.ndarray | None] | None = None
        self.named: dict[str, np.ndarray] = {}
        self.flags: dict[str, bool] = {}
        self.constants: dict[int, float] = {}

    def weight(self, role: str, shape: tuple[int, ...]) -> np.ndarray:
        """The next weight, which must be a float tensor of ``shape``, rounded to the layer's policy dtype (Keras
        holds a layer's weights in it) and given in the compute dtype."""
        k = self._next
        if k >= len(self._weights):
            self.fail(f"expects a weight {role} {list(shape)} at position {k + self.offset}, the layer lists "
                      f"{len(self._weights) + self.offset}", "/weights")
        array = self._weights[k]
        dtype = dtype_of_array(array)
        if dtype is None or dtype.kind != "float":
            self.fail(f"weight {k} ({role}) has dtype {dtype.name if dtype else array.dtype}, not a float dtype",
                      f"/weights/{k + self.offset}")
        if tuple(array.shape) != tuple(shape):
            self.fail(f"weight {k} ({role}) has shape {list(array.shape)}, the config and input need {list(shape)}",
                      f"/weights/{k + self.offset}")
        self._next += 1
        key = (id(array), self.policy.str)  # a shared weight is converted once per policy
        if key not in self._converted:
            self._converted[key] = np.asarray(np.asarray(array).astype(self.policy), dtype=self.compute)
        return self._converted[key]

    def skip(self, role: str, shape: tuple[int, ...]) -> None:
        """The next weight, of any dtype and of ``shape``, which the layer does not read (Normalization's
        ``count``)."""
        k = self._next
        if k >= len(self._weights):
            self.fail(f"expects a weight {role} {list(shape)} at position {k}, the layer lists {len(self._weights)}",
                      "/weights")
        if tuple(self._weights[k].shape) != tuple(shape):
            self.fail(f"weight {k} ({role}) has shape {list(self._weights[k].shape)}, not {list(shape)}",
                      f"/weights/{k}")
        self._next += 1

    def done(self) -> None:
        """Check that the kernel used every weight the layer lists."""
        if self._next != len(self._weights):
            self.fail(f"lists {len(self._weights)} weights, the config needs {self._next}",
                      f"/weights/{self._next + self.offset}")

    def sub(self, start: int, stop: int | None, layer_type: str, policy: np.dtype | None = None) -> Ctx:
        """The weights ``start:stop`` as the context of a wrapped layer (Bidirectional, TimeDistributed)."""
        return Ctx(self._weights[start:stop], self.pointer, layer_type, self.compute,
                   self.policy if policy is None else policy, self._converted, offset=self.offset + start)

    def float(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=self.compute)

    def fail(self, message: str, where: str = "") -> NoReturn:
        """A weight that does not fit the layer: EVAL_MISMATCH at the weight (spec.md 15.1)."""
        raise ModelDocError.of("EVAL_MISMATCH", self.pointer + where, f"{self.layer_type}: {message}")

    def unfit(self, message: str) -> NoReturn:
        """A value the layer cannot take (rank, sizes, axis): EVAL_UNSUPPORTED at the layer (spec.md 15.1)."""
        raise ModelDocError.of("EVAL_UNSUPPORTED", self.pointer, f"{self.layer_type}: {message}")


Kernel = Callable[[list[np.ndarray], Ctx], list[np.ndarray]]
Builder = Callable[[Config], Kernel]


def unary(fn: Callable[[np.ndarray, Ctx], np.ndarray]) -> Kernel:
    """A kernel of one input and one output that uses no weights."""

    def kernel(xs: list[np.ndarray], ctx: Ctx) -> list[np.ndarray]:
        if len(xs) != 1:
            ctx.unfit(f"takes one input, the call passes {len(xs)}")
        out = fn(xs[0], ctx)
        ctx.done()
        return [out]

    return kernel


def axis_index(axis: int, rank: int, ctx: Ctx) -> int:
    """A Keras axis (negative counts from the end) as an index into a tensor of ``rank``."""
    if not -rank <= axis < rank:
        ctx.unfit(f"axis {axis} is outside a tensor of rank {rank}")
    return axis % rank
