"""Findings and the one exception type.

Errors are data: a :class:`Finding` carries a stable code, a JSON Pointer
(RFC 6901) into the document and one line of text. Validation collects every
finding; :class:`ModelDocError` is raised with the first one (and carries all
of them) when an operation cannot go on.

The codes and their meaning are listed in :mod:`modeldoc.codes`; spec.md's
table is generated from that list, so the two never disagree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from . import codes as _codes
from .codenames import Code


def escape_pointer_token(token: str | int) -> str:
    """Escape one reference token for a JSON Pointer (RFC 6901, section 3)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def printable(text: str) -> str:
    """``text`` with unpaired surrogates (which UTF-8 cannot carry) shown as U+FFFD (spec.md 9.1)."""
    if text.isascii():
        return text
    return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


_PROTOCOL_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def protocol_pointer(ptr: str) -> str:
    """``ptr`` as a reader-protocol line writes it (spec.md 13).

    Member names may hold tabs and line breaks, which would split a
    ``CODE<TAB>POINTER`` line; they are escaped as in JSON strings, and so is
    the backslash, so the text maps back to one pointer.
    """
    return printable(ptr).translate(_PROTOCOL_ESCAPES)


def pointer(*tokens: str | int) -> str:
    """Build a JSON Pointer from raw tokens: ``pointer("tensors", 3, "data")``."""
    return "".join("/" + escape_pointer_token(t) for t in tokens)


@dataclass(frozen=True)
class Finding:
    """One problem found in a document."""

    code: Code
    pointer: str
    message: str
    severity: str = "error"  # "error" or "warning"

    def __post_init__(self) -> None:
        if self.code not in _codes.CODES:
            raise AssertionError(f"unregistered finding code {self.code!r}")

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "pointer": printable(self.pointer),
            "message": printable(self.message),
            "severity": self.severity,
        }

    def __str__(self) -> str:
        return printable(f"{self.code} at {self.pointer or '(document)'}: {self.message}")


class ModelDocError(ValueError):
    """Raised when a document cannot be read, validated or written.

    ``code`` and ``pointer`` describe the first finding; ``findings`` holds
    all of them. Derives from :class:`ValueError` so callers may catch it
    without knowing this library.

    >>> import modeldoc
    >>> try:
    ...     modeldoc.loads(b'{"a": 1, "a": 2}')
    ... except modeldoc.ModelDocError as e:
    ...     print(e.code, e.pointer)
    SYNTAX_DUPLICATE_KEY /a
    """

    def __init__(self, findings: Sequence[Finding] | Finding) -> None:
        if isinstance(findings, Finding):
            findings = [findings]
        if not findings:
            raise AssertionError("ModelDocError needs at least one finding")
        self.findings: tuple[Finding, ...] = tuple(findings)
        first = self.findings[0]
        self.code: Code = first.code
        self.pointer: str = first.pointer
        super().__init__(str(first))

    @classmethod
    def of(cls, code: Code, ptr: str, message: str) -> "ModelDocError":
        return cls(Finding(code, ptr, message))


class HasFindings:
    """Errors and warnings views over a ``findings`` list."""

    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]


@dataclass
class Collector(HasFindings):
    """Accumulates findings while a validation layer walks a document."""

    findings: list[Finding] = field(default_factory=list)

    def add(self, code: Code, ptr: str, message: str, severity: str = "error") -> None:
        self.findings.append(Finding(code, ptr, message, severity))

    def extend(self, items: Iterable[Finding]) -> None:
        self.findings.extend(items)


_OS_KINDS: dict[type[OSError], type[ModelDocError]] = {}


def unreadable(path: object, error: OSError) -> ModelDocError:
    """``IO_UNREADABLE`` for a file that could not be read, raised as both a ModelDocError and
    the OSError class that ``open`` raised (``FileNotFoundError``, ``PermissionError``...), so
    callers catch it either way, and with ``errno``, ``strerror`` and ``filename`` set."""
    kind = type(error) if isinstance(error, OSError) else OSError
    cls = _OS_KINDS.get(kind)
    if cls is None:
        # str() stays the finding, as for every ModelDocError (OSError would print "[Errno 2] ...").
        cls = _OS_KINDS[kind] = type(f"ModelDoc{kind.__name__}", (ModelDocError, kind), {"__str__": BaseException.__str__})
    name = os.fspath(path) if isinstance(path, (str, os.PathLike)) else str(path)
    e = cls(Finding("IO_UNREADABLE", "", f"cannot read {name!r}: {error.strerror or error}"))
    assert isinstance(e, OSError)
    e.errno, e.strerror, e.filename = error.errno, error.strerror, name
    return e
