// Strict JSON text parser (RFC 8259 plus spec.md sections 1 and 2.2).
//
// Why not JSON.parse or lossless-json: both keep duplicate members silently
// (lossless-json throws only when the two values differ, and then without a
// pointer), accept escapes that leave unpaired surrogates, and overflow the
// stack on deep input (lossless-json) or accept it (JSON.parse); JSON.parse
// also rounds integers beyond 2^53 and turns -0 into 0. Every finding here needs
// a JSON Pointer, so the parser keeps the path it is in.
//
// Recursion is bounded: a container deeper than maxDepth is an error before the
// parser descends into it, so the stack never holds more than maxDepth frames.
//
// Problems the parser can go past (duplicate members, non-finite literals,
// numbers out of range, unpaired surrogates, long strings) are collected and
// parsing goes on; the fatal ones (malformed text, depth, trailing data) throw
// SyntaxFail, which drops what was collected (spec.md section 7).
import { JObj, JInt, JNum, SyntaxFail, pointer } from './values.mjs';
import { stringTooLong, nameForPointer, atTensorData } from './strings.mjs';

const INT_MIN = -(2n ** 63n);
const INT_MAX = 2n ** 64n - 1n;
const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;
const SIMPLE_STRING = /[^"\\\u0000-\u001f]*/y;

/**
 * The value of a number token: JNum (`fraction`: it has a fraction or an
 * exponent) or JInt, or null if it is out of range (SYNTAX_NUMBER_RANGE).
 */
export function numberValue(text, fraction) {
  if (fraction) {
    const v = Number(text);
    return Number.isFinite(v) ? new JNum(v, text) : null;
  }
  // No leading zeros in JSON: more than 20 digits is beyond 2^64 - 1.
  const digits = text.length - (text[0] === '-' ? 1 : 0);
  if (digits > 20) return null;
  const v = BigInt(text);
  return v < INT_MIN || v > INT_MAX ? null : new JInt(v, text);
}

/** No unpaired surrogate (an escape can leave one, section 2.2). */
export function isWellFormed(str) {
  for (let k = 0; k < str.length; k++) {
    const c = str.charCodeAt(k);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff) {
      const d = str.charCodeAt(k + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { k++; continue; }
    }
    return false;
  }
  return true;
}

/**
 * Parses UTF-8 JSON bytes into a value tree.
 * @param {Uint8Array} bytes
 * @param {{maxDepth?: number, maxString?: number}} [options]
 * @returns {{tree: JObj, findings: {code: string, pointer: string}[]}} the findings that did not stop the parser
 */
export function parseJson(bytes, { maxDepth = 128, maxString = 2 ** 20 } = {}) {
  let s;
  try {
    s = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new SyntaxFail('SYNTAX_UTF8', '');
  }
  const n = s.length;
  let i = 0;
  const path = [];
  const fail = (code) => { throw new SyntaxFail(code, pointer(path)); };
  const findings = [];
  const note = (code, where = pointer(path)) => findings.push({ code, pointer: where });

  function skipWhitespace() {
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  }

  // s[i] is the opening quote. Escapes that leave an unpaired surrogate are
  // checked by the caller, which knows whether the string is a name.
  function parseString() {
    i++;
    let out = '';
    for (;;) {
      SIMPLE_STRING.lastIndex = i;
      SIMPLE_STRING.exec(s);
      out += s.slice(i, SIMPLE_STRING.lastIndex);
      i = SIMPLE_STRING.lastIndex;
      if (i >= n) fail('SYNTAX_JSON');
      const c = s.charCodeAt(i);
      if (c === 0x22) { i++; return out; }
      if (c < 0x20) fail('SYNTAX_JSON');
      // backslash
      const e = s[i + 1];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const h = s.slice(i + 2, i + 6);
          if (!HEX4.test(h)) fail('SYNTAX_JSON');
          out += String.fromCharCode(parseInt(h, 16));
          i += 4;
          break;
        }
        default: fail('SYNTAX_JSON');
      }
      i += 2;
    }
  }

  function parseNumber() {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(s);
    if (!m) fail('SYNTAX_JSON');
    i += m[0].length;
    const v = numberValue(m[0], m[1] !== undefined || m[2] !== undefined);
    if (v === null) note('SYNTAX_NUMBER_RANGE');
    return v;
  }

  function parseValue(depth) {
    skipWhitespace();
    if (i >= n) fail('SYNTAX_JSON');
    const c = s[i];
    if (c === '{') {
      if (depth > maxDepth) fail('SYNTAX_DEPTH');
      i++;
      const obj = new JObj();
      const repeated = new Set(); // one finding per repeated name (2.2)
      skipWhitespace();
      if (s[i] === '}') { i++; return obj; }
      for (;;) {
        skipWhitespace();
        if (s[i] !== '"') fail('SYNTAX_JSON');
        const name = parseString();
        path.push(name);
        if (!isWellFormed(name)) note('SYNTAX_UTF8');
        if (stringTooLong(name, maxString)) note('LIMIT_STRING', pointer([...path.slice(0, -1), nameForPointer(name)]));
        if (obj.m.has(name) && !repeated.has(name)) { repeated.add(name); note('SYNTAX_DUPLICATE_KEY'); }
        skipWhitespace();
        if (s[i] !== ':') fail('SYNTAX_JSON');
        i++;
        obj.m.set(name, parseValue(depth + 1));
        skipWhitespace();
        if (s[i] === ',') { i++; path.pop(); continue; }
        if (s[i] === '}') { i++; path.pop(); return obj; }
        fail('SYNTAX_JSON');
      }
    }
    if (c === '[') {
      if (depth > maxDepth) fail('SYNTAX_DEPTH');
      i++;
      const arr = [];
      skipWhitespace();
      if (s[i] === ']') { i++; return arr; }
      for (;;) {
        path.push(arr.length);
        arr.push(parseValue(depth + 1));
        skipWhitespace();
        if (s[i] === ',') { i++; path.pop(); continue; }
        if (s[i] === ']') { i++; path.pop(); return arr; }
        fail('SYNTAX_JSON');
      }
    }
    if (c === '"') {
      const str = parseString();
      if (!isWellFormed(str)) note('SYNTAX_UTF8');
      if (stringTooLong(str, maxString) && !atTensorData(path)) note('LIMIT_STRING');
      return str;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      if (s.startsWith('-Infinity', i)) return nonFinite(9);
      return parseNumber();
    }
    if (s.startsWith('true', i)) { i += 4; return true; }
    if (s.startsWith('false', i)) { i += 5; return false; }
    if (s.startsWith('null', i)) { i += 4; return null; }
    if (s.startsWith('NaN', i)) return nonFinite(3);
    if (s.startsWith('Infinity', i)) return nonFinite(8);
    fail('SYNTAX_JSON');
  }

  function nonFinite(length) {
    note('SYNTAX_NONFINITE_LITERAL');
    i += length;
    return null;
  }

  const value = parseValue(1);
  skipWhitespace();
  if (i < n) throw new SyntaxFail('SYNTAX_TRAILING_DATA', '');
  if (!(value instanceof JObj)) throw new SyntaxFail('SYNTAX_NOT_OBJECT', '');
  return { tree: value, findings };
}
