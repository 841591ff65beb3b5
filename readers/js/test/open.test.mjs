// open / getTensor (spec.md 7.1): the structure at open, each tensor's data on request.
// Together they must report what validate reports, less DATA_DOCUMENT_CHECKSUM, and hand
// out what read hands out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { open, read, validate, ModelDocError } from '../src/index.mjs';
import { FIXTURES, loadManifest } from './fixtures.mjs';

const key = ({ code, pointer }) => `${code} ${pointer}`;
const errorsOf = (e) => e.findings.filter((f) => f.severity === 'error').map(key);

test('open plus getTensor of every tensor reports what validate reports, on every fixture', () => {
  for (const c of loadManifest().cases) {
    const bytes = readFileSync(join(FIXTURES, c.file));
    const verdict = validate(bytes);
    const full = verdict.errors.filter((f) => f.code !== 'DATA_DOCUMENT_CHECKSUM').map(key).sort();
    let doc;
    try {
      doc = open(join(FIXTURES, c.file));
    } catch (e) {
      assert.ok(e instanceof ModelDocError, c.id);
      const raised = errorsOf(e);
      assert.ok(raised.length > 0 && raised.every((f) => full.includes(f)), `${c.id}: ${raised}`);
      continue;
    }
    const whole = verdict.valid ? read(bytes) : null;
    const got = [];
    doc.keys().forEach((name, k) => {
      try {
        const t = doc.getTensor(name);
        if (whole) assert.deepEqual(t, whole.tensors[k], `${c.id} ${name}`);
      } catch (e) {
        if (!(e instanceof ModelDocError)) throw e;
        got.push(...errorsOf(e));
      }
    });
    assert.deepEqual(got.sort(), full, c.id);
  }
});

test('a tensor with bad data does not stop the others, and the header needs no data', () => {
  const bytes = readFileSync(join(FIXTURES, 'valid/example-msgpack.msgpack'));
  const doc = open(bytes);
  const names = doc.keys();
  const first = doc.getTensor(names[0]);
  // Flip one bit of the first tensor's data where it sits in the file: only that tensor fails.
  const at = Buffer.from(bytes).indexOf(Buffer.from(first.bytes.subarray(0, 8)));
  assert.ok(at > 0);
  const broken = Uint8Array.from(bytes);
  broken[at] ^= 1;
  assert.ok(validate(broken).errors.some((f) => f.code === 'DATA_CHECKSUM' && f.pointer === '/tensors/0/sha256'));
  const opened = open(broken);
  assert.deepEqual(opened.tensors.map((t) => t.name), names);
  assert.throws(() => opened.getTensor(names[0]),
    (e) => e instanceof ModelDocError && errorsOf(e).join() === 'DATA_CHECKSUM /tensors/0/sha256');
  assert.deepEqual(opened.getTensor(names[1]), doc.getTensor(names[1]));
  assert.throws(() => opened.getTensor('no such tensor'), RangeError);
});

test('declared sizes are checked at open', () => {
  const path = join(FIXTURES, 'valid/example-base64.json');
  assert.throws(() => open(path, { limits: { documentSize: 2n ** 40n, depth: 128, rank: 32, tensorSize: 8n, totalSize: 2n ** 40n } }),
    (e) => e instanceof ModelDocError && errorsOf(e)[0].startsWith('LIMIT_TENSOR_SIZE /tensors/'));
});

test('a partial limits option keeps the defaults of the others at open', () => {
  // Only the depth given: the rank and total limits are still those of section 8.
  for (const [file, code] of [['invalid/limit-rank.json', 'LIMIT_RANK'], ['invalid/limit-total-size.json', 'LIMIT_TOTAL_SIZE']]) {
    const path = join(FIXTURES, file);
    assert.throws(() => open(path, { limits: { depth: 128 } }),
      (e) => e instanceof ModelDocError && errorsOf(e).length > 0 && errorsOf(e).every((f) => f.startsWith(`${code} /tensors/`)));
  }
});
