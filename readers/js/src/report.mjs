// The reader report (spec.md section 10): the document with defaults applied,
// only members this version defines, tensors with the checksums the reader
// computed.
import { JObj, JInt, integerValue } from './values.mjs';
import { canonicalJson } from './canonical.mjs';

function object(entries) {
  const o = new JObj();
  for (const [k, v] of entries) if (v !== undefined) o.m.set(k, v);
  return o;
}
const dimension = (d) => (d === null ? null : new JInt(integerValue(d)));

function graph(g) {
  return object([
    ['name', g.get('name')],
    ['layers', g.get('layers').map((l) => object([
      ['name', l.get('name')],
      ['type', l.get('type')],
      ['config', l.get('config') ?? new JObj()],
      ['weights', l.get('weights') ?? []],
      ['model', l.has('model') ? graph(l.get('model')) : undefined],
    ]))],
    ['inputs', g.get('inputs').map((i) => object([
      ['name', i.get('name')],
      ['dtype', i.get('dtype')],
      ['shape', i.get('shape').map(dimension)],
    ]))],
    ['nodes', g.get('nodes').map((n) => object([
      ['name', n.get('name')],
      ['layer', n.get('layer')],
      ['inputs', n.get('inputs')],
      ['outputs', n.get('outputs')],
      ['arguments', n.get('arguments') ?? new JObj()],
    ]))],
    ['outputs', g.get('outputs')],
  ]);
}

// A quantized tensor's `quantization` in the report (section 10): scheme,
// dtype; for affine axis (null when absent), scale, zero_point; max_abs_error
// only when the document has it; the SHA-256 of the dequantized raw bytes.
function quantization(q, dequantizedSha256) {
  const affine = q.get('scheme') === 'affine';
  const axis = q.get('axis') ?? null;
  return object([
    ['scheme', q.get('scheme')],
    ['dtype', q.get('dtype')],
    ['axis', affine ? dimension(axis) : undefined],
    ['scale', affine ? q.get('scale') : undefined],
    ['zero_point', affine ? q.get('zero_point').map((z) => new JInt(integerValue(z))) : undefined],
    ['max_abs_error', q.get('max_abs_error')],
    ['dequantized_sha256', dequantizedSha256],
  ]);
}

/**
 * The report as a value tree. decoded[k] is what the data layer gives for
 * tensor k: `sha256` of the stored bytes, and for a quantized tensor
 * `dequantized.sha256`.
 */
export function buildReport(doc, decoded) {
  const producer = doc.get('producer');
  return object([
    ['format_version', doc.get('format_version')],
    ['producer', object([
      ['name', producer.get('name')],
      ['version', producer.get('version')],
      ['framework', producer.get('framework') ?? ''],
      ['framework_version', producer.get('framework_version') ?? ''],
    ])],
    ['metadata', doc.get('metadata') ?? new JObj()],
    ['model', graph(doc.get('model'))],
    ['tensors', doc.get('tensors').map((t, k) => object([
      ['name', t.get('name')],
      ['dtype', t.get('dtype')],
      ['shape', t.get('shape').map(dimension)],
      ['sha256', decoded[k].sha256],
      ['quantization', t.has('quantization') ? quantization(t.get('quantization'), decoded[k].dequantized.sha256) : undefined],
    ]))],
    ['test_vectors', (doc.get('test_vectors') ?? []).map((v) => object([
      ['name', v.get('name')],
      ['inputs', v.get('inputs')],
      ['outputs', v.get('outputs')],
      ['tolerance', v.get('tolerance') ?? new JInt(0n)],
    ]))],
  ]);
}

/** The report text: canonical JSON and one line feed. */
export function reportText(doc, decoded) {
  return canonicalJson(buildReport(doc, decoded)) + '\n';
}
