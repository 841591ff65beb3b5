"""Seed inputs: every conformance fixture, valid and invalid."""

from __future__ import annotations

import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "conformance_fixtures"


def seeds(max_bytes: int = 200_000) -> list[bytes]:
    manifest = json.loads((FIXTURES / "manifest.json").read_text("utf-8"))
    out = []
    for case in manifest["cases"]:
        data = (FIXTURES / case["file"]).read_bytes()
        if len(data) <= max_bytes:
            out.append(data)
    return out
