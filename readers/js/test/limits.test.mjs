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
