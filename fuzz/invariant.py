"""The fuzzing invariant, shared by every engine.

For any input bytes: ``validate`` returns a report and never raises; ``loads``
returns a document or raises ``ModelDocError`` and nothing else; a document
that loads is valid, round-trips through every encoding with the same reader
report, and its reader report can be produced. Anything else is a finding.
"""

from __future__ import annotations

import modeldoc
from modeldoc import ModelDocError


class Finding(Exception):
    """The invariant broke: a bug to fix and a fixture to add."""


def check(data: bytes) -> str:
    """Run one input; return "valid" or the first error code. Raise Finding on a bug."""
    try:
        report = modeldoc.validate(data)
    except Exception as e:  # noqa: BLE001 - any exception at all is the finding
        raise Finding(f"validate raised {type(e).__name__}: {e}") from e
    try:
        doc = modeldoc.loads(data)
    except ModelDocError as e:
        if report.ok:
            raise Finding(f"validate said valid, loads said {e.code}") from e
        if e.code != report.errors[0].code:
            raise Finding(f"validate reported {report.errors[0].code} first, loads {e.code}") from e
        return e.code
    except Exception as e:  # noqa: BLE001
        raise Finding(f"loads raised {type(e).__name__}: {e}") from e
    if not report.ok:
        raise Finding(f"loads accepted what validate rejected: {report.errors[0]}")
    try:
        first = modeldoc.reader_report(doc)
        for encoding in ("base64", "msgpack"):
            again = modeldoc.loads(modeldoc.dumps(doc, encoding=encoding))
            if modeldoc.reader_report(again) != first:
                raise Finding(f"{encoding} round trip changed the reader report")
    except ModelDocError as e:
        raise Finding(f"a valid document could not be rewritten: {e}") from e
    return "valid"
