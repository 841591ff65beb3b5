"""Recurrent layers: LSTM, GRU and SimpleRNN as ONNX LSTM, GRU and RNN.

The weights are rearranged once, at export:

- Keras stores ``kernel`` [in, gates*units] and ``recurrent_kernel`` [units, gates*units];
  ONNX wants W [1, gates*units, in] and R [1, gates*units, units] (transposed, one direction).
- LSTM gate blocks are i, f, c, o in Keras and i, o, f, c in ONNX.
- GRU gate blocks are z, r, h in both. Keras' ``reset_after=True`` (the Keras 2.x+
  default) applies the reset gate after the recurrent matmul: ONNX
  ``linear_before_reset=1``, with the input bias as Wb and the recurrent bias as Rb
  (Keras' bias [2, 3*units]); ``reset_after=False`` has one bias, Rb is zero.
- Keras is batch-major [batch, time, features], the ONNX ops time-major: a Transpose
  goes before the op, and after it when the whole sequence is returned.
- ``go_backwards`` processes the steps T-1 .. 0 and returns the sequence in that
  processing order (spec 15.10, as Keras). ONNX's direction="reverse" would put
  each output back at its own time position, so instead the input is reversed
  (Slice with step -1) and the op runs forward.
- With a mask (spec.md 15.12) the layer is a Scan instead (``_scan``): the ONNX ops cannot skip a step in
  the middle of a sequence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ModelDocError
from ..flatgraph import Call
from ._activations import keras_name
from ._builder import Builder, Value
from ._config import Config, Op, Unsupported, compute_dtype
from ._masks import as_bool
from ._scan import Cell, scan

# Keras activation -> (ONNX RNN activation, alpha, beta); alpha/beta only where the function takes them.
_RNN_ACTIVATIONS: dict[str, tuple[str, float | None, float | None]] = {
    "tanh": ("Tanh", None, None),
    "sigmoid": ("Sigmoid", None, None),
    "relu": ("Relu", None, None),
    "hard_sigmoid": ("HardSigmoid", 1.0 / 6.0, 0.5),  # Keras 3: relu6(x + 3) / 6
    "hard_sigmoid_keras2": ("HardSigmoid", 0.2, 0.5),  # Keras 2: clip(0.2 x + 0.5, 0, 1)
    "linear": ("Affine", 1.0, 0.0),
    "softsign": ("Softsign", None, None),
    "softplus": ("Softplus", None, None),
}

_GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}
_STATES = {"LSTM": 2, "GRU": 1, "SimpleRNN": 1}
_LSTM_ORDER = [0, 3, 1, 2]  # ONNX i, o, f, c taken from Keras i, f, c, o
_BEFORE_START = -(2**63)  # a Slice end that, with step -1, includes index 0 whatever the length


@dataclass(frozen=True)
class _Rnn:
    type: str
    units: int
    activations: list[str]
    return_sequences: bool
    return_state: bool
    go_backwards: bool
    reset_after: bool
    zero_output_for_mask: bool
    weights: dict[str, np.ndarray]
    dtype: np.dtype[Any] | None


def _activation(cfg: Config, key: str, default: str) -> str:
    value = keras_name(cfg.get(key, default))
    if not isinstance(value, str) or value not in _RNN_ACTIVATIONS:
        cfg.reject(key, f"{cfg.type} {key} {value!r} is not one the ONNX recurrent ops offer "
                   f"(supported: {', '.join(sorted(_RNN_ACTIVATIONS))})")
        return default
    return str(value)


def _parse(cfg: Config) -> _Rnn:
    t = cfg.type
    units = cfg.integer("units", 1, minimum=1)
    act = _activation(cfg, "activation", "tanh")
    activations = [act] if t == "SimpleRNN" else [_activation(cfg, "recurrent_activation", "sigmoid"), act]
    if t == "LSTM":
        activations.append(act)  # ONNX LSTM: f (gates), g (cell input), h (cell output)
    why = {"stateful": "state kept between batches has no ONNX form",
           "time_major": "only batch-major input is exported"}
    for key, reason in why.items():
        cfg.must_be(key, (False, None), reason)
    reset_after = cfg.flag("reset_after", True) if t == "GRU" else False
    w = cfg.catalogue_weights()
    if cfg.has("use_bias") and cfg.flag("use_bias", True) != ("bias" in w):
        cfg.reject("use_bias", f"use_bias={cfg.get('use_bias')} but the layer lists {len(w)} weights")
    g = _GATES[t]
    bias_shape = (2, g * units) if reset_after else (g * units,)
    kernel, recurrent = w["kernel"], w["recurrent_kernel"]
    if (kernel.ndim != 2 or kernel.shape[1] != g * units or recurrent.shape != (units, g * units)
            or ("bias" in w and w["bias"].shape != bias_shape)):
        shapes = ", ".join(f"{k} {list(v.shape)}" for k, v in w.items())
        cfg.reject_at("/weights", f"{t} with {units} units needs kernel [in, {g * units}], "
                      f"recurrent_kernel [{units}, {g * units}], bias {list(bias_shape)}; found {shapes}")
        raise Unsupported
    return _Rnn(t, units, activations, cfg.flag("return_sequences", False), cfg.flag("return_state", False),
                cfg.flag("go_backwards", False), reset_after, cfg.flag("zero_output_for_mask", False), w,
                cfg.float_weights(w))


def _onnx_matrix(m: np.ndarray, gates: int, order: list[int] | None) -> np.ndarray:
    """Keras [rows, gates*units] -> ONNX [1, gates*units, rows], gate blocks reordered."""
    blocks = np.split(m, gates, axis=1)
    if order is not None:
        blocks = [blocks[i] for i in order]
    return np.expand_dims(np.concatenate(blocks, axis=1).T, 0)


def _onnx_bias(p: _Rnn, gates: int, order: list[int] | None) -> np.ndarray:
    bias = p.weights["bias"]
    wb, rb = (bias[0], bias[1]) if p.reset_after else (bias, np.zeros_like(bias))
    if order is not None:
        wb = np.concatenate([np.split(wb, gates)[i] for i in order])
        rb = np.concatenate([np.split(rb, gates)[i] for i in order])
    return np.expand_dims(np.concatenate([wb, rb]), 0)


def _emit(b: Builder, p: _Rnn, xs: list[Value], call: Call) -> list[Value]:
    h, key = call.path, id(call.layer)
    n_states = _STATES[p.type]
    if len(xs) not in (1, 1 + n_states):
        raise ModelDocError.of("ONNX_UNSUPPORTED", call.pointer,
                               f"{p.type} called with {len(xs)} inputs (the sequence, optionally with "
                               f"{n_states} initial states)")
    x = b.cast(xs[0], compute_dtype(p.dtype, xs), h)
    if b.extras.mask is not None:
        return _emit_masked(b, p, x, xs[1:], call)
    gates = _GATES[p.type]
    order = _LSTM_ORDER if p.type == "LSTM" else None
    w = b.const(_onnx_matrix(p.weights["kernel"], gates, order), f"{h}/W", key=(key, "W"))
    r = b.const(_onnx_matrix(p.weights["recurrent_kernel"], gates, order), f"{h}/R", key=(key, "R"))
    seq = x.name
    if p.go_backwards:  # time steps last to first: Slice from -1 down past the start
        seq = b.op("Slice", [seq, b.ints([-1], h), b.ints([_BEFORE_START], h), b.ints([1], h), b.ints([-1], h)], h)
    inputs = [b.transpose(seq, [1, 0, 2], h), w, r]
    inputs.append(b.const(_onnx_bias(p, gates, order), f"{h}/B", key=(key, "B")) if "bias" in p.weights else "")
    if len(xs) > 1:
        inputs.append("")  # sequence_lens: every sequence has the full length
        inputs += [b.unsqueeze(b.cast(s, x.dtype, h).name, [0], h) for s in xs[1:]]
    onnx_acts = [_RNN_ACTIVATIONS[a] for a in p.activations]
    attrs: dict[str, Any] = {"hidden_size": p.units, "activations": [a[0] for a in onnx_acts]}
    alphas = [a[1] for a in onnx_acts if a[1] is not None]
    betas = [a[2] for a in onnx_acts if a[2] is not None]
    if alphas:
        attrs["activation_alpha"] = alphas
    if betas:
        attrs["activation_beta"] = betas
    if p.type == "GRU":
        attrs["linear_before_reset"] = int(p.reset_after)
    op = {"LSTM": "LSTM", "GRU": "GRU", "SimpleRNN": "RNN"}[p.type]
    outs = b.op_multi(op, inputs, h, outputs=1 + n_states, **attrs)
    if p.return_sequences:  # Y [time, 1, batch, units] -> [batch, time, units]
        y = Value(b.transpose(b.squeeze(outs[0], [1], h), [1, 0, 2], h), x.dtype, 3)
    else:  # Y_h [1, batch, units] -> [batch, units]
        y = Value(b.squeeze(outs[1], [0], h), x.dtype, 2)
    if not p.return_state:
        return [y]
    return [y] + [Value(b.squeeze(s, [0], h), x.dtype, 2) for s in outs[1:]]


def _emit_masked(b: Builder, p: _Rnn, x: Value, initial: list[Value], call: Call) -> list[Value]:
    mask = b.extras.mask
    if not isinstance(mask, Value) or mask.rank not in (2, None):
        raise ModelDocError.of("ONNX_UNSUPPORTED", call.pointer, f"{p.type} reads one mask of shape (batch, time)")
    h = call.path
    g, r = p.activations[-1], p.activations[0]
    cell = Cell(p.type, p.units, g, r, p.reset_after, p.weights)
    states = [b.cast(s, x.dtype, h) for s in initial]
    out = scan(b, cell, x, states, as_bool(b, mask, h), go_backwards=p.go_backwards,
               zero_output=p.zero_output_for_mask, h=h, key=id(call.layer))
    y = out.sequence if p.return_sequences else out.last
    return [y, *out.states] if p.return_state else [y]


_BACKWARDS = " (go_backwards: Slice with step -1 first)"
OPS = {
    "LSTM": Op(_parse, _emit, "Transpose, LSTM (gates reordered i,f,c,o -> i,o,f,c), Squeeze, Transpose" + _BACKWARDS),
    "GRU": Op(_parse, _emit, "Transpose, GRU (linear_before_reset = reset_after), Squeeze, Transpose" + _BACKWARDS),
    "SimpleRNN": Op(_parse, _emit, "Transpose, RNN, Squeeze, Transpose" + _BACKWARDS),
}
