// The schema layer (spec.md sections 7 and 9.2) with ajv, Draft 2020-12.
//
// The schema is read at run time from this package's schema/1.0/modeldoc.schema.json
// (scripts/generate.py copies the repository's schema/ there), never fetched.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import { JObj, JInt, JNum, Bin, FileBin, FileValue } from './values.mjs';

export const DEFAULT_SCHEMA_PATH = fileURLToPath(new URL('../schema/1.0/modeldoc.schema.json', import.meta.url));

const KEYWORD_CODES = {
  required: 'SCHEMA_REQUIRED',
  type: 'SCHEMA_TYPE',
  enum: 'SCHEMA_ENUM',
  const: 'SCHEMA_CONST',
  pattern: 'SCHEMA_PATTERN',
  additionalProperties: 'SCHEMA_ADDITIONAL_PROPERTY',
  minimum: 'SCHEMA_RANGE',
  maximum: 'SCHEMA_RANGE',
  exclusiveMinimum: 'SCHEMA_RANGE',
  exclusiveMaximum: 'SCHEMA_RANGE',
  minLength: 'SCHEMA_RANGE',
  maxLength: 'SCHEMA_RANGE',
  minItems: 'SCHEMA_RANGE',
  maxItems: 'SCHEMA_RANGE',
};
// Wrappers restate the error of a keyword inside them (9.2).
const WRAPPERS = new Set(['if', 'then', 'else', 'allOf', '$ref', '$dynamicRef']);

const validators = new Map();

/** A compiled ajv validator for the schema file (cached per path). */
export function loadValidator(schemaPath = DEFAULT_SCHEMA_PATH) {
  let validate = validators.get(schemaPath);
  if (!validate) {
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
    // allErrors: every finding of the layer, not only the first (section 7).
    // strictTypes off: the schema's `if` subschemas use `properties` without
    // `type`, which is correct JSON Schema but would make ajv log warnings.
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, ownProperties: true });
    validate = ajv.compile(schema);
    validators.set(schemaPath, validate);
  }
  return validate;
}

/**
 * The value tree as plain JavaScript for ajv: objects without a prototype (so
 * a member named "__proto__" is an ordinary member), integers and numbers as
 * numbers (an integer beyond 2^53 stays an integer in binary64, which is all
 * the schema asks of it), bin as Uint8Array (it matches no JSON Schema type).
 * Data that open left in the file (FileBin, FileValue) stands in as an empty
 * value of its type: the schema asks only for the type of a tensor's `data`.
 */
export function toPlain(v) {
  if (v instanceof JObj) {
    const o = Object.create(null);
    for (const [k, x] of v.m) o[k] = toPlain(x);
    return o;
  }
  if (Array.isArray(v)) return v.map(toPlain);
  if (v instanceof JInt) return Number(v.v);
  if (v instanceof JNum) return v.v;
  if (v instanceof FileBin) return new Uint8Array(0);
  if (v instanceof Bin) return v.bytes;
  if (v instanceof FileValue) return v.kind === 'string' ? '' : [];
  return v;
}

function escapeToken(t) { return String(t).replace(/~/g, '~0').replace(/\//g, '~1'); }

/** Maps ajv errors to findings [{code, pointer}] per section 9.2. */
export function mapErrors(errors, plain) {
  const findings = [];
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const inBranch = (e) => anyOfs.some((a) => e !== a && e.schemaPath.startsWith(a.schemaPath + '/'));
  for (const e of errors) {
    if (WRAPPERS.has(e.keyword) || inBranch(e)) continue;
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') {
      findings.push({ code: alternativeCode(e, errors), pointer: e.instancePath });
    } else if (e.keyword === 'additionalProperties') {
      findings.push({ code: 'SCHEMA_ADDITIONAL_PROPERTY', pointer: `${e.instancePath}/${escapeToken(e.params.additionalProperty)}` });
    } else {
      findings.push({ code: KEYWORD_CODES[e.keyword] ?? 'SCHEMA_OTHER', pointer: e.instancePath });
    }
  }
  return findings;
}

// For anyOf, the innermost failing keyword is the one of the branch whose type
// fits the value; when no branch's type fits, it is a type error. For the one
// anyOf of the schema (an input dimension: integer >= 0 or null) this gives
// exactly 9.2's rule: SCHEMA_RANGE for an integer, else SCHEMA_TYPE.
function alternativeCode(wrapper, errors) {
  const inner = errors.filter((e) => e.schemaPath.startsWith(wrapper.schemaPath + '/') && e.instancePath === wrapper.instancePath);
  const nonType = inner.filter((e) => e.keyword !== 'type' && !WRAPPERS.has(e.keyword) && e.keyword !== 'anyOf' && e.keyword !== 'oneOf');
  if (nonType.length === 0) return 'SCHEMA_TYPE';
  return KEYWORD_CODES[nonType[0].keyword] ?? 'SCHEMA_OTHER';
}

/**
 * Validates a value tree; returns findings [{code, pointer}].
 * @param {JObj} tree
 */
export function schemaFindings(tree, { schemaPath } = {}) {
  const validate = loadValidator(schemaPath);
  const plain = toPlain(tree);
  if (validate(plain)) return [];
  return mapErrors(validate.errors, plain);
}

/** Whether ajv alone accepts the tree (for the verdict comparison with Python). */
export function schemaAccepts(tree, { schemaPath } = {}) {
  return loadValidator(schemaPath)(toPlain(tree));
}
