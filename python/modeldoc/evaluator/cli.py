"""(placeholder: being written)."""

from __future__ import annotations

from typing import Any


def add_commands(sub: Any) -> None:
    """Register this adapter's commands (none yet)."""
