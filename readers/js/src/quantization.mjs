// Quantized tensors (spec.md section 5.5): the checks of a tensor's
// `quantization` (DATA_QUANTIZATION) and dequantization of the stored bytes.
import { JInt, integerValue } from './values.mjs';
import { roundToBits, bitsToNumber, HALF, BFLOAT } from './floats.mjs';

const OUT_SIZE = { float16: 2, bfloat16: 2, float32: 4, float64: 8 };
const STORED_RANGE = { uint8: [0n, 255n], int8: [-128n, 127n] };

/** The binary64 value of a schema "number" (JInt or JNum). */
const numberValue = (v) => (v instanceof JInt ? Number(v.v) : v.v);

/**
 * Checks `quantization` against the stored tensor (dtype, shape), before the
 * data is decoded, in the order of section 5.5; the first failure only.
 * cast: stored dtype and target dtype (at dtype), then a present axis, scale
 * or zero_point, even null (at that member). affine: stored dtype (at
 * scheme), axis below the rank (at axis), scale and zero_point present (at
 * the object), their counts, then each scale, then each zero point.
 * @param {import('./values.mjs').JObj} q the quantization object (schema-valid)
 * @param {string} dtype the stored dtype
 * @param {bigint[]} shape
 * @returns {(string|number)[] | null} the path under `quantization` that fails, or null
 */
export function quantizationError(q, dtype, shape) {
  const scheme = q.get('scheme');
  const target = q.get('dtype');
  if (scheme === 'cast') {
    // Stored float16, widened to float32 or float64.
    if (dtype !== 'float16' || (target !== 'float32' && target !== 'float64')) return ['dtype'];
    for (const member of ['axis', 'scale', 'zero_point']) if (q.has(member)) return [member];
    return null;
  }
  // affine: stored uint8 or int8, to any float dtype.
  if (!STORED_RANGE[dtype]) return ['scheme'];
  const axis = q.get('axis') ?? null;
  let channels = 1n;
  if (axis !== null) {
    const a = integerValue(axis);
    if (a >= BigInt(shape.length)) return ['axis'];
    channels = shape[Number(a)];
  }
  if (!q.has('scale') || !q.has('zero_point')) return [];
  const scale = q.get('scale');
  const zeroPoint = q.get('zero_point');
  if (BigInt(scale.length) !== channels) return ['scale'];
  if (zeroPoint.length !== scale.length) return ['zero_point'];
  for (let c = 0; c < scale.length; c++) {
    const s = numberValue(scale[c]);
    if (!(Number.isFinite(s) && s > 0)) return ['scale', c];
  }
  const [lo, hi] = STORED_RANGE[dtype];
  for (let c = 0; c < zeroPoint.length; c++) {
    const z = integerValue(zeroPoint[c]);
    if (z < lo || z > hi) return ['zero_point', c];
  }
  return null;
}

// Writes the binary64 x rounded to the dtype by the reader rule of section 6
// (overflow gives infinity), little-endian.
function writeRounded(view, off, dtype, x) {
  if (dtype === 'float64') view.setFloat64(off, x, true);
  else if (dtype === 'float32') view.setFloat32(off, Math.fround(x), true);
  else {
    const format = dtype === 'float16' ? HALF : BFLOAT;
    let bits = roundToBits(x, format);
    if (bits === null) bits = (x < 0 ? 1 << (format.expBits + format.mantBits) : 0) | format.inf;
    view.setUint16(off, bits, true);
  }
}

/**
 * The raw little-endian bytes of the dequantized tensor (dtype
 * `quantization.dtype`, same shape). `q` must have passed quantizationError.
 * @param {import('./values.mjs').JObj} q
 * @param {string} dtype the stored dtype
 * @param {bigint[]} shape
 * @param {Uint8Array} bytes the stored raw bytes
 * @returns {Uint8Array}
 */
export function dequantize(q, dtype, shape, bytes) {
  const target = q.get('dtype');
  const size = OUT_SIZE[target];
  if (q.get('scheme') === 'cast') {
    const count = bytes.length / 2;
    const out = new Uint8Array(count * size);
    const view = new DataView(out.buffer);
    for (let k = 0; k < count; k++) {
      const h = bytes[2 * k] | (bytes[2 * k + 1] << 8);
      if ((h & 0x7c00) === 0x7c00 && (h & 0x03ff) !== 0) {
        // NaN: every value of float16 is one of the target, so the bits
        // widen: sign kept, payload moved to the top of the wider field.
        const sign = h >> 15;
        const payload = h & 0x03ff;
        if (target === 'float32') view.setUint32(k * 4, ((sign << 31) | 0x7f800000 | (payload << 13)) >>> 0, true);
        else view.setBigUint64(k * 8, (BigInt(sign) << 63n) | 0x7ff0000000000000n | (BigInt(payload) << 42n), true);
      } else {
        writeRounded(view, k * size, target, bitsToNumber(h, HALF)); // exact
      }
    }
    return out;
  }
  const count = bytes.length; // one byte per stored element
  const signed = dtype === 'int8';
  const scale = q.get('scale').map(numberValue);
  const zeroPoint = q.get('zero_point').map((z) => Number(integerValue(z)));
  const axis = q.get('axis') ?? null;
  // Channel of the element at C-order index k: floor(k / inner) mod channels.
  let inner = 1;
  let channels = 1;
  if (axis !== null) {
    const a = Number(integerValue(axis));
    channels = Number(shape[a]);
    for (let d = a + 1; d < shape.length; d++) inner *= Number(shape[d]);
  }
  const out = new Uint8Array(count * size);
  const view = new DataView(out.buffer);
  for (let k = 0; k < count; k++) {
    const stored = signed ? (bytes[k] << 24) >> 24 : bytes[k];
    const c = channels === 1 ? 0 : Math.floor(k / inner) % channels;
    // q - zero_point is an exact small integer; the product is one binary64
    // multiplication, correctly rounded.
    writeRounded(view, k * size, target, (stored - zeroPoint[c]) * scale[c]);
  }
  return out;
}
