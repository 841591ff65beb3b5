"""A progress bar for long command-line operations: on a terminal only, silent otherwise."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import IO, Callable, Iterator

Progress = Callable[[int, int], None]  # (done, total), in bytes


class Bar:
    """Draws ``label [#####.....] 42% 120/286 MB`` on stderr, at most ten times a second."""

    def __init__(self, label: str, stream: IO[str]) -> None:
        self.label = label
        self.stream = stream
        self.last = 0.0
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and done < total:
            return
        self.last = now
        frac = done / total if total else 1.0
        filled = int(frac * 30)
        mb = 1 << 20
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {frac:4.0%} {done // mb}/{total // mb} MB"
        )
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def bar(label: str, stream: IO[str] | None = None) -> Bar | None:
    """A bar when ``stream`` (stderr by default) is a terminal, else None (no output at all)."""
    stream = stream or sys.stderr
    return Bar(label, stream) if stream.isatty() else None


@contextmanager
def terminal_bar(label: str) -> Iterator[Progress | None]:
    """``with terminal_bar("reading x") as progress:``: a bar on a terminal, None otherwise."""
    b = bar(label)
    try:
        yield b
    finally:
        if b is not None:
            b.close()
