"""The reference reader against every conformance fixture, as any reader is judged (spec.md 14)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import modeldoc
from modeldoc.errors import printable
from tests.testutil import CASES, FIXTURES, ROOT, needs_extra, needs_node

MANIFEST = json.loads((FIXTURES / "manifest.json").read_text("utf-8"))  # CASES is its "cases"


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
    # LIMIT_STRING and LIMIT_COUNT need inputs of megabytes at the default limits: tests/test_limits.py.
    untestable: set[str] = {"IO_UNREADABLE", "LIMIT_DOCUMENT_SIZE", "SCHEMA_CONST", "SCHEMA_OTHER", "LIMIT_STRING", "LIMIT_COUNT"}
    reader_side: set[str] = {c for c, info in CODES.items() if info.layer not in ("write", "usage", "adapter") and not c.startswith("SEMANTIC_SHARED")
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
        got = [(f.code, printable(f.pointer)) for f in report.errors]
        for e in case["errors"]:
            if "pointer" in e:
                assert (e["code"], e["pointer"]) in got
            else:
                assert e["code"] in {c for c, _ in got}


@pytest.mark.slow  # four fresh interpreters
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


@needs_extra("keras")  # the keras-zoo fixtures are Keras models and the outputs Keras computes
def test_regenerating_fixtures_changes_nothing() -> None:
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "generate.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def harness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "modeldoc", "conformance", *args], capture_output=True, text=True)


def test_harness_passes_the_reference_reader() -> None:
    r = harness("run", "--fixtures", str(FIXTURES))
    assert r.returncode == 0
    assert r.stdout.strip().splitlines()[-1] == f"{len(CASES)} passed, 0 failed"


@pytest.mark.slow  # a fresh interpreter per fixture
def test_harness_runs_a_reader_command_and_catches_a_wrong_one(tmp_path: Path) -> None:
    # A "reader" that accepts everything and prints an empty report must fail every case.
    liar = tmp_path / "liar.py"
    liar.write_text("import sys\nprint('{}')\n")
    r = harness("run", "--fixtures", str(FIXTURES), "--reader", f"{sys.executable} {liar} {{file}}", "--json")
    result = json.loads(r.stdout)
    assert r.returncode == 1 and result["passed"] == 0 and result["failed"] == len(CASES)
    # The reference reader as an external command passes a filtered subset.
    r = harness("run", "--fixtures", str(FIXTURES), "--filter", "invalid/base64-*",
                "--reader", f"{sys.executable} -m modeldoc digest {{file}}")
    assert r.returncode == 0, r.stdout
    n = len([c for c in CASES if c["id"].startswith("invalid/base64-")])
    assert r.stdout.strip().splitlines()[-1] == f"{n} passed, 0 failed"


def test_harness_reports_a_differing_report(tmp_path: Path) -> None:
    fixtures = tmp_path / "fx"
    import shutil

    shutil.copytree(FIXTURES, fixtures)
    report = fixtures / "valid" / "dtype-int8-base64.report.json"
    report.write_text(report.read_text().replace('"int8"', '"uint8"', 1))
    r = harness("run", "--fixtures", str(fixtures), "--filter", "valid/dtype-int8-base64")
    assert r.returncode == 1
    assert "reader report differs" in r.stdout and r.stdout.strip().endswith("0 passed, 1 failed")


def test_check_producer(tmp_path: Path) -> None:
    import numpy as np

    good = tmp_path / "good.msgpack"
    doc = modeldoc.example_document()
    doc.tensors["payload_nan"] = np.array([0x7FC00001], np.uint32).view(np.float32)
    doc.model.layers[0].weights.append("payload_nan")
    modeldoc.save(doc, good, encoding="msgpack")
    r = harness("check-producer", str(good), str(FIXTURES / "invalid" / "cycle.json"))
    assert r.returncode == 1
    text = r.stdout
    assert f"{good}: OK" in text and "base64: reads back bit-exactly" in text
    assert "list: NaN sign/payload bits are not representable" in text
    assert "cycle.json: FAILED" in text and "INVALID SEMANTIC_CYCLE at /model/nodes/0" in text


JS_READER = ROOT / "readers" / "js"


def _node() -> str:
    node = shutil.which("node")
    assert node, "node is part of the machine image (Node 20); the JavaScript reader needs it"
    assert (JS_READER / "node_modules").is_dir(), "run `make test` (it runs `npm ci` in readers/js first)"
    return node


@needs_node(JS_READER)
def test_javascript_reader_passes_every_fixture_through_the_harness() -> None:
    node = _node()
    reader = f"{node} {JS_READER / 'bin' / 'modeldoc-js.mjs'} {{file}}"
    r = harness("run", "--fixtures", str(FIXTURES), "--reader", reader)
    assert r.returncode == 0, r.stdout[-3000:]
    assert r.stdout.strip().splitlines()[-1] == f"{len(CASES)} passed, 0 failed"


def python_schema_verdict(data: bytes) -> bool | None:
    """Does python-jsonschema accept the value tree? None where the bytes do not parse strictly."""
    from modeldoc.errors import Collector
    from modeldoc.jsontext import parse_json
    from modeldoc.limits import Limits
    from modeldoc.msgpacktext import parse_msgpack
    from modeldoc.reader import sniff
    from modeldoc.schema import _validator
    from modeldoc.tree import check_tree

    kind = sniff(data)
    if not isinstance(kind, str):
        return None
    out = Collector()
    tree = parse_json(data, out) if kind == "json" else parse_msgpack(data, out)
    if out.errors or not isinstance(tree, dict):
        return None
    check_tree(tree, Limits(), out, msgpack=kind == "msgpack")
    if out.errors:
        return None
    return bool(_validator().is_valid(tree))


@needs_node(JS_READER)
def test_ajv_and_python_jsonschema_agree_on_every_fixture() -> None:
    node = _node()
    r = subprocess.run([node, str(JS_READER / "test" / "schema-verdicts.mjs")], capture_output=True, text=True, check=True)
    ajv = json.loads(r.stdout)
    assert set(ajv) == {c["file"] for c in CASES}
    ours = {c["file"]: python_schema_verdict((FIXTURES / c["file"]).read_bytes()) for c in CASES}
    disagree = {f: (ajv[f], ours[f]) for f in ajv if ajv[f] != ours[f]}
    assert disagree == {}
    assert sum(v is True for v in ours.values()) > 100 and sum(v is False for v in ours.values()) > 15
