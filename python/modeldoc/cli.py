"""The ``modeldoc`` command line (spec.md, "Command line").

Exit codes: 0 success; 1 a document is invalid; 2 usage error, unreadable
input or unwritable output; 3 internal error (a bug: please report it).
No command prints a traceback for bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Sequence

from ._version import __version__
from .digest import reader_report
from .document import producer_to_tree
from .errors import Finding, ModelDocError, printable, protocol_pointer
from .extras import MissingExtra
from .lazy import open as open_lazy
from .limits import DEFAULT_LIMITS, Limits
from .progress import terminal_bar
from .quantize import MODES as QUANTIZE_MODES
from .quantize import quantize_document
from .reader import Report, read_tree, validate
from .schema import schema_text
from .writer import ENCODINGS, save

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
_IO_CODES = {"IO_UNREADABLE", "LIMIT_DOCUMENT_SIZE", "WRITE_FAILED"}


def _where(ptr: str) -> str:
    return ptr if ptr else "(document)"


def _finding_line(name: str, f: Finding) -> str:
    prefix = "warning: " if f.severity == "warning" else ""
    return printable(f"{name}: {f.code} at {_where(f.pointer)}: {prefix}{f.message}")


def _exit_for(e: ModelDocError) -> int:
    return EXIT_USAGE if e.code in _IO_CODES else EXIT_INVALID


# --- commands -----------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    limits = _limits(args)
    reports: list[tuple[str, Report]] = []
    for f in args.files:
        with terminal_bar(f"validating {os.path.basename(f)}") as progress:
            reports.append((f, validate(f, limits=limits, progress=progress)))
    if args.json:
        payload = [dict(file=f, **r.as_dict()) for f, r in reports]
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        for f, r in reports:
            if r.ok:
                print(f"{f}: OK")
            for finding in r.findings:
                print(_finding_line(f, finding))
    if any(any(x.code == "IO_UNREADABLE" for x in r.errors) for _, r in reports):
        return EXIT_USAGE
    return EXIT_OK if all(r.ok for _, r in reports) else EXIT_INVALID


def cmd_inspect(args: argparse.Namespace) -> int:
    # Header only: the structure is checked, no tensor data is read (spec.md 7.1).
    with open_lazy(args.file, limits=_limits(args)) as doc:
        container, warnings = doc.container, doc.warnings
    layers = []

    def walk(graph: Any, prefix: str) -> None:
        for layer in graph.layers:
            layers.append(
                {"path": prefix + layer.name, "type": layer.type, "weights": len(layer.weights), "nested": layer.model is not None}
            )
            if layer.model is not None:
                walk(layer.model, prefix + layer.name + "/")

    walk(doc.model, "")
    tensors: list[dict[str, Any]] = []
    for info_t in doc.tensors.values():
        entry: dict[str, Any] = {"name": info_t.name, "dtype": info_t.dtype, "shape": list(info_t.shape),
                                 "encoding": info_t.encoding, "bytes": info_t.nbytes}
        if info_t.quantization is not None:
            entry.update(stored_dtype=info_t.stored_dtype, quantization=info_t.quantization)
        tensors.append(entry)
    info = {
        "file": args.file,
        "container": container,
        "format_version": doc.format_version,
        "producer": producer_to_tree(doc.producer),
        "metadata": doc.metadata,
        "model": doc.model.name,
        "inputs": [{"name": i.name, "dtype": i.dtype, "shape": i.shape} for i in doc.model.inputs],
        "outputs": doc.model.outputs,
        "layers": layers,
        "nodes": len(doc.model.nodes),
        "tensors": tensors,
        "parameters": doc.num_parameters,
        "tensor_bytes": sum(t["bytes"] for t in tensors),
        "warnings": [w.as_dict() for w in warnings],
    }
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
        return EXIT_OK
    p = info["producer"]
    print(f"{args.file}: ModelDoc {doc.format_version} ({container})")
    fw = f", from {p.get('framework')} {p.get('framework_version', '')}".rstrip() if p.get("framework") else ""
    print(f"producer: {p['name']} {p['version']}{fw}")
    print(f"model: {doc.model.name or '(unnamed)'}: {len(layers)} layers, {info['nodes']} nodes")
    for i in doc.model.inputs:
        print(f"  input  {i.name}: {i.dtype} {_shape(i.shape)}")
    for o in doc.model.outputs:
        print(f"  output {o}")
    for layer in layers:
        nested = " (nested model)" if layer["nested"] else ""
        print(f"  layer  {layer['path']}: {layer['type']}{nested}")
    print(f"tensors: {len(tensors)}, {info['parameters']} parameters, {info['tensor_bytes']} bytes")
    for t in tensors:
        q = t.get("quantization")
        stored = f", stored {t['stored_dtype']} ({q['scheme']})" if q else ""
        print(f"  {t['name']}: {t['dtype']} {_shape(t['shape'])} {t['bytes']} bytes ({t['encoding']}{stored})")
    for k, v in doc.metadata.items():
        print(f"metadata {k}: {v}")
    for w in warnings:
        print(_finding_line(args.file, w))
    return EXIT_OK


def _shape(shape: Sequence[int | None]) -> str:
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


def cmd_convert(args: argparse.Namespace) -> int:
    if os.path.abspath(args.output) == os.path.abspath(args.input) and not args.force:
        print("modeldoc: refusing to overwrite the input; pass --force", file=sys.stderr)
        return EXIT_USAGE
    with terminal_bar(f"reading {os.path.basename(args.input)}") as progress:
        doc = read_tree(args.input, limits=_limits(args), progress=progress).document()
    if args.quantize:
        # Explicit and reported (spec.md 5.5): one line per float tensor, what happened to it.
        for name, what in quantize_document(doc, args.quantize, per_channel=args.per_channel):
            print(f"{name}: {what}")
    with terminal_bar(f"writing {os.path.basename(args.output)}") as progress:
        save(doc, args.output, encoding=args.encoding, canonicalize_nan=args.canonicalize_nan, progress=progress)
    return EXIT_OK


def cmd_digest(args: argparse.Namespace) -> int:
    try:
        result = read_tree(args.file, limits=_limits(args))
    except ModelDocError as e:
        if _exit_for(e) == EXIT_USAGE:
            raise
        for f in e.findings:
            print(f"{f.code}\t{protocol_pointer(f.pointer)}")
            print(_finding_line(args.file, f), file=sys.stderr)
        return EXIT_INVALID
    sys.stdout.write(reader_report(result.document()))
    for w in result.warnings:  # the reader protocol's channel for warnings (spec.md section 13)
        print(f"warning\t{w.code}\t{protocol_pointer(w.pointer)}", file=sys.stderr)
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    sys.stdout.write(schema_text(args.version))
    return EXIT_OK


# --- plumbing -----------------------------------------------------------------------


def _limits(args: argparse.Namespace) -> Limits:
    return DEFAULT_LIMITS.with_overrides(args.limit or [])


def _add_limit_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--limit", action="append", metavar="NAME=VALUE", type=_limit_item,
        help="override a reader limit, e.g. --limit max_depth=64 (spec.md section 8); repeatable",
    )


def _limit_item(text: str) -> str:
    try:
        DEFAULT_LIMITS.with_overrides([text])
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="modeldoc", description="Validate, inspect and convert ModelDoc documents (JSON or MessagePack)."
    )
    p.add_argument("--version", action="version", version=f"modeldoc {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    v = sub.add_parser("validate", help="check documents: syntax, schema, graph, data, checksums")
    v.add_argument("files", nargs="+", metavar="FILE")
    v.add_argument("--json", action="store_true", help="print the reports as JSON")
    _add_limit_option(v)
    v.set_defaults(run=cmd_validate)

    i = sub.add_parser("inspect", help="summarise a document: model, layers, tensors")
    i.add_argument("file", metavar="FILE")
    i.add_argument("--json", action="store_true", help="print the summary as JSON")
    _add_limit_option(i)
    i.set_defaults(run=cmd_inspect)

    c = sub.add_parser("convert", help="rewrite a document in another encoding (lossless, atomic)")
    c.add_argument("input", metavar="IN")
    c.add_argument("output", metavar="OUT")
    c.add_argument("--encoding", required=True, choices=ENCODINGS)
    c.add_argument(
        "--canonicalize-nan", action="store_true",
        help="allow the list encoding to replace NaNs that carry sign or payload bits by the canonical NaN",
    )
    c.add_argument("--force", action="store_true", help="allow OUT to be the same file as IN")
    c.add_argument(
        "--quantize", choices=QUANTIZE_MODES,
        help="store float weights quantized (affine uint8/int8, or float16) and print each tensor's largest error",
    )
    c.add_argument("--per-channel", action="store_true", help="with --quantize uint8/int8: parameters per output channel")
    _add_limit_option(c)
    c.set_defaults(run=cmd_convert)

    d = sub.add_parser("digest", help="print the canonical reader report (spec.md, 'Reader report')")
    d.add_argument("file", metavar="FILE")
    _add_limit_option(d)
    d.set_defaults(run=cmd_digest)

    s = sub.add_parser("schema", help="print the JSON Schema shipped with this reader")
    s.add_argument("--version", default="1.0", choices=["1.0"], help="schema version (MAJOR.MINOR)")
    s.set_defaults(run=cmd_schema)

    from .conformance import add_commands as _conformance_commands

    _conformance_commands(sub)
    # Each adapter registers its own commands; none imports its framework until a command runs.
    from .evaluator.cli import add_commands as _evaluate_commands
    from .keras.cli import add_commands as _keras_commands
    from .onnx.cli import add_commands as _onnx_commands
    from .tfjs.cli import add_commands as _tfjs_commands
    for add in (_keras_commands, _evaluate_commands, _onnx_commands, _tfjs_commands):
        add(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except ModelDocError as e:
        name = getattr(args, "file", None) or getattr(args, "input", None) or "modeldoc"
        for f in e.findings:
            print(_finding_line(name, f), file=sys.stderr)
        return _exit_for(e)
    except MissingExtra as e:
        print(f"modeldoc: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # Output closed early (e.g. piped into `head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug, not bad input: one line, unless asked for the trace
        if os.environ.get("MODELDOC_DEBUG"):
            raise
        print(f"modeldoc: internal error: {type(e).__name__}: {e} (set MODELDOC_DEBUG=1 for a traceback)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
