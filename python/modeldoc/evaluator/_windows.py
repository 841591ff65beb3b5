"""Sliding windows over the spatial axes of a channels_last tensor: padding and strided views.

Shared by convolution and pooling so that both pad the same way (spec.md 15.5):
``same`` pads ``total = max((ceil(n / s) - 1) * s + k - n, 0)`` with
``total // 2`` before and the rest (the extra one) after; ``causal`` pads
``k - 1`` before and nothing after; ``k`` is the dilated kernel size
``(kernel - 1) * dilation + 1``.
"""

from __future__ import annotations

import itertools
from typing import Iterator

import numpy as np

from ._kernel import Ctx


def dilated(kernel: int, dilation: int) -> int:
    return (kernel - 1) * dilation + 1


def pads(padding: str, sizes: tuple[int, ...], kernel: list[int], strides: list[int],
         dilations: list[int]) -> list[tuple[int, int]]:
    """(before, after) per spatial axis for ``valid``, ``same`` or ``causal`` padding."""
    out = []
    for n, k, s, d in zip(sizes, kernel, strides, dilations):
        k = dilated(k, d)
        if padding == "same":
            total = max((-(-n // s) - 1) * s + k - n, 0)
            out.append((total // 2, total - total // 2))
        elif padding == "causal":
            out.append((k - 1, 0))
        else:
            out.append((0, 0))
    return out


def pad(x: np.ndarray, spatial: list[tuple[int, int]], value: float = 0.0) -> np.ndarray:
    """``x`` (batch, *spatial, channels) padded on its spatial axes with ``value``."""
    if not any(b or a for b, a in spatial):
        return x
    return np.pad(x, [(0, 0), *spatial, (0, 0)], constant_values=value)


def out_sizes(sizes: tuple[int, ...], kernel: list[int], strides: list[int], dilations: list[int],
              ctx: Ctx) -> list[int]:
    out = [(n - dilated(k, d)) // s + 1 for n, k, s, d in zip(sizes, kernel, strides, dilations)]
    if any(m <= 0 for m in out):
        ctx.unfit(f"the (padded) input {list(sizes)} is smaller than the window {kernel}")
    return out


def windows(x: np.ndarray, kernel: list[int], strides: list[int], dilations: list[int],
            ctx: Ctx) -> Iterator[tuple[tuple[int, ...], np.ndarray]]:
    """For each kernel offset, the input values it meets: a view (batch, *output spatial, channels)."""
    out = out_sizes(x.shape[1:-1], kernel, strides, dilations, ctx)
    for offsets in itertools.product(*[range(k) for k in kernel]):
        index = tuple(slice(o * d, o * d + (m - 1) * s + 1, s) for o, d, m, s in zip(offsets, dilations, out, strides))
        yield offsets, x[(slice(None), *index, slice(None))]
