import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { read, validate, ModelDocError, DTYPES } from '../src/index.mjs';
import { toTypedArray } from '../src/data.mjs';
import { FIXTURES } from './fixtures.mjs';
import { jsonBytes, smallDoc, sha256 } from './helpers.mjs';

const fixture = (name) => readFileSync(join(FIXTURES, name));

const TYPED = {
  bool: Uint8Array, int8: Int8Array, int16: Int16Array, int32: Int32Array, int64: BigInt64Array,
  uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array,
  float16: Float32Array, bfloat16: Float32Array, float32: Float32Array, float64: Float64Array,
};

test('every dtype decodes into its typed array, the same from every encoding', () => {
  assert.equal(DTYPES.length, 13);
  for (const dtype of DTYPES) {
    const [a, b, c] = ['base64.json', 'list.json', 'msgpack.msgpack'].map((s) => read(fixture(`valid/dtype-${dtype}-${s}`)));
    const t = a.tensors[0];
    assert.equal(t.dtype, dtype);
    assert.ok(t.data instanceof TYPED[dtype], dtype);
    assert.equal(t.data.length, Number(t.shape.reduce((x, y) => x * y, 1n)));
    assert.equal(sha256(t.bytes), t.sha256);
    // The list encoding drops NaN payloads (5.3), so float fixtures differ there.
    for (const other of dtype.includes('float') ? [c] : [b, c]) {
      assert.deepEqual(other.tensors[0].bytes, t.bytes, dtype);
      assert.equal(other.report, a.report, dtype);
    }
  }
});

test('64-bit integers beyond 2^53 are exact', () => {
  const { tensors } = read(fixture('valid/dtype-int64-list.json'));
  const values = Array.from(tensors[0].data);
  assert.ok(values.includes(2n ** 53n + 1n));
  assert.ok(values.includes(-(2n ** 63n)));
  assert.ok(values.includes(2n ** 63n - 1n));
  const u = Array.from(read(fixture('valid/dtype-uint64-list.json')).tensors[0].data);
  assert.ok(u.includes(2n ** 64n - 1n));
});

test('float16 and bfloat16 widen exactly', () => {
  const bits = new Uint8Array([0x00, 0x3c, 0x01, 0x00, 0x00, 0x80, 0xff, 0x7b, 0x00, 0x7c]);
  assert.deepEqual(Array.from(toTypedArray('float16', bits)), [1, 2 ** -24, -0, 65504, Infinity]);
  assert.deepEqual(Array.from(toTypedArray('bfloat16', new Uint8Array([0x80, 0x3f, 0x81, 0x3f]))), [1, 1 + 2 ** -7]);
});

test('list float text forms: -0, 1E5, Infinity, NaN', () => {
  const { tensors } = read(fixture('valid/list-float-text-forms.json'));
  const d = Array.from(tensors[0].data);
  assert.ok(Object.is(d[1], -0) && Object.is(d[2], -0));
  assert.equal(d[3], 1e5);
  assert.deepEqual(d.slice(7, 9), [Infinity, -Infinity]);
  assert.ok(Number.isNaN(d[9]));
  assert.deepEqual(Array.from(tensors[0].bytes.subarray(36, 40)), [0x00, 0x00, 0xc0, 0x7f]); // canonical NaN
});

test('read throws ModelDocError with every finding; validate returns them', () => {
  const d = smallDoc();
  d.tensors.push({ ...d.tensors[0] });
  d.model.layers[0].weights.push('nope');
  assert.throws(() => read(jsonBytes(d)), (e) => {
    assert.ok(e instanceof ModelDocError);
    assert.deepEqual(e.findings.filter((f) => f.severity === 'error').map((f) => f.code).sort(), ['SEMANTIC_DUPLICATE_TENSOR', 'SEMANTIC_UNKNOWN_TENSOR']);
    return true;
  });
  const r = validate(jsonBytes(d));
  assert.equal(r.valid, false);
  assert.equal(r.report, undefined);
});

test('warnings come with a valid document', () => {
  const r = read(fixture('valid/warnings-unused-and-shared.json'));
  assert.deepEqual(r.warnings.map((w) => w.code).sort(), ['SEMANTIC_SHARED_WEIGHT', 'SEMANTIC_UNUSED_TENSOR']);
});

test('document_sha256 is the SHA-256 of the report', () => {
  const d = smallDoc();
  const { report } = validate(jsonBytes(d));
  d.document_sha256 = sha256(new TextEncoder().encode(report));
  assert.equal(validate(jsonBytes(d)).valid, true);
  d.metadata.purpose = 'changed';
  assert.deepEqual(validate(jsonBytes(d)).errors, [{ code: 'DATA_DOCUMENT_CHECKSUM', pointer: '/document_sha256' }]);
});

test('limits are options', () => {
  const r = validate(jsonBytes(smallDoc()), { limits: { documentSize: 2n ** 40n, depth: 128, rank: 1, tensorSize: 2n ** 38n, totalSize: 2n ** 40n } });
  assert.deepEqual(r.errors, [{ code: 'LIMIT_RANK', pointer: '/tensors/0/shape' }]);
  const s = validate(jsonBytes(smallDoc()), { limits: { documentSize: 10n, depth: 128, rank: 32, tensorSize: 2n ** 38n, totalSize: 2n ** 40n } });
  assert.deepEqual(s.errors, [{ code: 'LIMIT_DOCUMENT_SIZE', pointer: '' }]);
});
