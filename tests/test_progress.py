"""The terminal progress bar: ends at 100%, redraws a few times a second, MiB and an ETA."""

from __future__ import annotations

import io

from modeldoc import progress
from modeldoc.progress import MIB, Bar


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_bar_left_short_of_its_total_ends_at_100_percent_on_its_own_line() -> None:
    out, clock = io.StringIO(), Clock()
    bar = Bar("reading m.json", out, clock)
    clock.now = 1.0
    bar(98 * MIB, 100 * MIB)  # a reader's last call may come before its last bytes are counted
    assert " 98% 98.0/100.0 MiB ETA 0:00" in out.getvalue()
    clock.now = 1.02
    bar.close()
    last = out.getvalue().split("\r")[-1]
    assert " 100% 100.0/100.0 MiB in 0:01" in last and last.endswith("\n")


def test_a_failed_operation_clears_its_bar() -> None:
    out, clock = io.StringIO(), Clock()
    bar = Bar("writing x", out, clock)
    bar(10, 100)
    bar.close(done=False)
    assert out.getvalue().endswith("\r\x1b[K") and "100%" not in out.getvalue()


def test_redraws_are_throttled_and_the_eta_follows_the_rate() -> None:
    out, clock = io.StringIO(), Clock()
    bar = Bar("x", out, clock)
    for k in range(1, 1001):  # 1000 calls over 2 simulated seconds
        clock.now = k * 0.002
        bar(k * MIB, 4000 * MIB)
    draws = out.getvalue().count("\r")
    assert 2 <= draws <= 2 / progress.REDRAW_SECONDS + 1
    assert out.getvalue().split("\r")[-1].count("ETA 0:0") == 1  # 25% in 2 s: 6 s left
    assert "ETA 0:06" in out.getvalue().split("\r")[-1]


def test_no_bar_when_turned_off_or_not_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    progress.set_enabled(True)  # an in-process command with --quiet earlier in the run turned bars off
    assert progress.bar("x", io.StringIO()) is None
    assert progress.bar("x", Tty()) is not None
    progress.set_enabled(False)
    try:
        assert progress.bar("x", Tty()) is None
    finally:
        progress.set_enabled(True)
