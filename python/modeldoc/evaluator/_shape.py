"""Layers that only move values: reshaping, padding, cropping, repeating, and the layers that are
the identity at inference (dropout, noise, regularization) (spec.md 15.9).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..profile import Config
from ._kernel import Ctx, Kernel, unary

# Layers that change their input only while training.
IDENTITIES = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
              "GaussianDropout", "AlphaDropout", "ActivityRegularization", "Identity")


def build_identity(cfg: Config) -> Kernel:
    return unary(lambda x, ctx: x)


def build_flatten(cfg: Config) -> Kernel:
    cfg.channels_last()
    return unary(lambda x, ctx: x.reshape(x.shape[0], -1))


def build_reshape(cfg: Config) -> Kernel:
    target: Any = cfg.raw("target_shape", None)
    if (not isinstance(target, list) or sum(1 for d in target if d == -1) > 1
            or any(isinstance(d, bool) or not isinstance(d, int) or d < -1 for d in target)):
        cfg.refuse("target_shape", "is not a list of integers >= 0 with at most one -1")
        target = [-1]

    def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
        known = int(np.prod([d for d in target if d != -1]))
        per_item = int(np.prod(x.shape[1:]))
        if (-1 in target and (known == 0 or per_item % known)) or (-1 not in target and known != per_item):
            ctx.unfit(f"cannot reshape {list(x.shape[1:])} into {target}")
        return x.reshape(x.shape[0], *target)

    return unary(run)


def build_permute(cfg: Config) -> Kernel:
    dims: Any = cfg.raw("dims", None)
    if not isinstance(dims, list) or sorted(dims) != list(range(1, len(dims) + 1)):
        cfg.refuse("dims", "is not a permutation of 1..n")
        dims = []

    def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
        if x.ndim != len(dims) + 1:
            ctx.unfit(f"dims {dims} do not fit an input of rank {x.ndim}")
        return np.transpose(x, (0, *dims))

    return unary(run)


def build_repeat_vector(cfg: Config) -> Kernel:
    cfg.required("n")
    n = cfg.integer("n", 1, minimum=1)

    def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
        if x.ndim != 2:
            ctx.unfit(f"needs an input of rank 2, got {x.ndim}")
        return np.repeat(x[:, None, :], n, axis=1)

    return unary(run)


def _spatial(rank: int, x: np.ndarray, ctx: Ctx) -> None:
    if x.ndim != rank + 2:
        ctx.unfit(f"needs an input of rank {rank + 2}, got {x.ndim}")


def build_zero_padding(rank: int) -> Callable[[Config], Kernel]:
    def build(cfg: Config) -> Kernel:
        cfg.channels_last()
        pairs = cfg.pairs("padding", rank)

        def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
            _spatial(rank, x, ctx)
            return np.pad(x, [(0, 0), *pairs, (0, 0)])

        return unary(run)

    return build


def build_cropping(rank: int) -> Callable[[Config], Kernel]:
    def build(cfg: Config) -> Kernel:
        cfg.channels_last()
        pairs = cfg.pairs("cropping", rank)

        def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
            _spatial(rank, x, ctx)
            sizes = [int(n) for n in x.shape[1:-1]]
            if any(b + a >= n for (b, a), n in zip(pairs, sizes)):
                ctx.unfit(f"cropping {pairs} leaves nothing of {sizes}")
            index = tuple(slice(b, n - a) for (b, a), n in zip(pairs, sizes))
            return x[(slice(None), *index, slice(None))]

        return unary(run)

    return build


def build_upsampling(rank: int) -> Callable[[Config], Kernel]:
    def build(cfg: Config) -> Kernel:
        cfg.channels_last()
        if rank == 2:  # UpSampling1D has no interpolation member (spec.md 15.9)
            cfg.require("interpolation", ("nearest",), "is not supported (only nearest)")
        size = cfg.ints("size", 2, rank)

        def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
            _spatial(rank, x, ctx)
            for axis, s in enumerate(size, start=1):
                x = np.repeat(x, s, axis=axis)
            return x

        return unary(run)

    return build
