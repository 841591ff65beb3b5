import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, canonicalString, formatNumber } from '../src/canonical.mjs';
import { parseJson } from '../src/json.mjs';

test('ES Number::toString forms', () => {
  const cases = [
    [1e21, '1e+21'], [1e20, '100000000000000000000'], [1e-7, '1e-7'], [0.000001, '0.000001'],
    [123.5, '123.5'], [2.0, '2'], [-0, '0'], [0.1, '0.1'], [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'], [-1.5e-10, '-1.5e-10'], [100, '100'],
    [123456789012345680000, '123456789012345680000'], [0.30000000000000004, '0.30000000000000004'],
    [2 ** 53 + 2, '9007199254740994'], [1.25e-5, '0.0000125'], [Math.fround(0.1), '0.10000000149011612'],
  ];
  for (const [x, text] of cases) assert.equal(formatNumber(x), text, String(x));
  assert.throws(() => formatNumber(NaN));
});

test('numbers and integers in a tree keep their kind', () => {
  const t = parseJson(new TextEncoder().encode(
    '{"i":18446744073709551615,"j":-9223372036854775808,"k":9007199254740993,"z":-0,"n":-0.0,"f":2.0,"e":1E5,"s":1e21}')).tree;
  assert.equal(canonicalJson(t), '{"e":100000,"f":2,"i":18446744073709551615,"j":-9223372036854775808,"k":9007199254740993,"n":0,"s":1e+21,"z":0}');
});

test('strings: the escapes of section 10, everything else as itself', () => {
  assert.equal(canonicalString('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(canonicalString('\b\t\n\f\r'), '"\\b\\t\\n\\f\\r"');
  assert.equal(canonicalString('\u0000\u0001\u001f'), '"\\u0000\\u0001\\u001f"');
  assert.equal(canonicalString('\u007f\u2028/\u00e9\u{1F600}'), '"\u007f\u2028/\u00e9\u{1F600}"');
  for (const s of ['plain', 'a\u0002b"\\\u007f', '\u{10FFFF}']) assert.equal(canonicalString(s), JSON.stringify(s));
});

test('members sorted by UTF-16 code units', () => {
  // U+1F600 (surrogates D83D DE00) sorts before U+FF5A in UTF-16, after it by code point.
  const t = parseJson(new TextEncoder().encode('{"\uff5a":1,"\u{1F600}":2,"z":3,"\u00e9":4,"":5,"Z":6,"aa":7,"a":8}')).tree;
  assert.equal(canonicalJson(t), '{"":5,"Z":6,"a":8,"aa":7,"z":3,"\u00e9":4,"\u{1F600}":2,"\uff5a":1}');
});

test('nested structures, arrays, literals, no whitespace', () => {
  const t = parseJson(new TextEncoder().encode(' { "b" : [ true , false , null , { } , [ ] ] , "a" : { "y" : 1 , "x" : "s" } } ')).tree;
  assert.equal(canonicalJson(t), '{"a":{"x":"s","y":1},"b":[true,false,null,{},[]]}');
});
