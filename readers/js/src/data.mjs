// The data layer (spec.md sections 5, 7 and 8): limits, encodings, decoding,
// checksums, and the typed arrays of the API.
import { createHash } from 'node:crypto';
import { JInt, JNum, Bin, pointer, integerValue } from './values.mjs';
import { decodeBase64 } from './base64.mjs';
import { roundToBits, bitsToNumber, HALF, BFLOAT } from './floats.mjs';
import { quantizationError, dequantize } from './quantization.mjs';

export const ITEMSIZE = {
  bool: 1, int8: 1, int16: 2, int32: 4, int64: 8, uint8: 1, uint16: 2, uint32: 4, uint64: 8,
  float16: 2, bfloat16: 2, float32: 4, float64: 8,
};
export const DTYPES = Object.keys(ITEMSIZE);

const INT_RANGE = {};
for (const [dtype, size] of Object.entries(ITEMSIZE)) {
  const bits = BigInt(size * 8);
  if (dtype.startsWith('int')) INT_RANGE[dtype] = [-(2n ** (bits - 1n)), 2n ** (bits - 1n) - 1n];
  if (dtype.startsWith('uint')) INT_RANGE[dtype] = [0n, 2n ** bits - 1n];
}

export const DEFAULT_LIMITS = Object.freeze({
  documentSize: 2n ** 40n,
  depth: 128,
  string: 2 ** 20, // characters (code points) of a string or member name
  layers: 1000000, // in all graphs together
  nodes: 1000000, // in all graphs together
  tensors: 1000000,
  rank: 32,
  tensorSize: 2n ** 38n,
  totalSize: 2n ** 40n,
});

/**
 * Checks and decodes every tensor, in document order. A tensor that fails one
 * check is not checked further; the others are.
 * @returns {{findings: {code, pointer, severity}[],
 *            decoded: {bytes: Uint8Array, sha256: string, dequantized?: {dtype: string, bytes: Uint8Array, sha256: string}}[]}}
 *   bytes and sha256 are of the stored tensor; dequantized only for a quantized one.
 */
export function dataFindings(doc, container, limits = DEFAULT_LIMITS) {
  const findings = [];
  const decoded = [];
  const running = { total: 0n };
  doc.get('tensors').forEach((tensor, k) => {
    const header = headerCheck(tensor, k, container, limits, running);
    if (header.finding) { findings.push(header.finding); return; }
    const got = decodeTensor(tensor, k, header);
    if (got.finding) { findings.push(got.finding); return; }
    decoded[k] = got.decoded;
  });
  return { findings, decoded };
}

/**
 * The checks of the data layer that need no tensor data (7.1): limits with the
 * running total (`running.total`, updated), encoding, quantization, and that
 * raw data is bins.
 * @returns {{finding: {code, pointer, severity}} | {declared: bigint, shape: bigint[], dtype: string}}
 */
export function headerCheck(tensor, k, container, limits, running) {
  const fail = (code, path) => ({ finding: { code, pointer: pointer(['tensors', k, ...path]), severity: 'error' } });
  const dtype = tensor.get('dtype');
  const shape = tensor.get('shape').map(integerValue);
  const encoding = tensor.get('encoding');
  const data = tensor.get('data');

  if (shape.length > limits.rank) return fail('LIMIT_RANK', ['shape']);
  // The limit bounds the product with each 0 counted as 1 (section 8), so [0, 2^40]
  // and [2^40, 0] are refused alike though neither holds an element.
  const bound = shape.reduce((a, b) => a * (b === 0n ? 1n : b), 1n) * BigInt(ITEMSIZE[dtype]);
  if (bound >= 2n ** 64n || bound > limits.tensorSize) return fail('LIMIT_TENSOR_SIZE', ['shape']);
  const declared = shape.includes(0n) ? 0n : bound;
  running.total += declared;
  if (running.total > limits.totalSize) return fail('LIMIT_TOTAL_SIZE', []);

  const allowed = container === 'json' ? encoding === 'base64' || encoding === 'list' : encoding === 'raw';
  if (!allowed) return fail('DATA_ENCODING_MISMATCH', ['encoding']);
  // Quantized (5.5): checked right after the encoding, before decoding.
  const q = tensor.get('quantization');
  if (q !== undefined) {
    const bad = quantizationError(q, dtype, shape);
    if (bad !== null) return fail('DATA_QUANTIZATION', ['quantization', ...bad]);
  }
  if (encoding === 'raw') {
    // One bin, or a non-empty array of bins whose concatenation is the data (5.4).
    const bins = data instanceof Bin || (Array.isArray(data) && data.length > 0 && data.every((c) => c instanceof Bin));
    if (!bins) return fail('SCHEMA_TYPE', ['data']);
  }
  return { declared, shape, dtype };
}

/**
 * Decodes one tensor that passed headerCheck and compares its checksum.
 * @returns {{finding: {code, pointer, severity}} |
 *           {decoded: {bytes: Uint8Array, sha256: string, dequantized?: {dtype: string, bytes: Uint8Array, sha256: string}}}}
 */
export function decodeTensor(tensor, k, { declared, shape, dtype }) {
  const fail = (code, path) => ({ finding: { code, pointer: pointer(['tensors', k, ...path]), severity: 'error' } });
  const encoding = tensor.get('encoding');
  const data = tensor.get('data');
  let bytes;
  if (encoding === 'raw') {
    // The lengths first: a bin that open left in the file is read only if they add up.
    const chunks = data instanceof Bin ? [data] : data;
    const length = chunks.reduce((a, c) => a + c.length, 0);
    if (BigInt(length) !== declared) return fail('DATA_LENGTH', ['data']);
    if (chunks.length === 1) bytes = chunks[0].read();
    else {
      bytes = new Uint8Array(length);
      let at = 0;
      for (const c of chunks) { bytes.set(c.read(), at); at += c.length; }
    }
  } else if (encoding === 'base64') {
    const r = decodeBase64(data, declared);
    if (r.code) return fail(r.code, ['data']);
    bytes = r.bytes;
  } else {
    const r = decodeList(data, shape, dtype, ['tensors', k, 'data']);
    if (r.code) return { finding: { code: r.code, pointer: r.pointer, severity: 'error' } };
    bytes = r.bytes;
  }
  if (dtype === 'bool' && bytes.some((b) => b > 1)) return fail('DATA_BOOL', ['data']);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== tensor.get('sha256')) return fail('DATA_CHECKSUM', ['sha256']);
  const q = tensor.get('quantization');
  if (q === undefined) return { decoded: { bytes, sha256 } };
  const dequantized = dequantize(q, dtype, shape, bytes);
  return {
    decoded: {
      bytes, sha256,
      dequantized: { dtype: q.get('dtype'), bytes: dequantized, sha256: createHash('sha256').update(dequantized).digest('hex') },
    },
  };
}

/**
 * The list encoding (5.3): structure level by level from the outside in, then
 * the elements in C order; the first failure only.
 * @returns {{bytes: Uint8Array} | {code: string, pointer: string}}
 */
export function decodeList(data, shape, dtype, at) {
  // Items of one level are kept in C order without their paths: the path of
  // item f at level d is f written in the mixed radix shape[0..d-1].
  const pathOf = (f, d) => {
    const idx = new Array(d);
    for (let j = d - 1; j >= 0; j--) { const n = Number(shape[j]); idx[j] = f % n; f = Math.floor(f / n); }
    return pointer([...at, ...idx]);
  };
  let level = [data];
  for (let d = 0; d < shape.length; d++) {
    const want = shape[d];
    const next = [];
    for (let f = 0; f < level.length; f++) {
      const v = level[f];
      if (!Array.isArray(v) || BigInt(v.length) !== want) return { code: 'DATA_LIST_SHAPE', pointer: pathOf(f, d) };
      for (let j = 0; j < v.length; j++) next.push(v[j]);
    }
    level = next;
  }
  for (let f = 0; f < level.length; f++) {
    if (Array.isArray(level[f])) return { code: 'DATA_LIST_SHAPE', pointer: pathOf(f, shape.length) };
  }

  const size = ITEMSIZE[dtype];
  const out = new Uint8Array(level.length * size);
  const view = new DataView(out.buffer);
  const range = INT_RANGE[dtype];
  for (let k = 0; k < level.length; k++) {
    const v = level[k];
    const off = k * size;
    const bad = (code) => ({ code, pointer: pathOf(k, shape.length) });
    if (dtype === 'bool') {
      if (v !== true && v !== false) return bad('DATA_LIST_TYPE');
      out[off] = v ? 1 : 0;
    } else if (range) {
      // Only integer tokens are integers here (1.0 is not), and never via binary64.
      if (!(v instanceof JInt)) return bad('DATA_LIST_TYPE');
      if (v.v < range[0] || v.v > range[1]) return bad('DATA_VALUE_RANGE');
      let u = BigInt.asUintN(size * 8, v.v);
      for (let j = 0; j < size; j++) { out[off + j] = Number(u & 0xffn); u >>= 8n; }
    } else {
      let x;
      // The token text as a decimal (section 6): the integer token -0 is -0.
      if (v instanceof JInt || v instanceof JNum) x = v.text !== null ? Number(v.text) : Number(v.v);
      else if (v === 'NaN') x = NaN;
      else if (v === 'Infinity') x = Infinity;
      else if (v === '-Infinity') x = -Infinity;
      else return bad('DATA_LIST_TYPE');
      if (!writeFloat(view, off, dtype, x)) return bad('DATA_VALUE_RANGE');
    }
  }
  return { bytes: out };
}

// Writes x rounded to the dtype, little-endian; false if a finite x overflows.
function writeFloat(view, off, dtype, x) {
  if (dtype === 'float64') {
    if (Number.isNaN(x)) view.setBigUint64(off, 0x7ff8000000000000n, true);
    else view.setFloat64(off, x, true);
    return true;
  }
  if (dtype === 'float32') {
    if (Number.isNaN(x)) { view.setUint32(off, 0x7fc00000, true); return true; }
    const y = Math.fround(x); // binary64 -> binary32, half to even, one step
    if (Number.isFinite(x) && !Number.isFinite(y)) return false;
    view.setFloat32(off, y, true);
    return true;
  }
  const bits = roundToBits(x, dtype === 'float16' ? HALF : BFLOAT);
  if (bits === null) return false;
  view.setUint16(off, bits, true);
  return true;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const ARRAY_TYPES = {
  bool: Uint8Array, int8: Int8Array, int16: Int16Array, int32: Int32Array, int64: BigInt64Array,
  uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array,
  float32: Float32Array, float64: Float64Array,
};

/**
 * Raw little-endian bytes as a typed array of the dtype: int64/uint64 as
 * BigInt64Array/BigUint64Array, float16/bfloat16 widened exactly to
 * Float32Array (every value of both is a binary32 value; NaN payloads are not
 * kept there, but the raw bytes are).
 */
export function toTypedArray(dtype, bytes) {
  const count = bytes.length / ITEMSIZE[dtype];
  if (dtype === 'float16' || dtype === 'bfloat16') {
    const format = dtype === 'float16' ? HALF : BFLOAT;
    const out = new Float32Array(count);
    for (let k = 0; k < count; k++) out[k] = bitsToNumber(bytes[2 * k] | (bytes[2 * k + 1] << 8), format);
    return out;
  }
  const Type = ARRAY_TYPES[dtype];
  const copy = new Uint8Array(bytes); // aligned, and independent of the input buffer
  if (LITTLE_ENDIAN || Type.BYTES_PER_ELEMENT === 1) return new Type(copy.buffer, 0, count);
  const view = new DataView(copy.buffer);
  const out = new Type(count);
  const get = {
    2: (o) => (dtype === 'int16' ? view.getInt16(o, true) : view.getUint16(o, true)),
    4: (o) => (dtype === 'int32' ? view.getInt32(o, true) : dtype === 'uint32' ? view.getUint32(o, true) : view.getFloat32(o, true)),
    8: (o) => (dtype === 'int64' ? view.getBigInt64(o, true) : dtype === 'uint64' ? view.getBigUint64(o, true) : view.getFloat64(o, true)),
  }[Type.BYTES_PER_ELEMENT];
  for (let k = 0; k < count; k++) out[k] = get(k * Type.BYTES_PER_ELEMENT);
  return out;
}
