#!/usr/bin/env node
// Runs the JS reader over every conformance fixture and prints the failures
// and a closing line `N passed, N failed`. Optional argument: an id filter.
import { loadManifest, runAll } from './fixtures.mjs';

const filter = process.argv[2] ?? '';
const cases = loadManifest().cases.filter((c) => c.id.includes(filter));
const results = await runAll(cases);
let failed = 0;
for (const r of results) {
  if (!r.problems.length) continue;
  failed++;
  console.log(`FAIL ${r.case.id}: ${r.problems.join('; ')}`);
}
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
