// Chunked JSON parser for open (spec.md 7.1): reads a document a window at a
// time and gives the tree and findings json.mjs gives for the whole text,
// except that each tensor's `data` string or array (/tensors/i/data) is checked
// and skipped: the tree holds a FileValue with its byte range instead.
//
// Why a second parser: json.mjs decodes the whole text into one string first,
// which is what open must not do for a file. This one works on UTF-8 bytes
// through a Window (source.mjs) that checks them as they come, and follows
// json.mjs step by step, so that every finding, pointer and the order of the
// findings are the same (test/open.test.mjs compares the two on every fixture
// and on mutated documents). It holds one window of bytes and the tree of the
// structure, never a tensor's data:
//
// - a data string is scanned for its end, its escapes and unpaired surrogates
//   (SYNTAX_UTF8), not kept; it is exempt from the string limit (section 8);
// - a data array (the list encoding) is parsed without building it, with every
//   check of the syntax layer, so that its duplicate keys, non-finite literals,
//   numbers out of range, deep nesting and long strings are found at open, as
//   7.1 asks of long strings; malformed text inside is met there too (7.1
//   item 2 allows it: a lazy reader reports it when it reads the value);
// - any other data value (a number, say) is small and is parsed as usual.
//
// The whole text is still read, because JSON has no lengths: only the end of a
// value tells where the next begins, and UTF-8 is checked for the whole text
// (section 7, layer 1) before any other syntax finding counts: a fatal finding
// is thrown only after the rest of the text was checked for UTF-8.
import { JObj, SyntaxFail, FileValue, pointer } from './values.mjs';
import { numberValue, isWellFormed } from './json.mjs';
import { stringTooLong, nameForPointer, atTensorData } from './strings.mjs';
import { Window } from './source.mjs';

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true }); // the window holds checked UTF-8 only
const bytesOf = (text) => Array.from(text, (c) => c.charCodeAt(0));
const TRUE = bytesOf('true');
const FALSE = bytesOf('false');
const NULL = bytesOf('null');
const NAN = bytesOf('NaN');
const INFINITY = bytesOf('Infinity');
const MINUS_INFINITY = bytesOf('-Infinity');
// The escapes of RFC 8259 other than \u: " \ / b f n r t
const SIMPLE_ESCAPE = new Set(bytesOf('"\\/bfnrt'));
// The characters of a number token (and some that may follow one, which parseNumber leaves).
const isNumberByte = (c) => (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;
const isDigit = (c) => c >= 0x30 && c <= 0x39;
const hexValue = (c) => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1);

/**
 * Parses the JSON document of a source (source.mjs) into a value tree, with
 * each tensor's data string or array as a FileValue.
 * With `value: {path, depth}` it parses instead one value that stands at that
 * place of a document, building everything (how open reads a data array back).
 * @returns {{tree: JObj, findings: {code: string, pointer: string}[]}} as parseJson
 *   (`value` instead of `tree` for one value); throws SyntaxFail as parseJson does
 */
export function scanJson(source, { maxDepth = 128, maxString = 2 ** 20, chunkSize = 1 << 20, value: place = null } = {}) {
  const win = new Window(source, chunkSize, true);
  const skipData = place === null;
  let buf = win.buf;
  let end = win.end;
  let p = 0;
  const path = place === null ? [] : [...place.path];
  const findings = [];
  const fail = (code) => { throw new SyntaxFail(code, pointer(path)); };
  const note = (code, where = pointer(path)) => findings.push({ code, pointer: where });

  // Reads on, keeping buf[p, end); false at the end of the text. Indexes into
  // buf held across a call must be taken relative to p.
  function more() {
    const added = win.advance(p);
    buf = win.buf;
    end = win.end;
    p = 0;
    return added;
  }
  const peek = () => (p < end || more() ? buf[p] : -1);
  function ensure(k) {
    while (end - p < k) if (!more()) return false;
    return true;
  }
  function startsWith(literal) {
    if (!ensure(literal.length)) return false;
    for (let j = 0; j < literal.length; j++) if (buf[p + j] !== literal[j]) return false;
    return true;
  }

  function skipWhitespace() {
    for (;;) {
      while (p < end) {
        const c = buf[p];
        if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) p++;
        else return;
      }
      if (!more()) return;
    }
  }

  // buf[p] is the opening quote. Finds the closing one; escapes are unescaped
  // by JSON.parse, which accepts exactly RFC 8259's escapes, as json.mjs does,
  // and keeps an unpaired surrogate for the caller to find.
  function readString() {
    p++;
    let start = p;
    let escaped = false;
    const parts = [];
    for (;;) {
      while (p < end) {
        const c = buf[p];
        if (c === 0x22) {
          const last = buf.subarray(start, p);
          p++;
          const text = utf8.decode(parts.length ? concat([...parts, last]) : last);
          if (!escaped) return text;
          try { return JSON.parse(`"${text}"`); } catch { return fail('SYNTAX_JSON'); }
        }
        if (c < 0x20) fail('SYNTAX_JSON');
        if (c === 0x5c) {
          escaped = true;
          if (p + 1 === end) break; // the escaped character is in the next chunk
          p += 2;
        } else {
          p++;
        }
      }
      // The window ends inside the string: keep what was read, read on (a
      // backslash left at p is kept in the window and read again with what follows).
      parts.push(buf.slice(start, p));
      if (!more()) fail('SYNTAX_JSON');
      start = p;
    }
  }

  // buf[p] is the opening quote of a tensor's data string: checks it as
  // readString and parseValue would (escapes, unpaired surrogates) without
  // keeping it; it is exempt from the string limit.
  function skipDataString() {
    const offset = win.base + p;
    p++;
    let escaped = false;
    let high = false; // the last character was a \u escape of a high surrogate
    let unpaired = false;
    for (;;) {
      if (p >= end && !more()) fail('SYNTAX_JSON');
      if (!high) {
        p = ordinaryRun(buf, p, end);
        if (p >= end) continue;
      }
      const c = buf[p];
      if (c === 0x22) {
        if (high) unpaired = true;
        p++;
        break;
      }
      if (c === 0x5c) {
        escaped = true;
        if (!ensure(2)) fail('SYNTAX_JSON');
        const e = buf[p + 1];
        let unit = 0;
        if (e === 0x75) {
          if (!ensure(6)) fail('SYNTAX_JSON');
          for (let j = 2; j < 6; j++) {
            const h = hexValue(buf[p + j]);
            if (h < 0) fail('SYNTAX_JSON');
            unit = unit * 16 + h;
          }
          p += 6;
        } else if (SIMPLE_ESCAPE.has(e)) {
          p += 2;
        } else {
          fail('SYNTAX_JSON');
        }
        if (unit >= 0xd800 && unit <= 0xdbff) {
          if (high) unpaired = true;
          high = true;
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
          if (!high) unpaired = true;
          high = false;
        } else {
          if (high) unpaired = true;
          high = false;
        }
        continue;
      }
      if (c < 0x20) fail('SYNTAX_JSON');
      if (high) { unpaired = true; high = false; }
      p++;
    }
    if (unpaired) note('SYNTAX_UTF8');
    return new FileValue('string', offset, win.base + p - offset, escaped);
  }

  // The grammar of json.mjs's NUMBER, on bytes, so that the elements of a data
  // array (not built) need no string: most are ints that cannot be out of range.
  function parseNumber(build) {
    // The window keeps the whole run of number characters, which holds the token.
    let q = p;
    for (;;) {
      while (q < end && isNumberByte(buf[q])) q++;
      if (q < end) break;
      const k = q - p;
      const added = more();
      q = p + k;
      if (!added) break;
    }
    const b = buf;
    let k = p;
    if (b[k] === 0x2d) k++;
    if (k < q && b[k] === 0x30) k++;
    else if (k < q && isDigit(b[k])) while (k < q && isDigit(b[k])) k++;
    else fail('SYNTAX_JSON');
    let fraction = false;
    let exponent = false;
    if (k + 1 < q && b[k] === 0x2e && isDigit(b[k + 1])) {
      fraction = true;
      for (k += 2; k < q && isDigit(b[k]);) k++;
    }
    if (k + 1 < q && (b[k] === 0x65 || b[k] === 0x45)) {
      let j = k + 1;
      if (b[j] === 0x2b || b[j] === 0x2d) j++;
      if (j < q && isDigit(b[j])) {
        exponent = true;
        for (k = j + 1; k < q && isDigit(b[k]);) k++;
      }
    }
    const start = p;
    p = k;
    // Not building: an int of up to 18 characters is within int64, and a
    // number without exponent of up to 300 below 1e300.
    if (!build && !exponent && k - start <= (fraction ? 300 : 18)) return undefined;
    const v = numberValue(latin1(b, start, k), fraction || exponent);
    if (v === null) note('SYNTAX_NUMBER_RANGE');
    return v;
  }

  function nonFinite(length) {
    note('SYNTAX_NONFINITE_LITERAL');
    p += length;
    return null;
  }

  // build false: check everything, keep nothing (a tensor's data array).
  function parseValue(depth, build) {
    skipWhitespace();
    const c = peek();
    if (c < 0) fail('SYNTAX_JSON');
    if (c === 0x7b) return parseObject(depth, build);
    if (c === 0x5b) {
      if (build && skipData && atTensorData(path)) {
        const offset = win.base + p;
        parseArray(depth, false);
        return new FileValue('array', offset, win.base + p - offset);
      }
      return parseArray(depth, build);
    }
    if (c === 0x22) {
      if (build && skipData && atTensorData(path)) return skipDataString();
      const str = readString();
      if (!isWellFormed(str)) note('SYNTAX_UTF8');
      if (stringTooLong(str, maxString) && !atTensorData(path)) note('LIMIT_STRING');
      return str;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      if (c === 0x2d && startsWith(MINUS_INFINITY)) return nonFinite(9);
      return parseNumber(build);
    }
    if (startsWith(TRUE)) { p += 4; return true; }
    if (startsWith(FALSE)) { p += 5; return false; }
    if (startsWith(NULL)) { p += 4; return null; }
    if (startsWith(NAN)) return nonFinite(3);
    if (startsWith(INFINITY)) return nonFinite(8);
    return fail('SYNTAX_JSON');
  }

  function parseObject(depth, build) {
    if (depth > maxDepth) fail('SYNTAX_DEPTH');
    p++;
    const obj = new JObj();
    const repeated = new Set(); // one finding per repeated name (2.2)
    skipWhitespace();
    if (peek() === 0x7d) { p++; return obj; }
    for (;;) {
      skipWhitespace();
      if (peek() !== 0x22) fail('SYNTAX_JSON');
      const name = readString();
      path.push(name);
      if (!isWellFormed(name)) note('SYNTAX_UTF8');
      if (stringTooLong(name, maxString)) note('LIMIT_STRING', pointer([...path.slice(0, -1), nameForPointer(name)]));
      if (obj.m.has(name) && !repeated.has(name)) { repeated.add(name); note('SYNTAX_DUPLICATE_KEY'); }
      skipWhitespace();
      if (peek() !== 0x3a) fail('SYNTAX_JSON');
      p++;
      // Not building, the names are still kept (their values are not), for the duplicates.
      obj.m.set(name, parseValue(depth + 1, build));
      skipWhitespace();
      const c = peek();
      if (c === 0x2c) { p++; path.pop(); continue; }
      if (c === 0x7d) { p++; path.pop(); return obj; }
      fail('SYNTAX_JSON');
    }
  }

  function parseArray(depth, build) {
    if (depth > maxDepth) fail('SYNTAX_DEPTH');
    p++;
    const arr = build ? [] : null;
    let count = 0;
    skipWhitespace();
    if (peek() === 0x5d) { p++; return arr; }
    for (;;) {
      path.push(count);
      const v = parseValue(depth + 1, build);
      if (build) arr.push(v);
      count++;
      skipWhitespace();
      const c = peek();
      if (c === 0x2c) { p++; path.pop(); continue; }
      if (c === 0x5d) { p++; path.pop(); return arr; }
      fail('SYNTAX_JSON');
    }
  }

  try {
    const value = parseValue(place === null ? 1 : place.depth, true);
    skipWhitespace();
    if (peek() >= 0) throw new SyntaxFail('SYNTAX_TRAILING_DATA', '');
    if (place !== null) return { value, findings };
    if (!(value instanceof JObj)) throw new SyntaxFail('SYNTAX_NOT_OBJECT', '');
    return { tree: value, findings };
  } catch (e) {
    // Text that is not UTF-8 anywhere is the one finding (7): check the rest first.
    if (e instanceof SyntaxFail && e.code !== 'SYNTAX_UTF8') win.drain();
    throw e;
  }
}

/**
 * The first index in bytes[from, to) of a byte that may end an ordinary run of
 * a string: a control character, space, '!', '"' or '\' (0x00 to 0x22 and
 * 0x5c), or `to`. The base64 alphabet and '=' are all ordinary.
 *
 * Every byte of a base64 tensor passes here, so it looks at four at a time:
 * with x a 32-bit word, (x - 0x23232323) & ~x & 0x80808080 is non-zero exactly
 * when one of its bytes is below 0x23, and the same of x ^ 0x5c5c5c5c with
 * 0x01010101 when one is 0x5c. A word that may hold one is looked at byte by
 * byte. (Measured on node 20: about four times faster than a loop over bytes.)
 */
export function ordinaryRun(bytes, from, to) {
  let q = from;
  while (q < to && ((bytes.byteOffset + q) & 3) !== 0) {
    const c = bytes[q];
    if (c <= 0x22 || c === 0x5c) return q;
    q++;
  }
  if (q >= to) return q;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset + q, (to - q) >>> 2);
  let k = 0;
  for (; k < words.length; k++) {
    const x = words[k];
    const y = x ^ 0x5c5c5c5c;
    if ((((x - 0x23232323) & ~x) | ((y - 0x01010101) & ~y)) & 0x80808080) break;
  }
  for (q += 4 * k; q < to; q++) {
    const c = bytes[q];
    if (c <= 0x22 || c === 0x5c) return q;
  }
  return q;
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((a, b) => a + b.length, 0));
  let at = 0;
  for (const b of parts) { out.set(b, at); at += b.length; }
  return out;
}

function latin1(bytes, from, to) {
  let s = '';
  for (let j = from; j < to; j++) s += String.fromCharCode(bytes[j]);
  return s;
}
