#!/usr/bin/env node
// Prints {"<fixture file>": true|false|null, ...}: whether ajv (Draft 2020-12,
// the shipped schema) alone accepts the value tree of each conformance fixture.
// null: the file does not parse into a value tree (a syntax error).
// Usage: schema-verdicts.mjs [FIXTURES_DIR]   (default ../../conformance_fixtures)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from '../src/container.mjs';
import { schemaAccepts } from '../src/schema.mjs';
import { SyntaxFail } from '../src/values.mjs';

const root = process.argv[2] ?? fileURLToPath(new URL('../../../conformance_fixtures/', import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8'));
const verdicts = {};
for (const c of manifest.cases) {
  let tree, findings;
  try {
    ({ tree, findings } = parseDocument(readFileSync(join(root, c.file))));
  } catch (e) {
    if (!(e instanceof SyntaxFail)) throw e;
    findings = [e];
  }
  if (findings.length) {
    verdicts[c.file] = null;
    continue;
  }
  verdicts[c.file] = schemaAccepts(tree);
}
process.stdout.write(JSON.stringify(verdicts, null, 1) + '\n');
