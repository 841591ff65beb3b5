"""Reader limits (spec.md section 8): each has its own code, and none allocates what a document declares."""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
from typing import Any

import msgpack
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import modeldoc
from modeldoc import Limits
from tests.testutil import codes, doc_with


def tree() -> dict[str, Any]:
    t: dict[str, Any] = json.loads(modeldoc.dumps(modeldoc.example_document()))
    del t["document_sha256"]
    return t


def check(t: object, limits: Limits) -> list[tuple[str, str]]:
    return codes(modeldoc.validate(json.dumps(t).encode(), limits=limits))


def test_string_limit_applies_to_values_and_names_but_not_tensor_data() -> None:
    t = tree()
    t["metadata"]["long"] = "x" * 101
    t["metadata"]["y" * 101] = "short"
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


def two_nested_tree() -> dict[str, Any]:
    """The example (5 outer layers, layer 2 holding 1 layer and 1 node) plus a sixth outer layer whose model
    holds 2 layers and 2 nodes: the nested graphs in layer order are 2's, then 5's."""
    t = tree()
    head = copy.deepcopy(t["model"]["layers"][2])
    head["name"] = "head2"
    inner = head["model"]
    inner["layers"].append(dict(inner["layers"][0], name="dense2"))
    inner["nodes"].append(dict(inner["nodes"][0], layer="dense2", outputs=["hidden2"]))
    t["model"]["layers"].append(head)
    return t


def test_counts_take_nested_graphs_in_layer_order_depth_first() -> None:
    t = two_nested_tree()
    assert check(t, Limits(max_layers=9)) == []
    # 6 outer layers fit 6; layer 2's model comes next in pre-order and passes the limit, not layer 5's.
    assert check(t, Limits(max_layers=6)) == [("LIMIT_COUNT", "/model/layers/2/model/layers")]
    assert check(t, Limits(max_layers=7)) == [("LIMIT_COUNT", "/model/layers/5/model/layers")]
    assert check(t, Limits(max_layers=5)) == [("LIMIT_COUNT", "/model/layers")]
    n = len(t["model"]["nodes"])
    assert check(t, Limits(max_nodes=n)) == [("LIMIT_COUNT", "/model/layers/2/model/nodes")]
    assert check(t, Limits(max_nodes=n + 1)) == [("LIMIT_COUNT", "/model/layers/5/model/nodes")]
    assert check(t, Limits(max_layers=6, max_nodes=n, max_tensors=1)) == [
        ("LIMIT_COUNT", "/tensors"), ("LIMIT_COUNT", "/model/layers/2/model/layers"),
        ("LIMIT_COUNT", "/model/layers/2/model/nodes")]


def test_total_and_document_size_limits() -> None:
    data = modeldoc.dumps(modeldoc.example_document())
    assert codes(modeldoc.validate(data, limits=Limits(max_document_bytes=len(data) - 1))) == [("LIMIT_DOCUMENT_SIZE", "")]
    assert modeldoc.validate(data, limits=Limits(max_document_bytes=len(data))).ok
    got = codes(modeldoc.validate(data, limits=Limits(max_total_tensor_bytes=200)))
    assert got[0] == ("LIMIT_TOTAL_SIZE", "/tensors/2")  # 144 + 16 bytes fit, the 2048-byte kernel does not


def zero_size_tree(shape: list[int], encoding: str) -> dict[str, Any]:
    """The example document with one more float32 tensor of ``shape`` and no data."""
    if encoding == "raw":
        t: dict[str, Any] = msgpack.unpackb(modeldoc.dumps(modeldoc.example_document(), encoding="msgpack"), raw=False)
        del t["document_sha256"]
    else:
        t = tree()
    data: object = "" if encoding == "base64" else b"" if encoding == "raw" else empty_list(shape)
    t["tensors"].append({"name": "zero", "dtype": "float32", "shape": shape, "encoding": encoding,
                         "data": data, "sha256": hashlib.sha256(b"").hexdigest()})
    return t


ZERO = len(modeldoc.example_document().tensors)  # the index of the added tensor


def empty_list(shape: list[int]) -> object:
    """Nested lists for a shape with a 0: full down to the first 0, empty below."""
    if not shape or shape[0] == 0:
        return []
    return [empty_list(shape[1:]) for _ in range(shape[0])]


def encoded(t: dict[str, object], encoding: str) -> bytes:
    return msgpack.packb(t, use_bin_type=True) if encoding == "raw" else json.dumps(t).encode()


def bound_of(shape: list[int]) -> int:
    return 4 * math.prod(max(d, 1) for d in shape)


@pytest.mark.parametrize("shape", [[2**40, 0], [0, 2**40], [0, 2**32, 2**32, 2**32], [0, 2**62, 2**62], [3, 0, 2**37]])
@pytest.mark.parametrize("encoding", ["base64", "raw"])
def test_a_zero_dimension_counts_as_one_for_the_tensor_size_limit(shape: list[int], encoding: str) -> None:
    t = zero_size_tree(shape, encoding)
    assert codes(modeldoc.validate(encoded(t, encoding))) == [("LIMIT_TENSOR_SIZE", f"/tensors/{ZERO}/shape")]
    with pytest.raises(modeldoc.ModelDocError) as e:
        modeldoc.loads(encoded(t, encoding))
    assert e.value.code == "LIMIT_TENSOR_SIZE"


@pytest.mark.parametrize("shape", [[0, 2**30], [2**30, 0], [0, 2**20, 2**16], [2, 0, 3]])
@pytest.mark.parametrize("encoding", ["base64", "raw", "list"])
def test_zero_size_tensors_within_the_bound_load(shape: list[int], encoding: str) -> None:
    if encoding == "list" and shape[0] > 2:
        return  # list data would have to write out every empty row
    t = zero_size_tree(shape, encoding)
    doc = modeldoc.loads(encoded(t, encoding))
    assert doc.tensors["zero"].shape == tuple(shape) and doc.tensors["zero"].size == 0


_DIMS = st.one_of(st.sampled_from([0, 0, 1, 2, 3]), st.integers(0, 2**64 - 1), st.sampled_from([2**k for k in (16, 30, 32, 36, 40, 62, 63)]))


@pytest.mark.slow  # 120 examples, each a document built and read
@settings(max_examples=120, deadline=None)
@given(st.lists(_DIMS, max_size=6), st.sampled_from(["base64", "raw", "list"]))
def test_adversarial_shapes_never_crash_and_follow_the_bound(shape: list[int], encoding: str) -> None:
    """Any shape of in-range integers: a finding or a document, never another exception."""
    if encoding == "list" and (0 not in shape or math.prod(shape[: shape.index(0)]) > 64):
        encoding = "base64"  # list data for a shape without a 0 near the front would be huge
    t = zero_size_tree(shape, encoding)
    if 0 not in shape:
        t["tensors"][ZERO]["sha256"] = "0" * 64
    data = encoded(t, encoding)
    got = codes(modeldoc.validate(data))
    if bound_of(shape) > 2**38:
        assert got == [("LIMIT_TENSOR_SIZE", f"/tensors/{ZERO}/shape")]
    elif 0 in shape:
        assert got == []
        assert modeldoc.loads(data).tensors["zero"].shape == tuple(shape)
    else:
        assert got and got[0][0] in {"DATA_LENGTH", "DATA_LIST_SHAPE"}


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


def test_the_writer_refuses_a_zero_size_shape_over_the_per_tensor_limit() -> None:
    """(0, 2^40) holds no element, and numpy builds it, but a reader refuses it: so does the writer."""
    with pytest.raises(modeldoc.ModelDocError) as e:
        modeldoc.dumps(doc_with({"z": np.zeros((0, 2**40), np.float32)}))
    assert [(f.code, f.pointer) for f in e.value.findings] == [("LIMIT_TENSOR_SIZE", "/tensors/0/shape")]
    data = modeldoc.dumps(doc_with({"z": np.zeros((0, 2**30), np.float32)}))
    assert modeldoc.loads(data).tensors["z"].shape == (0, 2**30)
