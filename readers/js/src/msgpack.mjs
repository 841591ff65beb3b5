// Strict MessagePack decoder (spec.md section 2.3).
//
// Why not @msgpack/msgpack for this: measured with 3.1.3, it keeps the last of
// duplicate map keys silently, turns integer keys into strings, returns
// extension values (the timestamp type as a Date), accepts NaN and bin
// anywhere, and its errors carry no position in the value tree. Each of those
// is a finding with a pointer here, so the decoder tracks the path.
//
// As in json.mjs, problems the decoder can go past are collected and decoding
// goes on; malformed data, invalid UTF-8, depth and trailing bytes throw
// SyntaxFail, which drops what was collected (spec.md section 7).
//
// The same decoder reads a file for open (spec.md 7.1), a window at a time
// (source.mjs), and skips every bin there: a bin's length is in its header, so
// the tree gets a FileBin with its place and no byte of it is read. In memory
// the window is the whole input and nothing is ever read in.
import { JObj, JInt, JNum, Bin, FileBin, SyntaxFail, pointer } from './values.mjs';
import { stringTooLong, nameForPointer, atTensorData as atTensorDataMember } from './strings.mjs';
import { Window } from './source.mjs';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes one MessagePack map into a value tree.
 * @param {Uint8Array} bytes
 * @param {{maxDepth?: number, maxString?: number}} [options]
 * @returns {{tree: JObj, findings: {code: string, pointer: string}[]}} the findings that did not stop the decoder
 */
export function parseMsgpack(bytes, options) {
  return decode(null, bytes, options);
}

/**
 * Decodes the MessagePack map of a source (source.mjs), reading it in chunks;
 * every bin becomes a FileBin, not read.
 * @returns {{tree: JObj, findings: {code: string, pointer: string}[]}} as parseMsgpack
 */
export function scanMsgpack(source, options) {
  return decode(source, null, options);
}

function decode(source, input, { maxDepth = 128, maxString = 2 ** 20, chunkSize = 1 << 20 } = {}) {
  const win = source === null ? null : new Window(source, chunkSize, false);
  let bytes = source === null ? input : win.buf; // bytes[0, end) is the document from offset base on
  let view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let base = 0;
  let end = bytes.length;
  const n = source === null ? input.length : source.size;
  let i = 0;
  const path = [];
  // Inside an entry whose key is not a str nothing has a pointer: such an entry
  // is only decoded, and counts for depth at its map (2.3).
  let opaque = 0;
  let opaqueAt = '';
  const fail = (code, where = pointer(path)) => { throw new SyntaxFail(code, where); };
  const findings = [];
  const note = (code, where = pointer(path)) => { if (opaque === 0) findings.push({ code, pointer: where }); };
  // Malformed or truncated data has no meaningful place: pointer "" (9.3).
  const left = (k) => { if (base + i + k > n) fail('SYNTAX_MSGPACK', ''); };
  // The next k bytes, in the window.
  const need = (k) => {
    left(k);
    if (i + k > end) fill(k);
  };
  function fill(k) {
    let more = win.advance(i);
    while (more && win.end < k) more = win.advance(0);
    bytes = win.buf;
    view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    base = win.base;
    end = win.end;
    i = 0;
    if (end < k) fail('SYNTAX_MSGPACK', ''); // the file got shorter while it was read
  }
  // Goes past k bytes that are not needed, reading none of them.
  function skip(k) {
    left(k);
    if (i + k <= end) { i += k; return; }
    win.seek(base + i + k);
    base = win.base;
    end = 0;
    i = 0;
  }

  function readStr(len) {
    need(len);
    const part = bytes.subarray(i, i + len);
    i += len;
    try { return utf8.decode(part); } catch { return fail('SYNTAX_UTF8', ''); }
  }

  // bin is allowed only as /tensors/i/data, or as an item of an array there
  // (raw data split into several bins, section 5.4).
  function atTensorData() {
    const data = path.length >= 3 && path[0] === 'tensors' && typeof path[1] === 'number' && path[2] === 'data';
    return data && (path.length === 3 || (path.length === 4 && typeof path[3] === 'number'));
  }

  // A str key, or undefined (nothing read) if the next value is not a str.
  function readKey() {
    need(1);
    const b = bytes[i];
    let len;
    if (b >= 0xa0 && b <= 0xbf) { i += 1; len = b & 0x1f; }
    else if (b === 0xd9) { i += 1; need(1); len = bytes[i]; i += 1; }
    else if (b === 0xda) { i += 1; need(2); len = view.getUint16(i); i += 2; }
    else if (b === 0xdb) { i += 1; need(4); len = view.getUint32(i); i += 4; }
    else return undefined;
    return readStr(len);
  }

  function tooDeep(depth) {
    if (depth > maxDepth) fail('SYNTAX_DEPTH', opaque > 0 ? opaqueAt : pointer(path));
  }

  // Every item takes at least one byte: a count beyond the bytes left is
  // truncated data, known before anything is read or allocated (section 8).
  function readMap(len, depth) {
    tooDeep(depth);
    left(2 * len);
    const obj = new JObj();
    const repeated = new Set(); // one finding per repeated name (2.3)
    let badKeys = false; // one finding per map with keys that are not str (2.3)
    for (let k = 0; k < len; k++) {
      const key = readKey();
      if (key === undefined) {
        if (!badKeys) { badKeys = true; note('SYNTAX_MSGPACK_TYPE'); }
        if (opaque++ === 0) opaqueAt = pointer(path);
        readValue(depth + 1); // the key
        readValue(depth + 1); // its value
        opaque--;
        continue;
      }
      path.push(key);
      if (stringTooLong(key, maxString)) note('LIMIT_STRING', pointer([...path.slice(0, -1), nameForPointer(key)]));
      if (obj.m.has(key) && !repeated.has(key)) { repeated.add(key); note('SYNTAX_DUPLICATE_KEY'); }
      const value = readValue(depth + 1);
      if (opaque === 0) obj.m.set(key, value);
      path.pop();
    }
    return obj;
  }

  function readArray(len, depth) {
    tooDeep(depth);
    left(len);
    const arr = [];
    for (let k = 0; k < len; k++) {
      path.push(k);
      arr.push(readValue(depth + 1));
      path.pop();
    }
    return arr;
  }

  function readBin(len) {
    left(len);
    if (!atTensorData()) note('SYNTAX_MSGPACK_TYPE');
    if (source !== null) {
      const b = new FileBin(source, base + i, len);
      skip(len);
      return b;
    }
    const b = bytes.subarray(i, i + len);
    i += len;
    return new Bin(b);
  }

  function readExt(len) {
    skip(1 + len); // type byte and data
    note('SYNTAX_MSGPACK_TYPE');
    return null;
  }

  function float(v) {
    if (!Number.isFinite(v)) { note('SYNTAX_MSGPACK_TYPE'); return null; }
    return new JNum(v);
  }

  function readText(len) {
    const str = readStr(len);
    if (stringTooLong(str, maxString) && !atTensorDataMember(path)) note('LIMIT_STRING');
    return str;
  }

  function readValue(depth) {
    need(1);
    const b = bytes[i++];
    if (b <= 0x7f) return new JInt(BigInt(b));
    if (b >= 0xe0) return new JInt(BigInt(b - 0x100));
    if (b <= 0x8f) return readMap(b & 0x0f, depth);
    if (b <= 0x9f) return readArray(b & 0x0f, depth);
    if (b <= 0xbf) return readText(b & 0x1f);
    let v;
    switch (b) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: need(1); v = bytes[i]; i += 1; return readBin(v);
      case 0xc5: need(2); v = view.getUint16(i); i += 2; return readBin(v);
      case 0xc6: need(4); v = view.getUint32(i); i += 4; return readBin(v);
      case 0xc7: need(1); v = bytes[i]; i += 1; return readExt(v);
      case 0xc8: need(2); v = view.getUint16(i); i += 2; return readExt(v);
      case 0xc9: need(4); v = view.getUint32(i); i += 4; return readExt(v);
      case 0xca: need(4); v = view.getFloat32(i); i += 4; return float(v);
      case 0xcb: need(8); v = view.getFloat64(i); i += 8; return float(v);
      case 0xcc: need(1); v = bytes[i]; i += 1; return new JInt(BigInt(v));
      case 0xcd: need(2); v = view.getUint16(i); i += 2; return new JInt(BigInt(v));
      case 0xce: need(4); v = view.getUint32(i); i += 4; return new JInt(BigInt(v));
      case 0xcf: need(8); v = view.getBigUint64(i); i += 8; return new JInt(v);
      case 0xd0: need(1); v = view.getInt8(i); i += 1; return new JInt(BigInt(v));
      case 0xd1: need(2); v = view.getInt16(i); i += 2; return new JInt(BigInt(v));
      case 0xd2: need(4); v = view.getInt32(i); i += 4; return new JInt(BigInt(v));
      case 0xd3: need(8); v = view.getBigInt64(i); i += 8; return new JInt(v);
      case 0xd4: return readExt(1);
      case 0xd5: return readExt(2);
      case 0xd6: return readExt(4);
      case 0xd7: return readExt(8);
      case 0xd8: return readExt(16);
      case 0xd9: need(1); v = bytes[i]; i += 1; return readText(v);
      case 0xda: need(2); v = view.getUint16(i); i += 2; return readText(v);
      case 0xdb: need(4); v = view.getUint32(i); i += 4; return readText(v);
      case 0xdc: need(2); v = view.getUint16(i); i += 2; return readArray(v, depth);
      case 0xdd: need(4); v = view.getUint32(i); i += 4; return readArray(v, depth);
      case 0xde: need(2); v = view.getUint16(i); i += 2; return readMap(v, depth);
      case 0xdf: need(4); v = view.getUint32(i); i += 4; return readMap(v, depth);
      default: return fail('SYNTAX_MSGPACK', ''); // 0xc1 is never used
    }
  }

  const value = readValue(1);
  if (base + i < n) throw new SyntaxFail('SYNTAX_TRAILING_DATA', '');
  if (!(value instanceof JObj)) throw new SyntaxFail('SYNTAX_NOT_OBJECT', '');
  return { tree: value, findings };
}
