"""Dense and Embedding (spec.md 15.4)."""

from __future__ import annotations

import numpy as np

from ..errors import ModelDocError
from ..profile import Config
from ._activations import activation
from ._kernel import Ctx, Kernel, unary

# Members whose non-default value means weights the core profile does not describe.
_NO_EXTRAS = {"quantization_config": (None,), "lora_rank": (None, 0)}


def _plain(cfg: Config) -> None:
    for member, allowed in _NO_EXTRAS.items():
        cfg.require(member, allowed)


def build_dense(cfg: Config) -> Kernel:
    _plain(cfg)
    cfg.required("units")
    units = cfg.integer("units", 1, minimum=1)
    use_bias = cfg.flag("use_bias", True)
    act = activation(cfg)

    def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
        if x.ndim < 2:
            ctx.unfit(f"needs an input of rank >= 2, got {x.ndim}")
        y = ctx.float(x) @ ctx.weight("kernel", (x.shape[-1], units))
        if use_bias:
            y = y + ctx.weight("bias", (units,))
        return act(y)

    return unary(run)


def build_embedding(cfg: Config) -> Kernel:
    _plain(cfg)
    cfg.flag("mask_zero", False)  # the mask it makes is attached to the output (spec.md 15.12)
    cfg.require("sparse", (False,), "is not supported")
    cfg.required("input_dim", "output_dim")
    input_dim = cfg.integer("input_dim", 1, minimum=1)
    output_dim = cfg.integer("output_dim", 1, minimum=1)

    def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
        table = ctx.weight("embeddings", (input_dim, output_dim))
        # Keras casts float ids to int32 (truncating toward zero).
        ids = x.astype(np.int64) if x.dtype.kind in "fb" else x
        if ids.size and (ids.min() < 0 or ids.max() >= input_dim):
            # Not a fault of the document: the ids come from the caller's input.
            raise ModelDocError.of("EVAL_INPUT", ctx.pointer, f"Embedding: ids range over [{ids.min()}, "
                                   f"{ids.max()}], the table has rows 0..{input_dim - 1}")
        return table[ids]

    return unary(run)
