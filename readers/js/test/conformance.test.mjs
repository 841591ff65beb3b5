// Every case of conformance_fixtures/manifest.json must pass (spec.md section 14):
// once in process through the API, once through the CLI of the reader protocol.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { validate } from '../src/index.mjs';
import { protocolPointer } from '../src/values.mjs';
import { FIXTURES, loadManifest, checkCase, runAll } from './fixtures.mjs';

const manifest = loadManifest();

test('the manifest has cases of both kinds', () => {
  assert.ok(manifest.cases.filter((c) => c.valid).length >= 10);
  assert.ok(manifest.cases.filter((c) => !c.valid).length >= 40);
});

test('every fixture, in process', () => {
  const failures = [];
  for (const c of manifest.cases) {
    const r = validate(readFileSync(join(FIXTURES, c.file)));
    // the same output the CLI prints, checked by the same rules
    const out = r.valid
      ? { status: 0, stdout: r.report, stderr: r.warnings.map((w) => `warning\t${w.code}\t${protocolPointer(w.pointer)}\n`).join('') }
      : { status: 1, stdout: r.errors.map((e) => `${e.code}\t${protocolPointer(e.pointer.toWellFormed())}\n`).join(''), stderr: '' };
    const problems = checkCase(c, out);
    if (problems.length) failures.push(`${c.id}: ${problems.join('; ')}`);
  }
  assert.deepEqual(failures, []);
});

test('every fixture, through bin/modeldoc-js.mjs (reader protocol)', async () => {
  const results = await runAll(manifest.cases, Math.max(2, availableParallelism()));
  const failures = results.filter((r) => r.problems.length).map((r) => `${r.case.id}: ${r.problems.join('; ')}`);
  assert.deepEqual(failures, []);
  assert.equal(results.length, manifest.cases.length);
});
