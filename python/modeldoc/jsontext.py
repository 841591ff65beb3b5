"""Strict JSON text -> value tree (RFC 8259 plus the ModelDoc text rules).

The stdlib parser is correct on numbers (exact integers, correctly rounded
binary64) but lenient elsewhere: it keeps the last duplicate key, accepts
NaN/Infinity and overflows ``1e999`` to inf. Its hooks turn each of those
into a marker that :func:`modeldoc.tree.check_tree` reports with a pointer.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import Collector, escape_pointer_token
from .tree import Marker, pairs_hook

_INT_MIN = -(1 << 63)
_INT_MAX = (1 << 64) - 1


class NegativeZero(int):
    """The integer token ``-0``: the integer 0, but negative zero in float tensor data.

    spec.md section 6 reads float text as a decimal, and the decimal -0 is
    negative zero; the stdlib parser would hand us a plain 0 and lose the sign.
    """


NEGATIVE_ZERO = NegativeZero(0)


def _parse_int(s: str) -> int | Marker:
    if s == "-0":
        return NEGATIVE_ZERO
    # Beyond 20 digits it is out of range anyway; don't hand int() a huge string.
    if len(s.lstrip("-")) > 20 or not _INT_MIN <= (v := int(s)) <= _INT_MAX:
        return Marker("SYNTAX_NUMBER_RANGE", f"integer {cut(s, 30)} is outside [-2^63, 2^64-1]")
    return v


def cut(text: str, n: int) -> str:
    """``text`` shortened to ``n`` characters, with an ellipsis where it was cut."""
    return text if len(text) <= n else text[:n] + "..."


def _parse_constant(s: str) -> Marker:
    return Marker("SYNTAX_NONFINITE_LITERAL", f"bare {s} is not JSON; tensor data uses the string \"{s}\"")


_DECODER = json.JSONDecoder(
    object_pairs_hook=pairs_hook,
    parse_int=_parse_int,  # floats use the C parser; check_tree reports the ones that overflowed
    parse_constant=_parse_constant,
    strict=True,
)


def parse_json(buf: bytes, out: Collector, *, max_depth: int = 128) -> Any:
    """Parse JSON bytes; on a syntax error add a finding and return None."""
    try:
        text = buf.decode("utf-8")
    except UnicodeDecodeError as e:
        out.add("SYNTAX_UTF8", "", f"invalid UTF-8 at byte {e.start}")
        return None
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as e:
        if _deeper_than(text, e.pos, max_depth):
            # A streaming parser stops at the first container beyond the limit, before it meets
            # this error: that finding is the layer's only one (spec.md section 7).
            where = pointer_at(text, e.pos, stop_depth=max_depth + 1)
            out.add("SYNTAX_DEPTH", where, f"nesting depth exceeds the limit of {max_depth}")
        elif e.msg == "Extra data":
            out.add("SYNTAX_TRAILING_DATA", "", f"data after the document at line {e.lineno} column {e.colno}")
        else:
            where = pointer_at(text, e.pos)
            # The stdlib's "Unterminated string starting at" already ends in "at".
            what = e.msg[: -len(" at")] if e.msg.endswith(" at") else e.msg
            out.add("SYNTAX_JSON", where, f"{what} at line {e.lineno} column {e.colno}")
        return None
    except RecursionError:
        # The C scanner gave up at Python's recursion limit; name the first container
        # beyond our own limit, the same place check_tree names for shallower bombs.
        where = pointer_at(text, len(text), stop_depth=max_depth + 1)
        out.add("SYNTAX_DEPTH", where, f"nesting depth exceeds the limit of {max_depth}")
        return None


# A string (possibly cut off by the end of the text) or one bracket; the unrolled loop keeps
# long strings (base64 data) at regex-engine speed.
_STRUCTURE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]')


def _deeper_than(text: str, pos: int, max_depth: int) -> bool:
    """Does a container open deeper than ``max_depth`` before ``text[pos]``? Error paths only."""
    depth = 0
    for m in _STRUCTURE.finditer(text, 0, pos):
        c = m.group()[0]
        if c == "[" or c == "{":
            depth += 1
            if depth > max_depth:
                return True
        elif c == "]" or c == "}":
            depth -= 1
    return False


def pointer_at(text: str, pos: int, *, stop_depth: int | None = None) -> str:
    """JSON Pointer of the innermost array or object open at ``text[pos]``.

    Used only on error paths, to say where a malformed document went wrong.
    With ``stop_depth`` it stops at the first container that deep.
    """
    stack: list[list[Any]] = []  # [kind, current key or index, expecting_key]
    i = 0
    n = min(pos, len(text))
    last_string = ""
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            buf = []
            while j < len(text) and text[j] != '"':
                if text[j] == "\\":
                    buf.append(text[j : j + 2])
                    j += 2
                else:
                    buf.append(text[j])
                    j += 1
            raw = "".join(buf)
            try:
                last_string = json.loads('"' + raw + '"')
            except ValueError:
                last_string = raw
            if stack and stack[-1][0] == "{" and stack[-1][2]:
                stack[-1][1] = last_string
                stack[-1][2] = False
            i = j + 1
            continue
        if c in "[{":
            stack.append([c, 0 if c == "[" else None, c == "{"])
            if stop_depth is not None and len(stack) >= stop_depth:
                stack.pop()  # the pointer names this container, not a member inside it
                break
        elif c in "]}":
            if stack:
                stack.pop()
        elif c == "," and stack:
            if stack[-1][0] == "[":
                stack[-1][1] += 1
            else:
                stack[-1][2] = True
        i += 1
    tokens = []
    for _kind, key, _ in stack:
        if key is None:
            break
        tokens.append(escape_pointer_token(key))
    return "".join("/" + t for t in tokens)


def dumps_value(value: Any, *, ascii_only: bool = False) -> str:
    """Compact JSON of a tree that holds only data-model values."""
    return json.dumps(value, ensure_ascii=ascii_only, allow_nan=False, separators=(",", ":"))
