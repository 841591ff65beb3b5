"""A progress bar for long command-line operations: on a terminal only, silent otherwise.

``--no-progress`` and ``--quiet`` turn every bar off through :func:`set_enabled`.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import IO, Callable, Iterator

Progress = Callable[[int, int], None]  # (done, total), in bytes

MIB = 1 << 20
REDRAW_SECONDS = 0.25  # a few redraws a second: more only costs time and flickers
_WIDTH = 24

_enabled = True


def set_enabled(enabled: bool) -> None:
    """Turn every bar on or off for this process (the command line's ``--no-progress``)."""
    global _enabled
    _enabled = enabled


def _eta(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


class Bar:
    """Draws ``label [######......] 42% 120.0/286.0 MiB ETA 0:03`` on stderr, at most four times a second.

    ``close(done=True)`` draws the bar at 100% and ends the line, since the last
    call of a reader may come before its last bytes were counted; ``close(done=False)``
    (the operation failed) clears the line so the error stands alone.
    """

    def __init__(self, label: str, stream: IO[str], clock: Callable[[], float] = time.monotonic) -> None:
        self.label = label
        self.stream = stream
        self.clock = clock
        self.start = clock()
        self.last = -REDRAW_SECONDS
        self.total = 0
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        self.total = total
        now = self.clock()
        if now - self.last < REDRAW_SECONDS:
            return
        self.last = now
        self._draw(done, total, now)

    def _draw(self, done: int, total: int, now: float) -> None:
        frac = min(done / total, 1.0) if total else 1.0
        filled = int(frac * _WIDTH)
        elapsed = now - self.start
        if frac >= 1.0:
            tail = f"in {_eta(elapsed)}"
        elif frac > 0 and elapsed > 0.5:
            tail = f"ETA {_eta(elapsed * (1 - frac) / frac)}"
        else:
            tail = "ETA -:--"
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (_WIDTH - filled)}] {frac:4.0%} "
            f"{done / MIB:.1f}/{total / MIB:.1f} MiB {tail}\x1b[K"
        )
        self.stream.flush()
        self.drawn = True

    def close(self, done: bool = True) -> None:
        if not self.drawn:
            return
        if done:
            self._draw(self.total, self.total, self.clock())
            self.stream.write("\n")
        else:
            self.stream.write("\r\x1b[K")
        self.stream.flush()


def bar(label: str, stream: IO[str] | None = None) -> Bar | None:
    """A bar when bars are on and ``stream`` (stderr by default) is a terminal, else None (no output)."""
    stream = stream or sys.stderr
    return Bar(label, stream) if _enabled and stream.isatty() else None


@contextmanager
def terminal_bar(label: str) -> Iterator[Progress | None]:
    """``with terminal_bar("reading x") as progress:``: a bar on a terminal, None otherwise."""
    b = bar(label)
    ok = False
    try:
        yield b
        ok = True
    finally:
        if b is not None:
            b.close(done=ok)
