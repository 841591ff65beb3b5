// Values flowing through the evaluator (spec.md 15.2).
//
// A value is {dtype, shape: number[], data}. Float values always carry a
// Float64Array whose elements are already rounded to `dtype` (float32 values
// are binary32 values held in binary64); integer and bool values carry the
// dtype's own typed array (BigInt64Array for int64/uint64), unchanged.
import { roundFloat16, roundBfloat16 } from '../floats.mjs';

export const FLOAT_DTYPES = new Set(['float16', 'bfloat16', 'float32', 'float64']);
export const isFloat = (dtype) => FLOAT_DTYPES.has(dtype);

/** An evaluation failure: every finding {code, pointer, message} at once. */
export class EvalError extends Error {
  constructor(findings) {
    super(findings.map((f) => `${f.code} at ${JSON.stringify(f.pointer)}: ${f.message}`).join('; '));
    this.name = 'EvalError';
    this.findings = findings;
  }
}

export const finding = (code, pointer, message) => ({ code, pointer, message });

export const numel = (shape) => shape.reduce((a, b) => a * b, 1);

/** Row-major strides of a shape. */
export function stridesOf(shape) {
  const out = new Array(shape.length);
  let s = 1;
  for (let k = shape.length - 1; k >= 0; k--) { out[k] = s; s *= shape[k]; }
  return out;
}

const ROUND = {
  float64: (x) => x,
  float32: Math.fround,
  float16: roundFloat16,
  bfloat16: roundBfloat16,
};

/** Rounds every element in place to a float dtype (Keras rounds at every layer boundary). */
export function roundInPlace(data, dtype) {
  const r = ROUND[dtype];
  if (r !== ROUND.float64) for (let k = 0; k < data.length; k++) data[k] = r(data[k]);
  return data;
}

/** A float value of `dtype`, rounding `data` (a Float64Array, taken over). */
export const floatValue = (dtype, shape, data) => ({ dtype, shape, data: roundInPlace(data, dtype) });

/** Any value's elements as binary64 numbers (ids, bools and ints read as floats). */
export function asFloat64(value) {
  const d = value.data;
  if (d instanceof Float64Array) return d;
  const out = new Float64Array(d.length);
  for (let k = 0; k < d.length; k++) out[k] = Number(d[k]);
  return out;
}

/** Normalizes an axis (negative counts from the end); null when out of range. */
export function normAxis(axis, rank) {
  const a = axis < 0 ? axis + rank : axis;
  return Number.isInteger(a) && a >= 0 && a < rank ? a : null;
}

/** A new value of the same kind as `like` (float or integer typed array). */
export function sameKind(like, shape) {
  const Type = like.data.constructor;
  return { dtype: like.dtype, shape, data: new Type(numel(shape)) };
}

/** Output values as the API returns them: float32 as Float32Array, float64 as Float64Array. */
export function toPublic(value) {
  if (!isFloat(value.dtype) || value.dtype === 'float64') return { dtype: value.dtype, shape: value.shape.slice(), data: value.data };
  return { dtype: value.dtype, shape: value.shape.slice(), data: Float32Array.from(value.data) };
}
