"""MultiHeadAttention, Attention, AdditiveAttention and GroupNormalization (spec.md 15.14)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..profile import Config
from ._activations import softmax
from ._kernel import Ctx, Kernel, axis_index, unary

# Keras' TensorFlow attention kernel puts this in place of a masked score (-0.7 times the largest float32), so
# a row with every position masked weighs all positions alike.
MASKED_SCORE = -0.7 * 3.38953e38


def _causal(t: int, s: int) -> np.ndarray:
    return np.tril(np.ones((t, s), bool))


def build_multi_head_attention(cfg: Config) -> Kernel:
    cfg.required("num_heads", "key_dim")
    heads = cfg.integer("num_heads", 1, minimum=1)
    key_dim = cfg.integer("key_dim", 1, minimum=1)
    value_dim = cfg.integer("value_dim", key_dim, minimum=1) if cfg.raw("value_dim", None) is not None else key_dim
    use_bias = cfg.flag("use_bias", True)
    cfg.require("output_shape", (None,), "is not supported (only the query's feature size)")
    cfg.require("attention_axes", (None, [1], 1), "is not supported (only attention over axis 1)")
    cfg.require("use_gate", (False,), "is not supported")
    cfg.require("sliding_window", (None,), "is not supported")

    def kernel(xs: list[np.ndarray], ctx: Ctx) -> list[np.ndarray]:
        q_in, v_in = ctx.named.get("query"), ctx.named.get("value")
        if q_in is None or v_in is None:
            ctx.unfit("takes a query and a value")
        k_in = ctx.named.get("key", v_in)
        if q_in.ndim != 3 or v_in.ndim != 3 or k_in.ndim != 3 or v_in.shape[:2] != k_in.shape[:2] \
                or q_in.shape[0] != v_in.shape[0]:
            ctx.unfit("needs query (batch, T, dim), value and key (batch, S, dim)")
        q_in, v_in, k_in = ctx.float(q_in), ctx.float(v_in), ctx.float(k_in)
        out_dim = q_in.shape[-1]

        def project(x: np.ndarray, role: str, size: int) -> np.ndarray:
            y = np.einsum("btd,dnh->btnh", x, ctx.weight(f"{role}/kernel", (x.shape[-1], heads, size)))
            return np.asarray(y + ctx.weight(f"{role}/bias", (heads, size))) if use_bias else y

        q = project(q_in, "query", key_dim)
        k = project(k_in, "key", key_dim)
        v = project(v_in, "value", value_dim)
        w_out = ctx.weight("attention_output/kernel", (heads, value_dim, out_dim))
        b_out = ctx.weight("attention_output/bias", (out_dim,)) if use_bias else None
        ctx.done()
        scores = np.einsum("btnh,bsnh->bnts", q, k) / np.sqrt(key_dim)
        allowed = np.ones((q.shape[0], 1, q.shape[1], k.shape[1]), bool)
        if "attention_mask" in ctx.named:
            m = np.asarray(ctx.named["attention_mask"]) != 0
            if m.ndim != 3 or m.shape[1:] != (q.shape[1], k.shape[1]) or m.shape[0] not in (1, q.shape[0]):
                ctx.unfit(f"attention_mask has shape {list(m.shape)}, not (batch, T, S)")
            allowed = allowed & m[:, None]
        if ctx.flags.get("use_causal_mask"):
            allowed = allowed & _causal(q.shape[1], k.shape[1])
        weights = softmax(np.where(allowed, scores, MASKED_SCORE), axis=-1)
        y = np.einsum("bnhd,hde->bne", np.einsum("bnts,bsnh->btnh", weights, v), w_out)
        return [y + b_out if b_out is not None else y]

    return kernel


def _attention_inputs(xs: list[np.ndarray], ctx: Ctx) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if len(xs) not in (2, 3) or any(x.ndim != 3 for x in xs):
        ctx.unfit("takes [query, value] or [query, value, key], each (batch, steps, dim)")
    q, v = ctx.float(xs[0]), ctx.float(xs[1])
    k = ctx.float(xs[2]) if len(xs) == 3 else v
    if k.shape[:2] != v.shape[:2] or q.shape[0] != v.shape[0] or q.shape[-1] != k.shape[-1]:
        ctx.unfit("query, value and key do not fit together")
    return q, v, k


def _apply_scores(scores: np.ndarray, v: np.ndarray, ctx: Ctx, causal: bool) -> np.ndarray:
    """Keras' Attention._apply_scores: masked scores lowered by 1e9, softmax over the value steps, then the
    query mask zeroes whole output rows."""
    masks = ctx.mask if isinstance(ctx.mask, list) else [None, None]
    q_mask, v_mask = (None if m is None else np.asarray(m) != 0 for m in masks[:2])
    allowed = None if v_mask is None else v_mask[:, None, :]
    if causal:
        c = _causal(scores.shape[1], scores.shape[2])[None]
        allowed = c if allowed is None else allowed & c
    if allowed is not None:
        # In the policy dtype, as Keras subtracts: 1e9 swamps a float32 score.
        scores = np.where(allowed, scores, (scores.astype(ctx.policy) - ctx.policy.type(1e9)).astype(ctx.compute))
    y = softmax(scores, axis=-1) @ v
    if q_mask is not None:
        y = np.where(q_mask[:, :, None], y, 0.0)
    return np.asarray(y)


def build_attention(cfg: Config) -> Kernel:
    use_scale = cfg.flag("use_scale", False)
    score_mode = cfg.choice("score_mode", "dot", ("dot", "concat"))

    def kernel(xs: list[np.ndarray], ctx: Ctx) -> list[np.ndarray]:
        q, v, k = _attention_inputs(xs, ctx)
        scale = ctx.weight("scale", ()) if use_scale else None
        concat_weight = ctx.weight("concat_score_weight", ()) if score_mode == "concat" else None
        ctx.done()
        if score_mode == "dot":
            scores = q @ np.swapaxes(k, 1, 2)
            if scale is not None:
                scores = scores * scale
        else:
            summed = q[:, :, None, :] + k[:, None, :, :]
            assert concat_weight is not None
            scores = concat_weight * np.tanh(summed * scale if scale is not None else summed).sum(axis=-1)
        return [_apply_scores(scores, v, ctx, bool(ctx.flags.get("use_causal_mask")))]

    return kernel


def build_additive_attention(cfg: Config) -> Kernel:
    use_scale = cfg.flag("use_scale", True)

    def kernel(xs: list[np.ndarray], ctx: Ctx) -> list[np.ndarray]:
        q, v, k = _attention_inputs(xs, ctx)
        scale = ctx.weight("scale", (q.shape[-1],)) if use_scale else 1.0
        ctx.done()
        scores = (scale * np.tanh(q[:, :, None, :] + k[:, None, :, :])).sum(axis=-1)
        return [_apply_scores(scores, v, ctx, bool(ctx.flags.get("use_causal_mask")))]

    return kernel


def build_group_norm(cfg: Config) -> Kernel:
    groups = cfg.integer("groups", 32, minimum=1)
    axis: Any = cfg.integer("axis", -1, minimum=-1)
    if axis == 0:
        cfg.refuse("axis", "is the batch axis")
    epsilon = cfg.number("epsilon", 1e-3, minimum=0)
    center = cfg.flag("center", True)
    scale = cfg.flag("scale", True)

    def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
        a = axis_index(axis, x.ndim, ctx)
        c = x.shape[a]
        if a == 0 or c % groups:
            ctx.unfit(f"groups={groups} does not divide the {c} channels of axis {a}")
        gamma = ctx.weight("gamma", (c,)) if scale else None
        beta = ctx.weight("beta", (c,)) if center else None
        v = np.moveaxis(ctx.float(x), a, -1)
        shape = v.shape
        g = v.reshape(shape[0], -1, groups, c // groups)  # (batch, other positions, group, channel in group)
        mean = g.mean(axis=(1, 3), keepdims=True)
        variance = ((g - mean) ** 2).mean(axis=(1, 3), keepdims=True)
        y = ((g - mean) / np.sqrt(variance + epsilon)).reshape(shape)
        if gamma is not None:
            y = y * gamma
        if beta is not None:
            y = y + beta
        return np.asarray(np.moveaxis(y, -1, a))

    return unary(run)
