// Quantized tensors (spec.md 5.5): dequantization, DATA_QUANTIZATION, the
// report's quantization object and the API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { read, validate } from '../src/index.mjs';
import { dequantize, quantizationError } from '../src/quantization.mjs';
import { JObj, JInt, JNum } from '../src/values.mjs';
import { FIXTURES } from './fixtures.mjs';
import { jsonBytes, smallDoc, sha256 } from './helpers.mjs';

// A quantization object as the parser would give it (integers as JInt, numbers as JNum).
function qobj(plain) {
  const conv = (v) => {
    if (Array.isArray(v)) return v.map(conv);
    if (typeof v === 'bigint') return new JInt(v);
    if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? new JInt(BigInt(v)) : new JNum(v);
    return v;
  };
  const o = new JObj();
  for (const [k, v] of Object.entries(plain)) o.m.set(k, v === null ? null : conv(v));
  return o;
}
const num = (x) => new JNum(x); // a number token (e.g. 0.5 written as a decimal)
const shapeOf = (...d) => d.map(BigInt);
const u8 = (...v) => new Uint8Array(v);
const i8 = (...v) => new Uint8Array(new Int8Array(v).buffer);
const f32s = (bytes) => Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
const f64s = (bytes) => Array.from(new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8));
const u16s = (bytes) => Array.from(new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2));
const u32s = (bytes) => Array.from(new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));

test('affine uint8, per tensor: (q - zero_point) * scale', () => {
  const q = qobj({ scheme: 'affine', dtype: 'float32', scale: [num(0.5)], zero_point: [128] });
  const shape = shapeOf(2, 3);
  assert.equal(quantizationError(q, 'uint8', shape), null);
  const out = dequantize(q, 'uint8', shape, u8(0, 127, 128, 129, 200, 255));
  assert.deepEqual(f32s(out), [-64, -0.5, 0, 0.5, 36, 63.5]);
  // (q - zp) = 0 gives +0, not -0 (scale > 0)
  assert.ok(Object.is(f32s(out)[2], 0));
  // axis null is the same as absent
  const q2 = qobj({ scheme: 'affine', dtype: 'float32', axis: null, scale: [num(0.5)], zero_point: [128] });
  assert.deepEqual(dequantize(q2, 'uint8', shape, u8(0, 127, 128, 129, 200, 255)), out);
});

test('affine int8, per channel along a middle axis', () => {
  // shape [2, 3, 2], axis 1: the channel of C-order index k is floor(k / 2) mod 3
  const scale = [0.5, 0.25, 2];
  const zp = [0, 1, -1];
  const q = qobj({ scheme: 'affine', dtype: 'float64', axis: 1, scale: scale.map(num), zero_point: zp });
  const shape = shapeOf(2, 3, 2);
  const stored = [-128, 127, 1, -1, 0, 5, 10, -10, 3, 3, -127, 126];
  assert.equal(quantizationError(q, 'int8', shape), null);
  const got = f64s(dequantize(q, 'int8', shape, i8(...stored)));
  const want = stored.map((v, k) => { const c = Math.floor(k / 2) % 3; return (v - zp[c]) * scale[c]; });
  assert.deepEqual(got, want);
  assert.deepEqual(got, [-64, 63.5, 0, -0.5, 2, 12, 5, -5, 0.5, 0.5, -252, 254]);
});

test('affine uint8 per channel along the last and the first axis', () => {
  const stored = u8(10, 20, 30, 40, 50, 60);
  const last = qobj({ scheme: 'affine', dtype: 'float32', axis: 1, scale: [1, 2, 4], zero_point: [0, 10, 20] });
  assert.deepEqual(f32s(dequantize(last, 'uint8', shapeOf(2, 3), stored)), [10, 20, 40, 40, 80, 160]);
  const first = qobj({ scheme: 'affine', dtype: 'float32', axis: 0, scale: [1, 2], zero_point: [0, 10] });
  assert.deepEqual(f32s(dequantize(first, 'uint8', shapeOf(2, 3), stored)), [10, 20, 30, 60, 80, 100]);
});

test('float32 rounding boundaries: one binary64 product, then one rounding half to even', () => {
  const run = (scale, stored) => {
    const q = qobj({ scheme: 'affine', dtype: 'float32', scale: [num(scale)], zero_point: [0] });
    return u32s(dequantize(q, 'uint8', shapeOf(stored.length), u8(...stored)));
  };
  // 1 + 2^-24 is the midpoint between float32 1 and 1 + 2^-23: to even (1)
  assert.deepEqual(run(1 + 2 ** -24, [1]), [0x3f800000]);
  // 1 + 3 * 2^-24: midpoint between 1 + 2^-23 and 1 + 2^-22: to even (1 + 2^-22)
  assert.deepEqual(run(1 + 3 * 2 ** -24, [1]), [0x3f800002]);
  // 3 * (1 + 2^-24) = 3 + 0.75 * 2^-22 exactly in binary64: rounds up to 3 + 2^-22.
  // A reader that rounded the scale to float32 first (to 1) would get 3 (0x40400000).
  assert.deepEqual(run(1 + 2 ** -24, [3]), [0x40400001]);
  assert.equal(Math.fround(Math.fround(1 + 2 ** -24) * 3), 3);
  // 2 * (1 + 2^-24) = 2 + 2^-23: again exactly a midpoint (spacing 2^-22 at 2): to even (2)
  assert.deepEqual(run(1 + 2 ** -24, [2]), [0x40000000]);
  // The binary64 product itself rounds: 0.1 * 3 is 0.30000000000000004 in binary64
  assert.deepEqual(run(0.1, [3]), u32s(new Uint8Array(new Float32Array([0.30000000000000004]).buffer)));
});

test('float16 and bfloat16 targets: exact rounding, overflow to infinity', () => {
  // bfloat16: the double-rounding case of section 6 (through binary32 it gives 0x3f80)
  const b = qobj({ scheme: 'affine', dtype: 'bfloat16', scale: [num(1 + 2 ** -8 + 2 ** -40)], zero_point: [0] });
  assert.deepEqual(u16s(dequantize(b, 'uint8', shapeOf(1), u8(1))), [0x3f81]);
  // float16: 255000 and -255000 overflow to +-infinity under the reader rule
  const h = qobj({ scheme: 'affine', dtype: 'float16', scale: [num(1000)], zero_point: [0] });
  assert.deepEqual(u16s(dequantize(h, 'int8', shapeOf(3), i8(127, -128, 1))), [0x7c00, 0xfc00, 0x63d0]);
  // float16 midpoint: 1 + 2^-11 ties to 1
  const m = qobj({ scheme: 'affine', dtype: 'float16', scale: [num(1 + 2 ** -11)], zero_point: [0] });
  assert.deepEqual(u16s(dequantize(m, 'uint8', shapeOf(1), u8(1))), [0x3c00]);
});

test('cast: stored float16 widened exactly to float32 and float64', () => {
  const bits = [0x3c00, 0x8000, 0x7bff, 0x0001, 0xfc00, 0x3555];
  const stored = new Uint8Array(new Uint16Array(bits).buffer);
  const values = [1, -0, 65504, 2 ** -24, -Infinity, 0.333251953125];
  const q32 = qobj({ scheme: 'cast', dtype: 'float32' });
  const q64 = qobj({ scheme: 'cast', dtype: 'float64' });
  assert.equal(quantizationError(q32, 'float16', shapeOf(6)), null);
  const a = f32s(dequantize(q32, 'float16', shapeOf(6), stored));
  const b = f64s(dequantize(q64, 'float16', shapeOf(6), stored));
  assert.deepEqual(a, values);
  assert.deepEqual(b, values);
  assert.ok(Object.is(a[1], -0) && Object.is(b[1], -0));
  // NaN keeps sign and payload, moved to the top of the wider field
  const nan = new Uint8Array(new Uint16Array([0x7e00, 0xfe01]).buffer);
  assert.deepEqual(u32s(dequantize(q32, 'float16', shapeOf(2), nan)), [0x7fc00000, 0xffc02000]);
  const n64 = new BigUint64Array(dequantize(q64, 'float16', shapeOf(2), nan).buffer);
  assert.deepEqual(Array.from(n64), [0x7ff8000000000000n, 0xfff8040000000000n]);
});

test('DATA_QUANTIZATION: the failing member, in order', () => {
  const check = (plain, dtype, shape) => quantizationError(qobj(plain), dtype, shapeOf(...shape));
  const affine = (more) => ({ scheme: 'affine', dtype: 'float32', axis: 1, scale: [num(0.5), num(0.25), num(0.125)], zero_point: [0, 0, 0], ...more });
  // scheme and dtypes
  assert.deepEqual(check({ scheme: 'cast', dtype: 'float32' }, 'int8', [2, 3]), ['dtype']);
  assert.deepEqual(check({ scheme: 'cast', dtype: 'float32' }, 'float32', [2, 3]), ['dtype']);
  assert.deepEqual(check({ scheme: 'cast', dtype: 'float16' }, 'float16', [2, 3]), ['dtype']);
  assert.deepEqual(check({ scheme: 'cast', dtype: 'bfloat16' }, 'float16', [2, 3]), ['dtype']);
  // affine with a stored dtype other than uint8/int8: at scheme
  assert.deepEqual(check(affine({}), 'float16', [2, 3]), ['scheme']);
  assert.deepEqual(check(affine({}), 'float32', [2, 3]), ['scheme']);
  assert.deepEqual(check(affine({}), 'int16', [2, 3]), ['scheme']);
  assert.deepEqual(check(affine({}), 'uint16', [2, 3]), ['scheme']);
  // the stored dtype before anything else: a bad axis or missing scale is not reached
  assert.deepEqual(check(affine({ axis: 9 }), 'float32', [2, 3]), ['scheme']);
  assert.deepEqual(check({ scheme: 'affine', dtype: 'float32' }, 'float32', [2, 3]), ['scheme']);
  // cast: the dtypes before a forbidden member
  assert.deepEqual(check({ scheme: 'cast', dtype: 'float32', axis: 0 }, 'int8', [2, 3]), ['dtype']);
  assert.deepEqual(check({ scheme: 'cast', dtype: 'float32', scale: [num(1)], zero_point: [0] }, 'float16', [2, 3]), ['scale']);
  // cast takes no axis, scale or zero_point
  assert.deepEqual(check({ scheme: 'cast', dtype: 'float64', axis: null }, 'float16', [2, 3]), ['axis']);
  assert.deepEqual(check({ scheme: 'cast', dtype: 'float64', scale: [num(1)] }, 'float16', [2, 3]), ['scale']);
  assert.deepEqual(check({ scheme: 'cast', dtype: 'float64', zero_point: [0] }, 'float16', [2, 3]), ['zero_point']);
  // affine needs scale and zero_point: at the quantization object
  const { scale, ...noScale } = affine({});
  const { zero_point: zp, ...noZp } = affine({});
  assert.deepEqual(check(noScale, 'int8', [2, 3]), []);
  assert.deepEqual(check(noZp, 'int8', [2, 3]), []);
  // axis before missing members
  assert.deepEqual(check({ scheme: 'affine', dtype: 'float32', axis: 2 }, 'int8', [2, 3]), ['axis']);
  assert.deepEqual(check({ scheme: 'affine', dtype: 'float32', axis: 5, scale: [num(1)] }, 'uint8', [2, 3]), ['axis']);
  // axis beyond the rank (also of a scalar)
  assert.deepEqual(check(affine({ axis: 2 }), 'int8', [2, 3]), ['axis']);
  assert.deepEqual(check(affine({ axis: 0, scale: [num(1)], zero_point: [0] }), 'int8', []), ['axis']);
  // counts: shape[axis] of them, or one without an axis
  assert.deepEqual(check(affine({ scale: [num(0.5), num(0.25)] }), 'int8', [2, 3]), ['scale']);
  assert.deepEqual(check(affine({ axis: null }), 'int8', [2, 3]), ['scale']);
  assert.deepEqual(check(affine({ zero_point: [0, 0] }), 'int8', [2, 3]), ['zero_point']);
  assert.deepEqual(check(affine({ axis: null, scale: [num(1)], zero_point: [0, 0] }), 'int8', [2, 3]), ['zero_point']);
  // counts before values
  assert.deepEqual(check(affine({ scale: [num(0), num(0.25)] }), 'int8', [2, 3]), ['scale']);
  assert.deepEqual(check(affine({ scale: [num(0), num(1), num(1)], zero_point: [0, 0] }), 'int8', [2, 3]), ['zero_point']);
  // scale values: finite and > 0, at the item
  assert.deepEqual(check(affine({ scale: [num(0.5), num(0), num(0.125)] }), 'int8', [2, 3]), ['scale', 1]);
  assert.deepEqual(check(affine({ scale: [num(0.5), num(1), num(-0)] }), 'int8', [2, 3]), ['scale', 2]);
  assert.deepEqual(check(affine({ scale: [num(-1), num(1), num(1)] }), 'int8', [2, 3]), ['scale', 0]);
  assert.deepEqual(check(affine({ scale: [num(1), 0, num(1)] }), 'int8', [2, 3]), ['scale', 1]); // integer token 0
  // scale values before zero point values
  assert.deepEqual(check(affine({ scale: [num(1), num(1), num(0)], zero_point: [999, 0, 0] }), 'int8', [2, 3]), ['scale', 2]);
  // zero points in the stored dtype's range, at the item
  assert.deepEqual(check(affine({ zero_point: [0, 200, 0] }), 'int8', [2, 3]), ['zero_point', 1]);
  assert.deepEqual(check(affine({ zero_point: [0, 0, -129] }), 'int8', [2, 3]), ['zero_point', 2]);
  assert.equal(check(affine({ zero_point: [-128, 127, 0] }), 'int8', [2, 3]), null);
  assert.deepEqual(check(affine({ zero_point: [-1, 0, 0] }), 'uint8', [2, 3]), ['zero_point', 0]);
  assert.deepEqual(check(affine({ zero_point: [0, 256, 0] }), 'uint8', [2, 3]), ['zero_point', 1]);
  assert.equal(check(affine({ zero_point: [0, 255, 200] }), 'uint8', [2, 3]), null);
  assert.deepEqual(check(affine({ zero_point: [0, 2n ** 64n - 1n, 0] }), 'uint8', [2, 3]), ['zero_point', 1]);
});

// A document whose dense/kernel is int8 [2, 3] with the given quantization.
function quantizedDoc(quantization, stored = [-128, -1, 0, 1, 2, 127], dtype = 'int8') {
  const doc = smallDoc();
  const bytes = dtype === 'float16' ? new Uint8Array(new Uint16Array(stored).buffer) : dtype === 'int8' ? i8(...stored) : u8(...stored);
  doc.tensors[0] = { name: 'dense/kernel', dtype, shape: [2, 3], encoding: 'base64', sha256: sha256(bytes), data: Buffer.from(bytes).toString('base64'), quantization };
  return doc;
}

test('DATA_QUANTIZATION through validate: code, pointer, one finding per tensor', () => {
  const cases = [
    [{ scheme: 'cast', dtype: 'float32' }, '/tensors/0/quantization/dtype'],
    [{ scheme: 'affine', dtype: 'float32', axis: 9, zero_point: [0, 0, 0] }, '/tensors/0/quantization/axis'],
    [{ scheme: 'affine', dtype: 'float32', axis: 1, zero_point: [0, 0, 0] }, '/tensors/0/quantization'],
    [{ scheme: 'affine', dtype: 'float32', axis: 2, scale: [0.5, 0.25, 0.125], zero_point: [0, 0, 0] }, '/tensors/0/quantization/axis'],
    [{ scheme: 'affine', dtype: 'float32', axis: 1, scale: [0.5, 0.25], zero_point: [0, 0, 0] }, '/tensors/0/quantization/scale'],
    [{ scheme: 'affine', dtype: 'float32', axis: 1, scale: [0.5, 0.0, 0.125], zero_point: [0, 0, 0] }, '/tensors/0/quantization/scale/1'],
    [{ scheme: 'affine', dtype: 'float32', axis: 1, scale: [0.5, 0.25, 0.125], zero_point: [0, 200, 0] }, '/tensors/0/quantization/zero_point/1'],
    [{ scheme: 'affine', dtype: 'float32', axis: 1, scale: [0.5, 0.25, 0.125], zero_point: [0, 0] }, '/tensors/0/quantization/zero_point'],
  ];
  for (const [quantization, pointer] of cases) {
    const r = validate(jsonBytes(quantizedDoc(quantization)));
    assert.equal(r.valid, false);
    assert.deepEqual(r.errors, [{ code: 'DATA_QUANTIZATION', pointer }], pointer);
  }
  // checked before the data is decoded: a bad checksum or bad data is not reached
  const doc = quantizedDoc({ scheme: 'cast', dtype: 'float32' });
  doc.tensors[0].sha256 = '0'.repeat(64);
  assert.deepEqual(validate(jsonBytes(doc)).errors, [{ code: 'DATA_QUANTIZATION', pointer: '/tensors/0/quantization/dtype' }]);
  const badData = quantizedDoc({ scheme: 'cast', dtype: 'float32' });
  badData.tensors[0].data = '!!!!';
  assert.deepEqual(validate(jsonBytes(badData)).errors, [{ code: 'DATA_QUANTIZATION', pointer: '/tensors/0/quantization/dtype' }]);
  // an affine tensor stored as a float: at scheme
  const affineFloat = quantizedDoc({ scheme: 'affine', dtype: 'float32', scale: [0.5], zero_point: [0] }, [0x3c00, 0, 0, 0, 0, 0], 'float16');
  assert.deepEqual(validate(jsonBytes(affineFloat)).errors, [{ code: 'DATA_QUANTIZATION', pointer: '/tensors/0/quantization/scheme' }]);
  // a valid quantization still meets the checksum
  const good = quantizedDoc({ scheme: 'affine', dtype: 'float32', scale: [0.5], zero_point: [0] });
  good.tensors[0].sha256 = '0'.repeat(64);
  assert.deepEqual(validate(jsonBytes(good)).errors, [{ code: 'DATA_CHECKSUM', pointer: '/tensors/0/sha256' }]);
  // the encoding check comes first
  const enc = quantizedDoc({ scheme: 'cast', dtype: 'float32' });
  enc.tensors[0].encoding = 'raw';
  assert.deepEqual(validate(jsonBytes(enc)).errors, [{ code: 'DATA_ENCODING_MISMATCH', pointer: '/tensors/0/encoding' }]);
  // structural problems are the schema's, not DATA_QUANTIZATION
  const schema = validate(jsonBytes(quantizedDoc({ scheme: 'affine', dtype: 'float32', scale: [1], zero_point: [0], extra: 1 })));
  assert.deepEqual(schema.errors, [{ code: 'SCHEMA_ADDITIONAL_PROPERTY', pointer: '/tensors/0/quantization/extra' }]);
});

test('report: the quantization object of section 10', () => {
  const per = quantizedDoc({ scheme: 'affine', dtype: 'float32', scale: [0.5], zero_point: [1] });
  const r = validate(jsonBytes(per));
  assert.ok(r.valid, JSON.stringify(r.errors));
  const t = JSON.parse(r.report).tensors[0];
  const stored = i8(-128, -1, 0, 1, 2, 127);
  const deq = new Uint8Array(new Float32Array([-64.5, -1, -0.5, 0, 0.5, 63]).buffer);
  assert.deepEqual(t, {
    name: 'dense/kernel', dtype: 'int8', shape: [2, 3], sha256: sha256(stored),
    quantization: { scheme: 'affine', dtype: 'float32', axis: null, scale: [0.5], zero_point: [1], dequantized_sha256: sha256(deq) },
  });
  // max_abs_error only when present; axis written as 1.0 is the integer 1
  const text = JSON.stringify(quantizedDoc({ scheme: 'affine', dtype: 'float64', axis: 'AXIS', scale: [1, 2, 3], zero_point: [0, 0, 0], max_abs_error: 0.25 }))
    .replace('"AXIS"', '1.0');
  const r2 = validate(new TextEncoder().encode(text));
  assert.ok(r2.valid, JSON.stringify(r2.errors));
  assert.match(r2.report, /"quantization":\{"axis":1,"dequantized_sha256":"[0-9a-f]{64}","dtype":"float64","max_abs_error":0\.25,"scale":\[1,2,3\],"scheme":"affine","zero_point":\[0,0,0\]\}/);
  // cast: no axis, scale or zero_point in the report
  const cast = validate(jsonBytes(quantizedDoc({ scheme: 'cast', dtype: 'float64' }, [0x3c00, 0xc000, 0, 0x8000, 0x7bff, 0x3800], 'float16')));
  assert.ok(cast.valid, JSON.stringify(cast.errors));
  const deq64 = new Uint8Array(new Float64Array([1, -2, 0, -0, 65504, 0.5]).buffer);
  assert.deepEqual(JSON.parse(cast.report).tensors[0].quantization, { scheme: 'cast', dtype: 'float64', dequantized_sha256: sha256(deq64) });
});

test('read returns the dequantized tensor, the stored one beside it', () => {
  const { tensors } = read(jsonBytes(quantizedDoc({ scheme: 'affine', dtype: 'float32', scale: [0.5], zero_point: [1] })));
  const t = tensors[0];
  assert.equal(t.dtype, 'float32');
  assert.ok(t.data instanceof Float32Array);
  assert.deepEqual(Array.from(t.data), [-64.5, -1, -0.5, 0, 0.5, 63]);
  assert.equal(t.sha256, sha256(t.bytes));
  assert.equal(t.quantization.scheme, 'affine');
  assert.equal(t.quantization.stored.dtype, 'int8');
  assert.deepEqual(Array.from(t.quantization.stored.data), [-128, -1, 0, 1, 2, 127]);
  assert.equal(t.quantization.stored.sha256, sha256(t.quantization.stored.bytes));
});

test('the quantized fixtures: same dequantized tensors in every encoding, hashes as reported', () => {
  for (const kind of ['uint8', 'int8-per-channel', 'float16']) {
    const runs = ['base64.json', 'list.json', 'msgpack.msgpack'].map((s) => read(readFileSync(join(FIXTURES, `valid/quantized-${kind}-${s}`))));
    for (const r of runs) {
      const report = JSON.parse(r.report);
      r.tensors.forEach((t, k) => {
        assert.equal(t.sha256, report.tensors[k].quantization.dequantized_sha256);
        assert.equal(t.dtype, report.tensors[k].quantization.dtype);
        assert.equal(t.quantization.stored.sha256, report.tensors[k].sha256);
      });
      assert.equal(r.report, runs[0].report, kind);
    }
  }
});
