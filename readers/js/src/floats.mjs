// float16 and bfloat16 by hand (spec.md sections 5.1 and 6): Node 20 has no
// Float16Array and no Math.f16round.
//
// Rounding goes from binary64 straight to the target format, half to even, in
// one step. Going through binary32 (Math.fround) first would round twice and
// get values near a midpoint wrong: 1 + 2^-8 + 2^-40 must give bfloat16 0x3f81.

export const HALF = { expBits: 5, mantBits: 10, nan: 0x7e00, inf: 0x7c00 };
export const BFLOAT = { expBits: 8, mantBits: 7, nan: 0x7fc0, inf: 0x7f80 };

const scratch = new DataView(new ArrayBuffer(8));

function binaryExponent(a) {
  // floor(log2(a)) for a normal binary64 a > 0; subnormals give -1023, which
  // the caller raises to the target's minimum exponent anyway.
  scratch.setFloat64(0, a);
  return ((scratch.getUint16(0) >> 4) & 0x7ff) - 1023;
}

/**
 * Bits of the binary64 value x rounded to the format, round-half-to-even, or
 * null when a finite x overflows to infinity. NaN gives the canonical NaN.
 */
export function roundToBits(x, format) {
  const { expBits, mantBits } = format;
  if (Number.isNaN(x)) return format.nan;
  const sign = x < 0 || Object.is(x, -0) ? 1 << (expBits + mantBits) : 0;
  if (x === Infinity || x === -Infinity) return sign | format.inf;
  const a = Math.abs(x);
  if (a === 0) return sign;
  const bias = (1 << (expBits - 1)) - 1;
  const emin = 1 - bias;
  let e = Math.max(binaryExponent(a), emin);
  // a / quantum is exact: dividing by a power of two, result far from underflow.
  let r = a / 2 ** (e - mantBits);
  const whole = Math.floor(r);
  const frac = r - whole; // exact
  r = whole;
  if (frac > 0.5 || (frac === 0.5 && r % 2 === 1)) r += 1;
  if (r === 2 ** (mantBits + 1)) { e += 1; r /= 2; } // carried into the next binade
  let field, mant;
  if (r < 2 ** mantBits) { field = 0; mant = r; } // subnormal (e === emin)
  else { field = e + bias; mant = r - 2 ** mantBits; }
  if (field >= (1 << expBits) - 1) return null;
  return sign | (field << mantBits) | mant;
}

/** The value of the bits in the format, as a binary64 (exact). */
export function bitsToNumber(bits, format) {
  const { expBits, mantBits } = format;
  const sign = bits >> (expBits + mantBits) & 1 ? -1 : 1;
  const field = (bits >> mantBits) & ((1 << expBits) - 1);
  const mant = bits & ((1 << mantBits) - 1);
  const bias = (1 << (expBits - 1)) - 1;
  if (field === (1 << expBits) - 1) return mant ? NaN : sign * Infinity;
  if (field === 0) return sign * mant * 2 ** (1 - bias - mantBits);
  return sign * (2 ** mantBits + mant) * 2 ** (field - bias - mantBits);
}

export const roundFloat16 = (x) => roundToBits(x, HALF);
export const roundBfloat16 = (x) => roundToBits(x, BFLOAT);
export const float16ToNumber = (bits) => bitsToNumber(bits, HALF);
export const bfloat16ToNumber = (bits) => bitsToNumber(bits, BFLOAT);
