#!/usr/bin/env node
// Checks a document's test vectors with the core-profile evaluator (spec.md 15.11).
//   one line per test vector and output: max |got - want|, the allowed absolute
//   tolerance max(tolerance, 1e-5) (plus 1e-5·|want| per element), ok/FAIL
//   exit 0: every output within tolerance; 1: an output beyond it, a document
//   outside the profile or an invalid document (findings as CODE<TAB>POINTER);
//   2: unreadable file or usage error; 3: internal error
import { readArgument, runMain } from './_file.mjs';
import { read, ModelDocError } from '../src/index.mjs';
import { checkTestVectors, EvalError } from '../src/evaluate.mjs';

function main(argv) {
  const bytes = readArgument(argv, 'modeldoc-js-run');
  if (typeof bytes === 'number') return bytes;
  let result;
  try {
    result = checkTestVectors(read(bytes));
  } catch (e) {
    if (!(e instanceof ModelDocError || e instanceof EvalError)) throw e;
    for (const f of e.findings.filter((x) => x.severity !== 'warning')) {
      process.stdout.write(`${f.code}\t${f.pointer}\n`);
      process.stderr.write(`${argv[0]}: ${f.code} at ${f.pointer || '(document)'}${f.message ? `: ${f.message}` : ''}\n`);
    }
    return 1;
  }
  if (result.results.length === 0) process.stdout.write('no test vectors\n');
  for (const r of result.results) {
    const diff = r.shapeOk ? r.maxAbsDiff.toExponential(3) : 'shape differs';
    process.stdout.write(`${r.name}\t${r.output}\tmax_abs_diff=${diff}\ttolerance=${r.allowed.toExponential(3)}+1e-5*|want|\t${r.pass ? 'ok' : 'FAIL'}\n`);
  }
  for (const f of result.findings) process.stderr.write(`${f.code}\t${f.pointer}\t${f.message}\n`);
  return result.pass ? 0 : 1;
}

runMain(main);
