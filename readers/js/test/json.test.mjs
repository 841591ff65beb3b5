import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJson } from '../src/json.mjs';
import { parseDocument } from '../src/container.mjs';
import { JInt, JNum } from '../src/values.mjs';
import { validate } from '../src/index.mjs';
import { enc, jsonWith, jsonBytes, smallDoc } from './helpers.mjs';

const fails = (bytes, code, pointer) => {
  const r = validate(bytes);
  assert.equal(r.valid, false, 'expected invalid');
  assert.deepEqual(r.errors.map((e) => e.code), [code]);
  if (pointer !== undefined) assert.equal(r.errors[0].pointer, pointer);
};

test('the small document is valid', () => {
  const r = validate(jsonBytes(smallDoc()));
  assert.deepEqual(r.errors, []);
  assert.equal(r.valid, true);
});

test('duplicate member: reported at the member, also inside config and after unescaping', () => {
  fails(jsonWith('{"a":1,"a":1}'), 'SYNTAX_DUPLICATE_KEY', '/metadata/purpose/a');
  fails(jsonWith('{"a":1,"\\u0061":2}'), 'SYNTAX_DUPLICATE_KEY', '/metadata/purpose/a');
  fails(jsonWith('{"a/b~":1,"a/b~":2}'), 'SYNTAX_DUPLICATE_KEY', '/metadata/purpose/a~1b~0');
  const doc = smallDoc();
  const text = JSON.stringify(doc).replace('"units":3', '"units":3,"units":3');
  fails(enc(text), 'SYNTAX_DUPLICATE_KEY', '/model/layers/0/config/units');
});

test('"__proto__" is an ordinary member name', () => {
  const t = parseJson(enc('{"__proto__":{"x":1},"constructor":2}')).tree;
  assert.deepEqual([...t.m.keys()], ['__proto__', 'constructor']);
  fails(enc('{"__proto__":1,"__proto__":2}'), 'SYNTAX_DUPLICATE_KEY', '/__proto__');
});

test('non-finite literals', () => {
  fails(jsonWith('NaN'), 'SYNTAX_NONFINITE_LITERAL', '/metadata/purpose');
  fails(jsonWith('Infinity'), 'SYNTAX_NONFINITE_LITERAL', '/metadata/purpose');
  fails(jsonWith('-Infinity'), 'SYNTAX_NONFINITE_LITERAL', '/metadata/purpose');
  fails(jsonWith('[1,NaN]'), 'SYNTAX_NONFINITE_LITERAL', '/metadata/purpose/1');
});

test('number range: integers in [-2^63, 2^64-1], numbers finite in binary64', () => {
  fails(jsonWith('18446744073709551616'), 'SYNTAX_NUMBER_RANGE', '/metadata/purpose');
  fails(jsonWith('-9223372036854775809'), 'SYNTAX_NUMBER_RANGE', '/metadata/purpose');
  fails(jsonWith('100000000000000000000'), 'SYNTAX_NUMBER_RANGE', '/metadata/purpose');
  fails(jsonWith('1' + '0'.repeat(5000)), 'SYNTAX_NUMBER_RANGE', '/metadata/purpose');
  fails(jsonWith('1e999'), 'SYNTAX_NUMBER_RANGE', '/metadata/purpose');
  fails(jsonWith('-1.8e308'), 'SYNTAX_NUMBER_RANGE', '/metadata/purpose');
  const t = parseJson(enc('{"a":18446744073709551615,"b":-9223372036854775808,"c":9007199254740993,"d":1e-999}')).tree;
  assert.equal(t.get('a').v, 18446744073709551615n);
  assert.equal(t.get('b').v, -9223372036854775808n);
  assert.equal(t.get('c').v, 9007199254740993n); // not 9007199254740992
  assert.ok(t.get('d') instanceof JNum);
  assert.equal(t.get('d').v, 0);
});

test('integers and numbers keep their kind and token text', () => {
  const t = parseJson(enc('{"a":-0,"b":-0.0,"c":2.0,"d":1E5,"e":2}')).tree;
  assert.ok(t.get('a') instanceof JInt);
  assert.equal(t.get('a').text, '-0');
  assert.ok(Object.is(Number(t.get('a').text), -0));
  assert.ok(t.get('b') instanceof JNum && Object.is(t.get('b').v, -0));
  assert.ok(t.get('c') instanceof JNum);
  assert.equal(t.get('d').text, '1E5');
  assert.ok(t.get('e') instanceof JInt);
});

test('unpaired surrogates: at the string, or at the member for a name', () => {
  fails(jsonWith('"\\ud800"'), 'SYNTAX_UTF8', '/metadata/purpose');
  fails(jsonWith('"\\udc00\\ud800"'), 'SYNTAX_UTF8', '/metadata/purpose');
  fails(jsonWith('["ok","x\\udfff"]'), 'SYNTAX_UTF8', '/metadata/purpose/1');
  fails(jsonWith('{"k\\ud800":"v"}'), 'SYNTAX_UTF8', '/metadata/purpose/k\ud800');
  const t = parseJson(enc('{"a":"\\ud83d\\ude00"}')).tree;
  assert.equal(t.get('a'), '\u{1F600}');
});

test('bytes that are not UTF-8', () => {
  const bytes = jsonWith('"\u00e9"');
  const at = Buffer.from(bytes).indexOf(Buffer.from('\u00e9'));
  const bad = Uint8Array.from(bytes);
  bad[at] = 0xff;
  fails(bad, 'SYNTAX_UTF8', '');
  fails(Uint8Array.from([...enc('{"a":"'), 0xed, 0xa0, 0x80, ...enc('"}')]), 'SYNTAX_UTF8', ''); // UTF-8 of a surrogate
});

test('depth: the first container deeper than 128, without crashing on deep input', () => {
  const nested = (n) => '['.repeat(n) + ']'.repeat(n);
  // metadata/purpose is at depth 3: 126 arrays reach depth 128, 127 go beyond.
  assert.equal(validate(jsonWith(nested(126))).errors[0].code, 'SCHEMA_TYPE');
  fails(jsonWith(nested(127)), 'SYNTAX_DEPTH', '/metadata/purpose' + '/0'.repeat(126));
  fails(jsonWith(nested(100000)), 'SYNTAX_DEPTH', '/metadata/purpose' + '/0'.repeat(126));
  fails(enc('{"a":' + '{"b":'.repeat(200) + '1' + '}'.repeat(201)), 'SYNTAX_DEPTH', '/a' + '/b'.repeat(127));
  // the limit is configurable
  assert.throws(() => parseJson(enc('{"a":[[1]]}'), { maxDepth: 2 }), { code: 'SYNTAX_DEPTH', pointer: '/a/0' });
});

test('malformed text is SYNTAX_JSON', () => {
  for (const raw of ['01', '1.', '.5', '+1', '"\t"', "'x'", '[1,]', '{"a" 1}', 'tru', 'nul', '"\\x"', '"\\u12"', '0x10', '[1 2]']) {
    fails(jsonWith(raw), 'SYNTAX_JSON');
  }
  const doc = JSON.stringify(smallDoc());
  fails(enc(doc.slice(0, 100)), 'SYNTAX_JSON');
  fails(enc(doc.slice(0, -1)), 'SYNTAX_JSON');
  fails(enc('{"a":1,}'), 'SYNTAX_JSON');
});

test('container recognition, BOM, empty, trailing data, not an object', () => {
  fails(new Uint8Array(), 'SYNTAX_EMPTY', '');
  fails(enc(' \n\t\r '), 'SYNTAX_EMPTY', '');
  fails(Uint8Array.from([0xef, 0xbb, 0xbf, ...jsonBytes(smallDoc())]), 'SYNTAX_BOM', '');
  fails(enc('<doc/>'), 'SYNTAX_UNKNOWN_ENCODING', '');
  fails(Uint8Array.from([0x90]), 'SYNTAX_UNKNOWN_ENCODING', ''); // a MessagePack array
  fails(enc('\f{}'), 'SYNTAX_UNKNOWN_ENCODING', ''); // form feed is not JSON whitespace
  fails(enc(JSON.stringify(smallDoc()) + ' {}'), 'SYNTAX_TRAILING_DATA', '');
});

test('trailing whitespace is fine; top level must be an object', () => {
  assert.equal(validate(enc(' \n' + JSON.stringify(smallDoc()) + ' \n\r\t')).valid, true);
  for (const text of ['[]', '"x"', '1', 'true', 'null', '-1']) fails(enc(text), 'SYNTAX_NOT_OBJECT', '');
});

test('parseDocument names the container', () => {
  assert.equal(parseDocument(enc('{}')).container, 'json');
});

test('a problem that ends the layer is its only finding; the others are all reported', () => {
  const deep = (n) => '['.repeat(n) + ']'.repeat(n);
  const atB = '/b' + '/0'.repeat(127);
  const only = (text, code, pointer) => assert.deepEqual(validate(enc(text), { limits: { string: 10 } }).errors, [{ code, pointer }], text.slice(0, 60));
  only('{"a":NaN,"a":1,"b":1e999,"c":[', 'SYNTAX_JSON', '/c/0');
  only('{"a":NaN,"a":1} x', 'SYNTAX_TRAILING_DATA', '');
  only('[NaN, {"a":1,"a":2}]', 'SYNTAX_NOT_OBJECT', '');
  only(`{"a":NaN,"b":${deep(200)},"c":1e999}`, 'SYNTAX_DEPTH', atB);
  only(`{"a":NaN,"b":${deep(200)}} x`, 'SYNTAX_DEPTH', atB);
  only(`{"a":NaN,"b":${'['.repeat(200)}1,,2`, 'SYNTAX_DEPTH', atB);
  only(`{"b":${deep(200)},"c":${deep(300)}}`, 'SYNTAX_DEPTH', atB);
  only(`{"b":${deep(200)},"b":1}`, 'SYNTAX_DEPTH', atB);
  only(`{"s":"${'x'.repeat(11)}","b":${deep(200)}}`, 'SYNTAX_DEPTH', atB);
  const r = validate(enc(`{"s":"${'x'.repeat(11)}","a":NaN,"a":1,"a":[1e999],"b":{"c":1,"c":2,"c":3},"d":"\\ud800"}`), { limits: { string: 10 } });
  const got = r.errors.map((e) => `${e.code} ${e.pointer}`).sort();
  assert.deepEqual(got, [
    'LIMIT_STRING /s', 'SYNTAX_DUPLICATE_KEY /a', 'SYNTAX_DUPLICATE_KEY /b/c', 'SYNTAX_NONFINITE_LITERAL /a',
    'SYNTAX_NUMBER_RANGE /a/0', 'SYNTAX_UTF8 /d',
  ]);
});
