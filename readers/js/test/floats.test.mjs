import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roundToBits, bitsToNumber, HALF, BFLOAT, roundFloat16, roundBfloat16, float16ToNumber } from '../src/floats.mjs';
import { decodeList } from '../src/data.mjs';
import { JNum } from '../src/values.mjs';

const f32 = new DataView(new ArrayBuffer(4));
const f32bits = (x) => { f32.setFloat32(0, x); return f32.getUint32(0); };
const fromF32bits = (b) => { f32.setUint32(0, b); return f32.getFloat32(0); };

// Reference for bfloat16 by the other exact route of section 6: binary64 ->
// binary32 rounded to odd, then binary32 -> bfloat16 half to even on the bits.
function bfloat16ViaOdd(x) {
  let y = Math.fround(x);
  if (Number.isFinite(x) && y !== x) {
    // truncate toward zero, then set the last bit: round to odd
    if (Math.abs(y) > Math.abs(x)) y = fromF32bits(f32bits(y) - 1);
    y = fromF32bits(f32bits(y) | 1);
  }
  const b = f32bits(y);
  if ((b & 0x7f800000) === 0x7f800000) return null;
  const lower = b & 0xffff;
  let upper = b >>> 16;
  if (lower > 0x8000 || (lower === 0x8000 && (upper & 1))) upper += 1;
  if ((upper & 0x7f80) === 0x7f80) return null;
  return upper;
}

test('the double-rounding case of section 6: 1 + 2^-8 + 2^-40 -> bfloat16 0x3f81', () => {
  const x = 1 + 2 ** -8 + 2 ** -40;
  assert.equal(roundBfloat16(x), 0x3f81);
  const naive = (y) => { const b = f32bits(Math.fround(y)); const lo = b & 0xffff, hi = b >>> 16; return lo > 0x8000 || (lo === 0x8000 && hi & 1) ? hi + 1 : hi; };
  assert.equal(naive(x), 0x3f80, 'through binary32 half-to-even twice: wrong');
  assert.equal(bfloat16ViaOdd(x), 0x3f81);
  assert.equal(roundBfloat16(1 + 2 ** -8), 0x3f80); // exact midpoint: to even
  assert.equal(roundBfloat16(1 + 3 * 2 ** -8), 0x3f82);
});

test('float16 and bfloat16: every finite value reads back to its bits', () => {
  for (const format of [HALF, BFLOAT]) {
    for (let bits = 0; bits < 0x10000; bits++) {
      const x = bitsToNumber(bits, format);
      if (Number.isNaN(x)) continue;
      assert.equal(roundToBits(x, format), bits);
    }
  }
});

test('midpoints between neighbours round to even; just off a midpoint rounds to the nearer', () => {
  for (const format of [HALF, BFLOAT]) {
    const maxFinite = format.inf - 1;
    for (let bits = 0; bits < maxFinite; bits++) {
      const a = bitsToNumber(bits, format), b = bitsToNumber(bits + 1, format);
      const mid = (a + b) / 2; // exact in binary64
      const even = bits % 2 === 0 ? bits : bits + 1;
      assert.equal(roundToBits(mid, format), even);
      const ulp = (b - a) / 2 ** 20; // still far above binary64's resolution here
      assert.equal(roundToBits(mid - ulp, format), bits);
      assert.equal(roundToBits(mid + ulp, format), bits + 1);
      assert.equal(roundToBits(-mid, format), even | 0x8000);
    }
  }
});

test('overflow, infinities, NaN, signed zero, subnormals', () => {
  assert.equal(roundFloat16(65504), 0x7bff);
  assert.equal(roundFloat16(65519.99), 0x7bff);
  assert.equal(roundFloat16(65520), null); // the midpoint to 2^16 rounds to even: infinity
  assert.equal(roundFloat16(70000), null);
  assert.equal(roundFloat16(Infinity), 0x7c00);
  assert.equal(roundFloat16(-Infinity), 0xfc00);
  assert.equal(roundFloat16(NaN), 0x7e00);
  assert.equal(roundBfloat16(NaN), 0x7fc0);
  assert.equal(roundFloat16(-0), 0x8000);
  assert.equal(roundFloat16(2 ** -24), 0x0001);
  assert.equal(roundFloat16(2 ** -25), 0x0000); // tie to even
  assert.equal(roundFloat16(3 * 2 ** -26), 0x0001);
  assert.equal(roundFloat16(-(2 ** -26)), 0x8000);
  assert.equal(roundFloat16(2 ** -14 - 2 ** -25), 0x0400); // rounds up into the normals
  assert.equal(roundBfloat16(3.39e38), 0x7f7f);
  assert.equal(roundBfloat16(3.4e38), null); // beyond the midpoint to 2^128
  assert.equal(roundBfloat16(1e39), null);
  assert.equal(roundBfloat16(5e-324), 0);
  assert.equal(float16ToNumber(0x3c00), 1);
  assert.equal(float16ToNumber(0x0001), 2 ** -24);
  assert.ok(Object.is(float16ToNumber(0x8000), -0));
});

test('bfloat16 agrees with the round-to-odd route on random binary64 values', () => {
  let seed = 12345;
  const rand = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
  const dv = new DataView(new ArrayBuffer(8));
  for (let k = 0; k < 200000; k++) {
    // random bits near the bfloat16 range, so both routes have work to do
    dv.setUint32(0, 0x38000000 + Math.floor(rand() * 0x0e000000) | (rand() < 0.5 ? 0x80000000 : 0));
    dv.setUint32(4, Math.floor(rand() * 2 ** 32));
    const x = dv.getFloat64(0);
    assert.equal(roundBfloat16(x), bfloat16ViaOdd(x), `x = ${x}`);
  }
});

test('float32 list text: the writer obligation of section 6 (0x15ae43fd)', () => {
  const read = (text, dtype = 'float32') => {
    const r = decodeList([new JNum(Number(text), text)], [1n], dtype, ['d']);
    return new DataView(r.bytes.buffer).getUint32(0, true);
  };
  assert.equal(read('7.038531e-26'), 0x15ae43fe); // shortest float32 text: double rounding
  assert.equal(read('7.038530691851209e-26'), 0x15ae43fd);
  assert.equal(read('-7.038530691851209e-26'), 0x95ae43fd);
});
