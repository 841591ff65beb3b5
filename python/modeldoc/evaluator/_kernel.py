"""What an op module hands the runner: a builder reads a config once, the kernel it returns runs a call.

A builder (``Config -> Kernel``) runs before anything is evaluated, so every
unsupported config value of a document is known up front. A kernel
(``(inputs, Ctx) -> outputs``) takes its weights from the ``Ctx`` in the
layer's own order, each checked against the shape the config and the input
imply; a weight that does not fit raises ``EVAL_MISMATCH`` at that weight.
"""

from __future__ import annotations

from typing import Callable, NoReturn

import numpy as np

from ..errors import ModelDocError
from ._config import Config


class Ctx:
    """One call's weights, in the layer's order, and the float dtype to compute in."""

    def __init__(self, weights: list[np.ndarray], pointer: str, layer_type: str, compute: np.dtype) -> None:
        self._weights = weights
        self._next = 0
        self.pointer = pointer
        self.layer_type = layer_type
        self.compute = compute

    def weight(self, role: str, shape: tuple[int, ...]) -> np.ndarray:
        """The next weight, which must have ``shape``, as an array of the compute dtype."""
        k = self._next
        if k >= len(self._weights):
            self.fail(f"expects a weight {role} {list(shape)} at position {k}, the layer lists {len(self._weights)}",
                      "/weights")
        array = self._weights[k]
        if tuple(array.shape) != tuple(shape):
            self.fail(f"weight {k} ({role}) has shape {list(array.shape)}, the config and input need {list(shape)}",
                      f"/weights/{k}")
        self._next += 1
        return np.asarray(array, dtype=self.compute)

    def done(self) -> None:
        """Check that the kernel used every weight the layer lists."""
        if self._next != len(self._weights):
            self.fail(f"lists {len(self._weights)} weights, the config needs {self._next}", f"/weights/{self._next}")

    def float(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=self.compute)

    def fail(self, message: str, where: str = "") -> NoReturn:
        raise ModelDocError.of("EVAL_MISMATCH", self.pointer + where, f"{self.layer_type}: {message}")


Kernel = Callable[[list[np.ndarray], Ctx], list[np.ndarray]]
Builder = Callable[[Config], Kernel]


def unary(fn: Callable[[np.ndarray, Ctx], np.ndarray]) -> Kernel:
    """A kernel of one input and one output that uses no weights."""

    def kernel(xs: list[np.ndarray], ctx: Ctx) -> list[np.ndarray]:
        if len(xs) != 1:
            ctx.fail(f"takes one input, the call passes {len(xs)}")
        out = fn(xs[0], ctx)
        ctx.done()
        return [out]

    return kernel


def axis_index(axis: int, rank: int, ctx: Ctx) -> int:
    """A Keras axis (negative counts from the end) as an index into a tensor of ``rank``."""
    if not -rank <= axis < rank:
        ctx.fail(f"axis {axis} is outside a tensor of rank {rank}")
    return axis % rank
