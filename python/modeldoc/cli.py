"""The ``modeldoc`` command line (spec.md, "Command line").

Exit codes: 0 success; 1 a document is invalid (or, for ``diff``, the two differ);
2 usage error, unreadable input or unwritable output (a full disk, a closed pipe);
3 internal error (a bug: please report it). No command prints a traceback for
bad input. ``-`` names standard input or output wherever a file is read or written.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys
from typing import TYPE_CHECKING, Any, Iterable, NoReturn, Sequence

from ._version import __version__
from .choices import ENCODINGS, QUANTIZE_MODES
from .clicommon import (
    STDIO,
    FileError,
    add_force_option,
    check_output,
    common_options,
    configure,
    document_source,
    finding_line,
    print_json,
    read_stdin,
    report_failure,
    save_document,
    say,
    shown,
    usage_error,
    write_bytes_to,
)
from .commands import COMMANDS
from .errors import Finding, ModelDocError
from .exitcodes import EXIT_INTERNAL, EXIT_INVALID, EXIT_OK, EXIT_USAGE, exit_for
from .extras import MissingExtra
from .limits import DEFAULT_LIMITS, Limits
from .progress import terminal_bar

if TYPE_CHECKING:
    from .reader import Report

# The modules that load numpy and the codecs are imported inside the commands that use them, so that
# `modeldoc --help` and a usage error pay for argparse only (tests/test_startup.py).


def _finding_line(name: str, f: Finding) -> str:
    return finding_line(name, f)


# --- commands -----------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    limits = _limits(args)
    if args.files.count(STDIO) > 1:
        raise usage_error("standard input (-) can be read only once")
    on_disk = [f for f in args.files if f != STDIO]
    jobs = worth_starting(_sizes(on_disk), args.jobs or available_cores())
    # With --jobs the files are checked in worker processes; the reports come back in the order of
    # the command line, so everything below (output, exit code) is the same as one by one.
    checked = iter(_validate_in_workers(on_disk, limits, jobs) if jobs > 1 else ())
    from .reader import Report, validate  # not before the workers: with --jobs the parent needs it only for -

    reports: list[tuple[str, Report]] = []
    for f in args.files:
        if f == STDIO:
            try:
                source: str | bytes = read_stdin(limits.max_document_bytes)
            except ModelDocError as e:
                reports.append((shown(f), Report(list(e.findings))))
                continue
            reports.append((shown(f), validate(source, limits=limits)))
            continue
        if jobs > 1:
            reports.append((f, next(checked)))
            continue
        with terminal_bar(f"validating {os.path.basename(f)}") as progress:
            reports.append((f, validate(f, limits=limits, progress=progress)))
    if args.json:
        print_json([dict(file=f, **r.as_dict()) for f, r in reports])
    else:
        for f, r in reports:
            if r.ok and not args.quiet:
                print(f"{f}: OK")
            for finding in r.findings:
                if finding.severity == "error" or not args.quiet:
                    print(_finding_line(f, finding))
    if any(any(x.code == "IO_UNREADABLE" for x in r.errors) for _, r in reports):
        return EXIT_USAGE
    return EXIT_OK if all(r.ok for _, r in reports) else EXIT_INVALID


def available_cores() -> int:
    """The cores this process may run on (``--jobs 0`` or ``auto``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def _jobs_value(text: str) -> int:
    if text.strip().lower() == "auto":
        return 0
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected a number of processes (0 or auto: one per core), got {text!r}")
    return n


# What starting workers costs against what they save, measured on a 2-core machine (fresh processes):
# a worker takes about 0.35 s to start (spawn, then the reader's imports); one process validates a
# small document in about 2 ms and a big JSON base64 one at about 300 MB/s.
_WORKER_START_S = 0.35
_PER_FILE_S = 0.002
_PER_BYTE_S = 1 / 300e6


def worth_starting(sizes: list[int], jobs: int) -> int:
    """How many worker processes ``--jobs jobs`` should start for files of these sizes; 1: none.

    The number that finishes soonest by the estimate (start-up plus an even share of the work),
    so 20 small files are checked in this process while 1,000 are shared out.
    """
    work = len(sizes) * _PER_FILE_S + sum(sizes) * _PER_BYTE_S
    best, best_time = 1, work
    for k in range(2, min(jobs, len(sizes)) + 1):
        if _WORKER_START_S + work / k < best_time:
            best, best_time = k, _WORKER_START_S + work / k
    return best


def _sizes(files: list[str]) -> list[int]:
    sizes = []
    for f in files:
        try:
            sizes.append(os.path.getsize(f))
        except OSError:
            sizes.append(0)
    return sizes


def _validate_in_workers(files: list[str], limits: Limits, jobs: int) -> list[Report]:
    """``validate`` of each file in ``jobs`` worker processes, the reports in the order of ``files``.

    Workers are started with ``spawn`` (a clean interpreter on every platform, no fork of a process
    that holds threads); each imports the reader once and then takes its files in chunks. A bug that
    raises in a worker is raised here, for the first such file in order, as it would be one by one.
    """
    import concurrent.futures
    import multiprocessing

    sizes = _sizes(files)
    total = sum(sizes)
    chunk = max(1, min(32, len(files) // (jobs * 8)))
    out: list[Report] = []
    done = 0
    pool = concurrent.futures.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                                                  initializer=_worker_start)
    try:
        with terminal_bar(f"validating {len(files)} files") as progress:
            for report in pool.map(_validate_file, files, [limits] * len(files), chunksize=chunk):
                done += sizes[len(out)]
                out.append(report)
                if progress is not None:
                    progress(done, total)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return out


def _worker_start() -> None:
    """In each worker of ``validate --jobs``: no progress bars, and Ctrl-C is the parent's to handle."""
    import signal

    from .progress import set_enabled

    set_enabled(False)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _validate_file(path: str, limits: Limits) -> Report:
    from .reader import validate

    return validate(path, limits=limits)


def cmd_inspect(args: argparse.Namespace) -> int:
    # Header only: the structure is checked, no tensor data is read (spec.md 7.1).
    from .document import producer_to_tree
    from .lazy import open as open_lazy

    limits = _limits(args)
    with open_lazy(document_source(args.file, limits), limits=limits) as doc:
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
        if info_t.byte_range is not None:  # where the stored data lies in the file (LazyDocument.tensor_info)
            entry["byte_range"] = list(info_t.byte_range)
        tensors.append(entry)
    info = {
        "file": shown(args.file),
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
        print_json(info)
        return EXIT_OK
    p = info["producer"]
    print(f"{shown(args.file)}: ModelDoc {doc.format_version} ({container})")
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
        print(_finding_line(shown(args.file), w))
    return EXIT_OK


def _shape(shape: Sequence[int | None]) -> str:
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


def cmd_convert(args: argparse.Namespace) -> int:
    from .quantize import quantize_document
    from .reader import read_tree
    from .writer import encoding_for

    if args.per_channel and not args.quantize:
        raise usage_error("--per-channel needs --quantize uint8 or int8")
    check_output(args, args.output, [args.input])
    encoding = encoding_for(args.output if args.output != STDIO else "", args.encoding)
    limits = _limits(args)
    with terminal_bar(f"reading {os.path.basename(args.input)}") as progress:
        doc = read_tree(document_source(args.input, limits), limits=limits, progress=progress).document()
    quantized = []
    if args.quantize:
        # Explicit and reported (spec.md 5.5): one line per float tensor, what happened to it.
        for name, what in quantize_document(doc, args.quantize, per_channel=args.per_channel):
            quantized.append({"tensor": name, "result": what})
            say(args, f"{name}: {what}")
    with terminal_bar(f"writing {os.path.basename(args.output)}") as progress:
        save_document(args, doc, args.output, encoding, progress, canonicalize_nan=args.canonicalize_nan)
    if args.json:
        print_json({"ok": True, "input": shown(args.input), "output": shown(args.output, output=True),
                    "encoding": encoding, "quantized": quantized})
    return EXIT_OK


def cmd_digest(args: argparse.Namespace) -> int:
    from . import readerprotocol

    limits = _limits(args)
    answer = readerprotocol.answer(document_source(args.file, limits), shown(args.file), limits=limits)
    if answer.error is not None and args.json:
        raise answer.error  # the JSON error object instead of the protocol's lines
    sys.stdout.write(answer.stdout)
    sys.stderr.write(answer.stderr)  # findings' messages, or the protocol's warning lines
    return answer.exit_code


def cmd_extract(args: argparse.Namespace) -> int:
    import numpy as np

    from .evaluator.cli import file_names
    from .lazy import open as open_lazy

    limits = _limits(args)
    output = args.output or file_names([args.tensor])[args.tensor]
    check_output(args, output, [args.file])
    # One tensor read and checked (spec.md 7.1): the others' data is never read.
    with open_lazy(document_source(args.file, limits), limits=limits) as doc:
        if args.tensor not in doc:
            names = doc.keys()
            listed = ", ".join(repr(n) for n in names[:5]) + (", ..." if len(names) > 5 else "")
            raise usage_error(f"no tensor named {args.tensor!r} (the document has {listed or 'none'})")
        array = doc.get_tensor(args.tensor)
    note = ""
    if array.dtype.name == "bfloat16":  # .npy has no bfloat16: widen, which is exact
        array, note = array.astype(np.float32), " (bfloat16 widened to float32, exactly)"
    write_bytes_to(output, lambda fp: np.save(fp, array, allow_pickle=False))
    say(args, f"{args.tensor}: {array.dtype} {list(array.shape)} -> {shown(output, output=True)}{note}")
    if args.json:
        print_json({"ok": True, "tensor": args.tensor, "output": shown(output, output=True),
                    "dtype": str(array.dtype), "shape": list(array.shape)})
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from .compare import diff_documents

    if args.a == STDIO and args.b == STDIO:
        raise usage_error("standard input (-) can be read only once")
    limits = _limits(args)
    d = diff_documents(document_source(args.a, limits), document_source(args.b, limits), limits=limits)
    if args.json:
        print_json({"a": shown(args.a), "b": shown(args.b), **d.as_dict()})
    elif not args.quiet or not d.equal:
        for kind, pointers in (("model", d.model), ("config", d.config), ("other", d.other)):
            for ptr in pointers:
                print(f"{kind} differs at {ptr}")
        for t in d.tensors:
            if t.status == "different":
                print(f"tensor {t.name}: different checksum, max abs difference {t.max_abs_diff:.6g}")
            elif t.status != "equal":
                print(f"tensor {t.name}: {t.status.replace('_', ' ')}")
        same = sum(t.status == "equal" for t in d.tensors)
        print(f"{'equal' if d.equal else 'different'}: {same} of {len(d.tensors)} tensors equal")
    return EXIT_OK if d.equal else EXIT_INVALID


def cmd_schema(args: argparse.Namespace) -> int:
    from .schema import schema_text

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


class UsageError(Exception):
    """argparse refused the command line (raised instead of argparse's own exit, so --json can answer)."""

    def __init__(self, message: str, usage: str, prog: str) -> None:
        super().__init__(message)
        self.usage, self.prog = usage, prog


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message, self.format_usage(), self.prog)


def _document_argument(p: argparse.ArgumentParser, dest: str, metavar: str, what: str = "the document") -> None:
    p.add_argument(dest, metavar=metavar, help=f"{what} (JSON or MessagePack; - reads standard input)")


def _encoding_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--encoding", choices=ENCODINGS, default=None,
                   help="tensor encoding of OUT; default: from OUT's extension (.msgpack: msgpack, otherwise "
                        "base64); an encoding that contradicts the extension is an error")


def build_parser(chosen: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The parser of ``modeldoc``: every command of the table, with the arguments of those ``chosen``
    (all when None). Only the modules of chosen commands are imported; the rest are listed by name and help."""
    common = common_options()
    p = _Parser(
        prog="modeldoc", description="Validate, inspect and convert ModelDoc documents (JSON or MessagePack). "
        "Wherever a file is read or written, - means standard input or output.",
    )
    p.add_argument("--version", action="version", version=f"modeldoc {__version__}",
                   help="print the version and exit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    wanted = {c.name for c in COMMANDS} if chosen is None else set(chosen)
    commands = Commands(sub, common, wanted)
    registered: set[str] = set()
    for command in COMMANDS:
        if command.name not in wanted:
            sub.add_parser(command.name, help=command.help)
        elif command.module not in registered:
            registered.add(command.module)
            importlib.import_module(command.module).add_commands(commands)
    return p


def add_commands(commands: Commands) -> None:
    """Register the core's commands (the table in commands.py names them)."""
    add = commands.add_parser

    v = add("validate", help="check documents: syntax, schema, graph, data, checksums")
    v.add_argument("files", nargs="+", metavar="FILE", help="documents to check (- reads standard input)")
    v.add_argument("-j", "--jobs", type=_jobs_value, default=1, metavar="N",
                   help="check the files in up to N worker processes (0 or auto: one per core; default 1), "
                        "fewer when the files are too few to repay starting them; the output and the exit "
                        "code are the same as without")
    _add_limit_option(v)
    v.set_defaults(run=cmd_validate)

    i = add("inspect", help="summarise a document: model, layers, tensors")
    _document_argument(i, "file", "FILE")
    _add_limit_option(i)
    i.set_defaults(run=cmd_inspect)

    c = add("convert", help="rewrite a document in another encoding (lossless, atomic)")
    _document_argument(c, "input", "IN")
    c.add_argument("output", metavar="OUT", help="the new document (- writes standard output); never IN")
    _encoding_option(c)
    c.add_argument(
        "--canonicalize-nan", action="store_true",
        help="allow the list encoding to replace NaNs that carry sign or payload bits by the canonical NaN",
    )
    add_force_option(c)
    c.add_argument(
        "--quantize", choices=QUANTIZE_MODES,
        help="store float weights quantized (affine uint8/int8, or float16) and print each tensor's largest error",
    )
    c.add_argument("--per-channel", action="store_true",
                   help="with --quantize uint8/int8: parameters per output channel (needs --quantize)")
    _add_limit_option(c)
    c.set_defaults(run=cmd_convert)

    d = add("digest", help="print the canonical reader report (spec.md, 'Reader report')")
    _document_argument(d, "file", "FILE")
    _add_limit_option(d)
    d.set_defaults(run=cmd_digest)

    e = add("extract", help="write one tensor's values as a .npy file (reads one tensor at a time)")
    _document_argument(e, "file", "DOC")
    e.add_argument("tensor", metavar="TENSOR", help="the tensor's name, as `inspect` lists it")
    e.add_argument("-o", "--output", metavar="OUT.npy",
                   help="where to write (- writes standard output; default: TENSOR.npy here, / and other "
                        "characters replaced by _)")
    add_force_option(e)
    _add_limit_option(e)
    e.set_defaults(run=cmd_extract)

    f = add("diff", help="compare two documents: model, configs, and each tensor (exit 1 if they differ)",
            description="Compare two documents: the graph, every layer config, the other members, and each "
                        "tensor (equal, different checksum with the largest absolute difference, other dtype "
                        "or shape, only in one). Tensors are read one at a time. Exit 0 equal, 1 different.")
    _document_argument(f, "a", "A", "the first document")
    _document_argument(f, "b", "B", "the second document")
    _add_limit_option(f)
    f.set_defaults(run=cmd_diff)

    s = add("schema", help="print the JSON Schema shipped with this reader")
    s.add_argument("--version", default="1.0", choices=["1.0"], help="schema version (MAJOR.MINOR)")
    s.set_defaults(run=cmd_schema)


class Commands:
    """The subcommand table: ``add_parser`` as argparse's, plus the common options on every command.

    Adapters register their commands through it, so each takes ``--json``, ``--quiet`` and
    ``--no-progress`` like the core's."""

    def __init__(self, sub: Any, common: argparse.ArgumentParser, wanted: set[str]) -> None:
        self.sub, self.common, self.wanted = sub, common, wanted

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        if name not in self.wanted:  # a module's other commands: listed from the table instead
            return argparse.ArgumentParser(prog=name, add_help=False)
        if kwargs.get("help") and "description" not in kwargs:
            kwargs["description"] = kwargs["help"][0].upper() + kwargs["help"][1:] + "."
        return self.sub.add_parser(name, parents=[self.common], **kwargs)  # type: ignore[no-any-return]


def _wants_json(argv: Sequence[str]) -> bool:
    head = list(argv[: argv.index("--")]) if "--" in argv else list(argv)
    return "--json" in head


def _chosen(argv: Sequence[str]) -> list[str]:
    """The command named in ``argv``: its first word that is not an option (``modeldoc``'s own options
    take no value), or none for ``modeldoc --help``."""
    for word in argv:
        if word == "--":
            break
        if not word.startswith("-"):
            return [word]
    return []


def _subject(args: argparse.Namespace) -> str:
    for key in ("file", "input", "a"):
        value = getattr(args, key, None)
        if isinstance(value, str):
            return shown(value)
    return "modeldoc"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = _wants_json(argv)
    parser = build_parser(_chosen(argv))
    try:
        args = parser.parse_args(argv)
    except UsageError as e:
        if as_json:
            return report_failure(e.prog, [Finding("USAGE", "", str(e))], EXIT_USAGE, as_json=True)
        sys.stderr.write(e.usage)
        print(f"{e.prog}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    configure(args)
    as_json = bool(getattr(args, "json", False))
    try:
        code = int(args.run(args))
        sys.stdout.flush()  # a full disk or a closed pipe shows here, not at exit
        return code
    except ModelDocError as e:
        name = e.subject if isinstance(e, FileError) else _subject(args)
        return report_failure(name, e.findings, exit_for(e.code), as_json=as_json)
    except MissingExtra as e:
        return report_failure(_subject(args), [Finding("USAGE", "", str(e))], EXIT_USAGE, as_json=as_json)
    except OSError as e:
        return _io_failure(e, args, as_json)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug, not bad input: one line, unless asked for the trace
        if os.environ.get("MODELDOC_DEBUG"):
            raise
        print(f"modeldoc: internal error: {type(e).__name__}: {e} (set MODELDOC_DEBUG=1 for a traceback)", file=sys.stderr)
        return EXIT_INTERNAL


def _io_failure(e: OSError, args: argparse.Namespace, as_json: bool) -> int:
    """An OSError that reached the top: the output could not be written (a full disk, a closed pipe)
    or a file could not be read. Exit 2, never 3: the environment failed, not modeldoc."""
    what = e.strerror or os.strerror(e.errno or errno.EIO)
    if e.filename is None:  # a stream: standard output, which may be the one that failed
        _silence_stdout()
        finding = Finding("WRITE_FAILED", "", f"cannot write standard output: {what}")
        return report_failure(_subject(args), [finding], EXIT_USAGE, as_json=False)
    finding = Finding("IO_UNREADABLE", "", f"cannot read or write {e.filename!r}: {what}")
    return report_failure(_subject(args), [finding], EXIT_USAGE, as_json=as_json)


def _silence_stdout() -> None:
    # What is still buffered for a dead stdout would fail again when Python exits.
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):
        return  # not a real file (captured in process): nothing is flushed at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
