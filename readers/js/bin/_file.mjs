// Shared by the command-line tools: how they read their input (bounded by the document size
// limit of spec.md section 8 before anything is allocated) and how they run.
import { openSync, fstatSync, readSync, closeSync } from 'node:fs';
import { DEFAULT_LIMITS } from '../src/index.mjs';

// The file's bytes, or null when it is larger than the document size limit (never allocated).
export function readWhole(file) {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (BigInt(size) > DEFAULT_LIMITS.documentSize) return null;
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

// argv must be exactly one file name: its bytes, or an exit code after a message
// (2: usage error or unreadable file; 1: LIMIT_DOCUMENT_SIZE, reported as the protocol says).
export function readArgument(argv, tool) {
  if (argv.length !== 1 || argv[0].startsWith('-')) {
    process.stderr.write(`usage: ${tool} FILE\n`);
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
  return bytes;
}

// Run a tool's main(argv) and set its exit code; an exception is a bug: exit 3 with the stack.
export function runMain(main) {
  let code;
  try {
    code = main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`internal error: ${e && e.stack ? e.stack : e}\n`);
    code = 3;
  }
  process.exitCode = code;
}
