// Small documents for the unit tests, built here rather than copied.
import { createHash } from 'node:crypto';
import { encode } from '@msgpack/msgpack';
import { JObj, JInt, JNum, Bin } from '../src/values.mjs';

export const enc = (text) => new TextEncoder().encode(text);
export const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** A small valid document as a plain object (JSON form, base64 tensor). */
export function smallDoc() {
  const kernel = new Uint8Array(new Float32Array([0.5, -1.25, 2, 0, -0, 3.5]).buffer);
  return {
    $schema: 'https://modeldoc.dev/schema/1.0/modeldoc.schema.json',
    format: 'modeldoc',
    format_version: '1.0.0',
    producer: { name: 'test', version: '0' },
    metadata: { purpose: 'unit test' },
    model: {
      layers: [{ name: 'dense', type: 'Dense', config: { units: 3 }, weights: ['dense/kernel'] }],
      inputs: [{ name: 'x', dtype: 'float32', shape: [null, 2] }],
      nodes: [{ layer: 'dense', inputs: ['x'], outputs: ['y'] }],
      outputs: ['y'],
    },
    tensors: [{ name: 'dense/kernel', dtype: 'float32', shape: [2, 3], encoding: 'base64', sha256: sha256(kernel), data: Buffer.from(kernel).toString('base64') }],
  };
}

export const jsonBytes = (doc) => enc(JSON.stringify(doc));

/**
 * JSON text with `"PLACEHOLDER"` at /metadata/purpose replaced by raw text,
 * for traps that JSON.stringify cannot write.
 */
export function jsonWith(raw, doc = smallDoc()) {
  doc.metadata.purpose = 'PLACEHOLDER';
  return enc(JSON.stringify(doc).replace('"PLACEHOLDER"', raw));
}

/** A value tree (from our parser) to MessagePack with @msgpack/msgpack, tensors as raw bin. */
export function treeToMsgpack(tree, decodeTensor) {
  const conv = (v, path) => {
    if (v instanceof JObj) {
      // @msgpack/msgpack encodes plain objects (not Maps); no prototype, so
      // "__proto__" is an ordinary key
      const o = Object.create(null);
      for (const [k, x] of v.m) o[k] = conv(x, [...path, k]);
      return o;
    }
    if (Array.isArray(v)) return v.map((x, k) => conv(x, [...path, k]));
    if (v instanceof JInt) return v.v;
    if (v instanceof JNum) return v.v;
    if (v instanceof Bin) return v.bytes;
    return v;
  };
  const plain = conv(tree, []);
  plain.tensors.forEach((t, k) => {
    t.data = decodeTensor(k);
    t.encoding = 'raw';
  });
  // bigint -> int64/uint64; every number -> float 64 (2.0 stays a number)
  return encode(plain, { useBigInt64: true, forceIntegerToFloat: true });
}

/** MessagePack bytes of a plain object, with the encoding of a placeholder string swapped for raw bytes. */
export function msgpackWith(rawBytes, doc = smallDoc(), placeholder = 'PLACEHOLDER') {
  doc.metadata.purpose = placeholder;
  const kernel = Buffer.from(doc.tensors[0].data, 'base64');
  doc.tensors[0].data = new Uint8Array(kernel);
  doc.tensors[0].encoding = 'raw';
  const bytes = encode(doc);
  const marker = encode(placeholder);
  const at = Buffer.from(bytes).indexOf(Buffer.from(marker));
  if (at < 0) throw new Error('placeholder not found');
  return Uint8Array.from([...bytes.subarray(0, at), ...rawBytes, ...bytes.subarray(at + marker.length)]);
}

export function msgpackDoc(doc = smallDoc()) {
  doc.tensors = doc.tensors.map((t) => ({ ...t, encoding: 'raw', data: new Uint8Array(Buffer.from(t.data, 'base64')) }));
  return encode(doc);
}
