"""This reader's answer under the reader protocol (spec.md 13): what ``modeldoc digest FILE`` prints.

The ``digest`` command and the conformance harness's in-process reference reader both answer through
:func:`answer`, so the harness checks exactly what the command does without calling the command line.
"""

from __future__ import annotations

from dataclasses import dataclass

from .clicommon import finding_line
from .digest import reader_report
from .errors import ModelDocError, protocol_pointer
from .exitcodes import EXIT_INVALID, EXIT_OK, EXIT_USAGE, exit_for
from .limits import DEFAULT_LIMITS, Limits
from .reader import read_tree


@dataclass(frozen=True)
class Answer:
    exit_code: int
    stdout: str
    stderr: str
    error: ModelDocError | None = None  # why the document is invalid (``--json`` reports it instead)


def answer(source: str | bytes, name: str, *, limits: Limits = DEFAULT_LIMITS) -> Answer:
    """Read ``source`` (``name`` in messages) and answer: the reader report and exit 0, or one
    ``CODE<TAB>POINTER`` line per finding and exit 1; warnings go to the error stream.

    A finding about the environment rather than the document (an unreadable file, a document over
    the size limit) is raised as :class:`ModelDocError`: the command exits 2 with it.
    """
    try:
        result = read_tree(source, limits=limits)
    except ModelDocError as e:
        if exit_for(e.code) == EXIT_USAGE:
            raise
        lines = "".join(f"{f.code}\t{protocol_pointer(f.pointer)}\n" for f in e.findings)
        messages = "".join(finding_line(name, f) + "\n" for f in e.findings)
        return Answer(EXIT_INVALID, lines, messages, e)
    warnings = "".join(f"warning\t{w.code}\t{protocol_pointer(w.pointer)}\n" for w in result.warnings)
    return Answer(EXIT_OK, reader_report(result.document()), warnings)
