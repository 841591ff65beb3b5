// Reading a layer's `config` (spec.md 15.1): listed members with their Keras
// defaults, each value checked against what the layer's entry allows.
import { activationName } from './activations.mjs';

export const INVALID = Symbol('invalid');
export const REQUIRED = Symbol('required');

const isInt = (v) => typeof v === 'number' && Number.isInteger(v);
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** member(default, check): check maps a value to its normalized form or INVALID. */
export const member = (def, check) => ({ def, check });

export const int = (min = 0) => (v) => (isInt(v) && v >= min ? v : INVALID);
export const bool = (v) => (typeof v === 'boolean' ? v : INVALID);
export const num = (min = -Infinity) => (v) => (typeof v === 'number' && v >= min ? v : INVALID);
export const oneOf = (...allowed) => (v) => (allowed.includes(v) ? v : INVALID);
export const nullOr = (check) => (v) => (v === null ? null : check(v));
export const activation = (v) => activationName(v) ?? INVALID;

/** An integer or a list of `n` integers >= min, as a list of n. */
export const perAxis = (n, min = 1) => (v) => {
  if (isInt(v)) return v >= min ? new Array(n).fill(v) : INVALID;
  return Array.isArray(v) && v.length === n && v.every((x) => isInt(x) && x >= min) ? v.slice() : INVALID;
};

/** An axis integer, or (list=true) an integer or a non-empty list of distinct integers. */
export const axes = (list) => (v) => {
  if (isInt(v)) return [v];
  if (list && Array.isArray(v) && v.length > 0 && v.every(isInt) && new Set(v).size === v.length) return v.slice();
  return INVALID;
};

/**
 * The dtype policy (15.2): null (float32), a string or {"class_name":
 * "DTypePolicy" or "FloatDTypePolicy", "config": {"name": NAME}} (other
 * members ignored), NAME float32 or float64.
 */
export const dtypePolicy = (v) => {
  if (v === null) return 'float32';
  let name = v;
  if (isObj(v)) {
    if (!['DTypePolicy', 'FloatDTypePolicy'].includes(v.class_name) || !isObj(v.config)) return INVALID;
    name = v.config.name;
  }
  return name === 'float32' || name === 'float64' ? name : INVALID;
};

const escMember = (name) => name.replace(/~/g, '~0').replace(/\//g, '~1');

/** Members every layer of the profile reads. */
export const COMMON = { dtype: member('float32', dtypePolicy) };

/**
 * Reads `config` against `members`: returns the normalized values; each
 * value outside what is allowed adds EVAL_UNSUPPORTED at `ptr/config/NAME`.
 */
export function readConfig(config, members, ptr, findings) {
  const out = {};
  for (const [name, { def, check }] of Object.entries(members)) {
    const present = Object.hasOwn(config, name);
    if (!present && def === REQUIRED) {
      // reported at the member that is missing (15.1)
      findings.push({ code: 'EVAL_UNSUPPORTED', pointer: `${ptr}/config/${escMember(name)}`, message: `config member "${name}" is required (Keras has no default)` });
      continue;
    }
    const value = present ? config[name] : def;
    const got = check(value);
    if (got === INVALID) {
      findings.push({ code: 'EVAL_UNSUPPORTED', pointer: `${ptr}/config/${escMember(name)}`, message: `config ${name}=${JSON.stringify(value)} is outside the core profile` });
    } else out[name] = got;
  }
  return out;
}
