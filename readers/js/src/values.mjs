// The value tree of the ModelDoc data model (spec.md section 1).
//
//   object  -> JObj  (a Map, so "__proto__" and insertion order are safe)
//   array   -> Array
//   string  -> string
//   integer -> JInt  (BigInt: exact over the whole range [-2^63, 2^64 - 1])
//   number  -> JNum  (binary64, plus the JSON token text when there is one:
//                     float tensor data is read from the text, section 6)
//   true/false/null -> true/false/null
//   bytes   -> Bin   (Uint8Array; MessagePack bin, only as tensor data)
//
// open (7.1) leaves each tensor's data in the file: in its tree a bin is a
// FileBin and a JSON data string or array a FileValue, each knowing where it is.

export class JObj {
  constructor() { this.m = new Map(); }
  get(k) { return this.m.get(k); }
  has(k) { return this.m.has(k); }
}

export class JInt {
  constructor(v, text = null) { this.v = v; this.text = text; }
}

export class JNum {
  constructor(v, text = null) { this.v = v; this.text = text; }
}

export class Bin {
  constructor(bytes) { this.bytes = bytes; }
  /** Its length in bytes, known without reading it. */
  get length() { return this.bytes.length; }
  /** Its bytes. */
  read() { return this.bytes; }
}

/**
 * A bin that open (7.1) skipped: its place in the file and its length. Its
 * `bytes` is null, so code that forgets to read() it fails loudly instead of
 * seeing an empty bin.
 */
export class FileBin extends Bin {
  constructor(source, offset, length) {
    super(null);
    this.source = source;
    this.offset = offset;
    this.size = length;
  }
  get length() { return this.size; }
  read() { return this.source.read(this.offset, this.size); }
}

/**
 * A tensor's JSON `data` string or array that open (7.1) checked for syntax
 * and skipped: `kind` ('string' or 'array'), the byte range of its text, and
 * for a string whether it holds escapes (without them its text is its value).
 */
export class FileValue {
  constructor(kind, offset, length, escaped = false) {
    this.kind = kind;
    this.offset = offset;
    this.length = length;
    this.escaped = escaped;
  }
}

/** Thrown by the parsers for a problem that ends the syntax layer: it is then the only finding (7). */
export class SyntaxFail extends Error {
  constructor(code, pointer) {
    super(`${code} at ${JSON.stringify(pointer)}`);
    this.code = code;
    this.pointer = pointer;
  }
}

export function escapeToken(tok) {
  return String(tok).replace(/~/g, '~0').replace(/\//g, '~1');
}

// A member name may hold a tab or a line break, which would split a reader
// protocol line: backslash, TAB, LF and CR are written as in JSON strings (13).
const PROTOCOL_ESCAPES = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A pointer as a reader-protocol line prints it (spec.md section 13). */
export function protocolPointer(p) {
  return p.replace(/[\\\t\n\r]/g, (c) => PROTOCOL_ESCAPES[c]);
}

/** RFC 6901 pointer from a list of member names and item indexes. */
export function pointer(path) {
  let out = '';
  for (const t of path) out += '/' + escapeToken(t);
  return out;
}

export function jsonType(v) {
  if (v === null) return 'null';
  if (v === true || v === false) return 'boolean';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'array';
  if (v instanceof JObj) return 'object';
  if (v instanceof JInt) return 'integer';
  if (v instanceof JNum) return 'number';
  if (v instanceof Bin) return 'bytes';
  if (v instanceof FileValue) return v.kind;
  throw new TypeError('not a ModelDoc value');
}

/**
 * The integer a schema "integer" stands for (section 1: `2.0` and `2e0` are
 * accepted where the schema asks for an integer and used as that integer).
 */
export function integerValue(v) {
  if (v instanceof JInt) return v.v;
  if (v instanceof JNum && Number.isInteger(v.v)) return BigInt(v.v);
  throw new TypeError('not an integer');
}
