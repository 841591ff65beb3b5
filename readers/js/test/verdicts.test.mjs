// bin/schema-verdicts.mjs: what ajv alone says of each fixture's value tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadManifest } from './fixtures.mjs';

const script = fileURLToPath(new URL('../bin/schema-verdicts.mjs', import.meta.url));

test('schema verdicts are consistent with the manifest', () => {
  const verdicts = JSON.parse(execFileSync(process.execPath, [script], { encoding: 'utf8' }));
  const cases = loadManifest().cases;
  assert.deepEqual(Object.keys(verdicts).sort(), cases.map((c) => c.file).sort());
  for (const c of cases) {
    const v = verdicts[c.file];
    const codes = (c.errors ?? []).map((e) => e.code);
    // LIMIT_STRING is found in the syntax layer too (8): no tree reaches the schema
    if (codes.some((code) => code.startsWith('SYNTAX_') || code === 'LIMIT_STRING')) assert.equal(v, null, c.id);
    // raw data that is not bin (or an array of bins) is SCHEMA_TYPE from the data layer (spec 7): the schema allows any data there
    else if (c.container === 'msgpack' && (c.errors ?? []).every((e) => /^\/tensors\/\d+\/data$/.test(e.pointer ?? ''))) assert.equal(v, true, c.id);
    else if (codes.some((code) => code.startsWith('SCHEMA_') || code.startsWith('VERSION_'))) assert.equal(v, false, c.id);
    else if (c.id !== 'valid/version-newer-minor') assert.equal(v, true, c.id); // valid, semantic and data cases
    else assert.equal(typeof v, 'boolean');
  }
});
