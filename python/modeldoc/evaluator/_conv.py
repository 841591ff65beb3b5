"""Convolutions: Conv1D/2D (strides, dilation, groups, causal), their transposes, depthwise and
separable convolutions (spec.md 15.5). channels_last only.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..profile import Config
from ._activations import activation
from ._kernel import Ctx, Kernel, unary
from ._windows import dilated, pad, pads, windows


class _Geometry:
    """The members every convolution shares, read once from the config."""

    def __init__(self, cfg: Config, rank: int, paddings: tuple[str, ...] = ("valid", "same")) -> None:
        cfg.channels_last()
        cfg.required("kernel_size")
        self.rank = rank
        self.kernel = cfg.ints("kernel_size", 1, rank)
        self.strides = cfg.ints("strides", 1, rank)
        self.dilations = cfg.ints("dilation_rate", 1, rank)
        self.padding = cfg.choice("padding", "valid", paddings)
        self.use_bias = cfg.flag("use_bias", True)
        self.activation = activation(cfg)

    def padded(self, x: np.ndarray, ctx: Ctx) -> np.ndarray:
        if x.ndim != self.rank + 2:
            ctx.unfit(f"needs an input of rank {self.rank + 2}, got {x.ndim}")
        return pad(ctx.float(x), pads(self.padding, x.shape[1:-1], self.kernel, self.strides, self.dilations))

    def finish(self, y: np.ndarray, filters: int, ctx: Ctx) -> np.ndarray:
        if self.use_bias:
            y = y + ctx.weight("bias", (filters,))
        return self.activation(y)


def build_conv(rank: int) -> Callable[[Config], Kernel]:
    def build(cfg: Config) -> Kernel:
        g = _Geometry(cfg, rank, ("valid", "same", "causal") if rank == 1 else ("valid", "same"))
        cfg.required("filters")
        filters = cfg.integer("filters", 1, minimum=1)
        groups = cfg.integer("groups", 1, minimum=1)

        def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
            xp = g.padded(x, ctx)
            cin = x.shape[-1]
            if cin % groups or filters % groups:
                ctx.unfit(f"groups={groups} does not divide {cin} input channels and {filters} filters")
            w = ctx.weight("kernel", (*g.kernel, cin // groups, filters))
            # Group k maps input channels [k*cin/groups, ...) to filters [k*filters/groups, ...).
            w = w.reshape(*g.kernel, cin // groups, groups, filters // groups)
            y: np.ndarray | float = 0.0
            for offsets, patch in windows(xp, g.kernel, g.strides, g.dilations, ctx):
                grouped = patch.reshape(*patch.shape[:-1], groups, cin // groups)
                y = y + np.einsum("...gc,cgf->...gf", grouped, w[offsets])
            assert isinstance(y, np.ndarray)
            return g.finish(y.reshape(*y.shape[:-2], filters), filters, ctx)

        return unary(run)

    return build


def _depthwise(g: _Geometry, xp: np.ndarray, multiplier: int, ctx: Ctx) -> np.ndarray:
    """Each input channel c convolved with its own ``multiplier`` filters: output channel c * multiplier + m."""
    cin = xp.shape[-1]
    w = ctx.weight("depthwise_kernel", (*g.kernel, cin, multiplier))
    y: np.ndarray | float = 0.0
    for offsets, patch in windows(xp, g.kernel, g.strides, g.dilations, ctx):
        y = y + patch[..., :, None] * w[offsets]
    assert isinstance(y, np.ndarray)
    return y.reshape(*y.shape[:-2], cin * multiplier)


def build_depthwise(rank: int) -> Callable[[Config], Kernel]:
    def build(cfg: Config) -> Kernel:
        g = _Geometry(cfg, rank)
        multiplier = cfg.integer("depth_multiplier", 1, minimum=1)

        def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
            y = _depthwise(g, g.padded(x, ctx), multiplier, ctx)
            return g.finish(y, y.shape[-1], ctx)

        return unary(run)

    return build


def build_separable(rank: int) -> Callable[[Config], Kernel]:
    def build(cfg: Config) -> Kernel:
        g = _Geometry(cfg, rank)
        multiplier = cfg.integer("depth_multiplier", 1, minimum=1)
        cfg.required("filters")
        filters = cfg.integer("filters", 1, minimum=1)

        def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
            y = _depthwise(g, g.padded(x, ctx), multiplier, ctx)
            pointwise = ctx.weight("pointwise_kernel", (*[1] * rank, y.shape[-1], filters))
            y = y @ pointwise.reshape(y.shape[-1], filters)
            return g.finish(y, filters, ctx)

        return unary(run)

    return build


def transpose_length(n: int, kernel: int, stride: int, dilation: int, padding: str, output_padding: int | None) -> int:
    """Keras' output length of a transposed convolution along one axis."""
    k = dilated(kernel, dilation)
    if padding == "valid":
        return (n - 1) * stride + k + (max(k, stride) - k if output_padding is None else output_padding)
    return n * stride if output_padding is None else (n - 1) * stride + k % 2 + output_padding


def build_transpose(rank: int) -> Callable[[Config], Kernel]:
    def build(cfg: Config) -> Kernel:
        g = _Geometry(cfg, rank)
        cfg.required("filters")
        filters = cfg.integer("filters", 1, minimum=1)
        out_pad: list[int | None] = [None] * rank
        if cfg.raw("output_padding", None) is not None:
            out_pad = list(cfg.ints("output_padding", 0, rank, minimum=0))

        def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
            if x.ndim != rank + 2:
                ctx.unfit(f"needs an input of rank {rank + 2}, got {x.ndim}")
            v = ctx.float(x)
            sizes = v.shape[1:-1]
            w = ctx.weight("kernel", (*g.kernel, filters, v.shape[-1]))
            # Scatter every input position i into output i * stride + offset * dilation ("full" output) ...
            full = [(n - 1) * s + dilated(k, d) for n, k, s, d in zip(sizes, g.kernel, g.strides, g.dilations)]
            lengths = [transpose_length(n, k, s, d, g.padding, p)
                       for n, k, s, d, p in zip(sizes, g.kernel, g.strides, g.dilations, out_pad)]
            # ... then keep `length` positions from `before`, the padding of the convolution this transposes.
            before = [max(f - L, 0) // 2 if g.padding == "same" else 0 for f, L in zip(full, lengths)]
            span = [max(f, b + L) for f, b, L in zip(full, before, lengths)]
            y = np.zeros((v.shape[0], *span, filters), dtype=v.dtype)
            for offsets in np.ndindex(*g.kernel):
                index = tuple(slice(o * d, o * d + (n - 1) * s + 1, s)
                              for o, d, n, s in zip(offsets, g.dilations, sizes, g.strides))
                y[(slice(None), *index, slice(None))] += v @ w[offsets].T
            keep = tuple(slice(b, b + L) for b, L in zip(before, lengths))
            return g.finish(y[(slice(None), *keep, slice(None))], filters, ctx)

        return unary(run)

    return build
