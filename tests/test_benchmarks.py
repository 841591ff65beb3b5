"""The benchmark harness runs and reports every format and every judged target (a smoke run at tiny
sizes; no timing is asserted, only that the rows exist and the ratios come from the measured numbers)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.testutil import ROOT

pytestmark = pytest.mark.slow

RUNNER = ROOT / "benchmarks" / "run.py"

JUDGED = {
    "md-base64_get-tensor_vs_load", "md-base64_get_tensor_rss", "md-base64_inspect_vs_load",
    "md-msgpack_get-tensor_vs_load", "md-msgpack_get_tensor_rss", "md-msgpack_inspect_vs_load",
    "md-base64_write_vs_keras", "md-base64_read_vs_keras", "md-msgpack_write_vs_keras-h5",
    "md-msgpack_read_vs_keras-h5", "md-list_write_vs_hand-json", "md-list_read_vs_hand-json",
    "md-base64_write_first_vs_warm", "md-base64_read_first_vs_warm", "md-msgpack_write_first_vs_warm",
    "md-msgpack_read_first_vs_warm", "import_modeldoc", "validate_many_jobs",
    "base64_read_rss", "msgpack_read_rss", "list_bit_exact",
}


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    r = subprocess.run([sys.executable, str(RUNNER), "--quick", "--out", str(out)],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return out


def test_quick_benchmark_run_reports_every_format(quick: Path) -> None:
    assert {p.name for p in quick.iterdir()} >= {"benchmarks.json", "benchmarks.md", "benchmarks.png"}
    text = json.dumps(json.loads((quick / "benchmarks.json").read_text()))
    for fmt in ("md-base64", "md-list", "md-msgpack", "keras", "keras-h5", "safetensors", "raw", "hand-json"):
        assert fmt in text, fmt
    md = (quick / "benchmarks.md").read_text()
    assert "| JSON base64 file size / tensor bytes |" in md
    fresh = json.loads((quick / "benchmarks.json").read_text())["fresh"]
    assert {r["job"] for r in fresh["rows"] if r["seconds"]} >= {"md-inspect-msgpack", "md-one-base64", "st-one"}, fresh
    assert "## Fresh process" in md


def _fresh_best(data: dict[str, Any], case: str, fmt: str, op: str) -> float:
    runs = [r["seconds"] for r in data["fresh_runs"]["rows"]
            if (r["case"], r["format"], r["op"]) == (case, fmt, op) and "error" not in r]
    assert runs, (case, fmt, op)
    return float(min(runs))


def test_every_judged_target_is_measured_and_computed_from_the_numbers(quick: Path) -> None:
    data = json.loads((quick / "benchmarks.json").read_text())
    judged = {r["id"]: r for r in data["judged"]}
    assert set(judged) == JUDGED
    for r in judged.values():
        assert r["value"] is not None and r["met"] in (True, False), r
    big, small = data["fresh_runs"]["big_case"], data["fresh_runs"]["list_case"]
    # each fresh-process row is one call in its own process, a write charged its fsync
    rows = data["fresh_runs"]["rows"]
    assert rows and all(r["fresh"] and r["reps"] == 1 and r["child_wall_seconds"] > 0 for r in rows)
    assert all(r["fsync_in_seconds"] for r in rows if r["op"] == "write")
    # the ratios are those of the measured numbers
    load = _fresh_best(data, big, "md-base64", "read")
    assert judged["md-base64_get-tensor_vs_load"]["value"] == pytest.approx(
        100 * _fresh_best(data, big, "md-base64", "get-tensor") / load)
    assert judged["md-msgpack_inspect_vs_load"]["value"] == pytest.approx(
        100 * _fresh_best(data, big, "md-msgpack", "inspect") / _fresh_best(data, big, "md-msgpack", "read"))
    assert judged["md-base64_read_vs_keras"]["value"] == pytest.approx(_fresh_best(data, big, "keras", "read") / load)
    assert judged["md-list_write_vs_hand-json"]["value"] == pytest.approx(
        _fresh_best(data, small, "hand-json", "write") / _fresh_best(data, small, "md-list", "write"))
    rss = judged["md-msgpack_get_tensor_rss"]
    got = [r for r in rows if (r["format"], r["op"]) == ("md-msgpack", "get-tensor")]
    assert rss["value"] == max(r["peak_rss_delta"] for r in got)
    assert rss["target"] == got[0]["tensor_nbytes"] + 50_000_000
    # first vs warm: its own processes, each a first call then warm calls; best warm over best first
    runs = [r for r in data["fresh_runs"]["first_vs_warm"] if (r["case"], r["format"], r["op"]) == (big, "md-msgpack", "read")]
    assert len(runs) == data["fresh_runs"]["reps"] and all(r["warm_calls"] >= 1 for r in runs)
    assert judged["md-msgpack_read_first_vs_warm"]["value"] == pytest.approx(
        min(r["seconds"] for r in runs) / min(r["first_seconds"] for r in runs))
    imp = data["fresh_runs"]["import"]["runs"]
    assert judged["import_modeldoc"]["value"] == pytest.approx(1000 * min(r["seconds"] for r in imp))
    many = data["fresh_runs"]["validate_many"]
    assert many["files"] == 12 and many["sample"] == 4 and many["kinds"] == {".json": 6, ".msgpack": 6}
    assert many["one_by_one_seconds"] == pytest.approx(many["sample_seconds"] * 12 / 4, rel=1e-3)
    assert judged["validate_many_jobs"]["value"] == pytest.approx(many["one_by_one_seconds"] / min(many["together_seconds"]))
    # and the report shows them: the judged table first, the warm ratios as information
    md = (quick / "benchmarks.md").read_text()
    targets = md[md.index("## Targets"):md.index("### Warm calls in one process")]
    for r in judged.values():
        assert f"| {r['measure']} |" in targets, r["measure"]
    assert "## Fresh-process runs" in md and "fresh process" in md[md.index("## Method"):]


def test_rendering_again_from_the_json_gives_the_same_verdicts(quick: Path, tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, str(RUNNER), "--from-json", str(quick / "benchmarks.json"), "--out",
                        str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    before = {j["id"]: j["met"] for j in json.loads((quick / "benchmarks.json").read_text())["judged"]}
    after = {j["id"]: j["met"] for j in json.loads((tmp_path / "benchmarks.json").read_text())["judged"]}
    assert before == after
