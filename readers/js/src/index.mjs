// Public API of the ModelDoc JavaScript reader.
//
//   import { read, validate, ModelDocError } from 'modeldoc-reader';
//   const { report, tensors, warnings } = read(fs.readFileSync('model.json'));
//   tensors[0].data; // Float32Array, BigInt64Array, ... by dtype
import { validateBytes } from './reader.mjs';
import { toTypedArray, DTYPES, DEFAULT_LIMITS } from './data.mjs';
import { integerValue } from './values.mjs';

export { DTYPES, DEFAULT_LIMITS };
export { canonicalJson, formatNumber } from './canonical.mjs';

/** An invalid document. `findings` holds every error (and warning) found. */
export class ModelDocError extends Error {
  constructor(findings) {
    const errors = findings.filter((f) => f.severity === 'error');
    super(errors.map((f) => `${f.code} at ${JSON.stringify(f.pointer)}`).join('; ') || 'invalid document');
    this.name = 'ModelDocError';
    this.findings = findings;
  }
}

/**
 * Validates a document without decoding its tensors into typed arrays.
 * @param {Uint8Array} bytes the whole file, JSON or MessagePack
 * @param {{limits?: object, schemaPath?: string}} [options]
 * @returns {{valid: boolean, container?: 'json'|'msgpack', report?: string,
 *            errors: {code, pointer}[], warnings: {code, pointer}[]}}
 * @example validate(new TextEncoder().encode('{}')).errors[0].code // 'VERSION_FORMAT'
 */
export function validate(bytes, options) {
  const result = validateBytes(bytes, options);
  const pick = (severity) => result.findings.filter((f) => f.severity === severity).map(({ code, pointer }) => ({ code, pointer }));
  return {
    valid: result.report !== undefined,
    container: result.container,
    report: result.report,
    errors: pick('error'),
    warnings: pick('warning'),
  };
}

/**
 * Reads a valid document: its reader report, its tensors as typed arrays,
 * and its warnings. Throws ModelDocError for an invalid one. A quantized
 * tensor (5.5) is returned dequantized: dtype, bytes, data and sha256 are
 * those of the dequantized tensor; `quantization.stored` holds the stored one.
 * @param {Uint8Array} bytes
 * @returns {{report: string, container: 'json'|'msgpack',
 *            tensors: {name: string, dtype: string, shape: bigint[], sha256: string, bytes: Uint8Array, data: ArrayLike,
 *                      quantization?: {scheme: string, stored: {dtype, sha256, bytes, data}}}[],
 *            warnings: {code: string, pointer: string}[]}}
 * @example read(fs.readFileSync('conformance_fixtures/valid/example-list.json')).tensors[0].dtype
 */
export function read(bytes, options) {
  const result = validateBytes(bytes, options);
  if (result.report === undefined) throw new ModelDocError(result.findings);
  const tensors = result.tree.get('tensors').map((t, k) => {
    const dtype = t.get('dtype');
    const shape = t.get('shape').map(integerValue);
    const { bytes: raw, sha256, dequantized } = result.decoded[k];
    if (dequantized === undefined) {
      return { name: t.get('name'), dtype, shape, sha256, bytes: new Uint8Array(raw), data: toTypedArray(dtype, raw) };
    }
    // A quantized tensor reads as the dequantized one (5.5); the stored one is kept beside it.
    const q = t.get('quantization');
    return {
      name: t.get('name'), dtype: dequantized.dtype, shape, sha256: dequantized.sha256,
      bytes: new Uint8Array(dequantized.bytes), data: toTypedArray(dequantized.dtype, dequantized.bytes),
      quantization: { scheme: q.get('scheme'), stored: { dtype, sha256, bytes: new Uint8Array(raw), data: toTypedArray(dtype, raw) } },
    };
  });
  const warnings = result.findings.filter((f) => f.severity === 'warning').map(({ code, pointer }) => ({ code, pointer }));
  return { report: result.report, container: result.container, tensors, warnings };
}
