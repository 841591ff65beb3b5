"""The exit codes of every ``modeldoc`` command, the adapters' and the conformance harness's too.

0 success; 1 a document is invalid (for ``diff``, the two differ; for ``conformance``, a case failed);
2 usage error, unreadable input or unwritable output; 3 internal error (a bug). README.md and spec.md 13
document them, and third-party readers driven by ``conformance run`` answer with 0 and 1 as well.
"""

from __future__ import annotations

from .codenames import Code

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

# Findings that mean the environment or the command line failed, not the document: they exit 2.
USAGE_CODES: frozenset[Code] = frozenset({"IO_UNREADABLE", "LIMIT_DOCUMENT_SIZE", "WRITE_FAILED", "USAGE"})


def exit_for(code: Code) -> int:
    """The exit code of a command that stops on a finding with ``code``."""
    return EXIT_USAGE if code in USAGE_CODES else EXIT_INVALID
