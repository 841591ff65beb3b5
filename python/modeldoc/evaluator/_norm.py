"""BatchNormalization (inference: moving statistics) and LayerNormalization (spec.md 15.7)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..profile import Config
from ._kernel import Ctx, Kernel, axis_index, unary


def _broadcast(w: np.ndarray, axes: list[int], rank: int) -> np.ndarray:
    """A weight over ``axes`` reshaped to broadcast against a tensor of ``rank``."""
    shape = [1] * rank
    for a, n in zip(axes, w.shape):
        shape[a] = n
    return w.reshape(shape)


def build_batch_norm(cfg: Config) -> Kernel:
    axis = cfg.integer("axis", -1, minimum=-(2**31))
    epsilon = cfg.number("epsilon", 1e-3, minimum=0)
    center = cfg.flag("center", True)
    scale = cfg.flag("scale", True)
    cfg.require("renorm", (False,), "is not supported (only plain inference batch normalization)")

    def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
        a = axis_index(axis, x.ndim, ctx)
        n = (x.shape[a],)
        gamma = ctx.weight("gamma", n) if scale else None
        beta = ctx.weight("beta", n) if center else None
        mean, variance = ctx.weight("moving_mean", n), ctx.weight("moving_variance", n)
        y = (ctx.float(x) - _broadcast(mean, [a], x.ndim)) / np.sqrt(_broadcast(variance, [a], x.ndim) + epsilon)
        if gamma is not None:
            y = y * _broadcast(gamma, [a], x.ndim)
        if beta is not None:
            y = y + _broadcast(beta, [a], x.ndim)
        return np.asarray(y)

    return unary(run)


def build_layer_norm(cfg: Config) -> Kernel:
    raw: Any = cfg.raw("axis", -1)
    axes_cfg = raw if isinstance(raw, list) else [raw]
    if (not axes_cfg or len(set(axes_cfg)) != len(axes_cfg)
            or any(isinstance(a, bool) or not isinstance(a, int) for a in axes_cfg)):
        cfg.refuse("axis", "is not an integer or a list of distinct integers")
        axes_cfg = [-1]
    epsilon = cfg.number("epsilon", 1e-3, minimum=0)
    center = cfg.flag("center", True)
    scale = cfg.flag("scale", True)
    cfg.require("rms_scaling", (False,), "is not supported (deprecated in Keras 3)")

    def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
        axes = sorted({axis_index(a, x.ndim, ctx) for a in axes_cfg})
        shape = tuple(x.shape[a] for a in axes)
        gamma = ctx.weight("gamma", shape) if scale else None
        beta = ctx.weight("beta", shape) if center else None
        v = ctx.float(x)
        mean = v.mean(axis=tuple(axes), keepdims=True)
        variance = ((v - mean) ** 2).mean(axis=tuple(axes), keepdims=True)
        y = (v - mean) / np.sqrt(variance + epsilon)
        if gamma is not None:
            y = y * _broadcast(gamma, axes, x.ndim)
        if beta is not None:
            y = y + _broadcast(beta, axes, x.ndim)
        return np.asarray(y)

    return unary(run)
