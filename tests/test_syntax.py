"""The syntax layer: strict JSON and MessagePack (spec.md section 2)."""

from __future__ import annotations

import json

import msgpack
import pytest

import modeldoc
from modeldoc.errors import Collector
from modeldoc.jsontext import parse_json, pointer_at
from modeldoc.limits import Limits
from modeldoc.msgpacktext import parse_msgpack
from modeldoc.reader import sniff
from modeldoc.tree import check_tree

from testutil import codes, doc_with


def json_findings(text: bytes, limits: Limits = Limits()) -> list[tuple[str, str]]:
    out = Collector()
    tree = parse_json(text, out, max_depth=limits.max_depth)
    if not out.errors:
        check_tree(tree, limits, out, msgpack=False)
    return [(f.code, f.pointer) for f in out.findings]


def msgpack_findings(data: bytes) -> list[tuple[str, str]]:
    out = Collector()
    tree = parse_msgpack(data, out)
    if not out.errors:
        check_tree(tree, Limits(), out, msgpack=True)
    return [(f.code, f.pointer) for f in out.findings]


@pytest.mark.parametrize(
    "text, expected",
    [
        (b'{"a":1,"a":2}', [("SYNTAX_DUPLICATE_KEY", "/a")]),
        (b'{"x":{"b":[{"c":1,"c":1}]}}', [("SYNTAX_DUPLICATE_KEY", "/x/b/0/c")]),
        (b'{"a~b/c":1,"a~b/c":2}', [("SYNTAX_DUPLICATE_KEY", "/a~0b~1c")]),
        (b'{"a":[1,NaN]}', [("SYNTAX_NONFINITE_LITERAL", "/a/1")]),
        (b'{"a":Infinity}', [("SYNTAX_NONFINITE_LITERAL", "/a")]),
        (b'{"a":[1e999]}', [("SYNTAX_NUMBER_RANGE", "/a/0")]),
        (b'{"a":-1e400}', [("SYNTAX_NUMBER_RANGE", "/a")]),
        (b'{"a":18446744073709551616}', [("SYNTAX_NUMBER_RANGE", "/a")]),
        (b'{"a":' + b"9" * 5000 + b"}", [("SYNTAX_NUMBER_RANGE", "/a")]),  # beyond int()'s digit limit, no crash
        (b'{"a":"\\udc00"}', [("SYNTAX_UTF8", "/a")]),
        (b'{"\\ud800":1}', [("SYNTAX_UTF8", "/\ud800")]),
        (b'{"a":1} x', [("SYNTAX_TRAILING_DATA", "")]),
        (b'{"a":"\xff"}', [("SYNTAX_UTF8", "")]),
    ],
)
def test_json_text_rules(text: bytes, expected: list[tuple[str, str]]) -> None:
    assert json_findings(text) == expected


def test_all_findings_are_reported_not_only_the_first() -> None:
    got = json_findings(b'{"a":NaN,"b":{"c":1,"c":2},"d":1e999}')
    assert sorted(got) == [
        ("SYNTAX_DUPLICATE_KEY", "/b/c"),
        ("SYNTAX_NONFINITE_LITERAL", "/a"),
        ("SYNTAX_NUMBER_RANGE", "/d"),
    ]


def test_integers_stay_exact_and_negative_zero_is_kept_as_a_token() -> None:
    out = Collector()
    tree = parse_json(b'{"a":18446744073709551615,"b":-9223372036854775808,"c":-0,"d":-0.0}', out)
    assert not out.findings
    assert tree["a"] == 2**64 - 1 and tree["b"] == -(2**63)
    assert tree["c"] == 0 and type(tree["c"]) is not int  # the -0 token, told apart for float tensors
    assert str(tree["d"]) == "-0.0"


@pytest.mark.parametrize("depth", [127, 128])
def test_depth_within_limit_is_fine(depth: int) -> None:
    text = b'{"a":' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"
    assert json_findings(text) == []


@pytest.mark.parametrize("depth", [129, 500, 100_000])
def test_depth_beyond_limit_is_one_clear_error_at_the_same_place(depth: int) -> None:
    text = b'{"a":' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"
    assert json_findings(text) == [("SYNTAX_DEPTH", "/a" + "/0" * 127)]


def test_depth_limit_is_configurable() -> None:
    text = b'{"a":[[[[]]]]}'
    assert json_findings(text, Limits(max_depth=3)) == [("SYNTAX_DEPTH", "/a/0/0")]


@pytest.mark.parametrize(
    "text, pointer",
    [
        ('{"a":[1,2,{"b":', "/a/2/b"),
        ('{"a":{"b":"xyz', "/a/b"),
        ('{"a":[', "/a/0"),
        ('{"a\\"q":[1,', "/a\"q/1"),
    ],
)
def test_pointer_of_a_truncation(text: str, pointer: str) -> None:
    assert pointer_at(text, len(text)) == pointer


def test_sniffing_uses_content_not_names() -> None:
    assert sniff(b"  \n{}") == "json"
    assert sniff(msgpack.packb({"a": 1})) == "msgpack"
    assert sniff(msgpack.packb({str(i): i for i in range(20)})) == "msgpack"  # map16: 0xde
    assert sniff(b"").code == "SYNTAX_EMPTY"  # type: ignore[union-attr]
    assert sniff(b"\xef\xbb\xbf{}").code == "SYNTAX_BOM"  # type: ignore[union-attr]
    assert sniff(b"\x00").code == "SYNTAX_UNKNOWN_ENCODING"  # type: ignore[union-attr]
    assert sniff(b"[1]") == "json"  # and then SYNTAX_NOT_OBJECT


@pytest.mark.parametrize(
    "value, expected",
    [
        ({"a": msgpack.ExtType(3, b"x")}, [("SYNTAX_MSGPACK_TYPE", "/a")]),
        ({"a": msgpack.Timestamp(0, 0)}, [("SYNTAX_MSGPACK_TYPE", "/a")]),
        ({"a": float("inf")}, [("SYNTAX_MSGPACK_TYPE", "/a")]),
        ({"a": [b"bin"]}, [("SYNTAX_MSGPACK_TYPE", "/a/0")]),
        ({"tensors": [{"data": b"ok"}]}, []),
        ({"x": {"tensors": [{"data": b"no"}]}}, [("SYNTAX_MSGPACK_TYPE", "/x/tensors/0/data")]),
    ],
)
def test_msgpack_types_outside_the_data_model(value: object, expected: list[tuple[str, str]]) -> None:
    assert msgpack_findings(msgpack.packb(value, use_bin_type=True)) == expected


def test_msgpack_errors() -> None:
    good = msgpack.packb({"a": [1, 2, 3]})
    assert msgpack_findings(good[:-1]) == [("SYNTAX_MSGPACK", "")]
    assert msgpack_findings(good + b"\x00") == [("SYNTAX_TRAILING_DATA", "")]
    assert msgpack_findings(msgpack.packb({1: 2})) == [("SYNTAX_MSGPACK_TYPE", "")]
    assert msgpack_findings(b"\x81\xa1a\xa2\xff\xfe") == [("SYNTAX_UTF8", "")]
    assert msgpack_findings(b"\x82\xa1a\x01\xa1a\x02") == [("SYNTAX_DUPLICATE_KEY", "/a")]
    assert msgpack_findings(b"\x91" * 5000 + b"\x00")[0][0] in {"SYNTAX_DEPTH", "SYNTAX_MSGPACK"}
    # A declared length far beyond the buffer: an error, not an allocation.
    assert msgpack_findings(b"\x81\xa1a\xc6\xff\xff\xff\xff") == [("SYNTAX_MSGPACK", "")]


def test_msgpack_depth_beyond_limit() -> None:
    nested: object = 1
    for _ in range(200):
        nested = [nested]
    findings = msgpack_findings(msgpack.packb({"a": nested}))
    assert findings == [("SYNTAX_DEPTH", "/a" + "/0" * 127)]


def test_validate_stops_after_syntax_errors() -> None:
    doc = json.loads(modeldoc.dumps(doc_with({})))
    text = json.dumps(doc).replace('"format": "modeldoc"', '"format": "modeldoc", "format": "x"').encode()
    assert codes(modeldoc.validate(text)) == [("SYNTAX_DUPLICATE_KEY", "/format")]


@pytest.mark.parametrize("encoding", ["base64", "list", "msgpack"])
def test_truncation_at_every_byte_is_a_clean_syntax_error(encoding: str) -> None:
    data = modeldoc.dumps(doc_with({"t": __import__("numpy").arange(6, dtype="float32").reshape(2, 3)}), encoding=encoding)  # type: ignore[arg-type]
    expected = {"SYNTAX_EMPTY", "SYNTAX_JSON", "SYNTAX_MSGPACK"}
    for cut in range(len(data) - 1):
        report = modeldoc.validate(data[:cut])
        assert not report.ok
        assert report.errors[0].code in expected, (cut, report.errors[0])
    # The JSON writer ends with a newline: cutting only that keeps the document whole.
    assert modeldoc.validate(data[: len(data) - 1]).ok is (encoding != "msgpack")
