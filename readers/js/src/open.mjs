// open (spec.md 7.1): a document's structure at open, each tensor's data when
// it is asked for.
//
// From a path the file is never held whole. Its structure is parsed through a
// window of about one chunk (scanDocument: msgpack.mjs, jsonscan.mjs) and each
// tensor's data is skipped, its place kept; getTensor reads just those bytes
// with fs.readSync at that place, then decodes and checks them as a full read
// does. A MessagePack bin is skipped unread (its length is in its header); JSON
// text is read through once at open, because only the end of a value says where
// it ends and the syntax layer covers the whole text, but none of the data is
// kept. The file stays open until close().
//
// From bytes the whole-document parsers run (json.mjs, msgpack.mjs) and
// getTensor decodes from those bytes.
import { FileSource, FileChanged, MemorySource } from './source.mjs';
import { scanDocument } from './container.mjs';
import { scanJson } from './jsonscan.mjs';
import { checkStructure, checkLayers, checkDocumentChecksum } from './reader.mjs';
import { headerCheck, decodeTensor, toTypedArray, DEFAULT_LIMITS } from './data.mjs';
import { JObj, FileBin, FileValue, SyntaxFail, integerValue } from './values.mjs';
import { ModelDocError } from './errors.mjs';

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

// A document dropped without close() still closes its file, once nothing can
// reach what getTensor needs (its `state`); close() unregisters it first, so a
// file descriptor is never closed twice. A throw from a finalizer would be an
// uncaught exception with nobody to handle it, so there is none.
const closing = new FinalizationRegistry((file) => {
  try { file.close(); } catch { /* already gone: nothing left to release */ }
});

/**
 * The public open (index.mjs). `fs` (node:fs unless given) and `chunkSize`
 * (bytes per read while parsing, 1 MiB unless given) are for the tests: they
 * count the reads and cut the text at awkward places.
 */
export function openDocument(source, options = {}, { fs, chunkSize } = {}) {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const opts = { ...options, limits };
  if (typeof source !== 'string') return opened(checkStructure(source, opts), limits, null);
  const file = new FileSource(source, fs);
  try {
    return opened(checkLayers(file.size, (maxes) => scanDocument(file, { ...maxes, chunkSize }), opts), limits, file);
  } catch (e) {
    file.close();
    throw e;
  }
}

function opened({ findings, container, tree, sound }, limits, file) {
  if (!sound) throw new ModelDocError(findings);
  const all = tree.get('tensors');
  const running = { total: 0n };
  const headers = all.map((t, k) => headerCheck(t, k, container, limits, running));
  const failed = headers.filter((h) => h.finding).map((h) => h.finding);
  if (failed.length) throw new ModelDocError([...failed, ...findings]);
  const tensors = all.map((t) => {
    const q = t.get('quantization');
    return {
      name: t.get('name'), dtype: q === undefined ? t.get('dtype') : q.get('dtype'), shape: t.get('shape').map(integerValue),
      encoding: t.get('encoding'), storedDtype: t.get('dtype'), byteRange: byteRange(t.get('data')),
    };
  });
  // Everything getTensor needs, and nothing the returned object's user holds.
  const state = {
    file, limits, headers, closed: false, tree, tensors: all,
    index: new Map(all.map((t, k) => [t.get('name'), k])),
  };
  if (file !== null) closing.register(state, file, state);
  return {
    container,
    warnings: findings.filter((f) => f.severity === 'warning').map(({ code, pointer }) => ({ code, pointer })),
    tensors,
    keys: () => tensors.map((t) => t.name),
    getTensor: (name) => getTensor(state, name),
    verifyDocument: () => verifyDocument(state),
    close: () => close(state),
  };
}

// Where a tensor's data lies in the file, [start, end): a bin's bytes, a string's characters (the
// quotes left out), an array's text; null from bytes, for data split into several bins, and for a
// scalar's number or true/false as list data (built with the structure, not skipped).
function byteRange(data) {
  if (data instanceof FileBin) return [data.offset, data.offset + data.size];
  if (data instanceof FileValue) {
    return data.kind === 'string' ? [data.offset + 1, data.offset + data.length - 1] : [data.offset, data.offset + data.length];
  }
  return null;
}

function getTensor(state, name) {
  if (state.closed) throw new Error(`getTensor(${JSON.stringify(name)}) after close(): the document is closed`);
  const k = state.index.get(name);
  if (k === undefined) throw new RangeError(`no tensor named ${JSON.stringify(name)}`);
  const t = withData(state, k);
  const got = decodeTensor(t, k, state.headers[k]);
  if (got.finding) throw new ModelDocError([got.finding]);
  return tensorEntry(t, got.decoded);
}

// The whole document checked as validate checks it (spec.md 7.1, item 3): every tensor read and
// checked in turn, keeping only its checksums, then document_sha256 against the reader report.
function verifyDocument(state) {
  if (state.closed) throw new Error('verifyDocument() after close(): the document is closed');
  const findings = [];
  const decoded = state.tensors.map((_, k) => {
    const got = decodeTensor(withData(state, k), k, state.headers[k]);
    if (got.finding) {
      findings.push(got.finding);
      return null;
    }
    const { sha256, dequantized } = got.decoded;
    return { sha256, dequantized: dequantized && { sha256: dequantized.sha256 } };
  });
  if (findings.length === 0) {
    const { finding } = checkDocumentChecksum(state.tree, decoded);
    if (finding) findings.push(finding);
  }
  if (findings.length) throw new ModelDocError(findings);
}

// Tensor k's tree; from a path, a copy with its data read back from the file, so that
// decodeTensor does what a full read does.
function withData(state, k) {
  const t = state.tensors[k];
  const data = t.get('data');
  if (!(data instanceof FileValue)) return t;
  const copy = new JObj();
  for (const [key, v] of t.m) copy.m.set(key, key === 'data' ? readValue(state, data, k) : v);
  return copy;
}

// A JSON data value that open checked and skipped, read back from the file: a
// string, or the array as json.mjs would have built it (token texts kept).
function readValue({ file, limits }, value, k) {
  const bytes = file.read(value.offset, value.length);
  const changed = () => new FileChanged(file.path, `the data of /tensors/${k} is no longer a JSON ${value.kind} where it was`);
  if (value.kind === 'string') {
    if (bytes[0] !== 0x22 || bytes[bytes.length - 1] !== 0x22) throw changed();
    const text = utf8.decode(bytes.subarray(1, bytes.length - 1));
    if (!value.escaped) return text;
    try { return JSON.parse(`"${text}"`); } catch { throw changed(); }
  }
  try {
    const place = { path: ['tensors', k, 'data'], depth: 4 }; // /tensors/k/data is at depth 4
    const { value: array, findings } = scanJson(new MemorySource(bytes), { value: place, maxDepth: limits.depth, maxString: limits.string });
    if (findings.length === 0 && Array.isArray(array)) return array;
  } catch (e) {
    if (!(e instanceof SyntaxFail)) throw e;
  }
  throw changed();
}

function close(state) {
  if (state.closed) return;
  state.closed = true;
  // Drop the tree too: from bytes its bins are views of them.
  state.tree = state.tensors = state.headers = state.index = null;
  if (state.file !== null) {
    closing.unregister(state);
    state.file.close();
  }
}

/** What read() gives for a tensor: its tree `t` and what decodeTensor gave. */
export function tensorEntry(t, { bytes: raw, sha256, dequantized }) {
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
