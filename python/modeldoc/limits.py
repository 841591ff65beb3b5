"""Resource limits applied while reading. Every size a document declares is
checked against these and against the real data before anything is allocated."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Limits:
    """Reader limits (spec.md, "Limits"). Defaults suit models up to tens of GB.

    >>> from modeldoc import Limits
    >>> Limits(max_depth=64).max_depth
    64
    """

    max_document_bytes: int = 1 << 40  # 1 TiB
    max_depth: int = 128  # nesting of arrays and objects, top level counts as 1
    max_string_length: int = 1 << 20  # characters of any string but tensor data
    max_layers: int = 1_000_000  # in all graphs together
    max_nodes: int = 1_000_000  # in all graphs together
    max_tensors: int = 1_000_000
    max_rank: int = 32
    max_tensor_bytes: int = 1 << 38  # 256 GiB
    max_total_tensor_bytes: int = 1 << 40

    def with_overrides(self, items: list[str]) -> "Limits":
        """A copy with ``NAME=VALUE`` overrides, as given on the command line.

        >>> Limits().with_overrides(["max_depth=16"]).max_depth
        16
        """
        known = {f.name for f in fields(self)}
        changes: dict[str, int] = {}
        for item in items:
            name, sep, value = item.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or name not in known or not value.strip().isdigit():
                raise ValueError(f"bad limit {item!r}: use NAME=INTEGER with NAME one of {', '.join(sorted(known))}")
            changes[name] = int(value)
        return replace(self, **changes)


DEFAULT_LIMITS = Limits()
