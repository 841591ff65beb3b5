import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validate } from '../src/index.mjs';
import { jsonBytes, smallDoc, enc } from './helpers.mjs';

const errors = (doc) => validate(jsonBytes(doc)).errors.map((e) => `${e.code} ${e.pointer}`).sort();

test('additionalProperties: one finding per extra member, at the member', () => {
  const d = smallDoc();
  d.extra = 1;
  d.other = 2;
  d.model.layers[0]['a/b'] = 3;
  assert.deepEqual(errors(d), ['SCHEMA_ADDITIONAL_PROPERTY /extra', 'SCHEMA_ADDITIONAL_PROPERTY /model/layers/0/a~1b', 'SCHEMA_ADDITIONAL_PROPERTY /other']);
});

test('required: at the object that lacks the member', () => {
  const d = smallDoc();
  delete d.tensors;
  delete d.model.layers[0].type;
  assert.deepEqual(errors(d), ['SCHEMA_REQUIRED ', 'SCHEMA_REQUIRED /model/layers/0']);
});

test('if/then wrapper errors are dropped: the type error alone', () => {
  const d = smallDoc();
  d.tensors[0].data = 5;
  assert.deepEqual(errors(d), ['SCHEMA_TYPE /tensors/0/data']);
  d.tensors[0].encoding = 'list';
  d.tensors[0].data = null;
  assert.deepEqual(errors(d), ['SCHEMA_TYPE /tensors/0/data']);
});

test('input dimensions: SCHEMA_RANGE for an integer below 0, else SCHEMA_TYPE', () => {
  const d = smallDoc();
  d.model.inputs[0].shape = [-1, 'x', 1.5, true, null, 3];
  assert.deepEqual(errors(d), ['SCHEMA_RANGE /model/inputs/0/shape/0', 'SCHEMA_TYPE /model/inputs/0/shape/1', 'SCHEMA_TYPE /model/inputs/0/shape/2', 'SCHEMA_TYPE /model/inputs/0/shape/3']);
});

test('keywords to codes', () => {
  const d = smallDoc();
  d.$schema = 'https://example.com/schema.json';
  d.tensors[0].dtype = 'float8';
  d.tensors[0].sha256 = d.tensors[0].sha256.toUpperCase();
  d.tensors[0].shape = [-2, 3];
  d.model.layers[0].name = '';
  d.model.nodes[0].outputs = [];
  d.producer.name = 7;
  assert.deepEqual(errors(d), [
    'SCHEMA_ENUM /tensors/0/dtype', 'SCHEMA_PATTERN /$schema', 'SCHEMA_PATTERN /tensors/0/sha256',
    'SCHEMA_RANGE /model/layers/0/name', 'SCHEMA_RANGE /model/nodes/0/outputs', 'SCHEMA_RANGE /tensors/0/shape/0',
    'SCHEMA_TYPE /producer/name',
  ]);
});

test('integral numbers are integers where the schema asks for one', () => {
  const d = smallDoc();
  const text = JSON.stringify(d).replace('"shape":[2,3]', '"shape":[2.0,3e0]').replace('"shape":[null,2]', '"shape":[null,2.000]');
  const r = validate(enc(text));
  assert.equal(r.valid, true);
  assert.match(r.report, /"shape":\[2,3\]/);
  assert.match(r.report, /"shape":\[null,2\]/);
});

test('a newer minor version: warning, extra members ignored and left out of the report, unknown enums refused', () => {
  const d = smallDoc();
  d.format_version = '1.7.2';
  d.$schema = 'https://modeldoc.dev/schema/1.7/modeldoc.schema.json';
  d.future = { x: 1 };
  d.tensors[0].compression = 'none';
  const r = validate(jsonBytes(d));
  assert.equal(r.valid, true);
  assert.deepEqual(r.warnings, [{ code: 'VERSION_NEWER_MINOR', pointer: '/format_version' }]);
  assert.doesNotMatch(r.report, /future|compression/);
  d.tensors[0].dtype = 'float8';
  assert.deepEqual(validate(jsonBytes(d)).errors, [{ code: 'SCHEMA_ENUM', pointer: '/tensors/0/dtype' }]);
});

test('version layer runs before the schema', () => {
  const d = smallDoc();
  d.format_version = '2.0.0';
  d.anything = 'goes';
  delete d.model;
  assert.deepEqual(errors(d), ['VERSION_UNSUPPORTED /format_version']);
  for (const v of ['1.0', '01.0.0', '1.0.0-rc1', '1.0.0+b', 1, null]) {
    const e = smallDoc();
    e.format_version = v;
    assert.deepEqual(errors(e), ['VERSION_INVALID /format_version'], String(v));
  }
  const f = smallDoc();
  delete f.format;
  delete f.format_version;
  assert.deepEqual(errors(f), ['VERSION_FORMAT /format', 'VERSION_INVALID /format_version']);
});
