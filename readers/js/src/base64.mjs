// Strict base64 (RFC 4648 section 4, spec.md section 5.3): one valid text per
// byte string. Node's Buffer decoder is lenient (skips whitespace and bad
// characters, accepts missing padding and url-safe letters), so the text is
// checked here first and decoded only when it is exactly right.

const VALID = /^[A-Za-z0-9+/]*$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Length in Unicode code points (the text may hold anything before checking). */
function codePointLength(text) {
  let len = text.length;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(k + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { len--; k++; }
    }
  }
  return len;
}

/**
 * Decodes base64 text of a tensor whose declared size is `declared` bytes.
 * Returns {bytes} or {code: 'DATA_BASE64' | 'DATA_LENGTH'}.
 * @param {string} text
 * @param {bigint} declared
 */
export function decodeBase64(text, declared) {
  // Checked before anything is decoded or allocated (5.3 step 2).
  const length = codePointLength(text);
  if (length % 4 !== 0) return { code: 'DATA_BASE64' };
  let pad = 0;
  if (length > 0 && text[text.length - 1] === '=') pad = text[text.length - 2] === '=' ? 2 : 1;
  if (BigInt(length / 4 * 3 - pad) !== declared) return { code: 'DATA_LENGTH' };
  const body = text.slice(0, text.length - pad);
  if (!VALID.test(body)) return { code: 'DATA_BASE64' }; // also '=' before the last two places
  if (pad > 0) {
    const last = ALPHABET.indexOf(body[body.length - 1]);
    const unused = pad === 2 ? last & 0x0f : last & 0x03;
    if (unused !== 0) return { code: 'DATA_BASE64' };
  }
  const buf = Buffer.from(text, 'base64');
  return { bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
}

export function encodeBase64(bytes) {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
