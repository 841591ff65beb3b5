// Recognising the container from the content (spec.md section 2.1).
import { SyntaxFail } from './values.mjs';
import { parseJson } from './json.mjs';
import { parseMsgpack, scanMsgpack } from './msgpack.mjs';
import { scanJson } from './jsonscan.mjs';

const JSON_START = new Set([...'{["-0123456789tfn'].map((c) => c.charCodeAt(0)));

/** 'json' or 'msgpack'; throws SyntaxFail for SYNTAX_BOM/EMPTY/UNKNOWN_ENCODING. */
export function recognise(bytes) {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    throw new SyntaxFail('SYNTAX_BOM', '');
  }
  const b = bytes[0];
  if ((b >= 0x80 && b <= 0x8f) || b === 0xde || b === 0xdf) return 'msgpack';
  let k = 0;
  while (k < bytes.length && (bytes[k] === 0x20 || bytes[k] === 0x09 || bytes[k] === 0x0a || bytes[k] === 0x0d)) k++;
  if (k === bytes.length) throw new SyntaxFail('SYNTAX_EMPTY', '');
  if (JSON_START.has(bytes[k])) return 'json';
  throw new SyntaxFail('SYNTAX_UNKNOWN_ENCODING', '');
}

/**
 * recognise() for a source (source.mjs) that is read a piece at a time: the
 * start of the file, and on through whitespace until a byte decides.
 */
export function recogniseSource(source) {
  const piece = new Uint8Array(Math.min(source.size, 1 << 16));
  const got = source.readInto(piece, 0, piece.length, 0);
  try {
    return recognise(piece.subarray(0, got));
  } catch (e) {
    if (!(e instanceof SyntaxFail && e.code === 'SYNTAX_EMPTY') || got >= source.size) throw e;
  }
  // Whitespace so far: the first byte that is not decides (2.1, step 3).
  for (let at = got; ;) {
    const k = source.readInto(piece, 0, piece.length, at);
    if (k === 0) throw new SyntaxFail('SYNTAX_EMPTY', '');
    for (let j = 0; j < k; j++) {
      const c = piece[j];
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
      if (JSON_START.has(c)) return 'json';
      throw new SyntaxFail('SYNTAX_UNKNOWN_ENCODING', '');
    }
    at += k;
  }
}

/**
 * The syntax layer: bytes to {container, tree, findings}, where findings are the
 * problems the parser went past (the tree is usable only if there are none).
 * Throws SyntaxFail for a problem that ends the layer, whatever came before it.
 */
export function parseDocument(bytes, { maxDepth = 128, maxString = 2 ** 20 } = {}) {
  const container = recognise(bytes);
  const parse = container === 'json' ? parseJson : parseMsgpack;
  return { container, ...parse(bytes, { maxDepth, maxString }) };
}

/**
 * parseDocument for a source (source.mjs) read in chunks, as open reads a file
 * (7.1): each tensor's data is a FileValue (JSON) or FileBin (MessagePack).
 */
export function scanDocument(source, { maxDepth = 128, maxString = 2 ** 20, chunkSize } = {}) {
  const container = recogniseSource(source);
  const scan = container === 'json' ? scanJson : scanMsgpack;
  return { container, ...scan(source, { maxDepth, maxString, chunkSize }) };
}
