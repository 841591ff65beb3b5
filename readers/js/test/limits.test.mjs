// Limits (spec.md section 8): each rule with shapes and documents that sit on its edges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validate } from '../src/index.mjs';
import { jsonBytes, smallDoc, sha256 } from './helpers.mjs';

/** smallDoc plus one float32 tensor of `shape` (numbers) with no data. */
function withZeroSize(shape) {
  const doc = smallDoc();
  doc.tensors.push({ name: 'zero', dtype: 'float32', shape, encoding: 'base64', data: '', sha256: sha256(new Uint8Array(0)) });
  return doc;
}

test('a 0 dimension counts as 1 for the per-tensor limit, in any position', () => {
  for (const shape of [[2 ** 40, 0], [0, 2 ** 40], [0, 2 ** 32, 2 ** 32, 2 ** 32], [0, 2 ** 62, 2 ** 62], [3, 0, 2 ** 37]]) {
    assert.deepEqual(validate(jsonBytes(withZeroSize(shape))).errors, [{ code: 'LIMIT_TENSOR_SIZE', pointer: '/tensors/1/shape' }], JSON.stringify(shape));
  }
  for (const shape of [[0, 2 ** 30], [2 ** 30, 0], [0, 2 ** 20, 2 ** 16], [2, 0, 3]]) {
    const r = validate(jsonBytes(withZeroSize(shape)));
    assert.deepEqual(r.errors, [], JSON.stringify(shape));
    assert.ok(r.valid);
  }
});

test('adversarial shapes: a verdict by the bound, never an exception', () => {
  // A fixed pseudo-random walk, so a failure can be reproduced.
  let seed = 12345;
  const next = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed; };
  const pool = [0, 0, 1, 2, 3, 2 ** 16, 2 ** 30, 2 ** 32, 2 ** 36, 2 ** 40, 2 ** 62, 2 ** 63];
  for (let n = 0; n < 400; n++) {
    const shape = Array.from({ length: next() % 7 }, () => pool[next() % pool.length]);
    if (!shape.includes(0)) continue; // the zero rule is what this walks; other shapes need data
    const bound = shape.reduce((a, d) => a * BigInt(d === 0 ? 1 : d), 4n);
    const r = validate(jsonBytes(withZeroSize(shape)));
    const want = bound > 2n ** 38n ? [{ code: 'LIMIT_TENSOR_SIZE', pointer: '/tensors/1/shape' }] : [];
    assert.deepEqual(r.errors, want, JSON.stringify(shape));
  }
});

/** smallDoc plus layers holding nested models: 3 outer layers, the 2nd holding 1 layer, the 3rd 2 (one node each). */
function twoNested() {
  const doc = smallDoc();
  const nested = (name, count) => ({
    name, type: 'Functional', config: {}, weights: [],
    model: {
      layers: Array.from({ length: count }, (_, k) => ({ name: `inner${k}`, type: 'ReLU', config: {}, weights: [] })),
      inputs: [{ name: 'h', dtype: 'float32', shape: [null, 3] }],
      nodes: Array.from({ length: count }, (_, k) => ({ layer: `inner${k}`, inputs: [k ? `o${k - 1}` : 'h'], outputs: [`o${k}`] })),
      outputs: [`o${count - 1}`],
    },
  });
  doc.model.layers.push(nested('one', 1), nested('two', 2));
  doc.model.nodes.push({ layer: 'one', inputs: ['y'], outputs: ['y1'] }, { layer: 'two', inputs: ['y1'], outputs: ['y2'] });
  doc.model.outputs = ['y2'];
  return doc;
}

const limited = (doc, limits) => validate(jsonBytes(doc), { limits }).errors;

test('layers and nodes are counted over nested graphs in depth-first layer order', () => {
  const doc = twoNested();
  assert.deepEqual(limited(doc, { layers: 6, nodes: 6 }), []);
  assert.deepEqual(limited(doc, { layers: 3 }), [{ code: 'LIMIT_COUNT', pointer: '/model/layers/1/model/layers' }]);
  assert.deepEqual(limited(doc, { layers: 4 }), [{ code: 'LIMIT_COUNT', pointer: '/model/layers/2/model/layers' }]);
  assert.deepEqual(limited(doc, { layers: 2 }), [{ code: 'LIMIT_COUNT', pointer: '/model/layers' }]);
  assert.deepEqual(limited(doc, { nodes: 3 }), [{ code: 'LIMIT_COUNT', pointer: '/model/layers/1/model/nodes' }]);
  assert.deepEqual(limited(doc, { layers: 3, nodes: 4, tensors: 0 }), [
    { code: 'LIMIT_COUNT', pointer: '/tensors' },
    { code: 'LIMIT_COUNT', pointer: '/model/layers/1/model/layers' },
    { code: 'LIMIT_COUNT', pointer: '/model/layers/2/model/nodes' },
  ]);
});

test('the string limit: values, member names (cut to 64 characters), list data; not base64 data', () => {
  const doc = smallDoc();
  doc.metadata.long = 'x'.repeat(11);
  doc.metadata['y'.repeat(70)] = 'short';
  doc.metadata.fine = '\u{1F600}'.repeat(10); // 20 UTF-16 units, 10 characters
  const errors = limited(doc, { string: 10 }).filter((e) => e.pointer.startsWith('/metadata/'));
  assert.deepEqual(errors, [
    { code: 'LIMIT_STRING', pointer: '/metadata/long' },
    { code: 'LIMIT_STRING', pointer: '/metadata/' + 'y'.repeat(64) },
  ]);
  // base64 tensor data (32 characters) is exempt; a string inside list data is not
  const list = smallDoc();
  list.tensors[0].encoding = 'list';
  list.tensors[0].data = [[0.5, -1.25, 2], [0, 'NaN', 'Infinity']];
  const inTensors = (errors) => errors.filter((e) => e.pointer.startsWith('/tensors/0/data'));
  assert.deepEqual(inTensors(limited(list, { string: 7 })), [{ code: 'LIMIT_STRING', pointer: '/tensors/0/data/1/2' }]);
  assert.deepEqual(inTensors(limited(smallDoc(), { string: 10 })), []);
  assert.deepEqual(limited(smallDoc(), { string: 64 }), []);
});
