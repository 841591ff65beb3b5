"""The adapter's one way to refuse: a ModelDocError with a code, a pointer and one line."""

from __future__ import annotations

from typing import NoReturn

from ..codenames import Code
from ..errors import ModelDocError, pointer


def refuse(code: Code, where: tuple[str | int, ...] | str, message: str) -> NoReturn:
    """Raise ``ModelDocError`` for ``code`` at ``where`` (pointer tokens, or a ready pointer)."""
    ptr = where if isinstance(where, str) else pointer(*where)
    raise ModelDocError.of(code, ptr, message)
