"""Preprocessing layers that keras.applications models start with, and the two scale layers of their
blocks: Rescaling, Normalization, CenterCrop, Resizing, LayerScale, CustomScaleLayer (spec.md 15.15).

CenterCrop and Resizing are in the profile only where they are exact: a crop that fits, and a resize
to the same size or (``nearest``) by whole factors. Everything else, an interpolation by weights
that depend on the backend's kernels, is refused with a message that names the member.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..profile import Config
from ._kernel import Builder, Ctx, Kernel, axis_index, unary

# Keras' backend.epsilon(): Normalization divides by max(sqrt(variance), EPSILON).
EPSILON = 1e-7

# Interpolations whose resize to the input's own size returns the input unchanged (measured in Keras 3
# with TensorFlow; lanczos, gaussian and mitchellcubic kernels do not).
SAME_SIZE_EXACT = ("bilinear", "nearest", "bicubic", "area")


def _constant(cfg: Config, member: str, default: Any) -> np.ndarray:
    """A config member that is a number or a rectangular nested list of numbers, as a float64 array."""
    value = cfg.raw(member, default)
    try:
        array = np.array(value, dtype=np.float64)
        ok = array.size > 0 and not _has_bool(value)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        cfg.refuse(member, "is not a number or a rectangular list of numbers")
        return np.zeros(())
    return array


def _has_bool(value: Any) -> bool:
    if isinstance(value, list):
        return any(_has_bool(v) for v in value)
    return isinstance(value, bool) or not isinstance(value, (int, float))


def _broadcast(x: np.ndarray, c: np.ndarray, what: str, ctx: Ctx) -> None:
    if c.ndim > x.ndim or any(a != b and a != 1 for a, b in zip(c.shape[::-1], x.shape[::-1])):
        ctx.unfit(f"{what} of shape {list(c.shape)} does not broadcast to an input of shape {list(x.shape)}")


def build_rescaling(cfg: Config) -> Kernel:
    cfg.required("scale")
    scale = _constant(cfg, "scale", 1.0)
    offset = _constant(cfg, "offset", 0.0)

    def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
        # Keras casts scale and offset to the layer's dtype before x * scale + offset.
        s, o = (ctx.float(c.astype(ctx.policy)) for c in (scale, offset))
        _broadcast(x, s, "scale", ctx)
        _broadcast(x, o, "offset", ctx)
        return np.asarray(ctx.float(x) * s + o)

    return unary(run)


def build_normalization(cfg: Config) -> Kernel:
    raw: Any = cfg.raw("axis", -1)
    axes: list[int] = [] if raw is None else raw if isinstance(raw, list) else [raw]
    if len(set(axes)) != len(axes) or any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
        cfg.refuse("axis", "is not null, an integer or a list of distinct integers")
        axes = [-1]
    invert = cfg.flag("invert", False)
    given = cfg.raw("mean", None) is not None or cfg.raw("variance", None) is not None
    mean = _constant(cfg, "mean", None) if given else np.zeros(())
    variance = _constant(cfg, "variance", None) if given else np.ones(())
    if mean.shape != variance.shape:
        cfg.refuse("variance", f"has shape {list(variance.shape)}, mean has {list(mean.shape)}")

    def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
        kept = sorted({axis_index(a, x.ndim, ctx) for a in axes})
        shape = [x.shape[a] if a in kept else 1 for a in range(x.ndim)]  # the statistics broadcast along the rest
        if given:
            m, v = mean, variance
            if m.ndim > len(kept) or any(s not in (1, x.shape[a]) for s, a in zip(m.shape[::-1], kept[::-1])):
                ctx.unfit(f"mean of shape {list(m.shape)} does not fit the kept axes {kept} of {list(x.shape)}")
            # The constants' axes are the last kept axes (aligned from the right), then broadcast.
            at = [1] * x.ndim
            for s, a in zip(m.shape[::-1], kept[::-1]):
                at[a] = s
            m = ctx.float(m.reshape(at).astype(ctx.policy))
            v = ctx.float(v.reshape(at).astype(ctx.policy))
        else:
            sizes = tuple(x.shape[a] for a in kept)
            m = ctx.weight("mean", sizes).reshape(shape)
            v = ctx.weight("variance", sizes).reshape(shape)
            ctx.skip("count", ())
        spread = np.maximum(np.sqrt(v), EPSILON)
        value = ctx.float(x)
        return np.asarray(m + value * spread if invert else (value - m) / spread)

    return unary(run)


def _height_width(cfg: Config) -> tuple[int, int]:
    cfg.required("height", "width")
    cfg.channels_last()
    return cfg.integer("height", 1, minimum=1), cfg.integer("width", 1, minimum=1)


def build_center_crop(cfg: Config) -> Kernel:
    height, width = _height_width(cfg)

    def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
        if x.ndim != 4:
            ctx.unfit(f"takes (batch, height, width, channels), got rank {x.ndim}")
        h, w = x.shape[1:3]
        if height > h or width > w:
            ctx.unfit(f"height={height}, width={width}: a crop larger than the input {h}x{w} (Keras resizes "
                      "then, which is outside the core profile)")
        top, left = (h - height) // 2, (w - width) // 2
        return ctx.float(x[:, top:top + height, left:left + width, :])  # Keras casts to the layer's dtype

    return unary(run)


def build_resizing(cfg: Config) -> Kernel:
    height, width = _height_width(cfg)
    interpolation = cfg.choice("interpolation", "bilinear", SAME_SIZE_EXACT)
    for member in ("crop_to_aspect_ratio", "pad_to_aspect_ratio", "antialias"):
        cfg.require(member, (False,), "is not supported (only false)")

    def axis(x: np.ndarray, a: int, out: int, ctx: Ctx) -> np.ndarray:
        n = x.shape[a]
        if out == n:
            return x
        if interpolation == "nearest" and out % n == 0:
            return np.repeat(x, out // n, axis=a)  # each position repeated k times
        if interpolation == "nearest" and n % out == 0:
            k = n // out
            return np.asarray(np.take(x, np.arange(out) * k + k // 2, axis=a))  # the middle (rounded up) of each block
        ctx.unfit(f"interpolation={interpolation!r} from {n} to {out} positions is not exact (only the same "
                  "size, or 'nearest' by a whole factor)")

    def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
        if x.ndim != 4:
            ctx.unfit(f"takes (batch, height, width, channels), got rank {x.ndim}")
        return axis(axis(x, 1, height, ctx), 2, width, ctx)

    return unary(run)


def build_layer_scale(cfg: Config) -> Kernel:
    # init_values and projection_dim only set up the weight; the weight is what counts.
    def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
        gamma = ctx.weight("gamma", (x.shape[-1],))
        return np.asarray(ctx.float(x) * gamma)

    return unary(run)


def build_custom_scale(cfg: Config) -> Kernel:
    cfg.required("scale")
    scale = cfg.number("scale", 1.0)

    def run(xs: list[np.ndarray], ctx: Ctx) -> list[np.ndarray]:
        if len(xs) != 2:
            ctx.unfit(f"takes two inputs, the call passes {len(xs)}")
        a, b = xs
        if a.ndim != b.ndim or any(m != n and 1 not in (m, n) for m, n in zip(a.shape, b.shape)):
            ctx.unfit(f"inputs of shapes {[list(x.shape) for x in xs]} do not broadcast")
        ctx.done()
        # Keras: inputs[0] + inputs[1] * scale, the Python float taking the layer's dtype.
        s = float(np.float64(scale).astype(ctx.policy))
        return [np.asarray(ctx.float(a) + ctx.float(b) * s)]

    return run


PREPROCESSING: dict[str, Builder] = {
    "Rescaling": build_rescaling,
    "Normalization": build_normalization,
    "CenterCrop": build_center_crop,
    "Resizing": build_resizing,
    "LayerScale": build_layer_scale,
    "CustomScaleLayer": build_custom_scale,
}
# Layers of this module that take two inputs (the rest take one).
TWO_INPUTS = ("CustomScaleLayer",)
