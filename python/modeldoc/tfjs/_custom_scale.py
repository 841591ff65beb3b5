"""InceptionResNetV2's CustomScaleLayer, ``x0 + x1 * scale``, as two tfjs layers: Rescaling(scale) on x1, then Add.

tfjs-layers 4.22 has no such class, but its Rescaling multiplies by the float32 scale (and adds an offset of 0)
and its Add sums, which is Keras' computation in Keras' order. ``from-tfjs`` reads the pair back as the two
layers they are.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import Collector, escape_pointer_token
from ..flatgraph import Call
from ._support import IGNORED_KERAS

KIND = "CustomScaleLayer"


def custom_scale_entries(call: Call, name: str, scale_name: str, out: Collector) -> tuple[dict[str, Any],
                                                                                          dict[str, Any]]:
    """The Rescaling entry (named ``scale_name``) and the Add entry (named ``name``) that compute the call's
    layer; inbound nodes are added per call by the caller. Problems go to ``out``."""
    at = f"{call.pointer}/config"
    config = call.layer.config
    scale = config.get("scale")
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale):
        out.add("TFJS_UNSUPPORTED", f"{at}/scale", f"{KIND} scale={scale!r}: a finite number is what tfjs' "
                "Rescaling multiplies by")
        scale = 1.0
    for key in config:
        if key != "scale" and key not in IGNORED_KERAS:
            out.add("TFJS_UNSUPPORTED", f"{at}/{escape_pointer_token(key)}", f"{KIND} config member {key!r} has no "
                    "tfjs equivalent")
    common = {"trainable": bool(config.get("trainable", True)), "dtype": "float32"}
    rescale = {"name": scale_name, "class_name": "Rescaling", "inbound_nodes": [],
               "config": {"name": scale_name, **common, "scale": float(scale), "offset": 0.0}}
    add = {"name": name, "class_name": "Add", "inbound_nodes": [], "config": {"name": name, **common}}
    return rescale, add
