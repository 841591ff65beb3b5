"""Strict MessagePack <-> value tree.

msgpack-python keeps the last duplicate key, returns extension types as
objects and accepts any key type unless told otherwise; we tell it.
"""

from __future__ import annotations

from typing import Any

from .codenames import Code
from .errors import Collector, escape_pointer_token
from .tree import Marker, pairs_hook


def _ext_hook(code: int, data: bytes) -> Marker:
    return Marker("SYNTAX_MSGPACK_TYPE", f"extension type {code} is not part of the data model")


def parse_msgpack(buf: bytes, out: Collector, *, max_depth: int = 128) -> Any:
    """Parse MessagePack bytes; on error add a finding and return None."""
    import msgpack  # the codec loads with the first MessagePack document, not with the package

    try:
        return msgpack.unpackb(
            buf,
            raw=False,
            strict_map_key=False,  # non-str keys are reported, with the map's pointer, by check_tree
            use_list=True,
            ext_hook=_ext_hook,
            object_pairs_hook=pairs_hook,
            timestamp=0,
        )
    except (msgpack.ExtraData, UnicodeDecodeError, msgpack.FormatError, msgpack.StackError, ValueError, TypeError) as e:
        # The parser read the whole buffer before it failed; a streaming parser would have stopped
        # at the first container beyond the depth limit if that came first (spec.md section 7).
        deep = first_too_deep(buf, max_depth)
        if deep is not None:
            out.add("SYNTAX_DEPTH", deep, f"nesting depth exceeds the limit of {max_depth}")
        else:
            _report(e, out)
    return None


def _report(e: Exception, out: Collector) -> None:
    import msgpack  # loaded already: parse_msgpack imported it

    if isinstance(e, msgpack.ExtraData):
        out.add("SYNTAX_TRAILING_DATA", "", "bytes follow the top-level MessagePack value")
    elif isinstance(e, UnicodeDecodeError):
        out.add("SYNTAX_UTF8", "", f"MessagePack str is not valid UTF-8 ({e.reason})")
    elif isinstance(e, (msgpack.FormatError, msgpack.StackError)):
        code: Code = "SYNTAX_DEPTH" if isinstance(e, msgpack.StackError) else "SYNTAX_MSGPACK"
        out.add(code, "", f"malformed MessagePack: {e}")
    elif isinstance(e, ValueError):
        msg = str(e)
        if "map key" in msg:
            out.add("SYNTAX_MSGPACK_TYPE", "", "map keys must be strings")
        else:
            out.add("SYNTAX_MSGPACK", "", f"malformed MessagePack: {msg}")
    else:  # TypeError: an unhashable key such as a map used as a key
        out.add("SYNTAX_MSGPACK_TYPE", "", f"map keys must be strings ({e})")


class _Stop(Exception):
    """The data goes wrong (truncated, an unused byte, a str that is not UTF-8) before any deep container."""


class _Deep(Exception):
    def __init__(self, pointer: str) -> None:
        self.pointer = pointer


# header byte -> bytes that follow it with no item inside (numbers, nil, bool)
_FIXED = {0xC0: 0, 0xC2: 0, 0xC3: 0, 0xCA: 4, 0xCB: 8, 0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8,
          0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8, 0xD4: 2, 0xD5: 3, 0xD6: 5, 0xD7: 9, 0xD8: 17}
_LENGTH = {0xC4: 1, 0xC5: 2, 0xC6: 4, 0xC7: 1, 0xC8: 2, 0xC9: 4, 0xD9: 1, 0xDA: 2, 0xDB: 4,
           0xDC: 2, 0xDD: 4, 0xDE: 2, 0xDF: 4}  # header byte -> size of its length field


def first_too_deep(buf: bytes, max_depth: int) -> str | None:
    """Pointer of the first container deeper than ``max_depth`` in stream order, if the
    data reaches one before it goes wrong; None otherwise. Error paths only.

    Inside an entry whose key is not a str nothing has a pointer: depth there is
    reported at the map (spec.md section 2.3).
    """
    pos = 0

    def take(n: int) -> bytes:
        nonlocal pos
        if pos + n > len(buf):
            raise _Stop
        pos += n
        return buf[pos - n : pos]

    def item(ptr: str, depth: int, opaque: bool) -> str | None:
        """Skip one item; return it if it is a str (a map key needs it)."""
        b = take(1)[0]
        if b <= 0x7F or b >= 0xE0:
            return None
        if b in _FIXED:
            take(_FIXED[b])
            return None
        if b == 0xC1:
            raise _Stop
        if 0xA0 <= b <= 0xBF or b in (0xD9, 0xDA, 0xDB):
            n = b & 0x1F if b <= 0xBF else int.from_bytes(take(_LENGTH[b]), "big")
            try:
                return take(n).decode("utf-8")
            except UnicodeDecodeError:
                raise _Stop from None
        if b in (0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9):
            n = int.from_bytes(take(_LENGTH[b]), "big")
            take(n + (1 if b >= 0xC7 else 0))  # ext: a type byte, then the data
            return None
        is_map = b <= 0x8F or b >= 0xDE
        n = b & 0x0F if b <= 0x9F else int.from_bytes(take(_LENGTH[b]), "big")
        if depth > max_depth:
            raise _Deep(ptr)
        for i in range(n):
            if not is_map:
                item(ptr if opaque else f"{ptr}/{i}", depth + 1, opaque)
                continue
            key = item(ptr, depth + 1, True)  # a key has no pointer of its own
            inside = opaque or key is None
            item(ptr if inside else f"{ptr}/{escape_pointer_token(key or '')}", depth + 1, inside)
        return None

    try:
        item("", 1, False)
    except _Deep as d:
        return d.pointer
    except (_Stop, RecursionError):
        return None
    return None
