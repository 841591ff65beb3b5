"""The benchmark harness runs and reports every format (a smoke run; no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.testutil import ROOT

pytestmark = pytest.mark.slow

RUNNER = ROOT / "benchmarks" / "run.py"


def test_quick_benchmark_run_reports_every_format(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, str(RUNNER), "--quick", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert {p.name for p in tmp_path.iterdir()} >= {"benchmarks.json", "benchmarks.md", "benchmarks.png"}
    text = json.dumps(json.loads((tmp_path / "benchmarks.json").read_text()))
    for fmt in ("md-base64", "md-list", "md-msgpack", "keras", "keras-h5", "safetensors", "raw", "hand-json"):
        assert fmt in text, fmt
    md = (tmp_path / "benchmarks.md").read_text()
    assert "| JSON base64 file size / tensor bytes |" in md
    fresh = json.loads((tmp_path / "benchmarks.json").read_text())["fresh"]
    assert {r["job"] for r in fresh["rows"] if r["seconds"]} >= {"md-inspect-msgpack", "md-one-base64", "st-one"}, fresh
    assert "## Fresh process" in md
