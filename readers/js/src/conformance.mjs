// The conformance suite of spec.md section 14: a reader command run on every case of a
// fixture folder's manifest.json, its output compared with the expectation. The fixtures
// are not part of this package: they ship with the Python package (`pip install modeldoc`,
// then `modeldoc conformance fixtures` prints their folder) and live in the repository's
// conformance_fixtures/.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { protocolPointer } from './values.mjs';

/** This package's reader-protocol command (spec.md section 13). */
export const READER_CLI = fileURLToPath(new URL('../bin/modeldoc-js.mjs', import.meta.url));

export function loadManifest(fixtures) {
  return JSON.parse(readFileSync(join(fixtures, 'manifest.json'), 'utf8'));
}

/** Runs `argv` with the file appended; resolves to {status, stdout, stderr}. */
export function runReader(argv, file) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], [...argv.slice(1), file], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [], err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', (e) => resolve({ status: -1, stdout: '', stderr: `cannot run the reader: ${e.message}` }));
    child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

// Expected pointers as protocol lines print them (spec.md 13).
const asPrinted = (p) => (p === undefined ? p : protocolPointer(p));

/** Problems of the reader's output for one case; [] when it passes. */
export function checkCase(c, { status, stdout, stderr }, fixtures) {
  const problems = [];
  if (c.valid) {
    const want = readFileSync(join(fixtures, c.report), 'utf8');
    if (status !== 0) problems.push(`exit ${status}, expected 0: ${stdout.slice(0, 200)}${stderr.slice(0, 200)}`);
    else if (stdout !== want) {
      let k = 0;
      while (k < want.length && want[k] === stdout[k]) k++;
      problems.push(`report differs at ${k}: got ${JSON.stringify(stdout.slice(Math.max(0, k - 30), k + 30))}, want ${JSON.stringify(want.slice(Math.max(0, k - 30), k + 30))}`);
    }
    const warnings = stderr.split('\n').filter((l) => l.startsWith('warning\t')).map((l) => l.split('\t'));
    for (const w of c.warnings) {
      if (!warnings.some(([, code, p]) => code === w.code && p === asPrinted(w.pointer))) problems.push(`missing warning ${w.code} ${JSON.stringify(w.pointer)}`);
    }
  } else {
    if (status !== 1) problems.push(`exit ${status}, expected 1: ${stderr.slice(0, 300)}`);
    const got = stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
    // An entry listed n times needs n findings (14): each finding matches one entry only.
    const unused = got.map(() => true);
    for (const e of c.errors) {
      const k = got.findIndex(([code, p], j) => unused[j] && code === e.code && (e.pointer === undefined || p === asPrinted(e.pointer)));
      if (k >= 0) unused[k] = false;
      else {
        problems.push(`missing ${e.code} ${e.pointer === undefined ? '(any pointer)' : JSON.stringify(e.pointer)}; got ${JSON.stringify(got).slice(0, 300)}`);
      }
    }
  }
  return problems;
}

/**
 * Runs `cases` of the manifest in `fixtures` through the reader command `reader` (an argv,
 * the file is appended; default: this package's reader), a few at a time.
 * Resolves to [{case, problems}] in manifest order.
 */
export async function runCases(cases, { fixtures, reader = [process.execPath, READER_CLI], concurrency = 8 }) {
  const results = new Array(cases.length);
  let next = 0;
  async function worker() {
    while (next < cases.length) {
      const k = next++;
      const c = cases[k];
      results[k] = { case: c, problems: checkCase(c, await runReader(reader, join(fixtures, c.file)), fixtures) };
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}
