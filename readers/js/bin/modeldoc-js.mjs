#!/usr/bin/env node
// Reader protocol of spec.md section 13:
//   valid:      reader report on stdout, exit 0; warnings on stderr as warning<TAB>CODE<TAB>POINTER
//   invalid:    CODE<TAB>POINTER per error on stdout, exit 1 (human text on stderr)
//   unreadable: exit 2 (also for usage errors); 3 for an internal error
import { openSync, fstatSync, readSync, closeSync } from 'node:fs';
import { validate, DEFAULT_LIMITS } from '../src/index.mjs';

function readWhole(file) {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (BigInt(size) > DEFAULT_LIMITS.documentSize) return null; // never allocated
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const got = readSync(fd, buf, off, size - off, null);
      if (got === 0) break;
      off += got;
    }
    return new Uint8Array(buf.buffer, buf.byteOffset, off);
  } finally {
    closeSync(fd);
  }
}

function main(argv) {
  if (argv.length !== 1 || argv[0].startsWith('-')) {
    process.stderr.write('usage: modeldoc-js FILE\n');
    return 2;
  }
  let bytes;
  try {
    bytes = readWhole(argv[0]);
  } catch (e) {
    process.stderr.write(`IO_UNREADABLE: ${argv[0]}: ${e.message}\n`);
    return 2;
  }
  if (bytes === null) {
    process.stdout.write('LIMIT_DOCUMENT_SIZE\t\n');
    return 1;
  }
  const result = validate(bytes);
  if (result.valid) {
    for (const w of result.warnings) process.stderr.write(`warning\t${w.code}\t${w.pointer}\n`);
    process.stdout.write(result.report);
    return 0;
  }
  process.stdout.write(result.errors.map((e) => `${e.code}\t${e.pointer}\n`).join(''));
  // Human text only: the protocol's warning lines are for valid documents.
  const where = (p) => (p === '' ? '(document)' : p);
  for (const e of result.errors) process.stderr.write(`${argv[0]}: ${e.code} at ${where(e.pointer)}\n`);
  for (const w of result.warnings) process.stderr.write(`${argv[0]}: ${w.code} at ${where(w.pointer)} (warning)\n`);
  return 1;
}

let code;
try {
  code = main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`internal error: ${e && e.stack ? e.stack : e}\n`);
  code = 3;
}
process.exitCode = code;
