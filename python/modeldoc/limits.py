"""Resource limits applied while reading. Every size a document declares is
checked against these and against the real data before anything is allocated."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Reader limits (spec.md, "Limits"). Defaults suit models up to tens of GB.

    >>> from modeldoc import Limits
    >>> Limits(max_depth=64).max_depth
    64
    """

    max_document_bytes: int = 1 << 40  # 1 TiB
    max_depth: int = 128  # nesting of arrays and objects, top level counts as 1
    max_rank: int = 32
    max_tensor_bytes: int = 1 << 38  # 256 GiB
    max_total_tensor_bytes: int = 1 << 40


DEFAULT_LIMITS = Limits()
