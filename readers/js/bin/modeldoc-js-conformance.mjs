#!/usr/bin/env node
// Runs this package's reader over every case of the conformance fixtures (spec.md section 14)
// and prints each failure and a closing line `N passed, N failed`.
//   modeldoc-js-conformance --fixtures DIR [--filter TEXT]
// The fixtures ship with the Python package: after `pip install modeldoc`,
// `modeldoc conformance fixtures` prints their folder. $MODELDOC_FIXTURES works as --fixtures.
//   exit 0: every case passed; 1: a case failed (or none matched); 2: usage error, no fixtures
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadManifest, runCases } from '../src/conformance.mjs';

const USAGE = 'usage: modeldoc-js-conformance --fixtures DIR [--filter TEXT]\n';

async function main(argv) {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { fixtures: { type: 'string' }, filter: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) {
    process.stderr.write(`modeldoc-js-conformance: ${e.message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const fixtures = values.fixtures ?? process.env.MODELDOC_FIXTURES;
  if (!fixtures || !existsSync(join(fixtures, 'manifest.json'))) {
    process.stderr.write(`modeldoc-js-conformance: ${fixtures ? `no manifest.json in ${fixtures}` : 'no fixture folder given'}; ` +
      'the fixtures ship with the Python package: pip install modeldoc, then pass --fixtures "$(modeldoc conformance fixtures)"\n');
    return 2;
  }
  const filter = values.filter ?? '';
  const cases = loadManifest(fixtures).cases.filter((c) => c.id.includes(filter));
  const results = await runCases(cases, { fixtures });
  let failed = 0;
  for (const r of results) {
    if (!r.problems.length) continue;
    failed++;
    process.stdout.write(`FAIL ${r.case.id}: ${r.problems.join('; ')}\n`);
  }
  process.stdout.write(`${results.length - failed} passed, ${failed} failed\n`);
  return failed || results.length === 0 ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
  process.stderr.write(`internal error: ${e && e.stack ? e.stack : e}\n`);
  process.exitCode = 3;
});
