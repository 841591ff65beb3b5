// Recognising the container from the content (spec.md section 2.1).
import { SyntaxFail } from './values.mjs';
import { parseJson } from './json.mjs';
import { parseMsgpack } from './msgpack.mjs';

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
 * The syntax layer: bytes to {container, tree, findings}, where findings are the
 * problems the parser went past (the tree is usable only if there are none).
 * Throws SyntaxFail for a problem that ends the layer, whatever came before it.
 */
export function parseDocument(bytes, { maxDepth = 128, maxString = 2 ** 20 } = {}) {
  const container = recognise(bytes);
  const parse = container === 'json' ? parseJson : parseMsgpack;
  return { container, ...parse(bytes, { maxDepth, maxString }) };
}
