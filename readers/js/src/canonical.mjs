// Canonical JSON of the reader report (spec.md section 10).
import { JObj, JInt, JNum, jsonType } from './values.mjs';

const SHORT_ESCAPES = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' };
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

export function canonicalString(s) {
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"';
  let out = '"';
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (SHORT_ESCAPES[c] !== undefined) out += SHORT_ESCAPES[c];
    else if (c < 0x20) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += s[k];
  }
  return out + '"';
}

/**
 * ECMAScript Number::toString (ECMA-262 6.1.6.1.20): shortest round-trip
 * digits, `1e+21`, `1e-7`, `0.000001`; integral values print as integers and
 * -0 as `0`. String(x) is exactly that; the function exists to name the rule.
 */
export function formatNumber(x) {
  if (!Number.isFinite(x)) throw new RangeError('non-finite number in a report');
  return String(x);
}

/** Canonical text of a value tree (JObj/JInt/JNum or plain arrays, strings...). */
export function canonicalJson(v) {
  if (v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'string') return canonicalString(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof JInt) return v.v.toString();
  if (v instanceof JNum) return formatNumber(v.v);
  if (Array.isArray(v)) return '[' + v.map(canonicalJson).join(',') + ']';
  if (v instanceof JObj) {
    // Default sort compares UTF-16 code units, as section 10 asks.
    const names = [...v.m.keys()].sort();
    return '{' + names.map((k) => canonicalString(k) + ':' + canonicalJson(v.m.get(k))).join(',') + '}';
  }
  throw new TypeError(`cannot write ${jsonType(v)} in a report`);
}
