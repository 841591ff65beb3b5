"""Masks (spec.md 15.12): the layers that make a mask, carry it, consume it or drop it, and the call
arguments that pass masks and other tensors by name.

Keras 3 attaches a mask to a value (``_keras_mask``) where Embedding(mask_zero) or Masking makes one, and
each later layer either carries it to its output, consumes it (its ``call`` takes ``mask``), or drops it. A
functional model saves the masks its layers consume as explicit ``mask`` arguments (computed by
``ops.numpy.NotEqual`` / ``ops.numpy.Any`` nodes); a Sequential model saves none, so the evaluator tracks the
attached mask itself, by the same rules, and an explicit ``mask`` argument takes precedence over it as in Keras.
Whether a value has a mask depends only on the graph, so a mask reaching a layer whose masked behaviour the
profile does not define is refused before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..profile import Config
from ._calls import count_verdict
from ._kernel import Ctx, Kernel, unary

RECURRENT = ("SimpleRNN", "LSTM", "GRU")
ATTENTION = ("Attention", "AdditiveAttention")
NOT_EQUAL, ANY = "ops.numpy.NotEqual", "ops.numpy.Any"

# Layers that leave values unchanged by a mask and attach the first input's mask to their output.
CARRIERS = frozenset((
    "Dense", "Activation", "ReLU", "LeakyReLU", "ELU", "PReLU", "BatchNormalization", "LayerNormalization",
    "GroupNormalization", "Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization",
    "Identity", "TimeDistributed",
))
# Layers whose call reads a mask (explicit ``mask`` argument, else the attached one).
CONSUMERS = frozenset((*RECURRENT, "Bidirectional", "TimeDistributed", "GlobalAveragePooling1D", *ATTENTION))
# Elementwise merges: their output's mask is the OR of the inputs' masks when every input has one.
OR_MERGES = frozenset(("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"))
# Layers whose masked behaviour the profile does not define: a mask reaching them is EVAL_UNSUPPORTED.
MASK_REFUSED = frozenset(("Softmax", "Concatenate", "MultiHeadAttention"))
# Inner layers of TimeDistributed whose call would read the mask.
_TD_MASK_REFUSED = frozenset(("Softmax", "GlobalAveragePooling1D"))

_MHA_TENSORS = ("query", "value", "key")


@dataclass
class Roles:
    """Which of a call's inputs plays which part: ``data`` in order (the sequence and initial states of a
    recurrent layer, a merge's inputs, ...), an explicit mask (one index, or one per data input for the
    attention layers), tensors passed by name and flags."""

    data: list[int]
    mask: int | list[int | None] | None = None
    named: dict[str, int] = field(default_factory=dict)
    flags: dict[str, bool] = field(default_factory=dict)
    constants: dict[int, float] = field(default_factory=dict)
    """NotEqual's number operands, by their place among the operands."""


def _ref(value: Any) -> int | None:
    index = value.get("$input") if isinstance(value, dict) and len(value) == 1 else None
    return index if isinstance(index, int) and not isinstance(index, bool) else None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def roles(layer_type: str, arguments: Any, n_inputs: int) -> Roles | str:
    """The parts of a call's inputs, or why its ``arguments`` are outside the profile (spec.md 15.1, 15.12)."""
    if not arguments:  # absent and {} are the same (spec.md section 4): the inputs, positionally
        arguments = {"args": [{"$input": k} for k in range(n_inputs)]}
    if not isinstance(arguments, dict) or set(arguments) - {"args", "kwargs"}:
        return "arguments has members other than args and kwargs"
    positional, kwargs = arguments.get("args", []), arguments.get("kwargs", {})
    if not isinstance(positional, list) or not isinstance(kwargs, dict):
        return "args is not a list or kwargs is not an object"
    out = Roles([])
    for item in positional:
        if _ref(item) is not None:
            out.data.append(_ref(item))  # type: ignore[arg-type]
        elif isinstance(item, list) and item and all(_ref(r) is not None for r in item):
            out.data.extend(_ref(r) for r in item)  # type: ignore[misc]
        elif layer_type == NOT_EQUAL and _number(item):
            out.constants[len(out.data) + len(out.constants)] = float(item)
        else:
            return "args holds an item that is neither a reference nor a list of references"
    if out.data != list(range(len(out.data))):
        return "its $input references are not the node's inputs in order"
    first = len(out.data)  # the kwargs' references follow the positional ones
    if layer_type == "MultiHeadAttention":
        if len(out.data) > 3:
            return "MultiHeadAttention takes query, value and key positionally"
        out.named = dict(zip(_MHA_TENSORS, out.data))
        out.data = []
    kw_refs: list[int] = []
    for key, value in kwargs.items():
        problem = _kwarg(layer_type, key, value, out, kw_refs)
        if problem:
            return problem
    taken = sorted(kw_refs)
    if taken != list(range(first, n_inputs)):
        return "its $input references are not each of the node's inputs once (args first, in order)"
    return out


def _kwarg(layer_type: str, key: str, value: Any, out: Roles, refs: list[int]) -> str | None:
    if key == "training" and (value is None or isinstance(value, bool)):
        return None  # inference either way: training-only behaviour is off
    if key == "mask" and value is None:
        return None
    if key == "mask" and layer_type in CONSUMERS:
        if layer_type in ATTENTION:
            items = value if isinstance(value, list) else None
            if items is None or not 2 <= len(items) <= 3 or any(v is not None and _ref(v) is None for v in items):
                return "kwargs.mask of an attention layer is not a list of a query and a value mask"
            out.mask = [_ref(v) for v in items[:2]]  # Keras reads no key mask
            refs.extend(r for r in map(_ref, items) if r is not None)
            return None
        if _ref(value) is None:
            return "kwargs.mask is not a reference"
        out.mask = _ref(value)
        refs.append(out.mask)  # type: ignore[arg-type]
        return None
    if key == "initial_state" and layer_type in (*RECURRENT, "Bidirectional"):
        states = value if isinstance(value, list) else [value]  # one state may be passed bare
        if states and all(_ref(r) is not None for r in states):
            out.data.extend(_ref(r) for r in states)  # type: ignore[misc]
            refs.extend(_ref(r) for r in states)  # type: ignore[misc]
            return None
    if layer_type == "MultiHeadAttention":
        if key in (*_MHA_TENSORS, "attention_mask") and _ref(value) is not None and key not in out.named:
            out.named[key] = _ref(value)  # type: ignore[assignment]
            refs.append(_ref(value))  # type: ignore[arg-type]
            return None
        if key in ("key", "attention_mask", "query_mask", "value_mask", "key_mask") and value is None:
            return None  # a null key is the value (spec.md: MultiHeadAttention)
    if layer_type in (*ATTENTION, "MultiHeadAttention"):
        if key == "use_causal_mask" and isinstance(value, bool):
            out.flags[key] = value
            return None
        if key == "return_attention_scores" and value is False:
            return None
    return f"kwargs.{key} is outside the core profile"


def count_problem(layer_type: str, config: dict[str, Any], r: Roles, n_outputs: int) -> str | None:
    """Why a call of one of this module's layers (and the wrappers and attention layers) passes or defines
    a number of values the layer does not take or return."""
    n = len(r.data)
    outputs = 1
    if layer_type == "Bidirectional":
        inner = config.get("layer", {}).get("class_name") if isinstance(config.get("layer"), dict) else None
        s = 2 if inner == "LSTM" else 1
        takes, fits = f"1 or {1 + 2 * s}", n in (1, 1 + 2 * s)
        outputs = (2 if "merge_mode" in config and config["merge_mode"] is None else 1)
        outputs += 2 * s if config.get("layer", {}).get("config", {}).get("return_state") is True else 0
    elif layer_type == "MultiHeadAttention":
        takes, fits = "a query and a value", "query" in r.named and "value" in r.named
    elif layer_type in ATTENTION:
        takes, fits = "[query, value] or [query, value, key]", n in (2, 3)
    elif layer_type == NOT_EQUAL:
        takes, fits = "two operands", n + len(r.constants) == 2 and n >= 1
    else:
        takes, fits = "1", n == 1
    return count_verdict(layer_type, n, takes, fits, n_outputs, outputs)


# --- which outputs carry a mask --------------------------------------------------------------------

def mask_problem(layer_type: str, config: dict[str, Any], masked: list[bool]) -> str | None:
    """Why a call whose data inputs carry the masks ``masked`` (attached ones) is outside the profile."""
    if not any(masked):
        return None
    if layer_type in MASK_REFUSED:
        return f"a mask reaches {layer_type}, whose masked behaviour the core profile does not define"
    if layer_type == "TimeDistributed":
        inner = config.get("layer", {}).get("class_name") if isinstance(config.get("layer"), dict) else None
        if inner in _TD_MASK_REFUSED:
            return f"a mask reaches TimeDistributed({inner}), whose masked behaviour the core profile does not define"
    return None


def output_masks(layer_type: str, config: dict[str, Any], in_masks: list[Any], xs: list[np.ndarray],
                 outputs: list[Any]) -> list[Any]:
    """The masks attached to a call's outputs (spec.md 15.12). ``in_masks`` are the data inputs' attached
    masks (arrays, or True in the static pass, or None); ``xs`` the data inputs (empty in the static pass)."""
    none: list[Any] = [None] * len(outputs)
    first = in_masks[0] if in_masks else None
    if layer_type == "Embedding" and config.get("mask_zero") is True:
        return [np.asarray(xs[0]) != 0] if xs else [True]
    if layer_type == "Masking":
        if not xs:
            return [True]
        return [np.any(np.asarray(xs[0]) != as_float32(config.get("mask_value", 0.0)), axis=-1)]
    if layer_type in CARRIERS:
        return [first] + none[1:]
    if layer_type in RECURRENT or layer_type == "Bidirectional":
        inner = config.get("layer", {}).get("config", {}) if layer_type == "Bidirectional" else config
        if inner.get("return_sequences") is not True:
            return none
        both = layer_type == "Bidirectional" and "merge_mode" in config and config["merge_mode"] is None
        return [first, first] + none[2:] if both else [first] + none[1:]
    if layer_type in OR_MERGES:
        if any(m is None for m in in_masks):
            return none
        if not xs:
            return [True]
        return [np.logical_or.reduce([np.asarray(m) for m in in_masks])]
    if layer_type in ATTENTION:
        return [first]
    return none


def as_float32(number: Any) -> float:
    """A number a layer compares its input with, made a float32 as Keras makes it (spec.md 15.2)."""
    return float(np.float32(number))


# --- the layers that make a mask -------------------------------------------------------------------

def build_masking(cfg: Config) -> Kernel:
    mask_value = as_float32(cfg.number("mask_value", 0.0))

    def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
        v = ctx.float(x)
        keep = np.any(v != mask_value, axis=-1, keepdims=True)
        return np.asarray(np.where(keep, v, 0.0))

    return unary(run)


def build_not_equal(cfg: Config) -> Kernel:
    def kernel(xs: list[np.ndarray], ctx: Ctx) -> list[np.ndarray]:
        operands: list[Any] = list(xs)
        integral = all(np.asarray(x).dtype.kind in "biu" for x in xs)
        for place, number in sorted(ctx.constants.items()):
            # Keras makes a float32 tensor of a number, unless an integer meets an integer or bool operand
            exact = isinstance(number, int) and integral
            operands.insert(place, np.asarray(number) if exact else np.asarray(as_float32(number)))
        try:
            return [np.not_equal(np.asarray(operands[0]), np.asarray(operands[1]))]
        except ValueError:
            ctx.unfit("its operands do not broadcast")

    return kernel


def build_any(cfg: Config) -> Kernel:
    raw: Any = cfg.raw("axis", None)
    axes = raw if isinstance(raw, list) else [raw]
    if raw is not None and any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
        cfg.refuse("axis", "is not null, an integer or a list of integers")
        axes = [None]
    keepdims = cfg.flag("keepdims", False)

    def run(x: np.ndarray, ctx: Ctx) -> np.ndarray:
        if raw is None:
            return np.asarray(np.any(x != 0, keepdims=keepdims))
        for a in axes:
            if not -x.ndim <= a < x.ndim:
                ctx.unfit(f"axis {a} is outside a value of rank {x.ndim}")
        return np.asarray(np.any(x != 0, axis=tuple(a % x.ndim for a in axes), keepdims=keepdims))

    return unary(run)


def build_global_average_1d(cfg: Config) -> Kernel:
    """GlobalAveragePooling1D, which with a mask takes the mean over the unmasked steps (all masked: 0 / 0, NaN)."""
    from ._pool import build_global

    plain = build_global(1, "average")(cfg)
    keepdims = cfg.raw("keepdims", False) is True

    def kernel(xs: list[np.ndarray], ctx: Ctx) -> list[np.ndarray]:
        if ctx.mask is None:
            return plain(xs, ctx)
        if len(xs) != 1 or xs[0].ndim != 3 or isinstance(ctx.mask, list) or ctx.mask.shape != xs[0].shape[:2]:
            ctx.unfit("needs a (batch, steps, channels) input and a (batch, steps) mask")
        ctx.done()
        keep = (np.asarray(ctx.mask) != 0)[:, :, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            y = np.where(keep, ctx.float(xs[0]), 0.0).sum(axis=1, keepdims=keepdims) / keep.sum(axis=1,
                                                                                                keepdims=keepdims)
        return [np.asarray(y)]

    return kernel
