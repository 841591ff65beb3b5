// Writes a big valid document without holding its data in memory: the small
// document of helpers.mjs plus a `big` uint8 tensor of a repeating pattern,
// streamed to the file a piece at a time. For the memory test of open and for
// bench/open.mjs. `big` is the first tensor, so the small one comes after its data.
import { openSync, writeSync, closeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { smallDoc, msgpackDoc } from './helpers.mjs';

const PIECE = 3 * (1 << 18); // 768 KiB: a multiple of 3, so each piece is whole base64 text

function pattern(size) {
  const piece = new Uint8Array(PIECE);
  for (let k = 0; k < PIECE; k++) piece[k] = (k * 31 + (k >> 11)) & 0xff;
  const pieces = function* () {
    for (let at = 0; at < size; at += PIECE) yield piece.subarray(0, Math.min(PIECE, size - at));
  };
  const hash = createHash('sha256');
  for (const p of pieces()) hash.update(p);
  return { pieces, sha256: hash.digest('hex') };
}

/**
 * Writes the document to `path`.
 * @param {'json' | 'msgpack'} container JSON with base64 data, or MessagePack
 * @param {number} size bytes of the big tensor
 * @returns {{small: string, big: string}} the tensors' names
 */
export function writeBigDocument(path, container, size) {
  const { pieces, sha256 } = pattern(size);
  const doc = smallDoc();
  const small = doc.tensors[0].name;
  doc.tensors.unshift({ name: 'big', dtype: 'uint8', shape: [size], encoding: 'base64', sha256, data: 'PLACEHOLDER' });
  const fd = openSync(path, 'w');
  try {
    if (container === 'json') {
      const [head, tail] = JSON.stringify(doc).split('"PLACEHOLDER"');
      writeSync(fd, head + '"');
      for (const p of pieces()) writeSync(fd, Buffer.from(p).toString('base64'));
      writeSync(fd, '"' + tail);
    } else {
      // A 16-byte marker bin stands for the data: its header and bytes are swapped
      // for a bin 32 header of the real length, followed by the pieces.
      const marker = Uint8Array.from({ length: 16 }, (_, k) => 0xa0 + k);
      doc.tensors[0].data = Buffer.from(marker).toString('base64');
      const bytes = msgpackDoc(doc);
      const at = Buffer.from(bytes).indexOf(Buffer.from([0xc4, 16, ...marker]));
      if (at < 0) throw new Error('marker not found');
      const header = Buffer.alloc(5);
      header[0] = 0xc6;
      header.writeUInt32BE(size, 1);
      writeSync(fd, bytes.subarray(0, at));
      writeSync(fd, header);
      for (const p of pieces()) writeSync(fd, p);
      writeSync(fd, bytes.subarray(at + 18));
    }
  } finally {
    closeSync(fd);
  }
  return { small, big: 'big' };
}
