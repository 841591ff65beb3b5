"""Bidirectional and TimeDistributed (spec.md 15.13): a wrapped layer's config inside the wrapper's, its
weights in the wrapper's list."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..profile import Config, weight_names
from ._kernel import Builder, Ctx, Kernel
from ._masking import RECURRENT

# Types TimeDistributed may wrap are looked up in the registry at build time (it imports this module).
Lookup = Callable[[str], "Builder | None"]
_NOT_WRAPPABLE = frozenset((*RECURRENT, "Bidirectional", "TimeDistributed", "MultiHeadAttention", "Attention",
                            "AdditiveAttention", "Masking", "ops.numpy.NotEqual", "ops.numpy.Any"))


def _inner(cfg: Config, member: str, allowed: Any) -> tuple[str, dict[str, Any]] | None:
    """The wrapped layer's class name and config, or None (refused) if it is not a layer of ``allowed``."""
    value = cfg.raw(member, None)
    if (not isinstance(value, dict) or not isinstance(value.get("config", {}), dict)
            or value.get("class_name") not in allowed):
        cfg.refuse(member, "is not a wrapped layer the core profile allows here")
        return None
    return str(value["class_name"]), dict(value.get("config", {}))


def _same_policy(cfg: Config, inner: Config, member: str) -> None:
    if inner.policy(quiet=True) != cfg.policy(quiet=True):
        cfg.refuse(member, "has another dtype policy than its wrapper")


def pair_problems(forward: dict[str, Any], backward: dict[str, Any]) -> list[tuple[str, str]]:
    """The member (``layer`` or ``backward_layer``) and the reason, for each way the two configs of a
    Bidirectional do not pair up (spec.md 15.13); the ONNX exporter checks the same.

    >>> pair_problems({"units": 2}, {"units": 2, "go_backwards": True})
    []
    >>> [member for member, _ in pair_problems({"return_sequences": True}, {"go_backwards": False})]
    ['backward_layer', 'backward_layer']
    """
    problems = []
    for member, c in (("layer", forward), ("backward_layer", backward)):
        for shared in ("return_sequences", "return_state", "stateful"):
            if c.get(shared, False) != forward.get(shared, False):
                problems.append((member, f"differs from the forward layer in {shared}"))
    if (forward.get("go_backwards", False) is True) == (backward.get("go_backwards", False) is True):
        problems.append(("backward_layer", "has the forward layer's go_backwards"))
    return problems


def build_bidirectional(lookup: Lookup) -> Builder:
    def build(cfg: Config) -> Kernel:
        merge_mode = cfg.raw("merge_mode", "concat")
        if merge_mode not in ("concat", "sum", "mul", "ave", None):
            cfg.refuse("merge_mode", "is not concat, sum, mul, ave or null")
            merge_mode = "concat"
        forward = _inner(cfg, "layer", RECURRENT)
        if forward is None:
            return lambda xs, ctx: ctx.unfit("is refused")
        kind, fwd_cfg = forward
        backward = _inner(cfg, "backward_layer", (kind,)) if cfg.raw("backward_layer", None) is not None else None
        # Without backward_layer Keras copies the forward config with go_backwards flipped to true.
        bwd_cfg = backward[1] if backward else {**fwd_cfg, "go_backwards": True}
        sequences = fwd_cfg.get("return_sequences", False) is True
        return_state = fwd_cfg.get("return_state", False) is True
        for member, why in pair_problems(fwd_cfg, bwd_cfg):
            cfg.refuse(member, why)
        kernels = []
        for member, c in (("layer", fwd_cfg), ("backward_layer", bwd_cfg)):
            # Keras forces zero_output_for_mask to return_sequences in both wrapped layers.
            inner = Config({**c, "zero_output_for_mask": sequences}, f"{cfg.pointer}/config/{member}", kind)
            builder = lookup(kind)
            assert builder is not None
            kernels.append(builder(inner))
            _same_policy(cfg, inner, member)
            cfg.findings.extend(inner.findings)
        n_weights = len(weight_names(kind, fwd_cfg))
        n_states = 2 if kind == "LSTM" else 1

        def kernel(xs: list[np.ndarray], ctx: Ctx) -> list[np.ndarray]:
            if len(xs) not in (1, 1 + 2 * n_states):
                ctx.unfit(f"takes a sequence and optionally {2 * n_states} initial states, the call passes {len(xs)}")
            states = xs[1:]
            results = []
            for k, (run, part) in enumerate(zip(kernels, (slice(0, n_weights), slice(n_weights, None)))):
                sub = ctx.sub(part.start, part.stop, f"{ctx.layer_type}/{kind}")
                sub.mask = ctx.mask
                given = states[k * n_states:(k + 1) * n_states]
                # Each wrapped layer is a layer of its own: its results are rounded to the policy (spec.md 15.2).
                results.append([np.asarray(r).astype(ctx.policy).astype(ctx.compute)
                                for r in run([xs[0], *given], sub)])
            (y, *fwd_states), (y_rev, *bwd_states) = results
            if sequences:
                y_rev = y_rev[:, ::-1]  # back in time order
            if merge_mode == "concat":
                merged = [np.concatenate([y, y_rev], axis=-1)]
            elif merge_mode == "sum":
                merged = [y + y_rev]
            elif merge_mode == "mul":
                merged = [y * y_rev]
            elif merge_mode == "ave":
                merged = [(y + y_rev) / 2]
            else:
                merged = [y, y_rev]
            return merged + (fwd_states + bwd_states if return_state else [])

        return kernel

    return build


def build_time_distributed(lookup: Lookup) -> Builder:
    def build(cfg: Config) -> Kernel:
        value = cfg.raw("layer", None)
        kind = value.get("class_name") if isinstance(value, dict) else None
        builder = lookup(kind) if isinstance(kind, str) and kind not in _NOT_WRAPPABLE else None
        if builder is None or not isinstance(value, dict) or not isinstance(value.get("config", {}), dict):
            cfg.refuse("layer", "is not a layer of the core profile that TimeDistributed may wrap")
            return lambda xs, ctx: ctx.unfit("is refused")
        inner_cfg = dict(value.get("config", {}))
        if kind == "Embedding" and inner_cfg.get("mask_zero") is True:
            cfg.refuse("layer", "is an Embedding with mask_zero (its mask is not defined per step)")
        inner = Config(inner_cfg, f"{cfg.pointer}/config/layer", str(kind))
        run = builder(inner)
        _same_policy(cfg, inner, "layer")
        cfg.findings.extend(inner.findings)

        def kernel(xs: list[np.ndarray], ctx: Ctx) -> list[np.ndarray]:
            if len(xs) != 1 or xs[0].ndim < 3:
                ctx.unfit("needs one input of rank >= 3 (batch, time, ...)")
            x = xs[0]
            steps = []
            for t in range(x.shape[1]):
                # The wrapped layer's formula on each time step, as Keras calls it on x[:, t].
                sub = ctx.sub(0, None, f"{ctx.layer_type}/{kind}")
                steps.append(run([x[:, t]], sub)[0])
            if not steps:
                ctx.unfit("needs at least one time step")
            return [np.stack(steps, axis=1)]

        return kernel

    return build
