import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from '@msgpack/msgpack';
import { parseMsgpack } from '../src/msgpack.mjs';
import { JInt, JNum, Bin } from '../src/values.mjs';
import { validate, read } from '../src/index.mjs';
import { msgpackWith, msgpackDoc, smallDoc } from './helpers.mjs';

const fails = (bytes, code, pointer) => {
  const r = validate(bytes);
  assert.equal(r.valid, false, 'expected invalid');
  assert.deepEqual(r.errors.map((e) => e.code), [code]);
  if (pointer !== undefined) assert.equal(r.errors[0].pointer, pointer);
};
const str = (s) => encode(s);

test('a MessagePack document reads like its JSON form', () => {
  const r = read(msgpackDoc());
  assert.equal(r.container, 'msgpack');
  assert.deepEqual(Array.from(r.tensors[0].data), [0.5, -1.25, 2, 0, -0, 3.5]);
});

test('duplicate map keys', () => {
  // a map {"a": 1, "a": 2} where a string is expected
  fails(msgpackWith([0x82, ...str('a'), 1, ...str('a'), 2]), 'SYNTAX_DUPLICATE_KEY', '/metadata/purpose/a');
  const doc = smallDoc();
  const bytes = msgpackWith([], doc, 'x'); // unchanged document
  assert.equal(validate(bytes).valid, false); // purpose missing value -> malformed
});

test('duplicate top-level key', () => {
  const doc = smallDoc();
  const bytes = Buffer.from(msgpackDoc(doc));
  const map = bytes[0] & 0x0f;
  // add a second "format" member at the end
  const extra = Buffer.from([...str('format'), ...str('modeldoc')]);
  const out = Buffer.concat([Buffer.from([0x80 | (map + 1)]), bytes.subarray(1), extra]);
  fails(new Uint8Array(out), 'SYNTAX_DUPLICATE_KEY', '/format');
});

test('keys that are not str: at the map', () => {
  fails(msgpackWith([0x81, 0x01, ...str('v')]), 'SYNTAX_MSGPACK_TYPE', '/metadata/purpose');
  fails(msgpackWith([0x81, 0xc4, 0x01, 0x61, ...str('v')]), 'SYNTAX_MSGPACK_TYPE', '/metadata/purpose'); // bin key
  fails(msgpackWith([0x81, 0xc0, ...str('v')]), 'SYNTAX_MSGPACK_TYPE', '/metadata/purpose'); // nil key
});

test('extension types, including the timestamp, at the value', () => {
  fails(msgpackWith([0xd4, 0x05, 0x00]), 'SYNTAX_MSGPACK_TYPE', '/metadata/purpose');
  fails(msgpackWith([0xd6, 0xff, 0, 0, 0, 0]), 'SYNTAX_MSGPACK_TYPE', '/metadata/purpose');
  fails(msgpackWith([0xc7, 0x02, 0x01, 0, 0]), 'SYNTAX_MSGPACK_TYPE', '/metadata/purpose');
  fails(msgpackWith([0x92, 0x01, 0xd8, 0x01, ...new Array(16).fill(0)]), 'SYNTAX_MSGPACK_TYPE', '/metadata/purpose/1');
});

test('non-finite floats, 32 and 64 bit', () => {
  fails(msgpackWith([0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]), 'SYNTAX_MSGPACK_TYPE', '/metadata/purpose');
  fails(msgpackWith([0xcb, 0xff, 0xf0, 0, 0, 0, 0, 0, 0]), 'SYNTAX_MSGPACK_TYPE', '/metadata/purpose');
  fails(msgpackWith([0xca, 0x7f, 0x80, 0, 0]), 'SYNTAX_MSGPACK_TYPE', '/metadata/purpose');
});

test('float 32 is widened, ints are exact', () => {
  const t = parseMsgpack(Uint8Array.from([0x84,
    ...str('f'), 0xca, 0x3d, 0xcc, 0xcc, 0xcd,
    ...str('u'), 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ...str('i'), 0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0,
    ...str('n'), 0xe0])).tree;
  assert.ok(t.get('f') instanceof JNum);
  assert.equal(t.get('f').v, Math.fround(0.1));
  assert.ok(t.get('u') instanceof JInt);
  assert.equal(t.get('u').v, 2n ** 64n - 1n);
  assert.equal(t.get('i').v, -(2n ** 63n));
  assert.equal(t.get('n').v, -32n);
});

test('bin only as tensor data', () => {
  fails(msgpackWith([0xc4, 0x01, 0x41]), 'SYNTAX_MSGPACK_TYPE', '/metadata/purpose');
  const t = parseMsgpack(msgpackDoc()).tree;
  assert.ok(t.get('tensors')[0].get('data') instanceof Bin);
});

test('truncated, malformed, trailing', () => {
  const good = msgpackDoc();
  for (const cut of [1, 10, 100, good.length - 1]) fails(good.subarray(0, cut), 'SYNTAX_MSGPACK', '');
  fails(msgpackWith([0xc1]), 'SYNTAX_MSGPACK', '');
  fails(msgpackWith([0xdb, 0xff, 0xff, 0xff, 0xff]), 'SYNTAX_MSGPACK', ''); // str longer than the input
  fails(msgpackWith([0xdd, 0xff, 0xff, 0xff, 0xff]), 'SYNTAX_MSGPACK', ''); // array longer than the input
  fails(Uint8Array.from([...good, 0xc0]), 'SYNTAX_TRAILING_DATA', '');
});

test('str that is not UTF-8', () => {
  fails(msgpackWith([0xa2, 0xc3, 0x28]), 'SYNTAX_UTF8', '');
  fails(msgpackWith([0xa3, 0xed, 0xa0, 0x80]), 'SYNTAX_UTF8', ''); // an encoded surrogate
});

test('depth: pointer of the first container too deep, no crash on deep input', () => {
  const deep = (n) => [...new Array(n).fill(0x91), 0xc0];
  assert.equal(validate(msgpackWith(deep(126))).errors[0].code, 'SCHEMA_TYPE');
  fails(msgpackWith(deep(127)), 'SYNTAX_DEPTH', '/metadata/purpose' + '/0'.repeat(126));
  fails(msgpackWith(deep(200000)), 'SYNTAX_DEPTH', '/metadata/purpose' + '/0'.repeat(126));
});

test('encodings: raw only in MessagePack, base64/list only in JSON', () => {
  const doc = smallDoc();
  const bytes = encode(doc); // base64 string data, encoding base64
  fails(bytes, 'DATA_ENCODING_MISMATCH', '/tensors/0/encoding');
  const raw = smallDoc();
  raw.tensors[0].encoding = 'raw';
  raw.tensors[0].data = 'AAAA';
  fails(new TextEncoder().encode(JSON.stringify(raw)), 'DATA_ENCODING_MISMATCH', '/tensors/0/encoding');
  const notBin = smallDoc();
  notBin.tensors[0].encoding = 'raw';
  fails(encode(notBin), 'SCHEMA_TYPE', '/tensors/0/data');
  const binBase64 = smallDoc();
  binBase64.tensors[0].data = new Uint8Array(24);
  fails(encode(binBase64), 'SCHEMA_TYPE', '/tensors/0/data'); // bin matches no schema type
});

/** A map of already encoded keys and values. */
const map = (...entries) => Uint8Array.from([0x80 | (entries.length / 2), ...entries.flatMap((e) => [...e])]);
const NAN = Uint8Array.from([0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]);
const nested = (n) => Uint8Array.from([...new Array(n).fill(0x91), 0x01]);
const errorsOf = (bytes) => validate(bytes).errors.map((e) => `${e.code} ${e.pointer}`).sort();

test('keys that are not str: one finding per map, nothing inside such an entry', () => {
  const bad = map(encode(1), str('x'), encode(2), str('y'), encode(2.5), encode({ n: NaN, b: Uint8Array.of(1) }),
    encode(3), Uint8Array.of(0xd4, 0x01, 0x00));
  assert.deepEqual(errorsOf(map(str('m'), bad)), ['SYNTAX_MSGPACK_TYPE /m']);
  const mixed = map(encode(1), str('x'), str('a'), NAN, str('a'), encode(1));
  assert.deepEqual(errorsOf(map(str('m'), mixed)), ['SYNTAX_DUPLICATE_KEY /m/a', 'SYNTAX_MSGPACK_TYPE /m', 'SYNTAX_MSGPACK_TYPE /m/a']);
  // a map as a key, and nesting beyond the limit under such a key: depth at the map, alone
  assert.deepEqual(errorsOf(map(str('m'), map(encode({ k: 1 }), nested(200)), str('n'), NAN)), ['SYNTAX_DEPTH /m']);
});

test('depth ends the layer before later fatal problems, and drops what came before', () => {
  const want = ['SYNTAX_DEPTH /b' + '/0'.repeat(127)];
  const good = map(str('a'), NAN, str('b'), nested(200), str('c'), str('x'));
  assert.deepEqual(errorsOf(good), want);
  assert.deepEqual(errorsOf(Uint8Array.from([...good, 0xc0])), want);
  assert.deepEqual(errorsOf(good.subarray(0, good.length - 1)), want);
  assert.deepEqual(errorsOf(map(str('a'), NAN, str('b'), nested(200), str('c'), Uint8Array.of(0xa1, 0xff))), want);
  assert.deepEqual(errorsOf(map(str('a'), Uint8Array.of(0xa1, 0xff), str('b'), nested(200))), ['SYNTAX_UTF8 ']);
});
