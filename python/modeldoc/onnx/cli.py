"""The ``to-onnx`` command of ``modeldoc``.

Importing this module imports neither onnx nor onnxruntime (``modeldoc --help``
stays fast); the handler imports them when it runs, and says how to install
them when they are missing.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from ..extras import require
from ..progress import terminal_bar


def cmd_to_onnx(args: argparse.Namespace) -> int:
    require("to-onnx", "onnx", "onnx", "onnxruntime")
    from .. import load
    from . import DEFAULT_OPSET, save_onnx

    with terminal_bar(f"reading {os.path.basename(args.input)}") as progress:
        doc = load(args.input, progress=progress)
    opset = DEFAULT_OPSET if args.opset is None else args.opset
    results = save_onnx(doc, args.output, opset=opset, check=not args.no_check)
    for r in results:
        print(f"{args.input}: {r}")
    checked = "not checked" if args.no_check else (
        f"onnx.checker passed, {len(results)} test-vector outputs match" if results else
        "onnx.checker passed, no test vectors to run")
    print(f"{args.output}: ONNX opset {opset} written ({checked})")
    return 0


def add_commands(sub: Any) -> None:
    """Register ``to-onnx`` on ``modeldoc``'s subparsers."""
    o = sub.add_parser("to-onnx", help="export a document's model to ONNX (needs modeldoc[onnx])",
                       description="Export to ONNX. By default the model must pass onnx.checker (full check) and "
                       "match the document's test vectors in onnxruntime; nothing is written otherwise. "
                       "Layers that cannot be exported are all listed, one line each.")
    o.add_argument("input", metavar="DOC")
    o.add_argument("output", metavar="OUT.onnx")
    o.add_argument("--opset", type=int, default=None, metavar="N", help="ONNX opset (default 17)")
    o.add_argument("--no-check", action="store_true",
                   help="write without running onnx.checker and onnxruntime")
    o.set_defaults(run=cmd_to_onnx)
