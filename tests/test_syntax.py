"""The syntax layer: strict JSON and MessagePack (spec.md section 2)."""

from __future__ import annotations

import json

import msgpack
import pytest

import modeldoc
from modeldoc.encodings import Encoding
from modeldoc.errors import Collector, Finding
from modeldoc.jsontext import parse_json, pointer_at
from modeldoc.limits import Limits
from modeldoc.msgpacktext import parse_msgpack
from modeldoc.reader import sniff
from modeldoc.tree import check_tree
from tests.testutil import codes, doc_with


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


def _sniffed_finding(buf: bytes) -> str:
    found = sniff(buf)
    assert isinstance(found, Finding), found
    return found.code


def test_sniffing_uses_content_not_names() -> None:
    assert sniff(b"  \n{}") == "json"
    assert sniff(msgpack.packb({"a": 1})) == "msgpack"
    assert sniff(msgpack.packb({str(i): i for i in range(20)})) == "msgpack"  # map16: 0xde
    assert _sniffed_finding(b"") == "SYNTAX_EMPTY"
    assert _sniffed_finding(b"\xef\xbb\xbf{}") == "SYNTAX_BOM"
    assert _sniffed_finding(b"\x00") == "SYNTAX_UNKNOWN_ENCODING"
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
def test_truncation_at_every_byte_is_a_clean_syntax_error(encoding: Encoding) -> None:
    data = modeldoc.dumps(doc_with({"t": __import__("numpy").arange(6, dtype="float32").reshape(2, 3)}), encoding=encoding)
    expected = {"SYNTAX_EMPTY", "SYNTAX_JSON", "SYNTAX_MSGPACK"}
    for cut in range(len(data) - 1):
        report = modeldoc.validate(data[:cut])
        assert not report.ok
        assert report.errors[0].code in expected, (cut, report.errors[0])
    # The JSON writer ends with a newline: cutting only that keeps the document whole.
    assert modeldoc.validate(data[: len(data) - 1]).ok is (encoding != "msgpack")


def deep(n: int) -> bytes:
    return b"[" * n + b"]" * n


@pytest.mark.parametrize(
    "text, expected",
    [
        # what the parser found before the fatal problem is dropped
        (b'{"a":NaN,"a":1,"b":1e999,"c":[', [("SYNTAX_JSON", "/c/0")]),
        (b'{"a":NaN,"a":1} x', [("SYNTAX_TRAILING_DATA", "")]),
        (b'[NaN, {"a":1,"a":2}]', [("SYNTAX_NOT_OBJECT", "")]),
        # depth ends the layer where a streaming parser meets it: before a later malformation or trailing data
        (b'{"a":NaN,"b":' + deep(200) + b',"c":1e999}', [("SYNTAX_DEPTH", "/b" + "/0" * 127)]),
        (b'{"a":NaN,"b":' + deep(200) + b'} x', [("SYNTAX_DEPTH", "/b" + "/0" * 127)]),
        (b'{"a":NaN,"b":' + b"[" * 200 + b"1,,2", [("SYNTAX_DEPTH", "/b" + "/0" * 127)]),
        (b'{"a":NaN,"b":' + b"[" * 5000, [("SYNTAX_DEPTH", "/b" + "/0" * 127)]),
        # the first of two deep containers, and a deep value that a repeated member replaced
        (b'{"b":' + deep(200) + b',"c":' + deep(300) + b"}", [("SYNTAX_DEPTH", "/b" + "/0" * 127)]),
        (b'{"b":' + deep(200) + b',"b":1}', [("SYNTAX_DEPTH", "/b" + "/0" * 127)]),
        # a long string does not stop the parser; a deep container after it still does
        (b'{"s":"' + b"x" * 11 + b'","b":' + deep(200) + b"}", [("SYNTAX_DEPTH", "/b" + "/0" * 127)]),
        (b'{"s":"' + b"x" * 11 + b'","a":NaN}', [("LIMIT_STRING", "/s"), ("SYNTAX_NONFINITE_LITERAL", "/a")]),
    ],
)
def test_a_problem_that_ends_the_layer_is_its_only_finding(text: bytes, expected: list[tuple[str, str]]) -> None:
    got = codes(modeldoc.validate(text, limits=Limits(max_string_length=10)))
    assert got == expected


def test_repeated_names_once_each_and_every_value_checked() -> None:
    got = json_findings(b'{"a":NaN,"a":1,"a":[1e999],"b":{"c":1,"c":2,"c":3}}')
    assert sorted(got) == [
        ("SYNTAX_DUPLICATE_KEY", "/a"), ("SYNTAX_DUPLICATE_KEY", "/b/c"),
        ("SYNTAX_NONFINITE_LITERAL", "/a"), ("SYNTAX_NUMBER_RANGE", "/a/0"),
    ]


def packed_map(*entries: bytes) -> bytes:
    """A MessagePack map from already packed keys and values (msgpack-python cannot write every key we need)."""
    assert len(entries) % 2 == 0 and len(entries) < 32
    return bytes([0x80 | len(entries) // 2]) + b"".join(entries)


def test_msgpack_keys_that_are_not_str_one_finding_per_map() -> None:
    p = msgpack.packb
    nan = p(float("nan"))
    # two int keys, a float key whose value holds a NaN, a bin and an ext: one finding, at the map
    bad = packed_map(p(1), p("x"), p(2), p("y"), p(2.5), p({"n": float("nan"), "b": b"x"}, use_bin_type=True),
                     p(3), p(msgpack.ExtType(1, b"")))
    assert msgpack_findings(packed_map(p("m"), bad)) == [("SYNTAX_MSGPACK_TYPE", "/m")]
    # str keys of the same map are still checked: a repeat and a NaN beside the int key
    mixed = packed_map(p(1), p("x"), p("a"), nan, p("a"), p(1))
    assert sorted(msgpack_findings(packed_map(p("m"), mixed))) == [
        ("SYNTAX_DUPLICATE_KEY", "/m/a"), ("SYNTAX_MSGPACK_TYPE", "/m"), ("SYNTAX_MSGPACK_TYPE", "/m/a")]
    # a map used as a key, and nesting beyond the limit under such a key: depth, at the map, alone
    nested: object = 1
    for _ in range(200):
        nested = [nested]
    assert msgpack_findings(packed_map(p("m"), packed_map(p({"k": 1}), p(nested)), p("n"), nan)) == [
        ("SYNTAX_DEPTH", "/m")]


def test_msgpack_depth_ends_the_layer_before_later_fatal_problems() -> None:
    p = msgpack.packb
    nested: object = 1
    for _ in range(200):
        nested = [nested]
    deep_value = p(nested)
    want = [("SYNTAX_DEPTH", "/b" + "/0" * 127)]
    good = packed_map(p("a"), p(float("nan")), p("b"), deep_value, p("c"), p("x"))
    assert msgpack_findings(good) == want
    assert msgpack_findings(good + b"\xc0") == want  # trailing data after it
    assert msgpack_findings(good[:-1]) == want  # truncated after it
    assert msgpack_findings(good.replace(p("x"), b"\xa1\xff")) == want  # invalid UTF-8 after it
    # a fatal problem before the deep container still wins
    assert msgpack_findings(packed_map(p("a"), b"\xa1\xff", p("b"), deep_value)) == [("SYNTAX_UTF8", "")]
