// Where open (spec.md 7.1) reads a document from, and the window the chunked
// parsers read it through.
//
// A file is read with fs.readSync at explicit positions, never whole: the
// parsers see it through a Window of about one chunk, and a tensor's data is
// read when it is asked for. Bytes in memory give the same interface, so the
// same parsers run over both (the tests compare them).
import * as nodeFs from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { SyntaxFail } from './values.mjs';

/** The file changed between open and getTensor (or during open): its bytes are not where they were. */
export class FileChanged extends Error {
  constructor(path, what = 'it is shorter than it was') {
    super(`${path} changed since it was opened: ${what}`);
    this.name = 'FileChanged';
  }
}

/** A file opened for reading at positions. `fs` is node:fs unless a test counts the reads. */
export class FileSource {
  constructor(path, fs = nodeFs) {
    this.path = path;
    this.fs = fs;
    this.fd = fs.openSync(path, 'r');
    try {
      this.size = fs.fstatSync(this.fd).size;
    } catch (e) {
      fs.closeSync(this.fd);
      throw e;
    }
  }

  /** Reads up to `length` bytes at `position` into target[offset...]; returns how many (fewer only at the end of the file). */
  readInto(target, offset, length, position) {
    if (this.fd === null) throw new Error(`${this.path} is closed`);
    let got = 0;
    while (got < length) {
      const k = this.fs.readSync(this.fd, target, offset + got, length - got, position + got);
      if (k === 0) break;
      got += k;
    }
    return got;
  }

  /** Exactly `length` bytes at `position`, in a new buffer. */
  read(position, length) {
    const out = new Uint8Array(length);
    if (this.readInto(out, 0, length, position) !== length) throw new FileChanged(this.path);
    return out;
  }

  close() {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    this.fs.closeSync(fd);
  }
}

/** Bytes in memory, read as a FileSource is (for the tests, and to parse one value read back from a file). */
export class MemorySource {
  constructor(bytes) {
    this.bytes = bytes;
    this.size = bytes.length;
  }

  readInto(target, offset, length, position) {
    const part = this.bytes.subarray(position, position + length);
    target.set(part, offset);
    return part.length;
  }

  read(position, length) {
    if (position + length > this.size) throw new FileChanged('the document');
    return this.bytes.subarray(position, position + length);
  }

  close() {}
}

// Where an incomplete UTF-8 sequence starts at the end of bytes[from, to), or
// `to` if the last sequence is complete (or is invalid anyway: isUtf8 reports it).
function completeUpTo(bytes, from, to) {
  for (let j = to - 1; j >= Math.max(from, to - 3); j--) {
    const b = bytes[j];
    if (b < 0x80) return to;
    if (b >= 0xc0) {
      const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return to - j < length ? j : to;
    }
  }
  return to;
}

/**
 * A moving window over a source: buf[0, end) holds the document's bytes from
 * `base` on. With utf8 set, every byte that enters the window was checked to
 * be UTF-8 (a sequence cut by a chunk's end waits, after `end`, for the rest),
 * and invalid UTF-8 throws SYNTAX_UTF8 at "".
 */
export class Window {
  constructor(source, chunkSize, utf8) {
    this.source = source;
    this.chunkSize = chunkSize;
    this.utf8 = utf8;
    this.buf = new Uint8Array(0);
    this.base = 0; // the document offset of buf[0]
    this.end = 0; // buf[0, end) is usable
    this.filled = 0; // buf[end, filled) is the start of a UTF-8 sequence still cut
    this.next = 0; // the document offset of the next byte to read
  }

  /**
   * Drops buf[0, from) and reads on, so that bytes follow the kept ones.
   * Returns false, adding nothing, at the end of the document.
   */
  advance(from) {
    const kept = this.filled - from;
    // Keep the buffer (memory stays about one chunk) unless the bytes kept,
    // say a long string, leave less than half a chunk to read into.
    if (this.buf.length - kept < this.chunkSize / 2) this.grow(from);
    else if (from > 0) this.buf.copyWithin(0, from, this.filled);
    this.base += from;
    this.end -= from;
    this.filled = kept;
    for (;;) {
      if (this.filled === this.buf.length) this.grow(0); // a tiny chunk, full of a cut UTF-8 sequence
      const buf = this.buf;
      const wanted = Math.min(buf.length - this.filled, this.source.size - this.next);
      const got = wanted > 0 ? this.source.readInto(buf, this.filled, wanted, this.next) : 0;
      if (got === 0) {
        if (this.utf8 && this.filled > this.end) throw new SyntaxFail('SYNTAX_UTF8', '');
        return false;
      }
      this.next += got;
      this.filled += got;
      if (!this.utf8) {
        this.end = this.filled;
        return true;
      }
      const cut = this.next === this.source.size ? this.filled : completeUpTo(buf, this.end, this.filled);
      if (!isUtf8(buf.subarray(this.end, cut))) throw new SyntaxFail('SYNTAX_UTF8', '');
      const added = cut > this.end;
      this.end = cut;
      if (added) return true;
    }
  }

  // A bigger buffer holding buf[from, filled) at its start.
  grow(from) {
    const grown = new Uint8Array(Math.max(2 * this.buf.length, this.filled - from + this.chunkSize));
    grown.set(this.buf.subarray(from, this.filled));
    this.buf = grown;
  }

  /** Forgets the window and goes on at document offset `position` (the bytes between are not read). */
  seek(position) {
    this.base = position;
    this.next = position;
    this.end = 0;
    this.filled = 0;
  }

  /** Reads the rest of the document, only to check that it is UTF-8. */
  drain() {
    while (this.advance(this.end));
  }
}
