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

/** The report as a value tree; sha256s[k] is the checksum of tensor k. */
export function buildReport(doc, sha256s) {
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
      ['sha256', sha256s[k]],
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
export function reportText(doc, sha256s) {
  return canonicalJson(buildReport(doc, sha256s)) + '\n';
}
