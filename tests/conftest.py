"""Shared test settings (helpers live in testutil.py)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# CI gets a fixed seed so a red run can be reproduced; locally hypothesis explores.
settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")
# `make check` passes --hypothesis-profile=check: the profile above with a few examples per property, so the
# quick run still tries every property test once over; `make test` keeps 150. The tests that set a larger
# max_examples of their own are marked slow instead.
settings.register_profile("check", settings.default, max_examples=10)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked ``node`` (testutil.needs_node) needs node on PATH and its packages' node_modules."""
    mark = item.get_closest_marker("node")
    if mark is None:
        return
    if shutil.which("node") is None:
        pytest.skip("node is not installed (make test has it; make check runs without)")
    missing = [str(p) for p in mark.args if not (Path(p) / "node_modules").is_dir()]
    if missing:
        pytest.skip(f"no node_modules in {', '.join(missing)} (make test runs npm ci there)")
