"""The TensorFlow.js commands of ``modeldoc``: to-tfjs, from-tfjs.

Neither imports a framework; refusals are ModelDocErrors that ``modeldoc.cli.main``
prints one line per finding (exit 1; 2 for unreadable or unwritable files).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from ..progress import terminal_bar

ENCODINGS = ("base64", "list", "msgpack")


def cmd_to_tfjs(args: argparse.Namespace) -> int:
    from .. import load
    from . import to_tfjs

    with terminal_bar(f"reading {os.path.basename(args.input)}") as progress:
        doc = load(args.input, progress=progress)
    paths = to_tfjs(doc, args.output, shard_bytes=args.shard_bytes)
    size = sum(os.path.getsize(p) for p in paths)
    print(f"{args.output}: model.json and {len(paths) - 1} weight shard(s) written, {size} bytes")
    return 0


def cmd_from_tfjs(args: argparse.Namespace) -> int:
    from .. import save
    from . import from_tfjs

    doc = from_tfjs(args.input)
    with terminal_bar(f"writing {os.path.basename(args.output)}") as progress:
        save(doc, args.output, encoding=args.encoding, progress=progress)
    print(f"{args.output}: {len(doc.tensors)} tensors written ({args.encoding})")
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_commands(sub: Any) -> None:
    """Register the TensorFlow.js subcommands on ``modeldoc``'s subparsers."""
    t = sub.add_parser("to-tfjs", help="write a document as a TensorFlow.js Layers model (model.json + shards)")
    t.add_argument("input", metavar="DOC")
    t.add_argument("output", metavar="OUTDIR")
    t.add_argument("--shard-bytes", type=_positive, default=4 * 1024 * 1024, metavar="N",
                   help="largest weight shard file (default 4 MiB, as tfjs' converter)")
    t.set_defaults(run=cmd_to_tfjs)

    f = sub.add_parser("from-tfjs", help="read a TensorFlow.js Layers model (model.json + shards) into a document")
    f.add_argument("input", metavar="MODEL_JSON")
    f.add_argument("output", metavar="OUT")
    f.add_argument("--encoding", default="base64", choices=ENCODINGS)
    f.set_defaults(run=cmd_from_tfjs)
