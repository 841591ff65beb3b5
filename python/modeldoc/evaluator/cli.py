"""``modeldoc run``: evaluate a document with the NumPy reference evaluator.

Without ``--input`` it checks the document's test vectors (exit 1 with one
``EVAL_TEST_VECTOR`` line per output beyond the tolerance); with ``--input``
it evaluates those arrays and writes or summarises the outputs. Imports no
framework.
"""

from __future__ import annotations

import argparse
import functools
import io
import os
import re
from typing import IO, Any, Callable

import numpy as np

from ..clicommon import STDIO, FileError, document_source, print_json, read_stdin, say, shown
from ..errors import ModelDocError
from ..exitcodes import EXIT_OK


def _input_arg(text: str) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=FILE.npy, got {text!r}")
    return name, path


def _load_npy(path: str) -> np.ndarray:
    """The array of an ``--input`` file (``-``: standard input); a problem names that file, not the document."""
    if path == STDIO:
        data = read_stdin(1 << 40)
        return _load_npy_from(shown(path), lambda: io.BytesIO(data))
    return _load_npy_from(path, lambda: open(path, "rb"))


def _load_npy_from(path: str, opened: Callable[[], IO[bytes]]) -> np.ndarray:
    if _holds_objects(opened):
        raise FileError(path, "IO_UNREADABLE", "holds pickled Python objects; refused, since loading them "
                                               "would run code (save a numeric array)")
    try:
        # allow_pickle=False: an .npy file of Python objects would run code when loaded.
        with opened() as f:
            array = np.load(f, allow_pickle=False)
    except OSError as e:
        raise FileError(path, "IO_UNREADABLE", f"cannot read the --input file: {e.strerror or e}") from None
    except ValueError as e:
        raise FileError(path, "IO_UNREADABLE", f"not a .npy array of numbers: {e}") from None
    if not isinstance(array, np.ndarray):  # an .npz archive
        raise FileError(path, "IO_UNREADABLE", "not a .npy file (an .npz archive?)")
    return array


def _holds_objects(opened: Callable[[], IO[bytes]]) -> bool:
    """Whether the .npy header declares Python objects (read before any data, nothing unpickled)."""
    try:
        with opened() as f:
            version = np.lib.format.read_magic(f)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            _, _, dtype = read_header(f)
    except (OSError, ValueError):
        return False  # np.load reports it in its own words
    return bool(dtype.hasobject)


def file_names(outputs: list[str]) -> dict[str, str]:
    """A distinct, file-safe ``NAME.npy`` for each output name (names come from the document, so they
    never choose a folder: anything but letters, digits, ``.``, ``_`` and ``-`` becomes ``_``)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in outputs:
        base = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".") or "output"
        candidate, k = base, 1
        while candidate.lower() in used:
            k += 1
            candidate = f"{base}-{k}"
        used.add(candidate.lower())
        out[name] = candidate + ".npy"
    return out


def _summary(array: np.ndarray) -> dict[str, Any]:
    info: dict[str, Any] = {"shape": list(array.shape), "dtype": str(array.dtype)}
    if array.size and array.dtype.kind in "fiub":
        values = array.astype(np.float64)
        info.update(min=float(values.min()), max=float(values.max()), mean=float(values.mean()))
    return info


def cmd_run(args: argparse.Namespace) -> int:
    from ..limits import DEFAULT_LIMITS
    from ..reader import load
    from . import evaluate

    doc = load(document_source(args.file, DEFAULT_LIMITS))
    if not args.inputs:
        return _check(doc, args)
    given: dict[str, np.ndarray] = {}
    for name, path in args.inputs:
        given[name] = _load_npy(path)
    outputs = evaluate(doc, given)
    if args.output:
        return _write(outputs, args)
    summary = {name: _summary(a) for name, a in outputs.items()}
    if args.json:
        print_json({"outputs": summary})
    else:
        for name, info in summary.items():
            stats = f" min {info['min']:.6g} max {info['max']:.6g} mean {info['mean']:.6g}" if "min" in info else ""
            say(args, f"{name}: {info['dtype']} {info['shape']}{stats}")
    return EXIT_OK


def _check(doc: Any, args: argparse.Namespace) -> int:
    from . import check_test_vectors

    checks = check_test_vectors(doc)
    if args.json:
        print_json({"checks": [
            {"vector": c.vector, "name": c.vector_name, "output": c.output, "max_abs_diff": c.max_abs_diff,
             "atol": c.atol, "rtol": c.rtol, "ok": c.ok} for c in checks]})
    elif not checks:
        say(args, f"{shown(args.file)}: no test vectors to check")
    else:
        for c in checks:
            label = c.vector_name if c.vector_name is not None else f"#{c.vector}"
            say(args, f"{label} {c.output}: max |diff| {c.max_abs_diff:.3g}, allowed {c.atol:.3g} + {c.rtol:.3g}*|want|: "
                  f"{'ok' if c.ok else 'FAIL'}")
    failed = [c.finding() for c in checks if not c.ok]
    if failed:
        raise ModelDocError(failed)
    return EXIT_OK


def _save_npy(array: np.ndarray, fp: IO[bytes]) -> None:
    np.save(fp, array, allow_pickle=False)


def _write(outputs: dict[str, np.ndarray], args: argparse.Namespace) -> int:
    from ..writer import atomic_write

    try:
        os.makedirs(args.output, exist_ok=True)
    except OSError as e:
        raise ModelDocError.of("WRITE_FAILED", "", f"cannot create {args.output!r}: {e.strerror}") from None
    names = file_names(list(outputs))
    written = {}
    for name, array in outputs.items():
        path = os.path.join(args.output, names[name])
        atomic_write(path, functools.partial(_save_npy, array))
        written[name] = path
    if args.json:
        print_json({"written": written})
    else:
        for name, path in written.items():
            say(args, f"{name}: {path} {outputs[name].dtype} {list(outputs[name].shape)}")
    return EXIT_OK


def add_commands(sub: Any) -> None:
    """Register ``modeldoc run`` on ``modeldoc``'s subparsers."""
    r = sub.add_parser("run", help="evaluate a document with the NumPy reference evaluator (spec.md section 15)",
                       description="Without --input: check the document's test vectors (exit 1 if any output "
                                   "differs beyond the tolerance). With --input: evaluate and write or show the "
                                   "outputs.")
    r.add_argument("file", metavar="DOC", help="the document (- reads standard input)")
    r.add_argument("--input", dest="inputs", action="append", type=_input_arg, default=[], metavar="NAME=FILE.npy",
                   help="an array for the graph input NAME (repeat for each input; FILE - reads standard input)")
    r.add_argument("--output", metavar="DIR",
                   help="write each output as DIR/OUTPUT_NAME.npy (replacing files of those names)")
    r.set_defaults(run=cmd_run)
