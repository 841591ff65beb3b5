"""Shared test settings (helpers live in testutil.py)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# CI gets a fixed seed so a red run can be reproduced; locally hypothesis explores.
settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")
