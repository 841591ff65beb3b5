import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validate } from '../src/index.mjs';
import { nodesOnCycles } from '../src/semantic.mjs';
import { jsonBytes, smallDoc } from './helpers.mjs';

const findings = (doc) => {
  const r = validate(jsonBytes(doc));
  return [...r.errors.map((e) => `${e.code} ${e.pointer}`), ...r.warnings.map((w) => `warning ${w.code} ${w.pointer}`)].sort();
};

test('one SEMANTIC_CYCLE per graph, at the lowest-indexed node on any cycle', () => {
  const d = smallDoc();
  d.model.nodes = [
    { layer: 'dense', inputs: ['x'], outputs: ['a'] },
    { layer: 'dense', inputs: ['c'], outputs: ['b'] },
    { layer: 'dense', inputs: ['b'], outputs: ['c'] },
    { layer: 'dense', inputs: ['e'], outputs: ['e'] },
  ];
  d.model.outputs = ['a'];
  assert.deepEqual(findings(d), ['SEMANTIC_CYCLE /model/nodes/1']);
  assert.deepEqual(nodesOnCycles([[1], [0], [2], []]).sort(), [0, 1, 2]);
  assert.deepEqual(nodesOnCycles([[1], [2], []]), []);
  // a long chain does not overflow the stack
  const chain = Array.from({ length: 100000 }, (_, k) => (k + 1 < 100000 ? [k + 1] : [0]));
  assert.equal(nodesOnCycles(chain).length, 100000);
});

test('duplicate values: graph inputs first, then node outputs in order', () => {
  const d = smallDoc();
  d.model.nodes[0].outputs = ['x', 'y', 'y'];
  assert.deepEqual(findings(d), ['SEMANTIC_DUPLICATE_VALUE /model/nodes/0/outputs/0', 'SEMANTIC_DUPLICATE_VALUE /model/nodes/0/outputs/2']);
});

test('shared weights: every listing after the first, a repeat in one layer too', () => {
  const d = smallDoc();
  d.model.layers[0].weights = ['dense/kernel', 'dense/kernel'];
  d.model.layers.push({ name: 'other', type: 'Dense', weights: ['dense/kernel'] });
  assert.deepEqual(findings(d), ['warning SEMANTIC_SHARED_WEIGHT /model/layers/0/weights/1', 'warning SEMANTIC_SHARED_WEIGHT /model/layers/1/weights/0']);
});

test('test vectors: keys, missing keys, unknown tensors, dtype and shape of inputs', () => {
  const d = smallDoc();
  const t = d.tensors[0];
  d.tensors.push({ ...t, name: 'in', shape: [3, 2] }, { ...t, name: 'out' }, { ...t, name: 'in64', dtype: 'float64', shape: [1, 3], data: t.data });
  d.test_vectors = [
    { inputs: { x: 'in' }, outputs: { y: 'out' }, tolerance: 0.5 },
    { inputs: { x: 'in64', z: 'in' }, outputs: { y: 'gone' } },
    { inputs: {}, outputs: {} },
  ];
  assert.deepEqual(findings(d), [
    'SEMANTIC_TEST_VECTOR /test_vectors/1/inputs/x', 'SEMANTIC_TEST_VECTOR /test_vectors/1/inputs/z',
    'SEMANTIC_TEST_VECTOR /test_vectors/2/inputs', 'SEMANTIC_TEST_VECTOR /test_vectors/2/outputs',
    'SEMANTIC_UNKNOWN_TENSOR /test_vectors/1/outputs/y',
  ]);
  d.test_vectors = [d.test_vectors[0]];
  d.tensors.pop();
  const r = validate(jsonBytes(d));
  assert.deepEqual(r.warnings, []); // test vector tensors are used
  assert.match(r.report, /"test_vectors":\[\{"inputs":\{"x":"in"\},"outputs":\{"y":"out"\},"tolerance":0.5\}\]/);
});

test('test vectors: a quantized input tensor has the dtype quantization.dtype', () => {
  const d = smallDoc();
  const t = d.tensors[0];
  d.tensors.push(
    { ...t, name: 'q32', dtype: 'int8', shape: [3, 2], quantization: { scheme: 'affine', dtype: 'float32', scale: [0.5], zero_point: [0] } },
    { ...t, name: 'q64', dtype: 'float16', shape: [3, 2], quantization: { scheme: 'cast', dtype: 'float64' } },
    { ...t, name: 'qf32', dtype: 'float32', shape: [3, 2], quantization: { scheme: 'cast', dtype: 'float64' } },
    { ...t, name: 'out' },
  );
  d.test_vectors = [
    { inputs: { x: 'q32' }, outputs: { y: 'out' } },
    { inputs: { x: 'q64' }, outputs: { y: 'out' } },
    { inputs: { x: 'qf32' }, outputs: { y: 'out' } },
  ];
  // the stored dtype does not count: q32 (int8) fits float32; qf32 (stored float32) does not
  assert.deepEqual(findings(d), ['SEMANTIC_TEST_VECTOR /test_vectors/1/inputs/x', 'SEMANTIC_TEST_VECTOR /test_vectors/2/inputs/x']);
});

test('nested models: own namespaces, arity', () => {
  const d = smallDoc();
  d.model.layers.push({ name: 'inner', type: 'Functional', model: {
    layers: [{ name: 'dense', type: 'Dense', weights: ['dense/kernel'] }],
    inputs: [{ name: 'x', dtype: 'float32', shape: [null, 2] }],
    nodes: [{ layer: 'dense', inputs: ['x'], outputs: ['y'] }],
    outputs: ['y'],
  } });
  d.model.nodes.push({ layer: 'inner', inputs: ['y', 'x'], outputs: ['z'] });
  assert.deepEqual(findings(d), ['SEMANTIC_ARITY /model/nodes/1', 'warning SEMANTIC_SHARED_WEIGHT /model/layers/1/model/layers/0/weights/0']);
});
