"""The names a command line offers before it loads numpy or a codec: the encodings and the quantization
modes. Defined here once; encodings.py and quantize.py take them from here, so that building the
argument parser (``modeldoc --help``) imports nothing heavy."""

from __future__ import annotations

from typing import Literal, get_args

Encoding = Literal["base64", "list", "msgpack"]
ENCODINGS: tuple[Encoding, ...] = get_args(Encoding)
QUANTIZE_MODES = ("float16", "uint8", "int8")  # spec.md 5.5
