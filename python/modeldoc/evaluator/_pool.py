"""Pooling: Max/AveragePooling1D/2D and the global poolings (spec.md 15.6). channels_last only."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..profile import Config
from ._kernel import Ctx, Kernel, unary
from ._windows import pad, pads, windows


def build_pool(rank: int, kind: str) -> Callable[[Config], Kernel]:
    def build(cfg: Config) -> Kernel:
        cfg.channels_last()
        size = cfg.ints("pool_size", 2, rank)
        strides = size if cfg.raw("strides", None) is None else cfg.ints("strides", 1, rank)
        padding = cfg.choice("padding", "valid", ("valid", "same"))
        ones = [1] * rank

        def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
            if x.ndim != rank + 2:
                ctx.unfit(f"needs an input of rank {rank + 2}, got {x.ndim}")
            v = ctx.float(x)
            spatial = pads(padding, v.shape[1:-1], size, strides, ones)
            if kind == "max":
                # Padding never wins a max.
                views = [w for _, w in windows(pad(v, spatial, -np.inf), size, strides, ones, ctx)]
                return np.asarray(np.maximum.reduce(views))
            # Average over the window's positions inside the input only: padding is not counted.
            total = sum(w for _, w in windows(pad(v, spatial), size, strides, ones, ctx))
            inside = np.ones((1, *v.shape[1:-1], 1), dtype=v.dtype)
            count = sum(w for _, w in windows(pad(inside, spatial), size, strides, ones, ctx))
            return np.asarray(total / count)

        return unary(run)

    return build


def build_global(rank: int, kind: str) -> Callable[[Config], Kernel]:
    def build(cfg: Config) -> Kernel:
        cfg.channels_last()
        keepdims = cfg.flag("keepdims", False)

        def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
            if x.ndim != rank + 2:
                ctx.unfit(f"needs an input of rank {rank + 2}, got {x.ndim}")
            axes = tuple(range(1, rank + 1))
            reduce = np.max if kind == "max" else np.mean
            return np.asarray(reduce(ctx.float(x), axis=axes, keepdims=keepdims))

        return unary(run)

    return build
