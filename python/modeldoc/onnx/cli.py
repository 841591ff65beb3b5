"""The ``to-onnx`` command of ``modeldoc``.

Importing this module imports neither onnx nor onnxruntime (``modeldoc --help``
stays fast); the handler imports them when it runs, and says how to install
them when they are missing.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from ..clicommon import STDIO, add_force_option, check_output, document_source, print_json, say, shown, write_bytes_to
from ..exitcodes import EXIT_OK
from ..extras import require
from ..limits import DEFAULT_LIMITS
from ..progress import terminal_bar


def cmd_to_onnx(args: argparse.Namespace) -> int:
    require("to-onnx", "onnx", "onnx", "onnxruntime")
    from .. import load
    from . import DEFAULT_OPSET, save_onnx

    check_output(args, args.output, [args.input])
    with terminal_bar(f"reading {os.path.basename(args.input)}") as progress:
        doc = load(document_source(args.input, DEFAULT_LIMITS), progress=progress)
    opset = DEFAULT_OPSET if args.opset is None else args.opset
    if args.output == STDIO:
        results = _onnx_to_stdout(doc, opset, not args.no_check)
    else:
        results = save_onnx(doc, args.output, opset=opset, check=not args.no_check)
    for r in results:
        say(args, f"{shown(args.input)}: {r}")
    checked = "not checked" if args.no_check else (
        f"onnx.checker passed, {len(results)} test-vector outputs match" if results else
        "onnx.checker passed, no test vectors to run")
    out = shown(args.output, output=True)
    if args.json:
        print_json({"ok": True, "output": out, "opset": opset, "checked": not args.no_check,
                    "test_vector_outputs": [str(r) for r in results]})
    else:
        say(args, f"{out}: ONNX opset {opset} written ({checked})")
    return EXIT_OK


def _onnx_to_stdout(doc: Any, opset: int, check: bool) -> list[Any]:
    """save_onnx writes a named file: write one in a temporary folder, then copy it out."""
    import shutil
    import tempfile

    from . import save_onnx

    with tempfile.TemporaryDirectory(prefix="modeldoc-") as folder:
        path = os.path.join(folder, "model.onnx")
        results = save_onnx(doc, path, opset=opset, check=check)
        with open(path, "rb") as f:
            write_bytes_to(STDIO, lambda out: shutil.copyfileobj(f, out, 1 << 20))
    return results


def add_commands(sub: Any) -> None:
    """Register ``to-onnx`` on ``modeldoc``'s subparsers."""
    o = sub.add_parser("to-onnx", help="export a document's model to ONNX (needs modeldoc[onnx])",
                       description="Export to ONNX. By default the model must pass onnx.checker (full check) and "
                       "match the document's test vectors in onnxruntime; nothing is written otherwise. "
                       "Layers that cannot be exported are all listed, one line each.")
    o.add_argument("input", metavar="DOC", help="the document (- reads standard input)")
    o.add_argument("output", metavar="OUT.onnx", help="the ONNX file to write (- writes standard output)")
    add_force_option(o)
    o.add_argument("--opset", type=int, default=None, metavar="N", help="ONNX opset (default 17)")
    o.add_argument("--no-check", action="store_true",
                   help="write without running onnx.checker and onnxruntime")
    o.set_defaults(run=cmd_to_onnx)
