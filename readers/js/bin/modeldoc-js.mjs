#!/usr/bin/env node
// Reader protocol of spec.md section 13:
//   valid:      reader report on stdout, exit 0; warnings on stderr as warning<TAB>CODE<TAB>POINTER
//   invalid:    CODE<TAB>POINTER per error on stdout, exit 1 (human text on stderr)
//   unreadable: exit 2 (also for usage errors); 3 for an internal error
import { validate } from '../src/index.mjs';
import { protocolPointer } from '../src/values.mjs';
import { readArgument, runMain } from './_file.mjs';

function main(argv) {
  const bytes = readArgument(argv, 'modeldoc-js');
  if (typeof bytes === 'number') return bytes;
  const result = validate(bytes);
  if (result.valid) {
    for (const w of result.warnings) process.stderr.write(`warning\t${w.code}\t${protocolPointer(w.pointer)}\n`);
    process.stdout.write(result.report);
    return 0;
  }
  process.stdout.write(result.errors.map((e) => `${e.code}\t${protocolPointer(e.pointer)}\n`).join(''));
  // Human text only: the protocol's warning lines are for valid documents.
  const where = (p) => (p === '' ? '(document)' : p);
  for (const e of result.errors) process.stderr.write(`${argv[0]}: ${e.code} at ${where(e.pointer)}\n`);
  for (const w of result.warnings) process.stderr.write(`${argv[0]}: ${w.code} at ${where(w.pointer)} (warning)\n`);
  return 1;
}

runMain(main);
