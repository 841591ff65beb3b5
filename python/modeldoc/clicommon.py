"""What every ``modeldoc`` command shares: the common options, ``-`` for standard input and
output, output checks (``--force``, never the input), quiet messages and the error object.

Adapters' commands (keras/, tfjs/, onnx/, evaluator/) use these helpers too, so every
command reads, writes and fails the same way (spec.md section 13).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import contextmanager
from typing import IO, Any, Callable, Iterable, Iterator, Sequence

from .codenames import Code
from .errors import Finding, ModelDocError, printable

# Re-exported: the adapters' commands take them from here with the rest of the shared CLI helpers.
from .exitcodes import EXIT_INTERNAL as EXIT_INTERNAL
from .exitcodes import EXIT_INVALID as EXIT_INVALID
from .exitcodes import EXIT_OK as EXIT_OK
from .exitcodes import EXIT_USAGE as EXIT_USAGE
from .limits import Limits
from .progress import Progress, set_enabled

STDIO = "-"
# Keys of the object ``--json`` prints when a command fails (README.md, "Command line").
ERROR_KEYS = ("ok", "exit_code", "file", "errors")


class FileError(ModelDocError):
    """A ModelDocError about a file other than the command's document (e.g. ``run --input``):
    messages name ``subject`` instead of the document."""

    def __init__(self, subject: str, code: Code, message: str) -> None:
        super().__init__(Finding(code, "", message))
        self.subject = subject


def usage_error(message: str) -> ModelDocError:
    return ModelDocError.of("USAGE", "", message)


# --- options --------------------------------------------------------------------------


def common_options() -> argparse.ArgumentParser:
    """The options every command takes (a parent parser, so they may follow the command name)."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("common options")
    g.add_argument("--json", action="store_true",
                   help="print the result, or the error, as one JSON object on standard output")
    g.add_argument("-q", "--quiet", action="store_true",
                   help="print nothing but errors (and the output asked for); implies --no-progress")
    g.add_argument("--no-progress", action="store_true", help="no progress bars (they appear only on a terminal)")
    return p


def configure(args: argparse.Namespace) -> None:
    """Apply the common options for this run."""
    set_enabled(not (getattr(args, "quiet", False) or getattr(args, "no_progress", False)))


def add_force_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true",
                   help="replace OUT if it exists (without it an existing OUT is refused; OUT is never the input)")


def say(args: argparse.Namespace, text: str) -> None:
    """An informational line: silent with --quiet or --json; on stderr when stdout carries the output."""
    if getattr(args, "quiet", False) or getattr(args, "json", False):
        return
    stream = sys.stderr if getattr(args, "output", None) == STDIO else sys.stdout
    print(printable(text), file=stream)


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


# --- files --------------------------------------------------------------------------


def shown(path: str, *, output: bool = False) -> str:
    """How messages name a file; ``-`` is standard input or output."""
    if path == STDIO:
        return "<stdout>" if output else "<stdin>"
    return path


def read_stdin(limit: int) -> bytes:
    """Standard input, refusing more than ``limit`` bytes (it may be endless)."""
    from .reader import read_source

    return read_source(sys.stdin.buffer, Limits(max_document_bytes=limit))


def document_source(path: str, limits: Limits) -> str | bytes:
    """What the reader takes for ``path``: the path itself, or the bytes of standard input for ``-``."""
    return read_stdin(limits.max_document_bytes) if path == STDIO else path


def check_output(args: argparse.Namespace, output: str, inputs: Iterable[str]) -> None:
    """Refuse an output that is one of the inputs (always) or exists (unless ``--force``)."""
    if output == STDIO:
        return
    for given in inputs:
        if given != STDIO and _same_file(output, given):
            raise usage_error(f"{output!r} is the input; write to another file")
    if os.path.lexists(output) and not getattr(args, "force", False):
        raise usage_error(f"{output!r} exists; pass --force to replace it")


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def save_document(args: argparse.Namespace, doc: Any, output: str, encoding: str | None,
                  progress: Progress | None = None, **options: Any) -> str:
    """Write ``doc`` to ``output`` (``-``: standard output); returns the encoding used.

    Without ``encoding`` the extension decides (writer.encoding_for); standard output is
    base64 JSON unless told otherwise.
    """
    from .writer import encoding_for, save, write

    if output == STDIO:
        chosen = encoding_for("", encoding)
        write(doc, sys.stdout.buffer, encoding=chosen, progress=progress, **options)
        sys.stdout.buffer.flush()
        return chosen
    chosen = encoding_for(output, encoding)
    save(doc, output, encoding=chosen, progress=progress, **options)
    return chosen


def output_encoding(args: argparse.Namespace) -> str:
    """The encoding for ``args.output`` under ``args.encoding`` (writer.encoding_for; stdout: base64 unless told)."""
    from .writer import encoding_for

    return encoding_for(args.output if args.output != STDIO else "", args.encoding)


def save_and_report(args: argparse.Namespace, doc: Any, encoding: str) -> None:
    """Save a converted ``doc`` to ``args.output`` with a progress bar and say so (a line, or the --json object)."""
    from .progress import terminal_bar

    with terminal_bar(f"writing {os.path.basename(args.output)}") as progress:
        save_document(args, doc, args.output, encoding, progress)
    out = shown(args.output, output=True)
    if args.json:
        print_json({"ok": True, "output": out, "encoding": encoding, "tensors": len(doc.tensors)})
    else:
        say(args, f"{out}: {len(doc.tensors)} tensors written ({encoding})")


def write_bytes_to(output: str, fill: Any) -> None:
    """``fill(fp)`` into ``output`` atomically, or into standard output for ``-``."""
    from .writer import atomic_write

    if output == STDIO:
        fill(sys.stdout.buffer)
        sys.stdout.buffer.flush()
    else:
        atomic_write(output, fill)


# --- failures -------------------------------------------------------------------------


def finding_line(name: str, f: Finding) -> str:
    prefix = "warning: " if f.severity == "warning" else ""
    return printable(f"{name}: {f.code} at {f.pointer or '(document)'}: {prefix}{f.message}")


def report_failure(name: str, findings: Sequence[Finding], exit_code: int, *, as_json: bool,
                   stream: IO[str] | None = None) -> int:
    """Print a command's failure: one line per finding on stderr, or the JSON error object on stdout."""
    if as_json:
        print(json.dumps({"ok": False, "exit_code": exit_code, "file": printable(name),
                          "errors": [f.as_dict() for f in findings]}, indent=2, ensure_ascii=False))
    else:
        for f in findings:
            print(finding_line(name, f), file=stream or sys.stderr)
    return exit_code


@contextmanager
def local_file(path: str, suffix_of: Callable[[bytes], str] | None = None) -> Iterator[str]:
    """A path to read ``path`` from: itself, or for ``-`` a temporary copy of standard input
    (for readers that need a real file, such as HDF5), removed afterwards. ``suffix_of`` names the
    copy's extension from its first bytes, for readers that go by the name."""
    if path != STDIO:
        yield path
        return
    import shutil
    import tempfile

    head = sys.stdin.buffer.read(1 << 16)
    fd, tmp = tempfile.mkstemp(prefix="modeldoc-stdin-", suffix=suffix_of(head) if suffix_of else "")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(head)
            shutil.copyfileobj(sys.stdin.buffer, f, 1 << 20)
        yield tmp
    finally:
        os.unlink(tmp)
