"""The TensorFlow.js commands of ``modeldoc``: to-tfjs, from-tfjs.

Neither imports a framework; refusals are ModelDocErrors that ``modeldoc.cli.main``
prints one line per finding (exit 1; 2 for unreadable or unwritable files).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from ..clicommon import (
    STDIO,
    add_force_option,
    check_output,
    document_source,
    output_encoding,
    print_json,
    save_and_report,
    say,
    usage_error,
)
from ..encodings import ENCODINGS
from ..exitcodes import EXIT_OK
from ..limits import DEFAULT_LIMITS
from ..progress import terminal_bar


def cmd_to_tfjs(args: argparse.Namespace) -> int:
    from .. import load
    from . import to_tfjs

    with terminal_bar(f"reading {os.path.basename(args.input)}") as progress:
        doc = load(document_source(args.input, DEFAULT_LIMITS), progress=progress)
    paths = to_tfjs(doc, args.output, shard_bytes=args.shard_bytes)
    size = sum(os.path.getsize(p) for p in paths)
    if args.json:
        print_json({"ok": True, "output": args.output, "files": paths, "bytes": size})
    else:
        say(args, f"{args.output}: model.json and {len(paths) - 1} weight shard(s) written, {size} bytes")
    return EXIT_OK


def cmd_from_tfjs(args: argparse.Namespace) -> int:
    from . import from_tfjs

    if args.input == STDIO:
        raise usage_error("from-tfjs reads model.json beside its weight files, which standard input cannot carry")
    check_output(args, args.output, [args.input])
    encoding = output_encoding(args)
    save_and_report(args, from_tfjs(args.input), encoding)
    return EXIT_OK


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
    t.add_argument("input", metavar="DOC", help="the document (- reads standard input)")
    t.add_argument("output", metavar="OUTDIR",
                   help="folder for model.json and the shards; a model already there is replaced, with its shards")
    t.add_argument("--shard-bytes", type=_positive, default=4 * 1024 * 1024, metavar="N",
                   help="largest weight shard file (default 4 MiB, as tfjs' converter)")
    t.set_defaults(run=cmd_to_tfjs)

    f = sub.add_parser("from-tfjs", help="read a TensorFlow.js Layers model (model.json + shards) into a document")
    f.add_argument("input", metavar="MODEL_JSON", help="the model.json file; its weight files are read beside it")
    f.add_argument("output", metavar="OUT", help="the document to write (- writes standard output)")
    f.add_argument("--encoding", choices=ENCODINGS, default=None,
                   help="tensor encoding of OUT; default: from OUT's extension (.msgpack: msgpack, otherwise "
                        "base64); an encoding that contradicts the extension is an error")
    add_force_option(f)
    f.set_defaults(run=cmd_from_tfjs)
