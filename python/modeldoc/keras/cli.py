"""The Keras commands of ``modeldoc``: from-keras, to-keras, upgrade.

Importing this module imports neither TensorFlow nor Keras (``modeldoc --help``
stays fast and the core stays framework-free); each handler imports them
when it runs. Bad input raises ModelDocError, which ``modeldoc.cli.main``
prints as one line per finding with exit code 1 (2 for unreadable or
unwritable files).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, NoReturn

from ..clicommon import (
    STDIO,
    add_force_option,
    check_output,
    local_file,
    output_encoding,
    print_json,
    read_stdin,
    save_and_report,
    say,
    shown,
    write_bytes_to,
)
from ..encodings import ENCODINGS
from ..errors import ModelDocError
from ..exitcodes import EXIT_OK
from ..extras import require
from ..progress import terminal_bar


def _quiet() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _read(path: str) -> bytes:
    if path == STDIO:
        return read_stdin(1 << 31)
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise ModelDocError.of("IO_UNREADABLE", "", f"cannot read {path!r}: {e.strerror}") from None


def _shape(text: str) -> list[int | None]:
    try:
        return [None if d.strip().lower() in ("none", "null", "?", "") else int(d) for d in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a shape: {text!r} (write e.g. None,28,28,1)") from None


def _usage(message: str) -> NoReturn:
    """A usage error, as argparse reports one: one line, exit 2."""
    print(f"modeldoc: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _custom_objects(specs: list[str]) -> dict[str, Any]:
    """``--custom-object module:Class`` options: the user names each module to import, never the file.

    Each object is offered under its class name and, if it has one, its Keras registered name.
    """
    import importlib

    if specs and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as `python -m` would: the user's own modules beside them
    out: dict[str, Any] = {}
    for spec in specs:
        module, _, name = spec.partition(":")
        if not module or not name:
            _usage(f"--custom-object {spec!r}: write MODULE:CLASS, e.g. my_pkg.layers:Scale")
        try:
            obj = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as e:
            _usage(f"--custom-object {spec!r}: {type(e).__name__}: {e}")
        out[name] = obj
        import keras

        registered = keras.saving.get_registered_name(obj)
        if registered and registered != name:
            out[registered] = obj
    return out


def cmd_from_keras(args: argparse.Namespace) -> int:
    _quiet()
    require("from-keras", "keras", "keras", "h5py")
    from ._export import from_keras
    from ._files import load_keras_file

    check_output(args, args.output, [args.input])
    encoding = output_encoding(args)
    objects = _custom_objects(args.custom_object)
    # Keras goes by the name: a zip from standard input must be called *.keras.
    with local_file(args.input, lambda head: ".h5" if head.startswith(b"\x89HDF") else ".keras") as path:
        model = load_keras_file(path, architecture=args.model, custom_objects=objects, safe=not args.unsafe)
    doc = from_keras(model, test_vectors=args.test_vectors, seed=args.seed, custom_objects=objects,
                     safe=not args.unsafe)
    save_and_report(args, doc, encoding)
    return EXIT_OK


def cmd_to_keras(args: argparse.Namespace) -> int:
    _quiet()
    require("to-keras", "keras", "keras")
    from .. import load
    from ..clicommon import document_source
    from ..limits import DEFAULT_LIMITS
    from ._files import save_keras_atomic
    from ._import import to_keras

    if args.output != STDIO and not args.output.endswith(".keras"):
        raise ModelDocError.of("USAGE", "", f"{args.output!r}: the output must be named *.keras (or - for stdout)")
    check_output(args, args.output, [args.input])
    with terminal_bar(f"reading {os.path.basename(args.input)}") as progress:
        doc = load(document_source(args.input, DEFAULT_LIMITS), progress=progress)
    model = to_keras(doc, safe=not args.unsafe, custom_objects=_custom_objects(args.custom_object))
    if args.output == STDIO:
        _keras_to_stdout(model)
    else:
        save_keras_atomic(model, args.output)
    out = shown(args.output, output=True)
    if args.json:
        print_json({"ok": True, "output": out})
    else:
        say(args, f"{out}: Keras model written")
    return EXIT_OK


def _keras_to_stdout(model: Any) -> None:
    """Keras writes only to a named *.keras file: write one in a temporary folder, then copy it out."""
    import shutil
    import tempfile

    from ._files import save_keras_atomic

    with tempfile.TemporaryDirectory(prefix="modeldoc-") as folder:
        path = os.path.join(folder, "model.keras")
        save_keras_atomic(model, path)
        with open(path, "rb") as f:
            write_bytes_to(STDIO, lambda out: shutil.copyfileobj(f, out, 1 << 20))


def cmd_upgrade(args: argparse.Namespace) -> int:
    _quiet()
    require("upgrade", "keras", "keras")
    from ._upgrade import upgrade

    check_output(args, args.output, [args.input])
    encoding = output_encoding(args)
    doc = upgrade(_read(args.input), input_shape=args.input_shape, input_dtype=args.input_dtype,
                  test_vectors=args.test_vectors)
    save_and_report(args, doc, encoding)
    return EXIT_OK


def _custom_object_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--custom-object", action="append", default=[], metavar="MODULE:CLASS",
                   help="a custom layer or function the model uses, imported from MODULE (repeatable); names in "
                        "the file itself are never imported")


def _encoding_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--encoding", choices=ENCODINGS, default=None,
                   help="tensor encoding of OUT; default: from OUT's extension (.msgpack: msgpack, otherwise "
                        "base64); an encoding that contradicts the extension is an error")


def add_commands(sub: Any) -> None:
    """Register the Keras subcommands on ``modeldoc``'s subparsers."""
    f = sub.add_parser("from-keras", help="convert a .keras or legacy .h5 Keras model (no code in it is run)")
    f.add_argument("input", metavar="MODEL", help="the .keras, .h5 or .hdf5 file (- reads standard input)")
    f.add_argument("output", metavar="OUT", help="the document to write (- writes standard output)")
    _encoding_option(f)
    add_force_option(f)
    f.add_argument("--test-vectors", type=int, default=0, metavar="N", help="embed N input batches and Keras' outputs")
    f.add_argument("--seed", type=int, default=0, help="seed of the test vectors' random inputs")
    f.add_argument("--model", metavar="ARCH", default=None,
                   help="for a weights-only .h5 (save_weights): the architecture, as model.to_json() text or a .keras file")
    _custom_object_option(f)
    f.add_argument("--unsafe", action="store_true",
                   help="allow Lambda layers and other code in the model (only for files you trust)")
    f.set_defaults(run=cmd_from_keras)

    t = sub.add_parser("to-keras", help="rebuild the Keras model of a document and save it as .keras")
    t.add_argument("input", metavar="DOC", help="the document (- reads standard input)")
    t.add_argument("output", metavar="OUT.keras", help="the Keras file to write (- writes standard output); never DOC")
    add_force_option(t)
    t.add_argument("--unsafe", action="store_true",
                   help="allow Lambda layers and other code in the document (only for documents you trust)")
    _custom_object_option(t)
    t.set_defaults(run=cmd_to_keras)

    u = sub.add_parser("upgrade", help="convert hand-rolled model_config/model_json + weights JSON to ModelDoc")
    u.add_argument("input", metavar="LEGACY.json",
                   help="a JSON file with model_config or model_json and the weights as lists (- reads standard input)")
    u.add_argument("output", metavar="OUT", help="the document to write (- writes standard output)")
    _encoding_option(u)
    add_force_option(u)
    u.add_argument("--input-shape", type=_shape, default=None, metavar="SHAPE",
                   help="input shape with batch, e.g. None,28,28,1, when model_config does not say it")
    u.add_argument("--input-dtype", default=None, help="input dtype when model_config does not say it (default float32; int32 before an Embedding)")
    u.add_argument("--test-vectors", type=int, default=0, metavar="N",
                   help="embed N random input batches and Keras' outputs for them")
    u.set_defaults(run=cmd_upgrade)
