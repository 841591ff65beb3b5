"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate (spec.md 15.8)."""

from __future__ import annotations

from functools import reduce
from typing import Callable

import numpy as np

from ..profile import Config
from ._kernel import Ctx, Kernel, axis_index

_FOLDS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "Add": np.add,
    "Multiply": np.multiply,
    "Maximum": np.maximum,
    "Minimum": np.minimum,
}


def _inputs(xs: list[np.ndarray], ctx: Ctx, exactly: int | None = None) -> list[np.ndarray]:
    if len(xs) < 2 or (exactly is not None and len(xs) != exactly):
        ctx.unfit(f"takes {exactly or 'two or more'} inputs, the call passes {len(xs)}")
    # One rank; on each axis equal sizes or 1 (repeated), as Keras and NumPy broadcast (spec.md 15.8).
    ranks = {x.ndim for x in xs}
    try:
        np.broadcast_shapes(*(x.shape for x in xs))
    except ValueError:
        ranks.add(-1)
    if len(ranks) != 1:
        ctx.unfit(f"inputs of shapes {[list(x.shape) for x in xs]} do not broadcast")
    ctx.done()
    return [ctx.float(x) for x in xs]


def build_merge(layer_type: str) -> Callable[[Config], Kernel]:
    def build(cfg: Config) -> Kernel:
        def run(xs: list[np.ndarray], ctx: Ctx) -> list[np.ndarray]:
            if layer_type == "Subtract":
                a, b = _inputs(xs, ctx, 2)
                return [a - b]
            vs = _inputs(xs, ctx)
            if layer_type == "Average":
                return [reduce(np.add, vs) / len(vs)]
            return [reduce(_FOLDS[layer_type], vs)]

        return run

    return build


def build_concatenate(cfg: Config) -> Kernel:
    axis = cfg.integer("axis", -1, minimum=-(2**31))

    def run(xs: list[np.ndarray], ctx: Ctx) -> list[np.ndarray]:
        if len(xs) < 2 or len({x.ndim for x in xs}) != 1:
            ctx.unfit(f"needs two or more inputs of one rank, got ranks {[x.ndim for x in xs]}")
        a = axis_index(axis, xs[0].ndim, ctx)
        rest = {x.shape[:a] + x.shape[a + 1:] for x in xs}
        if len(rest) != 1:
            ctx.unfit(f"inputs of shapes {[list(x.shape) for x in xs]} differ outside axis {axis}")
        ctx.done()
        # Any float input makes the result a float (of the policy, rounded by the runner); integer and bool
        # values keep their dtype only when they all share it (spec.md 15.2).
        if not any(x.dtype.kind in "fc" for x in xs) and len({x.dtype for x in xs}) != 1:
            ctx.unfit(f"joins integer and bool values of different dtypes {sorted({x.dtype.name for x in xs})}")
        if any(x.dtype.kind in "fc" for x in xs):
            xs = [ctx.float(x) for x in xs]
        return [np.concatenate(xs, axis=a)]

    return run
