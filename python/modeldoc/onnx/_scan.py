"""Masked recurrent layers as an ONNX Scan over the time steps (spec.md 15.10, 15.12).

ONNX's LSTM, GRU and RNN take ``sequence_lens``, which only describes padding at the end of each row. A Keras
mask may mark any step: a masked step keeps every state and outputs the previous step's output (zeros before
the first step, or always zeros with ``zero_output_for_mask``). So with a mask the cell is written out as the
body of a Scan, and Where picks, per batch row, the new or the kept values; that is exact for any mask.

The input projection ``x · kernel`` is one MatMul over all steps before the Scan; the body adds the recurrent
term and the biases in Keras' order (LSTM: ``x·W + h·R + b``; GRU and SimpleRNN: ``(x·W + b) + h·R``).
``go_backwards`` scans the steps last to first and stacks the outputs in that processing order, as Keras does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from onnx import helper

from ._activations import apply
from ._builder import Builder, Value


@dataclass(frozen=True)
class Cell:
    """One recurrent layer's cell: its type (LSTM, GRU or SimpleRNN), units, Keras activation names and weights
    as Keras stores them (kernel, recurrent_kernel, bias if any)."""

    type: str
    units: int
    activation: str
    recurrent_activation: str
    reset_after: bool
    weights: dict[str, np.ndarray]


@dataclass(frozen=True)
class Scanned:
    """What a masked recurrent layer gives: every step's output in processing order (batch, time, units), the
    last one, and the final states."""

    sequence: Value
    last: Value
    states: list[Value]


_STATES = {"LSTM": 2, "GRU": 1, "SimpleRNN": 1}


def _info(name: str, dtype: np.dtype[Any], width: int | None) -> Any:
    """A body value of shape (batch, width), or (batch,) for the mask step: shape inference needs the rank."""
    shape: list[int | None] = [None] if width is None else [None, width]
    return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(dtype), shape)


def _zeros(b: Builder, x: Value, units: int, h: str) -> Value:
    """Zeros of shape (batch, units), the batch taken from ``x`` at run time."""
    batch = b.op("Shape", [x.name], h, start=0, end=1)
    shape = b.op("Concat", [batch, b.ints([units], h)], h, axis=0)
    value = helper.make_tensor("value", helper.np_dtype_to_tensor_dtype(x.dtype), [1], [0])
    return Value(b.op("ConstantOfShape", [shape], h, value=value), x.dtype, 2)


def _split(s: Builder, z: str, parts: int, units: int, h: str) -> list[str]:
    if parts == 1:
        return [z]
    return s.op_multi("Split", [z, s.ints([units] * parts, h)], h, outputs=parts, axis=1)


def _step(s: Builder, cell: Cell, xw: str, states: list[str], consts: dict[str, str], dtype: np.dtype[Any],
          h: str) -> tuple[str, list[str]]:
    """The cell on one step (spec.md 15.10): the new output and states, before the mask is applied."""
    u = cell.units

    def act(name: str, x: str) -> str:
        return apply(s, Value(x, dtype, 2), name, h).name

    if cell.type == "SimpleRNN":
        y = act(cell.activation, s.op("Add", [xw, s.op("MatMul", [states[0], consts["R"]], h)], h))
        return y, [y]
    if cell.type == "LSTM":
        z = s.op("Add", [xw, s.op("MatMul", [states[0], consts["R"]], h)], h)
        if "b" in consts:
            z = s.op("Add", [z, consts["b"]], h)
        zi, zf, zc, zo = _split(s, z, 4, u, h)
        i, f, o = (act(cell.recurrent_activation, g) for g in (zi, zf, zo))
        c = s.op("Add", [s.op("Mul", [f, states[1]], h), s.op("Mul", [i, act(cell.activation, zc)], h)], h)
        y = s.op("Mul", [o, act(cell.activation, c)], h)
        return y, [y, c]
    # GRU: xw already holds x·W + the input bias.
    x_z, x_r, x_h = _split(s, xw, 3, u, h)
    prev = states[0]
    if cell.reset_after:
        inner = s.op("MatMul", [prev, consts["R"]], h)
        if "rb" in consts:
            inner = s.op("Add", [inner, consts["rb"]], h)
        r_z, r_r, r_h = _split(s, inner, 3, u, h)
    else:
        r_z, r_r = _split(s, s.op("MatMul", [prev, consts["R_zr"]], h), 2, u, h)
    z = act(cell.recurrent_activation, s.op("Add", [x_z, r_z], h))
    r = act(cell.recurrent_activation, s.op("Add", [x_r, r_r], h))
    if cell.reset_after:
        r_h = s.op("Mul", [r, r_h], h)
    else:
        r_h = s.op("MatMul", [s.op("Mul", [r, prev], h), consts["R_h"]], h)
    candidate = act(cell.activation, s.op("Add", [x_h, r_h], h))
    one_minus = s.op("Sub", [s.scalar(1.0, dtype, h), z], h)
    y = s.op("Add", [s.op("Mul", [z, prev], h), s.op("Mul", [one_minus, candidate], h)], h)
    return y, [y]


def _constants(b: Builder, cell: Cell, h: str, key: Any) -> tuple[str, str | None, dict[str, str]]:
    """The kernel, the bias added to x·W before the Scan (GRU, SimpleRNN), and the body's constants."""
    w = cell.weights
    u = cell.units
    kernel = b.const(w["kernel"], f"{h}/kernel", key=(key, "scan kernel"))
    recurrent = w["recurrent_kernel"]
    consts: dict[str, str] = {}
    input_bias: str | None = None
    bias = w.get("bias")
    if cell.type == "GRU" and not cell.reset_after:
        consts["R_zr"] = b.const(recurrent[:, :2 * u], f"{h}/recurrent_zr", key=(key, "scan R_zr"))
        consts["R_h"] = b.const(recurrent[:, 2 * u:], f"{h}/recurrent_h", key=(key, "scan R_h"))
    else:
        consts["R"] = b.const(recurrent, f"{h}/recurrent_kernel", key=(key, "scan R"))
    if bias is not None:
        if cell.type == "LSTM":
            consts["b"] = b.const(bias, f"{h}/bias", key=(key, "scan b"))
        elif cell.type == "GRU" and cell.reset_after:
            input_bias = b.const(bias[0], f"{h}/input_bias", key=(key, "scan bx"))
            consts["rb"] = b.const(bias[1], f"{h}/recurrent_bias", key=(key, "scan bh"))
        else:
            input_bias = b.const(bias, f"{h}/bias", key=(key, "scan b"))
    return kernel, input_bias, consts


def scan(b: Builder, cell: Cell, x: Value, initial: list[Value], mask: Value, *, go_backwards: bool,
         zero_output: bool, h: str, key: Any) -> Scanned:
    """The recurrent layer over ``x`` (batch, time, features) with a bool ``mask`` (batch, time)."""
    dtype = x.dtype
    kernel, input_bias, consts = _constants(b, cell, h, key)
    xw = b.op("MatMul", [x.name, kernel], h)
    if input_bias is not None:
        xw = b.op("Add", [xw, input_bias], h)
    n = _STATES[cell.type]
    states = initial or [_zeros(b, x, cell.units, h) for _ in range(n)]
    first_output = _zeros(b, x, cell.units, h)  # a masked first step outputs zeros, not the initial state

    u, width = cell.units, int(cell.weights["kernel"].shape[1])
    s = b.subgraph()
    state_in = [s.fresh(f"{h}/scan/state_in") for _ in range(n)]
    out_in = s.fresh(f"{h}/scan/output_in")
    xw_t, m_t = s.fresh(f"{h}/scan/xw_t"), s.fresh(f"{h}/scan/mask_t")
    y, new_states = _step(s, cell, xw_t, state_in, consts, dtype, h)
    keep = s.unsqueeze(m_t, [1], h)
    kept = [s.op("Where", [keep, new, old], h) for new, old in zip(new_states, state_in)]
    otherwise = s.scalar(0.0, dtype, h) if zero_output else out_in
    out = s.op("Where", [keep, y, otherwise], h)
    # Each body output needs a name of its own: the state carried on and the step's scan output.
    state_out = [s.op("Identity", [k], f"{h}/scan/state_out") for k in kept]
    out_state = s.op("Identity", [out], f"{h}/scan/output_out")
    out_scan = s.op("Identity", [out], f"{h}/scan/output_t")
    inputs = [_info(v, dtype, u) for v in state_in + [out_in]]
    inputs += [_info(xw_t, dtype, width), _info(m_t, np.dtype(bool), None)]
    body = helper.make_graph(s.nodes, s.fresh(f"{h}/scan/body"), inputs,
                             [_info(v, dtype, u) for v in state_out + [out_state, out_scan]])
    direction = 1 if go_backwards else 0
    results = b.op_multi("Scan", [v.name for v in states] + [first_output.name, xw, mask.name], h,
                         outputs=n + 2, body=body, num_scan_inputs=2, scan_input_axes=[1, 1],
                         scan_input_directions=[direction, direction], scan_output_axes=[1])
    return Scanned(Value(results[n + 1], dtype, 3), Value(results[n], dtype, 2),
                   [Value(r, dtype, 2) for r in results[:n]])

