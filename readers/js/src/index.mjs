// Public API of the ModelDoc JavaScript reader.
//
//   import { read, validate, open, ModelDocError } from 'modeldoc-reader';
//   const { report, tensors, warnings } = read(fs.readFileSync('model.json'));
//   tensors[0].data; // Float32Array, BigInt64Array, ... by dtype
//   open('model.msgpack').getTensor('dense/kernel').data; // one tensor decoded and checked (7.1)
import { validateBytes } from './reader.mjs';
import { DTYPES, DEFAULT_LIMITS } from './data.mjs';
import { ModelDocError } from './errors.mjs';
import { openDocument, tensorEntry } from './open.mjs';

export { DTYPES, DEFAULT_LIMITS, ModelDocError };
export { canonicalJson, formatNumber } from './canonical.mjs';

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

/**
 * Opens a document for access one tensor at a time (spec.md 7.1): the structure
 * and every tensor's declared size, encoding and quantization are checked now,
 * a tensor's data only by getTensor. Throws ModelDocError if the structure is
 * invalid. From a path, the file is not read into memory: open parses its
 * structure in chunks and skips each tensor's data (a JSON file is still read
 * through once, a MessagePack file's data is not read at all), and getTensor
 * reads that tensor's bytes from the file; the file stays open until close().
 * Tensors never asked for and document_sha256 are checked only by verifyDocument
 * (every tensor in turn, then document_sha256: what validate reports).
 * @param {string | Uint8Array} source a path or the document's bytes
 * @param {{limits?: object, schemaPath?: string}} [options]
 * @returns {{container: 'json'|'msgpack', warnings: {code: string, pointer: string}[],
 *            tensors: {name: string, dtype: string, shape: bigint[], encoding: string, storedDtype: string,
 *                      byteRange: [number, number] | null}[],
 *            keys: () => string[], getTensor: (name: string) => object, verifyDocument: () => void,
 *            close: () => void}}
 *   getTensor returns what read() returns for that tensor, or throws ModelDocError with its finding
 *   (RangeError for a name the document does not have, Error after close()).
 * @example open('conformance_fixtures/valid/example-list.json').getTensor('conv/bias').data
 */
export function open(source, options = {}) {
  return openDocument(source, options);
}
