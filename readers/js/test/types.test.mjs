// The TypeScript declarations in types/: they compile against a user's code (tsc, pinned in
// devDependencies), and they declare exactly the names each module exports at run time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

test('tsc accepts test/types-consumer.ts and its expected errors', () => {
  const tsc = here('../node_modules/typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', here('../tsconfig.json')], { encoding: 'utf8' });
});

const declared = (file) => new Set([...readFileSync(here(file), 'utf8').matchAll(/^export (?:declare )?(?:function|class|const) (\w+)/gm)].map((m) => m[1]));

for (const [decl, mod] of [['../types/index.d.ts', '../src/index.mjs'], ['../types/evaluate.d.ts', '../src/evaluate.mjs']]) {
  test(`${decl} declares every export of ${mod}, and no other`, async () => {
    const runtime = Object.keys(await import(mod)).sort();
    assert.deepEqual([...declared(decl)].sort(), runtime);
  });
}
