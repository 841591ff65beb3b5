"""Reader limits (spec.md section 8): each has its own code, and none allocates what a document declares."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import pytest

import modeldoc
from modeldoc import Limits

from testutil import codes


def tree() -> dict[str, object]:
    t = json.loads(modeldoc.dumps(modeldoc.example_document()))
    del t["document_sha256"]
    return t


def check(t: object, limits: Limits) -> list[tuple[str, str]]:
    return codes(modeldoc.validate(json.dumps(t).encode(), limits=limits))


def test_string_limit_applies_to_values_and_names_but_not_tensor_data() -> None:
    t = tree()
    t["metadata"]["long"] = "x" * 101  # type: ignore[index]
    t["metadata"]["y" * 101] = "short"  # type: ignore[index]
    got = check(t, Limits(max_string_length=100))
    assert ("LIMIT_STRING", "/metadata/long") in got
    assert ("LIMIT_STRING", "/metadata/" + "y" * 64) in got
    assert not any(p.endswith("/data") for _, p in got)  # base64 tensor data is longer, and exempt
    assert check(t, Limits()) == []


def test_count_limits() -> None:
    t = tree()
    assert check(t, Limits(max_layers=6)) == []  # 5 outer layers + 1 nested
    assert check(t, Limits(max_layers=5)) == [("LIMIT_COUNT", "/model/layers/2/model/layers")]
    assert check(t, Limits(max_nodes=5)) == [("LIMIT_COUNT", "/model/nodes")]
    assert check(t, Limits(max_tensors=7)) == [("LIMIT_COUNT", "/tensors")]


def test_total_and_document_size_limits() -> None:
    data = modeldoc.dumps(modeldoc.example_document())
    assert codes(modeldoc.validate(data, limits=Limits(max_document_bytes=len(data) - 1))) == [("LIMIT_DOCUMENT_SIZE", "")]
    assert modeldoc.validate(data, limits=Limits(max_document_bytes=len(data))).ok
    got = codes(modeldoc.validate(data, limits=Limits(max_total_tensor_bytes=200)))
    assert got[0] == ("LIMIT_TOTAL_SIZE", "/tensors/2")  # 144 + 16 bytes fit, the 2048-byte kernel does not


def test_limit_overrides_parse() -> None:
    assert Limits().with_overrides(["max-rank=4", "max_depth=9"]) == Limits(max_rank=4, max_depth=9)
    for bad in ["max_rank", "nope=1", "max_rank=-1", "max_rank=x"]:
        with pytest.raises(ValueError):
            Limits().with_overrides([bad])


def test_declared_sizes_do_not_allocate_under_a_memory_ceiling() -> None:
    """Shapes that declare terabytes, in a process capped at 1 GiB of address space beyond its start."""
    code = r'''
import json, resource, modeldoc
t = json.loads(modeldoc.dumps(modeldoc.example_document()))
del t["document_sha256"]
for i, x in enumerate(t["tensors"]):
    x["shape"] = [1 << 19] * 2 + [1 << 18]   # 2^56 elements declared, a few bytes of data
soft, hard = resource.getrlimit(resource.RLIMIT_AS)
import os
used = int(open("/proc/self/statm").read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
resource.setrlimit(resource.RLIMIT_AS, (used + (1 << 30), hard))
r = modeldoc.validate(json.dumps(t).encode())
print(sorted({f.code for f in r.errors}))
'''
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-500:]
    assert r.stdout.strip() == "['LIMIT_TENSOR_SIZE']"


def test_cli_limit_option() -> None:
    with tempfile.TemporaryDirectory() as d:
        data_path = os.path.join(d, "m.json")
        modeldoc.save(modeldoc.example_document(), data_path)
        r = subprocess.run([sys.executable, "-m", "modeldoc", "validate", "--limit", "max_rank=3", data_path],
                           capture_output=True, text=True)
        assert r.returncode == 1 and "LIMIT_RANK at /tensors/0/shape" in r.stdout
        r = subprocess.run([sys.executable, "-m", "modeldoc", "validate", "--limit", "bogus=3", data_path],
                           capture_output=True, text=True)
        assert r.returncode == 2 and "bad limit" in r.stderr


def test_limit_findings_come_in_document_order_at_every_depth() -> None:
    long = '"' + "x" * 100 + '"'
    text = f'{{"a": {{"x": {long}}}, "b": {{"y": {long}}}, "c": [[{long}], [{long}]], "d": {long}}}'
    report = modeldoc.validate(text.encode(), limits=modeldoc.Limits(max_string_length=10))
    assert [(f.code, f.pointer) for f in report.findings] == [
        ("LIMIT_STRING", p) for p in ("/a/x", "/b/y", "/c/0/0", "/c/1/0", "/d")
    ]
