"""The input shape of a hand-rolled layer chain, read off its weights where they decide it.

Keras 3's ``layer.get_config()`` carries no input shape, so the recipe files built from it
(``model_config`` plus weight lists) do not say what the model takes. The first layer with
weights often does: a Dense kernel ``(in, units)`` means inputs ``(None, in)``; a Conv2D kernel
``(kh, kw, c, filters)`` means ``(None, None, None, c)`` with free spatial sizes; an Embedding
means integer sequences of any length. Where a Flatten (or Reshape) later feeds a layer with
weights, the spatial sizes are no longer free: only sizes whose flattened length matches that
layer's kernel fit, and those are searched (square images, equal sizes per free dimension).
When the weights do not decide, the caller is asked for ``--input-shape``, and any shape
offered as an example has been checked to fit.
"""

from __future__ import annotations

from typing import Any, NoReturn

from ._errors import refuse

# Layers that keep their input's shape: a chain may start with them before the first weighted layer.
SHAPE_KEEPING = {"Dropout", "Activation", "GaussianNoise", "GaussianDropout", "AlphaDropout", "SpatialDropout1D",
                 "SpatialDropout2D", "SpatialDropout3D", "ActivityRegularization", "Masking", "ReLU", "LeakyReLU",
                 "ELU", "Softmax", "Identity"}
CONV_RANK = {"Conv1D": 1, "SeparableConv1D": 1, "DepthwiseConv1D": 1, "Conv1DTranspose": 1, "Conv2D": 2,
             "SeparableConv2D": 2, "DepthwiseConv2D": 2, "Conv2DTranspose": 2, "Conv3D": 3, "Conv3DTranspose": 3,
             "ConvLSTM1D": 1, "ConvLSTM2D": 2, "ConvLSTM3D": 3}
RECURRENT = {"LSTM", "GRU", "SimpleRNN"}
FLATTENING = {"Flatten", "Reshape"}
MAX_SIZE = 1024
Shape = list[int | None]


def infer_input_shape(entries: list[dict[str, Any]], weights: list[list[tuple[int, ...]]],
                      layers: list[Any]) -> tuple[Shape, str]:
    """(batch shape, dtype) for a chain of layer ``entries`` with the given weight shapes per layer.

    ``layers`` are the same layers instantiated (unbuilt), used to compute shapes while searching.
    """
    first = next((k for k, w in enumerate(weights) if w), None)
    if first is None:
        _ask("no layer has weights")
    before = [entries[k]["class_name"] for k in range(first)]
    entry, kernel = entries[first], weights[first][0]
    cn = entry["class_name"]
    if before == ["Flatten"] and cn == "Dense":
        return [None, kernel[0]], "float32"  # the flattened input: any shape with that many values fits it
    if any(b not in SHAPE_KEEPING for b in before):
        _ask(f"the first layers ({', '.join(before)}) change the shape before the first weights")
    shape, dtype = _from_first(entry, kernel)
    free = [i for i, d in enumerate(shape) if d is None and i > 0]
    target = _flattened_consumer(entries, weights, first)
    if target is None or not free:
        return shape, dtype
    fits = _search(shape, free, layers[:target[0]], target[1])
    if len(fits) == 1:
        return fits[0], dtype
    if not fits:
        _ask(f"no input with equal sizes up to {MAX_SIZE} in its free dimensions fits the weights of layer "
             f"{entries[target[0]]['config'].get('name')!r}")
    shown = " or ".join(",".join("None" if d is None else str(d) for d in s) for s in fits[:3])
    _ask(f"several input sizes fit the weights (for example {shown})")


def _from_first(entry: dict[str, Any], kernel: tuple[int, ...]) -> tuple[Shape, str]:
    cn, config = entry["class_name"], entry.get("config", {})
    if cn == "Dense":
        return [None, kernel[0]], "float32"
    if cn == "Embedding":
        return [None, None], "int32"
    if cn in RECURRENT:
        return [None, None, kernel[0]], "float32"
    if cn in ("Bidirectional", "TimeDistributed"):
        inner = config.get("layer", {})
        if isinstance(inner, dict) and inner.get("class_name") in RECURRENT:
            return [None, None, kernel[0]], "float32"
        if isinstance(inner, dict) and inner.get("class_name") == "Dense":
            return [None, None, kernel[0]], "float32"
    if cn in CONV_RANK:
        rank = CONV_RANK[cn]
        # Conv kernels end with (in, out); DepthwiseConv with (in, multiplier); transposed with (out, in).
        channels = kernel[-1] if cn.endswith("Transpose") else kernel[-2]
        time = [None] if cn.startswith("ConvLSTM") else []
        spatial: Shape = [None] * rank
        if config.get("data_format") == "channels_first":
            return [None, *time, channels, *spatial], "float32"
        return [None, *time, *spatial, channels], "float32"
    _ask(f"the first layer with weights is a {cn}, whose weights do not say the input's rank")


def _flattened_consumer(entries: list[dict[str, Any]], weights: list[list[tuple[int, ...]]],
                        first: int) -> tuple[int, int] | None:
    """(index, expected input length) of the first weighted layer after a Flatten/Reshape, if any."""
    flattened = False
    for k in range(first + 1, len(entries)):
        cn = entries[k]["class_name"]
        if cn.startswith("Global"):
            return None  # a global pooling makes the sizes free again
        if cn in FLATTENING:
            flattened = True
        elif flattened and weights[k] and cn == "Dense":
            return k, weights[k][0][0]
    return None


def _search(shape: Shape, free: list[int], layers: list[Any], want: int) -> list[Shape]:
    fits = []
    for size in range(1, MAX_SIZE + 1):
        candidate = [size if i in free else d for i, d in enumerate(shape)]
        current: Any = tuple(candidate)
        try:
            for layer in layers:
                current = layer.compute_output_shape(current)
        except Exception:  # a size the layers cannot take (a kernel larger than the input, ...)
            continue
        if isinstance(current, tuple) and current and current[-1] == want:
            fits.append(candidate)
    return fits


def _ask(reason: str) -> NoReturn:
    refuse("KERAS_INVALID_INPUT", "/model_config", f"the input shape is not in the file and {reason}; "
           "pass it (CLI: --input-shape, batch first, None for a free size)")
