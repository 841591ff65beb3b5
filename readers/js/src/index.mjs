// Public API of the ModelDoc JavaScript reader.
//
//   import { read, validate, open, ModelDocError } from 'modeldoc-reader';
//   const { report, tensors, warnings } = read(fs.readFileSync('model.json'));
//   tensors[0].data; // Float32Array, BigInt64Array, ... by dtype
//   open('model.msgpack').getTensor('dense/kernel').data; // one tensor decoded and checked (7.1)
import { readFileSync } from 'node:fs';
import { validateBytes, checkStructure } from './reader.mjs';
import { toTypedArray, headerCheck, decodeTensor, DTYPES, DEFAULT_LIMITS } from './data.mjs';
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
  const tensors = result.tree.get('tensors').map((t, k) => tensorEntry(t, result.decoded[k]));
  const warnings = result.findings.filter((f) => f.severity === 'warning').map(({ code, pointer }) => ({ code, pointer }));
  return { report: result.report, container: result.container, tensors, warnings };
}

function tensorEntry(t, { bytes: raw, sha256, dequantized }) {
  const dtype = t.get('dtype');
  const shape = t.get('shape').map(integerValue);
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
}

/**
 * Opens a document for access one tensor at a time (spec.md 7.1): the structure
 * and every tensor's declared size, encoding and quantization are checked now,
 * a tensor's data only by getTensor. Throws ModelDocError if the structure is
 * invalid. The file is read whole; what is deferred is decoding and hashing.
 * document_sha256 is never checked, nor tensors never asked for: use validate.
 * @param {string | Uint8Array} source a path or the document's bytes
 * @param {{limits?: object, schemaPath?: string}} [options]
 * @returns {{container: 'json'|'msgpack', warnings: {code: string, pointer: string}[],
 *            tensors: {name: string, dtype: string, shape: bigint[], encoding: string, storedDtype: string}[],
 *            keys: () => string[], getTensor: (name: string) => object}}
 *   getTensor returns what read() returns for that tensor, or throws ModelDocError with its finding
 *   (RangeError for a name the document does not have).
 * @example open('conformance_fixtures/valid/example-list.json').getTensor('conv/bias').data
 */
export function open(source, options = {}) {
  const bytes = typeof source === 'string' ? readFileSync(source) : source;
  // A partial `limits` keeps the defaults for the rest, here as in checkStructure:
  // the header checks compare with every limit.
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const { findings, container, tree, sound } = checkStructure(bytes, { ...options, limits });
  if (!sound) throw new ModelDocError(findings);
  const running = { total: 0n };
  const headers = tree.get('tensors').map((t, k) => headerCheck(t, k, container, limits, running));
  const failed = headers.filter((h) => h.finding).map((h) => h.finding);
  if (failed.length) throw new ModelDocError([...failed, ...findings]);
  const index = new Map(tree.get('tensors').map((t, k) => [t.get('name'), k]));
  const tensors = tree.get('tensors').map((t) => {
    const q = t.get('quantization');
    return {
      name: t.get('name'), dtype: q === undefined ? t.get('dtype') : q.get('dtype'), shape: t.get('shape').map(integerValue),
      encoding: t.get('encoding'), storedDtype: t.get('dtype'),
    };
  });
  return {
    container,
    warnings: findings.filter((f) => f.severity === 'warning').map(({ code, pointer }) => ({ code, pointer })),
    tensors,
    keys: () => tensors.map((t) => t.name),
    getTensor(name) {
      const k = index.get(name);
      if (k === undefined) throw new RangeError(`no tensor named ${JSON.stringify(name)}`);
      const t = tree.get('tensors')[k];
      const got = decodeTensor(t, k, headers[k]);
      if (got.finding) throw new ModelDocError([got.finding]);
      return tensorEntry(t, got.decoded);
    },
  };
}
