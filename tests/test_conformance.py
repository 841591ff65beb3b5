"""The reference reader against every conformance fixture, as any reader is judged (spec.md 14)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import modeldoc

FIXTURES = Path(__file__).resolve().parent.parent / "conformance_fixtures"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text("utf-8"))
CASES = MANIFEST["cases"]


def test_manifest_matches_its_schema_and_the_files() -> None:
    schema = json.loads((FIXTURES / "manifest.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(MANIFEST)
    listed = {c["file"] for c in CASES} | {c["report"] for c in CASES if c["valid"]}
    on_disk = {p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*") if p.is_file()}
    assert on_disk - listed == {"manifest.json", "manifest.schema.json", "README.md"}
    assert listed <= on_disk
    assert len({c["id"] for c in CASES}) == len(CASES)


def test_suite_size_and_coverage() -> None:
    valid = [c for c in CASES if c["valid"]]
    invalid = [c for c in CASES if not c["valid"]]
    assert len(valid) >= 30 and len(invalid) >= 30
    from modeldoc.dtypes import DTYPES

    for dtype in DTYPES:
        for enc in ("base64", "list", "msgpack"):
            assert f"valid/dtype-{dtype}-{enc}" in {c["id"] for c in valid}
    reader_codes = {e["code"] for c in invalid for e in c["errors"]}
    from modeldoc.codes import CODES

    # Every code a reader can emit for a document is exercised, except those that need
    # the file system, a huge input, or a schema keyword the 1.0 schema cannot trip.
    untestable = {"IO_UNREADABLE", "LIMIT_DOCUMENT_SIZE", "SCHEMA_CONST", "SCHEMA_OTHER"}
    reader_side = {c for c, info in CODES.items() if info.layer != "write" and not c.startswith("SEMANTIC_SHARED")
                   and c not in {"SEMANTIC_UNUSED_TENSOR", "VERSION_NEWER_MINOR"}}
    assert reader_side - untestable <= reader_codes


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_reference_reader_passes(case: dict[str, Any]) -> None:
    data = (FIXTURES / case["file"]).read_bytes()
    report = modeldoc.validate(data)
    if case["valid"]:
        assert report.ok, [str(f) for f in report.errors]
        expected = (FIXTURES / case["report"]).read_text("utf-8")
        assert modeldoc.reader_report(modeldoc.loads(data)) == expected
        got_w = {(f.code, f.pointer) for f in report.warnings}
        for w in case["warnings"]:
            assert (w["code"], w["pointer"]) in got_w
    else:
        assert not report.ok
        got = [(f.code, f.pointer) for f in report.errors]
        for e in case["errors"]:
            if "pointer" in e:
                assert (e["code"], e["pointer"]) in got
            else:
                assert e["code"] in {c for c, _ in got}


def test_reader_protocol_through_the_cli() -> None:
    """A sample of cases through `modeldoc digest`, exactly as another reader would be driven."""
    sample = [c for c in CASES if c["id"] in {
        "valid/example-msgpack", "valid/version-newer-minor", "invalid/cycle", "invalid/msgpack-ext-type"}]
    assert len(sample) == 4
    for case in sample:
        r = subprocess.run([sys.executable, "-m", "modeldoc", "digest", str(FIXTURES / case["file"])],
                           capture_output=True, text=True)
        if case["valid"]:
            assert r.returncode == 0
            assert r.stdout == (FIXTURES / case["report"]).read_text("utf-8")
            warns = [tuple(line.split("\t")[1:]) for line in r.stderr.splitlines() if line.startswith("warning\t")]
            assert warns == [(w["code"], w["pointer"]) for w in case["warnings"]]
        else:
            assert r.returncode == 1
            lines = [tuple(line.split("\t")) for line in r.stdout.splitlines()]
            for e in case["errors"]:
                assert (e["code"], e["pointer"]) in lines


def test_regenerating_fixtures_changes_nothing() -> None:
    root = FIXTURES.parent
    r = subprocess.run([sys.executable, str(root / "scripts" / "generate.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
