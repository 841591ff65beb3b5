"""Checks on a parsed value tree that parsers leave to us.

Parsers hand back markers instead of raising inside their hooks (a hook does
not know where in the document it is); one walk over the tree then reports
each marker with its JSON Pointer, together with depth, unpaired surrogates
and, for MessagePack, types outside the data model.
"""

from __future__ import annotations

import math
import re
from typing import Any

from .codenames import Code
from .errors import Collector, escape_pointer_token
from .limits import Limits


class Irregular(dict):  # type: ignore[type-arg]
    """An object with repeated member names or (MessagePack) keys that are not strings.

    As a dict it holds the last value of each string key; ``pairs`` keeps every
    member as written, so the values a repeat replaced are checked too (a
    streaming parser meets them) and entries under non-string keys still count
    for the depth limit.
    """

    pairs: list[tuple[Any, Any]]
    duplicates: list[str]  # each repeated name once
    bad_keys: list[Any]


class Marker:
    """Stands in the tree where the text held something outside the data model."""

    __slots__ = ("code", "message")

    def __init__(self, code: Code, message: str) -> None:
        self.code: Code = code
        self.message = message


def pairs_hook(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
    if all(type(k) is str for k, _ in pairs):
        d = dict(pairs)
        if len(d) == len(pairs):
            return d  # the common case: nothing to remember
    node = Irregular((k, v) for k, v in pairs if type(k) is str)
    node.pairs = pairs
    node.bad_keys = [k for k, _ in pairs if type(k) is not str]
    seen: set[str] = set()
    node.duplicates = []
    for k, _ in pairs:
        if type(k) is str:
            if k in seen and k not in node.duplicates:
                node.duplicates.append(k)
            seen.add(k)
    return node


_TENSOR_DATA_PARENT = re.compile(r"/tensors/\d+\Z")
_TENSOR_CHUNKS_PARENT = re.compile(r"/tensors/\d+/data\Z")  # raw data split into several bins


_CONTAINERS = (dict, list, Irregular)


def check_tree(root: Any, limits: Limits, out: Collector, *, msgpack: bool) -> None:
    """Walk ``root`` without recursion and report what the parser let through, in document order.

    The stack holds each open container with an iterator over its items: a nested
    container is entered where it occurs and its parent resumes after it, so the
    findings come in the order of the text at every depth. The first container
    deeper than the limit is therefore the one a streaming parser stops at: that
    ``SYNTAX_DEPTH`` ends the layer and is its only finding (spec.md section 7).
    """
    start = len(out.findings)
    stack: list[tuple[Any, Any, str, int]] = []  # (container, iterator over its items, pointer, depth)
    max_len = limits.max_string_length
    too_deep = _enter(root, "", 1, stack, limits, out)
    while stack and too_deep is None:
        node, items, ptr, depth = stack[-1]
        child: tuple[Any, str] | None = None
        if isinstance(node, dict):
            for k, v in items:
                if type(k) is not str:
                    # An entry under a key that is not a str has no pointer: it counts only for depth, at the map.
                    if _deeper_than(k, depth + 1, limits.max_depth) or _deeper_than(v, depth + 1, limits.max_depth):
                        too_deep = ptr
                        break
                    continue
                vptr = f"{ptr}/{escape_pointer_token(k)}"
                if not k.isascii() and not _is_scalar_valid_text(k):
                    out.add("SYNTAX_UTF8", vptr, "member name holds an unpaired surrogate")
                if len(k) > max_len:
                    out.add("LIMIT_STRING", f"{ptr}/{escape_pointer_token(k[:64])}", f"member name longer than {max_len}")
                if type(v) is str and len(v) > max_len and not (k == "data" and _TENSOR_DATA_PARENT.match(ptr)):
                    out.add("LIMIT_STRING", vptr, f"string longer than {max_len}")
                if type(v) in _CONTAINERS:
                    child = (v, vptr)
                    break
                _check_scalar(v, vptr, out, msgpack, ptr, k)
        else:  # list
            for i, v in items:
                t = type(v)
                if t is int:
                    continue  # the common case in list-encoded tensors: nothing to check
                if t is float:
                    if v == _INF or v == -_INF or v != v:  # cheap enough for every element
                        _bad_float(v, f"{ptr}/{i}", out, msgpack)
                    continue
                if t is str and len(v) > max_len:  # strings inside list tensor data count too (section 8)
                    out.add("LIMIT_STRING", f"{ptr}/{i}", f"string longer than {max_len}")
                if t in _CONTAINERS:
                    child = (v, f"{ptr}/{i}")
                    break
                _check_scalar(v, f"{ptr}/{i}", out, msgpack, ptr, i)
        if too_deep is not None:
            break
        if child is None:
            stack.pop()  # every item seen
        else:
            too_deep = _enter(child[0], child[1], depth + 1, stack, limits, out)
    if too_deep is not None:
        del out.findings[start:]  # found before the depth problem: dropped
        out.add("SYNTAX_DEPTH", too_deep, f"nesting depth exceeds the limit of {limits.max_depth}")


def _enter(node: Any, ptr: str, depth: int, stack: list[tuple[Any, Any, str, int]], limits: Limits,
           out: Collector) -> str | None:
    """Report what belongs to a container itself, then open it; if it is too deep to enter, its pointer."""
    if depth > limits.max_depth:
        return ptr
    if isinstance(node, Irregular):
        if node.bad_keys:  # one finding per map, however many keys are not strings
            kinds = sorted({type(k).__name__ for k in node.bad_keys})
            out.add("SYNTAX_MSGPACK_TYPE", ptr, f"map keys must be strings, not {', '.join(kinds)}")
        for k in node.duplicates:
            out.add("SYNTAX_DUPLICATE_KEY", f"{ptr}/{escape_pointer_token(k)}", f"member {k!r} occurs twice")
        stack.append((node, iter(node.pairs), ptr, depth))  # every value, also those a repeat replaced
    elif isinstance(node, dict):
        stack.append((node, iter(node.items()), ptr, depth))
    elif isinstance(node, list):
        stack.append((node, enumerate(node), ptr, depth))
    return None


def _deeper_than(value: Any, depth: int, max_depth: int) -> bool:
    """Does ``value`` (at ``depth``) hold a container deeper than ``max_depth``?"""
    todo = [(value, depth)]
    while todo:
        v, d = todo.pop()
        if type(v) not in _CONTAINERS:
            continue
        if d > max_depth:
            return True
        items = v.pairs if isinstance(v, Irregular) else v.items() if isinstance(v, dict) else enumerate(v)
        todo.extend((x, d + 1) for pair in items for x in pair)
    return False


def _check_scalar(v: Any, vptr: str, out: Collector, msgpack: bool, parent_ptr: str, key: str | int) -> None:
    t = type(v)
    if t is str:
        if not v.isascii() and not _is_scalar_valid_text(v):
            out.add("SYNTAX_UTF8", vptr, "string holds an unpaired surrogate")
    elif t is float:
        if not math.isfinite(v):
            _bad_float(v, vptr, out, msgpack)
    elif t is Marker:
        out.add(v.code, vptr, v.message)
    elif t is bytes:
        in_data = (key == "data" and _TENSOR_DATA_PARENT.match(parent_ptr)) or (
            type(key) is int and _TENSOR_CHUNKS_PARENT.match(parent_ptr)
        )
        if not (msgpack and in_data):
            out.add("SYNTAX_MSGPACK_TYPE", vptr, "bin is allowed only as tensor data")
    elif not (isinstance(v, int) or v is None):  # int, bool, and the JSON token -0
        # e.g. msgpack.Timestamp, which msgpack-python decodes itself (ext type -1)
        out.add("SYNTAX_MSGPACK_TYPE", vptr, f"{t.__name__} is not part of the data model")


_INF = float("inf")


def _bad_float(v: float, vptr: str, out: Collector, msgpack: bool) -> None:
    if msgpack:
        out.add("SYNTAX_MSGPACK_TYPE", vptr, "non-finite float outside tensor data")
    else:
        # The JSON parser turns a decimal beyond binary64 (1e999) into infinity; NaN and
        # Infinity literals never get here (they are markers).
        out.add("SYNTAX_NUMBER_RANGE", vptr, "number overflows binary64; write \"Infinity\" in tensor data")


def _is_scalar_valid_text(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
