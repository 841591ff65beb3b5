"""SimpleRNN, LSTM and GRU over a whole sequence (spec.md 15.10).

One step function per cell maps (x_t, states) to (h_t, states); ``_scan``
runs it over the time axis the same way for all three.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..profile import Config
from ._activations import activation
from ._kernel import Ctx, Kernel

Step = Callable[[np.ndarray, list[np.ndarray]], tuple[np.ndarray, list[np.ndarray]]]


class _Recurrent:
    """The members the three recurrent layers share."""

    def __init__(self, cfg: Config, gated: bool) -> None:
        cfg.required("units")
        self.units = cfg.integer("units", 1, minimum=1)
        self.activation = activation(cfg, default="tanh")
        self.recurrent_activation = activation(cfg, "recurrent_activation", "sigmoid") if gated else self.activation
        self.use_bias = cfg.flag("use_bias", True)
        self.return_sequences = cfg.flag("return_sequences", False)
        self.return_state = cfg.flag("return_state", False)
        self.go_backwards = cfg.flag("go_backwards", False)
        # Only matters with a mask (spec.md 15.12): zeros, not the previous output, at masked steps.
        self.zero_output_for_mask = cfg.flag("zero_output_for_mask", False)
        cfg.require("stateful", (False,), "is not supported (a stateful layer depends on earlier calls)")
        cfg.require("time_major", (False,), "is not supported")

    def run(self, xs: list[np.ndarray], ctx: Ctx, n_states: int,
            make_step: Callable[[int, Ctx], Step], mask: np.ndarray | None = None) -> list[np.ndarray]:
        if len(xs) not in (1, 1 + n_states):
            ctx.unfit(f"takes a sequence and optionally {n_states} initial state(s), the call passes {len(xs)} inputs")
        x = ctx.float(xs[0])
        if x.ndim != 3 or x.shape[1] == 0:
            ctx.unfit(f"needs an input (batch, time > 0, features), got shape {list(x.shape)}")
        step = make_step(x.shape[-1], ctx)
        ctx.done()
        states = [ctx.float(s) for s in xs[1:]] or [np.zeros((x.shape[0], self.units), x.dtype)] * n_states
        if any(s.shape != (x.shape[0], self.units) for s in states):
            ctx.unfit(f"initial states must have shape {[x.shape[0], self.units]}")
        if mask is not None and mask.shape != x.shape[:2]:
            ctx.unfit(f"the mask has shape {list(mask.shape)}, the sequence {list(x.shape[:2])}")
        times = range(x.shape[1] - 1, -1, -1) if self.go_backwards else range(x.shape[1])
        outputs: list[np.ndarray] = []
        for t in times:
            h, new_states = step(x[:, t], states)
            if mask is None:
                states = new_states
            else:
                # Keras 3: a masked step keeps every state, and its output is the previous step's output (zeros
                # before the first step), or zeros with zero_output_for_mask.
                keep = (mask[:, t] != 0)[:, None]
                states = [np.where(keep, n, s) for n, s in zip(new_states, states)]
                previous = outputs[-1] if outputs and not self.zero_output_for_mask else np.zeros_like(h)
                h = np.where(keep, h, previous)
            outputs.append(h)
        # With go_backwards the sequence output stays in processing order (last time step first), as in Keras.
        out = np.stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        return [out, *states] if self.return_state else [out]


def _weights(ctx: Ctx, features: int, units: int, gates: int, use_bias: bool,
             bias_rows: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    kernel = ctx.weight("kernel", (features, gates * units))
    recurrent = ctx.weight("recurrent_kernel", (units, gates * units))
    shape = (gates * units,) if bias_rows == 1 else (bias_rows, gates * units)
    bias = ctx.weight("bias", shape) if use_bias else np.zeros(shape, kernel.dtype)
    return kernel, recurrent, bias


def build_simple_rnn(cfg: Config) -> Kernel:
    r = _Recurrent(cfg, gated=False)

    def make_step(features: int, ctx: Ctx) -> Step:
        kernel, recurrent, bias = _weights(ctx, features, r.units, 1, r.use_bias)

        def step(x: np.ndarray, states: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
            h = r.activation(x @ kernel + bias + states[0] @ recurrent)
            return h, [h]

        return step

    return _kernel(r, 1, make_step)


def build_lstm(cfg: Config) -> Kernel:
    r = _Recurrent(cfg, gated=True)
    u = r.units

    def make_step(features: int, ctx: Ctx) -> Step:
        kernel, recurrent, bias = _weights(ctx, features, u, 4, r.use_bias)

        def step(x: np.ndarray, states: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
            h, c = states
            z = x @ kernel + h @ recurrent + bias
            # Kernel columns: input gate, forget gate, cell candidate, output gate.
            i = r.recurrent_activation(z[:, :u])
            f = r.recurrent_activation(z[:, u:2 * u])
            c = f * c + i * r.activation(z[:, 2 * u:3 * u])
            o = r.recurrent_activation(z[:, 3 * u:])
            h = o * r.activation(c)
            return h, [h, c]

        return step

    return _kernel(r, 2, make_step)


def build_gru(cfg: Config) -> Kernel:
    r = _Recurrent(cfg, gated=True)
    reset_after = cfg.flag("reset_after", True)
    u = r.units

    def make_step(features: int, ctx: Ctx) -> Step:
        kernel, recurrent, bias = _weights(ctx, features, u, 3, r.use_bias, 2 if reset_after else 1)
        # reset_after: bias row 0 is added to x @ kernel, row 1 to h @ recurrent_kernel.
        input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, np.zeros_like(bias))

        def step(x: np.ndarray, states: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
            h = states[0]
            # Kernel columns: update gate z, reset gate r, candidate.
            xz = x @ kernel + input_bias
            hz = h @ recurrent[:, :2 * u] + recurrent_bias[:2 * u]
            z = r.recurrent_activation(xz[:, :u] + hz[:, :u])
            reset = r.recurrent_activation(xz[:, u:2 * u] + hz[:, u:])
            if reset_after:
                candidate_h = reset * (h @ recurrent[:, 2 * u:] + recurrent_bias[2 * u:])
            else:
                candidate_h = (reset * h) @ recurrent[:, 2 * u:]
            candidate = r.activation(xz[:, 2 * u:] + candidate_h)
            h = z * h + (1 - z) * candidate
            return h, [h]

        return step

    return _kernel(r, 1, make_step)


def _kernel(r: _Recurrent, n_states: int, make_step: Callable[[int, Ctx], Step]) -> Kernel:
    def kernel(xs: list[np.ndarray], ctx: Ctx) -> list[np.ndarray]:
        mask = ctx.mask
        if isinstance(mask, list):
            ctx.unfit("takes one mask, the call passes a list")
        return r.run(xs, ctx, n_states, make_step, None if mask is None else np.asarray(mask))

    return kernel


# Each recurrent builder also returned its _Recurrent, for Bidirectional (spec.md 15.13).
RECURRENT_STATES = {"SimpleRNN": 1, "LSTM": 2, "GRU": 1}
