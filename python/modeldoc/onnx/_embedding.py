"""Embedding: Gather rows of the table by the (integer) input.

Keras casts non-integer inputs to int32 before the lookup; so does the export.
``mask_zero`` makes Keras attach the mask ``ids != 0`` to the output, which the
graph walk builds and hands to the layers that read it (``_masks``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..flatgraph import Call
from ._builder import Builder, Value
from ._config import Config, Op


@dataclass(frozen=True)
class _Embedding:
    table: np.ndarray


def _parse(cfg: Config) -> _Embedding:
    cfg.flag("mask_zero", False)
    cfg.must_be("lora_rank", (None, 0), "LoRA adapters are not exported")
    cfg.must_be("quantization_config", (None,), "Keras-quantized layers are not exported")
    w = cfg.catalogue_weights()
    cfg.float_weights(w)
    return _Embedding(w["embeddings"])


def _emit(b: Builder, p: _Embedding, xs: list[Value], call: Call) -> list[Value]:
    h = call.path
    x = xs[0]
    if x.dtype not in (np.dtype("int32"), np.dtype("int64")):
        x = b.cast(x, np.dtype("int32"), h)
    table = b.const(p.table, f"{h}/embeddings", key=(id(call.layer), "embeddings"))
    y = b.op("Gather", [table, x.name], h, axis=0)
    return [Value(y, p.table.dtype, None if x.rank is None else x.rank + 1)]


OPS = {"Embedding": Op(_parse, _emit, "Gather(axis=0)")}
