// The validation layers in order (spec.md section 7): syntax, version, schema,
// semantics, data. Each runs only if the ones before found no error.
import { createHash } from 'node:crypto';
import { SyntaxFail } from './values.mjs';
import { parseDocument } from './container.mjs';
import { schemaFindings } from './schema.mjs';
import { semanticFindings } from './semantic.mjs';
import { countFindings } from './counts.mjs';
import { dataFindings, DEFAULT_LIMITS } from './data.mjs';
import { reportText } from './report.mjs';

/** The minor version of the format this reader implements (1.0). */
export const READER_MAJOR = 1n;
export const READER_MINOR = 0n;
const VERSION = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/;

function versionFindings(doc) {
  const findings = [];
  const add = (code, pointer, severity = 'error') => findings.push({ code, pointer, severity });
  if (doc.get('format') !== 'modeldoc') add('VERSION_FORMAT', '/format');
  const version = doc.get('format_version');
  const m = typeof version === 'string' ? VERSION.exec(version) : null;
  if (!m) add('VERSION_INVALID', '/format_version');
  if (findings.length) return { findings, newer: false };
  if (BigInt(m[1]) !== READER_MAJOR) {
    add('VERSION_UNSUPPORTED', '/format_version');
    return { findings, newer: false };
  }
  const newer = BigInt(m[2]) > READER_MINOR;
  if (newer) add('VERSION_NEWER_MINOR', '/format_version', 'warning');
  return { findings, newer };
}

const hasError = (findings) => findings.some((f) => f.severity === 'error');

/**
 * Layers 1 to 4 (syntax, version, schema, semantics): everything before the tensor data.
 * @param {Uint8Array} bytes
 * @param {{limits?: object, schemaPath?: string}} [options]
 * @returns {{findings: {code: string, pointer: string, severity: string}[], container?: string, tree?: object,
 *            sound: boolean}} sound: no error, so the data layer may run
 */
export function checkStructure(bytes, options) {
  return checkLayers(bytes.length, (maxes) => parseDocument(bytes, maxes), options);
}

/**
 * checkStructure for a document of `size` bytes whose syntax layer is
 * parse({maxDepth, maxString}) (parseDocument, or scanDocument for a file).
 */
export function checkLayers(size, parse, { limits: given, schemaPath } = {}) {
  const limits = { ...DEFAULT_LIMITS, ...given };
  const findings = [];
  if (BigInt(size) > limits.documentSize) {
    return { findings: [{ code: 'LIMIT_DOCUMENT_SIZE', pointer: '', severity: 'error' }], sound: false };
  }
  let container, tree, syntax;
  try {
    ({ container, tree, findings: syntax } = parse({ maxDepth: limits.depth, maxString: limits.string }));
  } catch (e) {
    if (e instanceof SyntaxFail) return { findings: [{ code: e.code, pointer: e.pointer, severity: 'error' }], sound: false };
    throw e;
  }
  const done = () => ({ findings, container, tree, sound: !hasError(findings) });
  findings.push(...syntax.map((f) => ({ ...f, severity: 'error' })));
  if (hasError(findings)) return { findings, container, sound: false };

  const version = versionFindings(tree);
  findings.push(...version.findings);
  if (hasError(findings)) return done();

  let schema = schemaFindings(tree, { schemaPath });
  // A newer minor version may add members: ignore them (section 11).
  if (version.newer) schema = schema.filter((f) => f.code !== 'SCHEMA_ADDITIONAL_PROPERTY');
  findings.push(...schema.map((f) => ({ ...f, severity: 'error' })));
  if (hasError(findings)) return done();

  findings.push(...countFindings(tree, limits));
  if (hasError(findings)) return done();

  findings.push(...semanticFindings(tree));
  return done();
}

/**
 * Runs every layer on the bytes of a document.
 * @param {Uint8Array} bytes
 * @param {{limits?: object, schemaPath?: string}} [options]
 * @returns {{findings: {code: string, pointer: string, severity: string}[],
 *            report?: string, container?: string, tree?: object, decoded?: object[]}}
 */
export function validateBytes(bytes, { limits: given, schemaPath } = {}) {
  const limits = { ...DEFAULT_LIMITS, ...given };
  const { findings, container, tree, sound } = checkStructure(bytes, { limits, schemaPath });
  const done = () => ({ findings, container, tree });
  if (!sound) return done();

  const { findings: dataErrors, decoded } = dataFindings(tree, container, limits);
  findings.push(...dataErrors);
  if (hasError(findings)) return done();

  const { report, finding } = checkDocumentChecksum(tree, decoded);
  if (finding) {
    findings.push(finding);
    return done();
  }
  return { findings, container, tree, decoded, report };
}

/**
 * The reader report of a document whose tensors all decoded, and the finding if its
 * document_sha256 is not the SHA-256 of that report (3.2); null if it is, or if it has none.
 * decoded[k] needs only `sha256` and, for a quantized tensor, `dequantized.sha256`.
 */
export function checkDocumentChecksum(tree, decoded) {
  const report = reportText(tree, decoded);
  if (tree.has('document_sha256') && createHash('sha256').update(report, 'utf8').digest('hex') !== tree.get('document_sha256')) {
    return { report, finding: { code: 'DATA_DOCUMENT_CHECKSUM', pointer: '/document_sha256', severity: 'error' } };
  }
  return { report, finding: null };
}
