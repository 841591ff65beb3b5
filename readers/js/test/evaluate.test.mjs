// The core-profile evaluator (spec.md section 15): every Keras test vector of
// the conformance fixtures, and formulas worked out by hand from the text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { read } from '../src/index.mjs';
import { evaluate, checkTestVectors, compareOutput, EvalError } from '../src/evaluate.mjs';
import { erf } from '../src/evaluator/activations.mjs';
import { FIXTURES, loadManifest } from './fixtures.mjs';
import { enc, sha256 } from './helpers.mjs';

// ---------------------------------------------------------------- fixtures

test('every valid Keras fixture with test vectors is reproduced within the tolerance of 15.11', () => {
  const checked = [];
  for (const c of loadManifest().cases) {
    if (!c.valid) continue;
    const report = JSON.parse(readFileSync(join(FIXTURES, c.report), 'utf8'));
    if (report.producer.framework !== 'keras' || report.test_vectors.length === 0) continue;
    const result = checkTestVectors(read(readFileSync(join(FIXTURES, c.file))));
    assert.equal(result.results.length, report.test_vectors.reduce((n, tv) => n + Object.keys(tv.outputs).length, 0), c.id);
    for (const r of result.results) {
      assert.ok(r.shapeOk, `${c.id} ${r.pointer}: shape`);
      assert.ok(r.pass, `${c.id} ${r.pointer}: max |diff| ${r.maxAbsDiff} beyond ${r.allowed} + 1e-5·|want|`);
    }
    assert.deepEqual(result.findings, [], c.id);
    checked.push(c.id);
  }
  assert.ok(checked.length > 0, 'no valid keras fixture with test vectors found');
  assert.ok(checked.some((id) => id.includes('keras-zoo-')), 'no keras-zoo fixture found');
});

// ---------------------------------------------------------------- documents built here

const RAW = { float64: Float64Array, float32: Float32Array, int32: Int32Array };

/** A valid Keras document: tensors are {name: [dtype, shape, values]}. */
function makeDoc(model, tensors = {}, framework = 'keras') {
  const list = Object.entries(tensors).map(([name, [dtype, shape, values]]) => {
    const bytes = new Uint8Array(RAW[dtype].from(values).buffer);
    return { name, dtype, shape, encoding: 'base64', data: Buffer.from(bytes).toString('base64'), sha256: sha256(bytes) };
  });
  return read(enc(JSON.stringify({
    $schema: 'https://modeldoc.dev/schema/1.0/modeldoc.schema.json', format: 'modeldoc', format_version: '1.0.0',
    producer: { name: 'test', version: '0', framework }, model, tensors: list,
  })));
}

/**
 * One layer `type` with `config` (policy float64 unless given) called on input
 * x of `shape` (first dim null); weights as {name: [shape, values]} in order.
 */
function layerDoc(type, config, inShape, weights = {}, { inDtype = 'float64', outputs = ['y'] } = {}) {
  const names = Object.keys(weights).map((w) => `l/${w}`);
  const tensors = Object.fromEntries(Object.entries(weights).map(([w, [shape, values]]) => [`l/${w}`, ['float64', shape, values]]));
  return makeDoc({
    layers: [{ name: 'l', type, config: { dtype: 'float64', ...config }, weights: names }],
    inputs: [{ name: 'x', dtype: inDtype, shape: [null, ...inShape] }],
    nodes: [{ layer: 'l', inputs: ['x'], outputs }],
    outputs,
  }, tensors);
}

const run = (doc, shape, values, dtype = 'float64') => evaluate(doc, { x: { dtype, shape, data: RAW[dtype].from(values) } });
const close = (got, want, eps = 1e-12) => {
  assert.equal(got.length, want.length);
  want.forEach((w, k) => assert.ok(Math.abs(got[k] - w) <= eps * Math.max(1, Math.abs(w)), `element ${k}: got ${got[k]}, want ${w}`));
};
const findingsOf = (f) => {
  try { f(); } catch (e) { if (e instanceof EvalError) return e.findings.map((x) => `${x.code} ${x.pointer}`).sort(); throw e; }
  return [];
};
const sig = (x) => 1 / (1 + Math.exp(-x));

// ---------------------------------------------------------------- activations (15.3)

test('ReLU layer: threshold, max_value and negative_slope as 15.3 writes them', () => {
  const doc = layerDoc('ReLU', { max_value: 1.5, negative_slope: 0.1, threshold: 0.2 }, [5]);
  // -1: r = 0, y = -0.1·1.2; 0.1: y = -0.1·0.1; 0.2 is not above the threshold; 3 clips to 1.5
  close(run(doc, [1, 5], [-1, 0.1, 0.2, 0.5, 3]).y.data, [-0.12, -0.01, 0, 0.5, 1.5]);
});

test('Keras 3 hard_sigmoid (x/6 + 1/2), exact gelu, selu, leaky_relu, softplus', () => {
  const act = (name, xs) => Array.from(run(layerDoc('Activation', { activation: name }, [xs.length]), [1, xs.length], xs).y.data);
  close(act('hard_sigmoid', [-4, 0, 1.2, 4]), [0, 0.5, 0.7, 1]); // Keras 2 would give 0.74 at 1.2
  close(act('gelu', [1, -1]), [0.8413447460685429, -0.15865525393145707]);
  close(act('selu', [-1, 2]), [1.0507009873554805 * 1.6732632423543772 * (Math.exp(-1) - 1), 2 * 1.0507009873554805]);
  close(act('leaky_relu', [-1, 1]), [-0.2, 1]);
  close(act('softplus', [0]), [Math.LN2]);
  close(act({ class_name: 'function', config: 'relu6' }, [7, -1, 3]), [6, 0, 3]);
  close(act('log_softmax', [0, Math.log(3)]), [-Math.log(4), Math.log(3) - Math.log(4)]);
  close([erf(0.5), erf(3), erf(-2.6)], [0.5204998778130465, 0.9999779095030014, -0.9997639655834707], 1e-14);
});

test('Keras 2 hard_sigmoid (0.2x + 1/2) by its table name and by the name Keras writes for it', () => {
  const act = (name, xs) => Array.from(run(layerDoc('Activation', { activation: name }, [xs.length]), [1, xs.length], xs).y.data);
  const want = [0, 0.5 - 0.2, 0.5, 0.74, 1];
  close(act('hard_sigmoid_keras2', [-4, -1, 0, 1.2, 4]), want);
  close(act('modeldoc>hard_sigmoid_keras2', [-4, -1, 0, 1.2, 4]), want);
  const keras = { module: 'builtins', class_name: 'function', config: 'modeldoc>hard_sigmoid_keras2', registered_name: 'function' };
  close(act(keras, [-4, -1, 0, 1.2, 4]), want);
  assert.deepEqual(findingsOf(() => run(layerDoc('Activation', { activation: 'keras2>hard_sigmoid' }, [1]), [1, 1], [0])),
    ['EVAL_UNSUPPORTED /model/layers/0/config/activation']);
});

test('Softmax over a list of axes takes them together', () => {
  const y = run(layerDoc('Softmax', { axis: [1, 2] }, [2, 2]), [1, 2, 2], [0, 0, 0, Math.log(5)]).y.data;
  close(y, [1 / 8, 1 / 8, 1 / 8, 5 / 8]);
});

// ---------------------------------------------------------------- convolutions and pooling (15.5, 15.6)

test('Conv1D same padding puts the extra zero at the end; causal pads k\' - 1 before', () => {
  const conv = (config, k, n, xs) => Array.from(run(layerDoc('Conv1D', { filters: 1, use_bias: false, ...config }, [n, 1], { kernel: [[k.length, 1, 1], k] }), [1, n, 1], xs).y.data);
  // n=4, k=2: total 1, 0 before, 1 after: y[o] = x[o] + 10 x[o+1]
  assert.deepEqual(conv({ kernel_size: 2, padding: 'same' }, [1, 10], 4, [1, 2, 3, 4]), [21, 32, 43, 4]);
  // dilation 2: k' = 3, two zeros before: y[o] = x[o-2] + 10 x[o]
  assert.deepEqual(conv({ kernel_size: 2, dilation_rate: 2, padding: 'causal' }, [1, 10], 4, [1, 2, 3, 4]), [10, 20, 31, 42]);
  // n=5, s=2, k=3: ceil(5/2) = 3 outputs, total (3-1)·2 + 3 - 5 = 2, one before
  assert.deepEqual(conv({ kernel_size: 3, strides: 2, padding: 'same' }, [1, 1, 1], 5, [1, 2, 3, 4, 5]), [3, 9, 9]);
});

test('Conv2D with groups uses filter g·fo + f on channels g·ci + c', () => {
  // 1x1 kernel, in 4, groups 2, filters 2: ci 2, fo 1; kernel (1, 1, 2, 2)
  const doc = layerDoc('Conv2D', { filters: 2, kernel_size: 1, groups: 2, use_bias: false }, [1, 1, 4], { kernel: [[1, 1, 2, 2], [1, 100, 2, 200]] });
  // filter 0 = x0·1 + x1·2 (kernel[0,0,c,0]); filter 1 = x2·100 + x3·200
  assert.deepEqual(Array.from(run(doc, [1, 1, 1, 4], [1, 2, 3, 4]).y.data), [5, 1100]);
});

test('Average pooling with same padding counts only the positions inside; max pooling ignores the padding', () => {
  const pool = (type, xs) => Array.from(run(layerDoc(type, { pool_size: 2, padding: 'same' }, [3, 1]), [1, 3, 1], xs).y.data);
  assert.deepEqual(pool('AveragePooling1D', [1, 2, 3]), [1.5, 3]);
  assert.deepEqual(pool('MaxPooling1D', [-1, -2, -3]), [-1, -3]);
});

test('Conv1DTranspose: full output, valid length with the default output padding, same cropping', () => {
  const tconv = (config) => Array.from(run(layerDoc('Conv1DTranspose', { filters: 1, kernel_size: 3, strides: 2, use_bias: false, ...config }, [2, 1],
    { kernel: [[3, 1, 1], [1, 2, 3]] }), [1, 2, 1], [1, 10]).y.data);
  // full output (2-1)·2 + 3 = 5: [1, 2, 3, 0, 0] + [0, 0, 10, 20, 30]
  assert.deepEqual(tconv({ padding: 'valid' }), [1, 2, 13, 20, 30]);
  assert.deepEqual(tconv({ padding: 'valid', output_padding: 1 }), [1, 2, 13, 20, 30, 0]);
  // same: n·s = 4 positions from floor((5 - 4) / 2) = 0
  assert.deepEqual(tconv({ padding: 'same' }), [1, 2, 13, 20]);
});

// ---------------------------------------------------------------- normalization (15.7)

test('BatchNormalization without beta; LayerNormalization over two axes with gamma per position', () => {
  const bn = layerDoc('BatchNormalization', { center: false }, [2], { gamma: [[2], [2, 3]], moving_mean: [[2], [0, 1]], moving_variance: [[2], [3, 0.999]] });
  close(run(bn, [1, 2], [1, 2]).y.data, [2 / Math.sqrt(3.001), 3]);
  const ln = layerDoc('LayerNormalization', { axis: [1, 2], center: false }, [2, 2], { gamma: [[2, 2], [1, 2, 3, 4]] });
  const s = Math.sqrt(1.25 + 0.001); // mean 2.5, population variance 1.25
  close(run(ln, [1, 2, 2], [1, 2, 3, 4]).y.data, [-1.5 / s, 2 * -0.5 / s, 3 * 0.5 / s, 4 * 1.5 / s]);
});

// ---------------------------------------------------------------- recurrent (15.10)

/** The GRU step of 15.10 for one unit, by hand. */
function gruByHand(xs, k, rk, bx, bh, resetAfter) {
  let h = 0;
  const seq = [];
  for (const x of xs) {
    const z = sig(x * k[0] + bx[0] + h * rk[0] + bh[0]);
    const r = sig(x * k[1] + bx[1] + h * rk[1] + bh[1]);
    const cand = resetAfter ? Math.tanh(x * k[2] + bx[2] + r * (h * rk[2] + bh[2])) : Math.tanh(x * k[2] + bx[2] + (r * h) * rk[2]);
    h = z * h + (1 - z) * cand;
    seq.push(h);
  }
  return seq;
}

test('GRU with and without reset_after, go_backwards with return_sequences in processing order', () => {
  const k = [0.5, -0.5, 1], rk = [0.3, 0.2, 0.7];
  const after = layerDoc('GRU', { units: 1, return_sequences: true }, [3, 1], { kernel: [[1, 3], k], recurrent_kernel: [[1, 3], rk], bias: [[2, 3], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]] });
  close(run(after, [1, 3, 1], [1, 2, -1]).y.data, gruByHand([1, 2, -1], k, rk, [0.1, 0.2, 0.3], [0.4, 0.5, 0.6], true));
  const before = layerDoc('GRU', { units: 1, reset_after: false, go_backwards: true, return_sequences: true }, [3, 1], { kernel: [[1, 3], k], recurrent_kernel: [[1, 3], rk], bias: [[3], [0.1, 0.2, 0.3]] });
  close(run(before, [1, 3, 1], [1, 2, -1]).y.data, gruByHand([-1, 2, 1], k, rk, [0.1, 0.2, 0.3], [0, 0, 0], false));
});

test('LSTM gates i, f, c, o and return_state order (output, h, c)', () => {
  const k = [0.5, -0.3, 0.8, 0.2], rk = [0.1, 0.4, -0.6, 0.9], b = [0.1, 1, -0.2, 0];
  const doc = layerDoc('LSTM', { units: 1, return_state: true }, [2, 1], { kernel: [[1, 4], k], recurrent_kernel: [[1, 4], rk], bias: [[4], b] }, { outputs: ['y', 'h', 'c'] });
  let h = 0, c = 0;
  for (const x of [2, -1]) {
    const z = k.map((kk, g) => x * kk + h * rk[g] + b[g]);
    c = sig(z[1]) * c + sig(z[0]) * Math.tanh(z[2]);
    h = sig(z[3]) * Math.tanh(c);
  }
  const out = run(doc, [1, 2, 1], [2, -1]);
  close(out.y.data, [h]);
  close(out.h.data, [h]);
  close(out.c.data, [c]);
});

// ---------------------------------------------------------------- Embedding, dtypes (15.2, 15.4)

test('Embedding truncates float ids toward zero; an id outside the table is EVAL_INPUT at the layer', () => {
  const doc = layerDoc('Embedding', { input_dim: 3, output_dim: 1 }, [3], { embeddings: [[3, 1], [10, 11, 12]] });
  assert.deepEqual(Array.from(run(doc, [1, 3], [1.9, -0.5, 2]).y.data), [11, 10, 12]);
  assert.deepEqual(findingsOf(() => run(doc, [1, 3], [0, 3, 1])), ['EVAL_INPUT /model/layers/0']);
  assert.deepEqual(findingsOf(() => run(doc, [1, 3], [0, -1.5, 1])), ['EVAL_INPUT /model/layers/0']);
});

test('float results are rounded to the layer policy; integers keep their dtype through shape layers', () => {
  const dense = (dtype) => layerDoc('Dense', { units: 1, use_bias: false, dtype }, [1], { kernel: [[1, 1], [0.1]] });
  const y32 = run(dense('float32'), [1, 1], [1]).y;
  assert.ok(y32.data instanceof Float32Array);
  assert.equal(y32.data[0], Math.fround(0.1));
  assert.equal(y32.dtype, 'float32');
  assert.equal(run(dense({ class_name: 'DTypePolicy', config: { name: 'float64' } }), [1, 1], [1]).y.data[0], 0.1);
  const reshape = layerDoc('Reshape', { target_shape: [-1, 2] }, [4], {}, { inDtype: 'int32' });
  const r = run(reshape, [1, 4], [1, 2, 3, 4], 'int32').y;
  assert.equal(r.dtype, 'int32');
  assert.ok(r.data instanceof Int32Array);
  assert.deepEqual(r.shape, [1, 2, 2]);
  const toFloat = layerDoc('Dense', { units: 1, use_bias: false, dtype: 'float32' }, [1], { kernel: [[1, 1], [2]] }, { inDtype: 'int32' });
  assert.equal(run(toFloat, [1, 1], [3], 'int32').y.dtype, 'float32');
});

test('Permute, Cropping2D, ZeroPadding1D, UpSampling2D move values as 15.9 says', () => {
  const move = (type, config, inShape, xs) => Array.from(run(layerDoc(type, config, inShape.slice(1)), inShape, xs).y.data);
  // (1, 2, 3) -> dims [2, 1] -> (1, 3, 2): y[i, j] = x[j, i]
  assert.deepEqual(move('Permute', { dims: [2, 1] }, [1, 2, 3], [1, 2, 3, 4, 5, 6]), [1, 4, 2, 5, 3, 6]);
  // dims [2, 3, 1] (not its own inverse): y axes are x axes 2, 3, 1, so (1, 2, 3, 4) -> (1, 3, 4, 2),
  // y[0, b, c, a] = x[0, a, b, c]; x holds its flat index, y[0, 1, 2, 0] = x[0, 0, 1, 2] = 6
  const permuted = run(layerDoc('Permute', { dims: [2, 3, 1] }, [2, 3, 4]), [1, 2, 3, 4], Array.from({ length: 24 }, (_, k) => k)).y;
  assert.deepEqual(permuted.shape, [1, 3, 4, 2]);
  assert.equal(permuted.data[((1 * 4) + 2) * 2 + 0], 6);
  assert.equal(permuted.data[((2 * 4) + 3) * 2 + 1], 12 + 2 * 4 + 3);
  // rows 0..2, cols 0..2 of a 3x3; crop 1 row at the top, 2 columns at the left
  assert.deepEqual(move('Cropping2D', { cropping: [[1, 0], [2, 0]] }, [1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]), [6, 9]);
  assert.deepEqual(move('ZeroPadding1D', { padding: [2, 1] }, [1, 2, 1], [7, 8]), [0, 0, 7, 8, 0]);
  assert.deepEqual(move('UpSampling2D', { size: [1, 2] }, [1, 1, 2, 1], [3, 4]), [3, 3, 4, 4]);
});

// ---------------------------------------------------------------- findings (15.1)

test('everything outside the profile is reported at once, one finding each', () => {
  const doc = makeDoc({
    layers: [
      { name: 'a', type: 'Lambda', config: {} },
      { name: 'b', type: 'Dense', config: { units: 2, activation: 'gelu_approximate', lora_rank: 4 } },
      { name: 'c', type: 'Conv2D', config: { filters: 1, kernel_size: 1, data_format: 'channels_first', dtype: 'mixed_float16' } },
    ],
    inputs: [{ name: 'x', dtype: 'float32', shape: [null, 2] }],
    nodes: [
      { layer: 'a', inputs: ['x'], outputs: ['p'] },
      { layer: 'b', inputs: ['p'], outputs: ['q'], arguments: { args: [{ $input: 0 }], kwargs: { mask: [true] } } },
      { layer: 'c', inputs: ['q'], outputs: ['r'] },
    ],
    outputs: ['r'],
  });
  assert.deepEqual(findingsOf(() => evaluate(doc, {})), [
    'EVAL_UNSUPPORTED /model/layers/0/type',
    'EVAL_UNSUPPORTED /model/layers/1',
    'EVAL_UNSUPPORTED /model/layers/1/config/activation',
    'EVAL_UNSUPPORTED /model/layers/1/config/lora_rank',
    'EVAL_UNSUPPORTED /model/layers/2/config/data_format',
    'EVAL_UNSUPPORTED /model/layers/2/config/dtype',
  ]);
  const other = makeDoc({ layers: [], inputs: [{ name: 'x', dtype: 'float32', shape: [null] }], nodes: [], outputs: ['x'] }, {}, 'torch');
  assert.deepEqual(findingsOf(() => evaluate(other, {})), ['EVAL_UNSUPPORTED /producer/framework']);
  const plain = makeDoc({ layers: [], inputs: [{ name: 'x', dtype: 'float32', shape: [null] }], nodes: [], outputs: ['x'] }, {}, '');
  assert.deepEqual(Object.keys(evaluate(plain, { x: { dtype: 'float32', shape: [1], data: new Float32Array([1]) } })), ['x']);
});

test('EVAL_INPUT for missing, unfitting and unknown inputs; EVAL_MISMATCH for weights', () => {
  const doc = layerDoc('Dense', { units: 1 }, [2], { kernel: [[2, 1], [1, 1]], bias: [[1], [0]] });
  assert.deepEqual(findingsOf(() => evaluate(doc, { z: { dtype: 'float64', shape: [1, 2], data: [1, 2] } })), ['EVAL_INPUT /model/inputs', 'EVAL_INPUT /model/inputs/0']);
  assert.deepEqual(findingsOf(() => run(doc, [1, 2], [1, 2], 'float32')), ['EVAL_INPUT /model/inputs/0']);
  assert.deepEqual(findingsOf(() => run(doc, [1, 3], [1, 2, 3])), ['EVAL_INPUT /model/inputs/0']);
  const noBias = layerDoc('Dense', { units: 1, use_bias: false }, [2], { kernel: [[2, 1], [1, 1]], bias: [[1], [0]] });
  assert.deepEqual(findingsOf(() => run(noBias, [1, 2], [1, 2])), ['EVAL_MISMATCH /model/layers/0/weights/1']);
  const short = layerDoc('Dense', { units: 1 }, [2], { kernel: [[2, 1], [1, 1]] });
  assert.deepEqual(findingsOf(() => run(short, [1, 2], [1, 2])), ['EVAL_MISMATCH /model/layers/0/weights']);
  const wrong = layerDoc('Dense', { units: 1 }, [2], { kernel: [[1, 2], [1, 1]], bias: [[1], [0]] });
  assert.deepEqual(findingsOf(() => run(wrong, [1, 2], [1, 2])), ['EVAL_MISMATCH /model/layers/0/weights/0']);
});

// ---------------------------------------------------------------- tolerance (15.11)

test('tolerance rule: max(tolerance, 1e-5) + 1e-5·|want|, NaN only NaN, infinity only itself', () => {
  const want = { dtype: 'float64', shape: [3], data: Float64Array.from([100, NaN, Infinity]) };
  const got = (values) => ({ shape: [3], data: Float64Array.from(values) });
  assert.ok(compareOutput(got([100 + 0.0009, NaN, Infinity]), want, 0).pass); // 9e-4 <= 1e-5 + 1e-3
  assert.ok(!compareOutput(got([100 + 0.0012, NaN, Infinity]), want, 0).pass);
  assert.ok(compareOutput(got([100 + 0.0012, NaN, Infinity]), want, 1e-3).pass);
  assert.ok(!compareOutput(got([100, 0, Infinity]), want, 1).pass);
  assert.ok(!compareOutput(got([100, NaN, -Infinity]), want, 1).pass);
  assert.ok(!compareOutput({ shape: [1, 3], data: want.data }, want, 1).pass);
  const ints = { dtype: 'int64', shape: [1], data: BigInt64Array.from([5n]) };
  assert.ok(compareOutput({ shape: [1], data: BigInt64Array.from([5n]) }, ints, 1).pass);
  assert.ok(!compareOutput({ shape: [1], data: BigInt64Array.from([6n]) }, ints, 1).pass);
});

// ---------------------------------------------------------------- calls (15.1) and the command line

test('initial_state references the node\'s further inputs; other call forms are EVAL_UNSUPPORTED at the layer', () => {
  const doc = (args) => makeDoc({
    layers: [{ name: 'rnn', type: 'SimpleRNN', config: { units: 1, dtype: 'float64' }, weights: ['k', 'rk', 'b'] }],
    inputs: [{ name: 'x', dtype: 'float64', shape: [null, 2, 1] }, { name: 'h0', dtype: 'float64', shape: [null, 1] }],
    nodes: [{ layer: 'rnn', inputs: ['x', 'h0'], outputs: ['y'], arguments: args }],
    outputs: ['y'],
  }, { k: ['float64', [1, 1], [0.5]], rk: ['float64', [1, 1], [-0.7]], b: ['float64', [1], [0.1]] });
  const inputs = { x: { dtype: 'float64', shape: [1, 2, 1], data: Float64Array.from([1, -2]) }, h0: { dtype: 'float64', shape: [1, 1], data: Float64Array.from([0.3]) } };
  const good = doc({ args: [{ $input: 0 }], kwargs: { initial_state: [{ $input: 1 }], training: false, mask: null } });
  const h1 = Math.tanh(1 * 0.5 + 0.3 * -0.7 + 0.1);
  close(evaluate(good, inputs).y.data, [Math.tanh(-2 * 0.5 + h1 * -0.7 + 0.1)]);
  const swapped = doc({ args: [{ $input: 1 }], kwargs: { initial_state: { $input: 0 } } });
  assert.deepEqual(findingsOf(() => evaluate(swapped, inputs)), ['EVAL_UNSUPPORTED /model/layers/0']);
  const extra = doc({ args: [{ $input: 0 }], kwargs: { initial_state: [{ $input: 1 }], return_sequences: true } });
  assert.deepEqual(findingsOf(() => evaluate(extra, inputs)), ['EVAL_UNSUPPORTED /model/layers/0']);
});

// ---------------------------------------------------------------- the clarified rules of 15.1 and 15.2

test('a nested model: config and weights not read, nothing rounded at its boundary, its call checked', () => {
  const doc = (args) => makeDoc({
    layers: [{
      name: 'm', type: 'Functional', config: { dtype: 'mixed_float16', input_structure: ['junk'] },
      model: {
        layers: [{ name: 'd', type: 'Dense', config: { units: 1, use_bias: false, dtype: 'float64' }, weights: ['k'] }],
        inputs: [{ name: 'i', dtype: 'int8', shape: [null, 1] }], nodes: [{ layer: 'd', inputs: ['i'], outputs: ['o'] }], outputs: ['o'],
      },
    }],
    inputs: [{ name: 'x', dtype: 'float64', shape: [null, 1] }],
    nodes: [{ layer: 'm', inputs: ['x'], outputs: ['y'], arguments: args }],
    outputs: ['y'],
  }, { k: ['float64', [1, 1], [1 / 3]] });
  const y = run(doc({ args: [{ $input: 0 }], kwargs: { mask: null } }), [1, 1], [1]).y;
  assert.equal(y.dtype, 'float64');
  assert.equal(y.data[0], 1 / 3);
  // args absent means []: no reference for the node's one input, so the call is outside the profile
  assert.deepEqual(findingsOf(() => run(doc({ kwargs: { training: false } }), [1, 1], [1])), ['EVAL_UNSUPPORTED /model/layers/0']);
});

test('arguments absent, {} or grouped are the inputs; args absent means []', () => {
  const doc = (args) => makeDoc({
    layers: [{ name: 'add', type: 'Add', config: { dtype: 'float64' } }],
    inputs: [{ name: 'a', dtype: 'float64', shape: [null, 1] }, { name: 'b', dtype: 'float64', shape: [null, 1] }],
    nodes: [{ layer: 'add', inputs: ['a', 'b'], outputs: ['y'], ...(args === undefined ? {} : { arguments: args }) }],
    outputs: ['y'],
  });
  const inputs = { a: { dtype: 'float64', shape: [1, 1], data: Float64Array.from([1]) }, b: { dtype: 'float64', shape: [1, 1], data: Float64Array.from([2]) } };
  for (const args of [undefined, {}, { args: [[{ $input: 0 }, { $input: 1 }]] }, { args: [{ $input: 0 }, [{ $input: 1 }]], kwargs: { training: null } }]) {
    assert.equal(evaluate(doc(args), inputs).y.data[0], 3, JSON.stringify(args));
  }
  assert.deepEqual(findingsOf(() => evaluate(doc({ kwargs: {} }), inputs)), ['EVAL_UNSUPPORTED /model/layers/0']);
});

test('required members are reported at the missing member; policy and activation objects may carry more', () => {
  assert.deepEqual(findingsOf(() => run(layerDoc('Dense', {}, [2]), [1, 2], [1, 2])), ['EVAL_UNSUPPORTED /model/layers/0/config/units']);
  assert.deepEqual(findingsOf(() => run(layerDoc('Conv1D', {}, [2, 1]), [1, 2, 1], [1, 2])),
    ['EVAL_UNSUPPORTED /model/layers/0/config/filters', 'EVAL_UNSUPPORTED /model/layers/0/config/kernel_size']);
  assert.deepEqual(findingsOf(() => run(layerDoc('Embedding', { input_dim: 2, output_dim: 1, sparse: true }, [1]), [1, 1], [0])),
    ['EVAL_UNSUPPORTED /model/layers/0/config/sparse']);
  const act = { module: 'keras.activations', class_name: 'function', config: 'relu', registered_name: null };
  const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float64' }, registered_name: null };
  assert.deepEqual(Array.from(run(layerDoc('Activation', { activation: act, dtype: policy }, [2]), [1, 2], [-1, 2]).y.data), [0, 2]);
  assert.equal(run(layerDoc('Activation', { activation: 'linear', dtype: null }, [1]), [1, 1], [0.1]).y.dtype, 'float32');
});

test('float inputs and weights are rounded to the layer policy before the layer computes', () => {
  // 1 + 2^-30 is 1 in float32, so x0 - x1 cancels exactly once either is rounded
  const w = layerDoc('Dense', { units: 1, use_bias: false, dtype: 'float32' }, [2], { kernel: [[2, 1], [1 + 2 ** -30, -1]] });
  assert.equal(run(w, [1, 2], [1, 1]).y.data[0], 0);
  const x = layerDoc('Dense', { units: 1, use_bias: false, dtype: 'float32' }, [2], { kernel: [[2, 1], [1, -1]] });
  assert.equal(run(x, [1, 2], [1 + 2 ** -30, 1]).y.data[0], 0);
  const f64 = layerDoc('Dense', { units: 1, use_bias: false }, [2], { kernel: [[2, 1], [1 + 2 ** -30, -1]] });
  assert.equal(run(f64, [1, 2], [1, 1]).y.data[0], 2 ** -30);
  const reshape = layerDoc('Reshape', { target_shape: [2], dtype: 'float32' }, [2]);
  assert.equal(run(reshape, [1, 2], [1 + 2 ** -30, 1]).y.data[0], 1);
  const ints = makeDoc({
    layers: [{ name: 'd', type: 'Dense', config: { units: 1, use_bias: false }, weights: ['k'] }],
    inputs: [{ name: 'x', dtype: 'float32', shape: [null, 1] }], nodes: [{ layer: 'd', inputs: ['x'], outputs: ['y'] }], outputs: ['y'],
  }, { k: ['int32', [1, 1], [1]] });
  assert.deepEqual(findingsOf(() => run(ints, [1, 1], [1], 'float32')), ['EVAL_MISMATCH /model/layers/0/weights/0']);
});

test('merge inputs broadcast within one rank; Concatenate keeps one integer dtype and refuses a mix', () => {
  const two = (type, a, b, config = {}) => makeDoc({
    layers: [{ name: 'm', type, config: { dtype: 'float64', ...config } }],
    inputs: [{ name: 'a', dtype: a[0], shape: [null, ...a[1]] }, { name: 'b', dtype: b[0], shape: [null, ...b[1]] }],
    nodes: [{ layer: 'm', inputs: ['a', 'b'], outputs: ['y'] }], outputs: ['y'],
  });
  const val = (dtype, shape, data) => ({ dtype, shape, data: RAW[dtype] ? RAW[dtype].from(data) : data });
  const added = evaluate(two('Subtract', ['float64', [1, 2]], ['float64', [2, 1]]), { a: val('float64', [1, 1, 2], [10, 20]), b: val('float64', [1, 2, 1], [1, 2]) }).y;
  assert.deepEqual(added.shape, [1, 2, 2]);
  assert.deepEqual(Array.from(added.data), [9, 19, 8, 18]);
  assert.deepEqual(findingsOf(() => evaluate(two('Add', ['float64', [2]], ['float64', [1, 2]]), { a: val('float64', [1, 2], [1, 2]), b: val('float64', [1, 1, 2], [1, 2]) })),
    ['EVAL_UNSUPPORTED /model/layers/0']);
  const mixed = evaluate(two('Concatenate', ['int32', [1]], ['float32', [1]]), { a: val('int32', [1, 1], [1]), b: val('float32', [1, 1], [2.5]) }).y;
  assert.equal(mixed.dtype, 'float64');
  assert.deepEqual(Array.from(mixed.data), [1, 2.5]);
  const same = evaluate(two('Concatenate', ['int32', [1]], ['int32', [1]], { axis: 0 }), { a: val('int32', [1, 1], [1]), b: val('int32', [1, 1], [2]) }).y;
  assert.equal(same.dtype, 'int32');
  assert.deepEqual(same.shape, [2, 1]); // the batch axis is an axis like any other
  const wide = two('Concatenate', ['int32', [1]], ['int64', [1]]);
  assert.deepEqual(findingsOf(() => evaluate(wide, { a: val('int32', [1, 1], [1]), b: { dtype: 'int64', shape: [1, 1], data: BigInt64Array.from([2n]) } })),
    ['EVAL_UNSUPPORTED /model/layers/0']);
});

test('node input and output counts, and values a layer cannot take, are EVAL_UNSUPPORTED at the layer', () => {
  const counts = makeDoc({
    layers: [{ name: 'd', type: 'Dense', config: { units: 1 } }, { name: 'l', type: 'LSTM', config: { units: 1, return_state: true } }],
    inputs: [{ name: 'x', dtype: 'float32', shape: [null, 2] }],
    nodes: [{ layer: 'd', inputs: ['x', 'x'], outputs: ['a'] }, { layer: 'l', inputs: ['x'], outputs: ['b'] }],
    outputs: ['a', 'b'],
  });
  assert.deepEqual(findingsOf(() => evaluate(counts, {})), ['EVAL_UNSUPPORTED /model/layers/0', 'EVAL_UNSUPPORTED /model/layers/1']);
  assert.deepEqual(findingsOf(() => run(layerDoc('Reshape', { target_shape: [3] }, [2]), [1, 2], [1, 2])), ['EVAL_UNSUPPORTED /model/layers/0']);
  assert.deepEqual(findingsOf(() => run(layerDoc('MaxPooling1D', { pool_size: 3 }, [2, 1]), [1, 2, 1], [1, 2])), ['EVAL_UNSUPPORTED /model/layers/0']);
  assert.deepEqual(findingsOf(() => run(layerDoc('GlobalMaxPooling2D', {}, [2, 1]), [1, 2, 1], [1, 2])), ['EVAL_UNSUPPORTED /model/layers/0']);
  assert.deepEqual(findingsOf(() => run(layerDoc('Cropping1D', { cropping: [1, 1] }, [2, 1]), [1, 2, 1], [1, 2])), ['EVAL_UNSUPPORTED /model/layers/0']);
});

test('padding forms: ZeroPadding1D default 1, [[b, a]]; ZeroPadding2D an integer or a pair per axis', () => {
  const move = (type, config, inShape, xs) => run(layerDoc(type, config, inShape.slice(1)), inShape, xs).y;
  assert.deepEqual(Array.from(move('ZeroPadding1D', {}, [1, 2, 1], [7, 8]).data), [0, 7, 8, 0]);
  assert.deepEqual(Array.from(move('ZeroPadding1D', { padding: [[0, 2]] }, [1, 2, 1], [7, 8]).data), [7, 8, 0, 0]);
  assert.deepEqual(findingsOf(() => move('ZeroPadding1D', { padding: [3] }, [1, 2, 1], [7, 8])), ['EVAL_UNSUPPORTED /model/layers/0/config/padding']);
  assert.deepEqual(move('ZeroPadding2D', { padding: [[1, 0], 2] }, [1, 1, 1, 1], [5]).shape, [1, 2, 5, 1]);
});

test('modeldoc-js-run: exit 0 with one line per output, 1 outside the profile, 2 for an unreadable file', () => {
  const cli = fileURLToPath(new URL('../bin/modeldoc-js-run.mjs', import.meta.url));
  const runCli = (file) => spawnSync(process.execPath, [cli, file], { encoding: 'utf8' });
  const ok = runCli(join(FIXTURES, 'valid/keras-zoo-merge-base64.json'));
  assert.equal(ok.status, 0, ok.stderr);
  const lines = ok.stdout.trim().split('\n');
  assert.equal(lines.length, 4); // two vectors, outputs head and add
  for (const line of lines) assert.match(line, /^vector_\d\t(head|add)\tmax_abs_diff=\S+\ttolerance=\S+\tok$/);
  // No framework: the profile applies (spec.md 15.1), and this nested call is outside it.
  const other = runCli(join(FIXTURES, 'valid/test-vectors-list.json'));
  assert.equal(other.status, 1);
  assert.equal(other.stdout, 'EVAL_UNSUPPORTED\t/model/layers/1\n');
  // no test vector to run: the document is still checked against the profile first
  const noVectors = runCli(join(FIXTURES, 'valid/example-base64.json'));
  assert.equal(noVectors.status, 1);
  assert.equal(noVectors.stdout, 'EVAL_UNSUPPORTED\t/model/layers/3\nEVAL_UNSUPPORTED\t/model/layers/4/type\n');
  assert.equal(runCli(join(FIXTURES, 'no-such-file.json')).status, 2);
});

// ---------------------------------------------------------------- attention and group normalization (15.14)

/**
 * One attention layer on float inputs q, v (and k when `withKey`), each (1, steps, dim); with `masks`, the
 * call passes `mask: [query mask, value mask]` computed by ops.numpy.NotEqual from int32 inputs mq, mv.
 */
function attentionDoc(type, config, { dims, weights = {}, withKey = false, masks = false, kwargs = {} }) {
  const names = Object.keys(weights).map((w) => `att/${w}`);
  const tensors = Object.fromEntries(Object.entries(weights).map(([w, [shape, values]]) => [`att/${w}`, ['float64', shape, values]]));
  const data = ['q', 'v', ...(withKey ? ['k'] : [])];
  const inputs = data.map((name, i) => ({ name, dtype: 'float64', shape: [null, null, dims[i]] }));
  const layers = [{ name: 'att', type, config: { dtype: 'float64', ...config }, weights: names }];
  const nodes = [];
  const args = { args: [data.map((_, i) => ({ $input: i }))], kwargs: { ...kwargs } };
  if (masks) {
    for (const m of ['mq', 'mv']) {
      inputs.push({ name: m, dtype: 'int32', shape: [null, null] });
      layers.push({ name: `ne_${m}`, type: 'ops.numpy.NotEqual', config: {} });
      nodes.push({ layer: `ne_${m}`, inputs: [m], outputs: [`${m}_bool`], arguments: { args: [{ $input: 0 }, 0] } });
    }
    args.kwargs.mask = [{ $input: data.length }, { $input: data.length + 1 }];
  }
  nodes.push({ layer: 'att', inputs: [...data, ...(masks ? ['mq_bool', 'mv_bool'] : [])], outputs: ['y'], arguments: args });
  return makeDoc({ layers, inputs, nodes, outputs: ['y'] }, tensors);
}

const seq = (steps, dim, values, dtype = 'float64') => ({ dtype, shape: [1, steps, dim], data: RAW[dtype].from(values) });
const ids = (values) => ({ dtype: 'int32', shape: [1, values.length], data: Int32Array.from(values) });
/** softmax(scores) · values for one query step with one-dimensional values. */
const mix = (scores, values) => {
  const m = Math.max(...scores), e = scores.map((s) => Math.exp(s - m)), z = e.reduce((a, b) => a + b, 0);
  return e.reduce((acc, w, s) => acc + (w / z) * values[s], 0);
};

test('Attention dot scores: query · key times the scale, the causal mask, the key defaulting to the value', () => {
  const doc = attentionDoc('Attention', { use_scale: true, dropout: 0.5 }, { dims: [1, 1], weights: { scale: [[], [0.5]] } });
  const inputs = { q: seq(2, 1, [1, 2]), v: seq(2, 1, [3, 5]) };
  // score[t, s] = q[t] · v[s] · 0.5; dropout does nothing at inference
  close(evaluate(doc, inputs).y.data, [mix([1.5, 2.5], [3, 5]), mix([3, 5], [3, 5])]);
  const causal = attentionDoc('Attention', { use_scale: true }, { dims: [1, 1], weights: { scale: [[], [0.5]] }, kwargs: { use_causal_mask: true } });
  close(evaluate(causal, inputs).y.data, [3, mix([3, 5], [3, 5])]);
  const keyed = attentionDoc('Attention', {}, { dims: [1, 1, 1], withKey: true });
  // scores from the key (no scale), weights applied to the value
  close(evaluate(keyed, { ...inputs, k: seq(2, 1, [-1, 1]) }).y.data, [mix([-1, 1], [3, 5]), mix([-2, 2], [3, 5])]);
  // the scores as a second output are outside the profile; returning none is the default
  const plainInputs = { q: seq(2, 1, [1, 2]), v: seq(2, 1, [3, 5]) };
  assert.equal(evaluate(attentionDoc('Attention', {}, { dims: [1, 1], kwargs: { return_attention_scores: false } }), plainInputs).y.data.length, 2);
  assert.deepEqual(findingsOf(() => evaluate(attentionDoc('Attention', {}, { dims: [1, 1], kwargs: { return_attention_scores: true } }), {})),
    ['EVAL_UNSUPPORTED /model/layers/0']);
  assert.deepEqual(findingsOf(() => evaluate(attentionDoc('Attention', { score_mode: 'general' }, { dims: [1, 1] }), {})),
    ['EVAL_UNSUPPORTED /model/layers/0/config/score_mode']);
});

test('Attention concat scores and AdditiveAttention: tanh of the sums, scaled as 15.14 writes', () => {
  const q = seq(1, 2, [0.5, -1]), v = seq(2, 2, [1, 2, -3, 0.25]);
  const concat = attentionDoc('Attention', { score_mode: 'concat', use_scale: true }, { dims: [2, 2], weights: { scale: [[], [0.7]], concat_score_weight: [[], [-2]] } });
  const cs = (s) => -2 * (Math.tanh(0.7 * (0.5 + v.data[2 * s])) + Math.tanh(0.7 * (-1 + v.data[2 * s + 1])));
  const want = (score) => [0, 1].map((d) => mix([score(0), score(1)], [v.data[d], v.data[2 + d]]));
  close(evaluate(concat, { q, v }).y.data, want(cs));
  const plain = attentionDoc('Attention', { score_mode: 'concat' }, { dims: [2, 2], weights: { concat_score_weight: [[], [3]] } });
  close(evaluate(plain, { q, v }).y.data, want((s) => 3 * (Math.tanh(0.5 + v.data[2 * s]) + Math.tanh(-1 + v.data[2 * s + 1]))));
  const additive = attentionDoc('AdditiveAttention', {}, { dims: [2, 2], weights: { scale: [[2], [1.5, -0.5]] } });
  close(evaluate(additive, { q, v }).y.data, want((s) => 1.5 * Math.tanh(0.5 + v.data[2 * s]) - 0.5 * Math.tanh(-1 + v.data[2 * s + 1])));
  const unscaled = attentionDoc('AdditiveAttention', { use_scale: false }, { dims: [2, 2] });
  close(evaluate(unscaled, { q, v }).y.data, want((s) => Math.tanh(0.5 + v.data[2 * s]) + Math.tanh(-1 + v.data[2 * s + 1])));
  // the scale has one entry per query (and key) channel
  const wide = attentionDoc('AdditiveAttention', {}, { dims: [3, 3], weights: { scale: [[2], [1.5, -0.5]] } });
  assert.deepEqual(findingsOf(() => evaluate(wide, { q: seq(1, 3, [1, 2, 3]), v: seq(2, 3, [1, 2, 3, 4, 5, 6]) })), ['EVAL_MISMATCH /model/layers/0/weights/0']);
});

test('attention masks: value-masked steps get -1e9 in the policy dtype, query-masked steps give 0', () => {
  const inputs = (mq, mv, dtype = 'float64') => ({ q: seq(2, 1, [1, 2], dtype), v: seq(3, 1, [3, 5, 7], dtype), mq: ids(mq), mv: ids(mv) });
  const doc64 = attentionDoc('Attention', {}, { dims: [1, 1], masks: true });
  // value step 2 masked out; query step 1 masked: its output is 0
  close(evaluate(doc64, inputs([4, 0], [1, 1, 0])).y.data, [mix([3, 5], [3, 5]), 0]);
  // no value step allowed: in float64 the shifted scores keep their differences ...
  close(evaluate(doc64, inputs([1, 1], [0, 0, 0])).y.data, [mix([3, 5, 7], [3, 5, 7]), mix([6, 10, 14], [3, 5, 7])]);
  // ... in float32 every score minus 1e9 rounds to -1e9 (a multiple of 64), so the row weighs all steps alike
  const doc32 = makeDoc({ ...JSON.parse(doc64.report).model, layers: JSON.parse(doc64.report).model.layers.map((l) => (l.name === 'att' ? { ...l, config: { dtype: 'float32' } } : l)) });
  close(evaluate(doc32, inputs([1, 1], [0, 0, 0])).y.data, [5, 5]);
  // a mask of another length than its sequence is a shape the layer cannot take
  assert.deepEqual(findingsOf(() => evaluate(doc64, inputs([1, 1, 1], [1, 1, 1]))), ['EVAL_UNSUPPORTED /model/layers/0']);
});

test('GroupNormalization: groups of consecutive channels over every other non-batch position; axis -1 or a positive axis', () => {
  // (1, 2, 4), groups 2: group 0 is channels 0, 1 at both steps, group 1 channels 2, 3
  const x = [1, 2, 10, 20, 3, 6, 30, 60];
  const norm = (vals, eps) => {
    const m = vals.reduce((a, b) => a + b, 0) / vals.length, s = vals.reduce((a, b) => a + (b - m) ** 2, 0) / vals.length;
    return vals.map((u) => (u - m) / Math.sqrt(s + eps));
  };
  const g0 = norm([1, 2, 3, 6], 0.001), g1 = norm([10, 20, 30, 60], 0.001);
  const gamma = [1, 2, 3, 4], beta = [0.5, 0, 0, -1];
  const want = [g0[0], g0[1], g1[0], g1[1], g0[2], g0[3], g1[2], g1[3]].map((u, k) => u * gamma[k % 4] + beta[k % 4]);
  const doc = layerDoc('GroupNormalization', { groups: 2 }, [2, 4], { gamma: [[4], gamma], beta: [[4], beta] });
  close(run(doc, [1, 2, 4], x).y.data, want, 1e-12);
  // axis 1 of (1, 4, 2) with groups 2: rows 0-1 and rows 2-3, all channels; no gamma, beta per row
  const rows = layerDoc('GroupNormalization', { groups: 2, axis: 1, scale: false, epsilon: 0.5 }, [4, 2], { beta: [[4], [0, 1, 2, 3]] });
  const r0 = norm([1, 2, 10, 20], 0.5), r1 = norm([3, 6, 30, 60], 0.5);
  close(run(rows, [1, 4, 2], x).y.data, [...r0, ...r1].map((u, k) => u + Math.floor(k / 2)), 1e-12);
  assert.deepEqual(findingsOf(() => run(layerDoc('GroupNormalization', { groups: 3 }, [2, 4], { gamma: [[4], gamma], beta: [[4], beta] }), [1, 2, 4], x)),
    ['EVAL_UNSUPPORTED /model/layers/0']);
  // an axis outside the value is found when the layer meets it; -1 is the only negative axis (-3 would be the batch axis here)
  assert.deepEqual(findingsOf(() => run(layerDoc('GroupNormalization', { groups: 1, axis: 3, center: false, scale: false }, [2, 4]), [1, 2, 4], x)),
    ['EVAL_UNSUPPORTED /model/layers/0']);
  assert.deepEqual(findingsOf(() => run(layerDoc('GroupNormalization', { groups: 1, axis: -2, center: false, scale: false }, [2, 4]), [1, 2, 4], x)),
    ['EVAL_UNSUPPORTED /model/layers/0/config/axis']);
  assert.deepEqual(findingsOf(() => run(layerDoc('GroupNormalization', { axis: 0, groups: 0 }, [2, 4]), [1, 2, 4], x)),
    ['EVAL_UNSUPPORTED /model/layers/0/config/axis', 'EVAL_UNSUPPORTED /model/layers/0/config/groups']);
});

// ---------------------------------------------------------------- refusals found in the planning pass (15.1, 15.12)

test('every refused mask and every unsupported config or call is reported before anything runs, with its pointer', () => {
  const L = (name, type, config = {}, extra = {}) => ({ name, type, config, ...extra });
  const N = (layer, inputs, outputs, args) => ({ layer, inputs, outputs, ...(args ? { arguments: args } : {}) });
  const softmaxInside = {
    layers: [L('inner_sm', 'Softmax')], inputs: [{ name: 'a', dtype: 'float32', shape: [null, 3, 2] }],
    nodes: [N('inner_sm', ['a'], ['b'])], outputs: ['b'],
  };
  const doc = makeDoc({
    layers: [
      L('e', 'Embedding', { input_dim: 6, output_dim: 2, mask_zero: true }), // 0: makes the mask
      L('sm', 'Softmax'), // 1: refused
      L('cat', 'Concatenate'), // 2: refused
      L('mha', 'MultiHeadAttention', { num_heads: 1, key_dim: 2 }), // 3: refused
      L('plus', 'ops.numpy.Add'), // 4: refused (an operation)
      L('td', 'TimeDistributed', { layer: { class_name: 'Softmax', config: {} } }), // 5: refused
      L('nested', 'Functional', {}, { model: softmaxInside }), // 6: refused inside, called twice
      L('lstm', 'LSTM', { units: 2 }), // 7: drops the mask (no return_sequences), then a 2-input call
      L('sm_ok', 'Softmax'), // 8: after the LSTM, no mask: fine
      L('att', 'Attention'), // 9: carries the query's mask
      L('sm_att', 'Softmax'), // 10: refused
      L('sum_ok', 'Add'), // 11: one input without a mask: no mask out
      L('sm_sum', 'Softmax'), // 12: fine
      L('lambda', 'Lambda'), // 13: type outside the profile
      L('norm', 'Normalization', { mean: [1, 2] }), // 14: variance missing
      L('ne', 'ops.numpy.NotEqual'), // 15: one operand
    ],
    inputs: [{ name: 'ids', dtype: 'int32', shape: [null, 3] }, { name: 'x', dtype: 'float32', shape: [null, 3, 2] }],
    nodes: [
      N('e', ['ids'], ['h']),
      N('sm', ['h'], ['s1']),
      N('cat', ['h', 'x'], ['c']),
      N('mha', ['h', 'h'], ['m'], { args: [{ $input: 0 }, { $input: 1 }] }),
      N('plus', ['h'], ['p'], { args: [{ $input: 0 }, 1.0] }),
      N('td', ['h'], ['t']),
      N('nested', ['h'], ['n1']),
      N('nested', ['x'], ['n2']),
      N('lstm', ['h'], ['l']),
      N('sm_ok', ['l'], ['s2']),
      N('att', ['h', 'h'], ['a'], { args: [[{ $input: 0 }, { $input: 1 }]] }),
      N('sm_att', ['a'], ['s3']),
      N('sum_ok', ['h', 'x'], ['u']),
      N('sm_sum', ['u'], ['s4']),
      N('lambda', ['x'], ['z']),
      N('norm', ['x'], ['q']),
      N('ne', ['ids'], ['b']),
      N('lstm', ['x', 'l'], ['l2'], { args: [{ $input: 0 }], kwargs: { initial_state: [{ $input: 1 }] } }),
    ],
    outputs: ['s1', 'c', 'm', 'p', 't', 'n1', 'n2', 's2', 's3', 's4', 'z', 'q', 'b', 'l2'],
  });
  // no inputs are given: had anything been bound or run, EVAL_INPUT would be among the findings
  assert.deepEqual(findingsOf(() => evaluate(doc, {})), [
    'EVAL_UNSUPPORTED /model/layers/1',
    'EVAL_UNSUPPORTED /model/layers/10',
    'EVAL_UNSUPPORTED /model/layers/13/type',
    'EVAL_UNSUPPORTED /model/layers/14/config/variance',
    'EVAL_UNSUPPORTED /model/layers/15',
    'EVAL_UNSUPPORTED /model/layers/2',
    'EVAL_UNSUPPORTED /model/layers/3',
    'EVAL_UNSUPPORTED /model/layers/4',
    'EVAL_UNSUPPORTED /model/layers/5',
    'EVAL_UNSUPPORTED /model/layers/6/model/layers/0',
    'EVAL_UNSUPPORTED /model/layers/7',
  ]);
});

test('Normalization constants: a null mean or variance beside a constant, and a variance of another shape', () => {
  const norm = (config) => findingsOf(() => evaluate(layerDoc('Normalization', config, [2]), {}));
  assert.deepEqual(norm({ mean: [1, 2] }), ['EVAL_UNSUPPORTED /model/layers/0/config/variance']);
  assert.deepEqual(norm({ variance: [1, 2] }), ['EVAL_UNSUPPORTED /model/layers/0/config/mean', 'EVAL_UNSUPPORTED /model/layers/0/config/variance']);
  assert.deepEqual(norm({ mean: [1, 2], variance: [[1, 2]] }), ['EVAL_UNSUPPORTED /model/layers/0/config/variance']);
  assert.deepEqual(norm({ mean: 'a', variance: [1, 2] }), ['EVAL_UNSUPPORTED /model/layers/0/config/mean', 'EVAL_UNSUPPORTED /model/layers/0/config/variance']);
  assert.deepEqual(norm({ mean: [1, 2], variance: 'a' }), ['EVAL_UNSUPPORTED /model/layers/0/config/variance']);
  assert.deepEqual(norm({ mean: [1, 2], variance: [3, 4] }), ['EVAL_INPUT /model/inputs/0']); // fine: evaluation starts
});

test('a mask follows the graph: carriers, merges of masked inputs, nested models and explicit masks', () => {
  const L = (name, type, config = {}, extra = {}) => ({ name, type, config, ...extra });
  const N = (layer, inputs, outputs, args) => ({ layer, inputs, outputs, ...(args ? { arguments: args } : {}) });
  const passThrough = {
    layers: [L('inner_relu', 'ReLU')], inputs: [{ name: 'a', dtype: 'float32', shape: [null, 3, 2] }],
    nodes: [N('inner_relu', ['a'], ['b'])], outputs: ['b'],
  };
  const doc = (extraLayers, extraNodes, outputs) => makeDoc({
    layers: [L('e', 'Embedding', { input_dim: 6, output_dim: 2, mask_zero: true }), L('e2', 'Embedding', { input_dim: 6, output_dim: 2, mask_zero: true }), ...extraLayers],
    inputs: [{ name: 'ids', dtype: 'int32', shape: [null, 3] }],
    nodes: [N('e', ['ids'], ['h']), N('e2', ['ids'], ['h2']), ...extraNodes],
    outputs,
  });
  const refused = (d) => findingsOf(() => evaluate(d, {}));
  // through a carrier, a nested model and a merge whose inputs all carry one: the Softmax is refused
  assert.deepEqual(refused(doc([L('d', 'Dense', { units: 2 }), L('m', 'Functional', {}, { model: passThrough }), L('add', 'Add'), L('sm', 'Softmax')],
    [N('d', ['h'], ['dh']), N('m', ['h2'], ['mh']), N('add', ['dh', 'mh'], ['s']), N('sm', ['s'], ['y'])], ['y'])), ['EVAL_UNSUPPORTED /model/layers/5']);
  // a masked Masking output; a recurrent layer with return_sequences carries it on
  assert.deepEqual(refused(doc([L('g', 'GRU', { units: 2, return_sequences: true }), L('sm', 'Softmax')],
    [N('g', ['h'], ['gh']), N('sm', ['gh'], ['y'])], ['y'])), ['EVAL_UNSUPPORTED /model/layers/3']);
  // dropped by a layer that does not carry masks (Flatten) and by pooling that consumes it: nothing to refuse,
  // so evaluation starts (and the missing input is the first finding)
  assert.deepEqual(refused(doc([L('f', 'Flatten'), L('sm', 'Softmax'), L('p', 'GlobalAveragePooling1D'), L('sm2', 'Softmax')],
    [N('f', ['h'], ['fh']), N('sm', ['fh'], ['y']), N('p', ['h2'], ['ph']), N('sm2', ['ph'], ['y2'])], ['y', 'y2'])), ['EVAL_INPUT /model/inputs/0']);
});

test('Masking compares its input with mask_value as Keras does: the input in the policy dtype, mask_value as a float32', () => {
  const doc = (dtype) => makeDoc({
    layers: [{ name: 'm', type: 'Masking', config: { mask_value: 0.1, dtype } }, { name: 'p', type: 'GlobalAveragePooling1D', config: { dtype } }],
    inputs: [{ name: 'x', dtype: 'float64', shape: [null, 3, 1] }],
    nodes: [{ layer: 'm', inputs: ['x'], outputs: ['h'] }, { layer: 'p', inputs: ['h'], outputs: ['y'] }],
    outputs: ['h', 'y'],
  });
  const f32of01 = Math.fround(0.1); // 0.10000000149...
  const x = { x: { dtype: 'float64', shape: [1, 3, 1], data: Float64Array.from([0.1, 0.1 + 1e-12, 0.7]) } };
  // float32: both first steps round to the float32 nearest 0.1, which is mask_value: masked, the mean is over step 2
  const f32 = evaluate(doc('float32'), x);
  assert.deepEqual(Array.from(f32.h.data), [0, 0, Math.fround(0.7)]);
  assert.deepEqual(Array.from(f32.y.data), [Math.fround(0.7)]);
  // float64: mask_value is still the float32 nearest 0.1, so neither 0.1 nor its neighbour is masked, but that float32 is
  const f64 = evaluate(doc('float64'), x);
  assert.deepEqual(Array.from(f64.h.data), [0.1, 0.1 + 1e-12, 0.7]);
  const y = evaluate(doc('float64'), { x: { dtype: 'float64', shape: [1, 3, 1], data: Float64Array.from([0.1, f32of01, 0.7]) } });
  assert.deepEqual(Array.from(y.h.data), [0.1, 0, 0.7]);
  close(y.y.data, [(0.1 + 0.7) / 2]);
});

test('numbers a layer compares its input with are float32, as Keras makes them: ReLU threshold, NotEqual operands', () => {
  // the float32 nearest 0.1 is above 0.1, but not above the threshold 0.1 once Keras makes a float32 of it
  const relu = layerDoc('ReLU', { threshold: 0.1, dtype: 'float32' }, [2], {}, { inDtype: 'float32' });
  assert.deepEqual(Array.from(run(relu, [1, 2], [0.1, 0.2], 'float32').y.data), [0, Math.fround(0.2)]);
  const reluF64 = layerDoc('ReLU', { threshold: 0.1 }, [3]);
  assert.deepEqual(Array.from(run(reluF64, [1, 3], [0.1, Math.fround(0.1), 0.100000002]).y.data), [0, 0, 0.100000002]);
  // NotEqual has no policy: it compares in the tensor's dtype, with the number made a float32 (an integer stays one
  // against an integer tensor)
  const notEqual = (dtype, c) => makeDoc({
    layers: [{ name: 'ne', type: 'ops.numpy.NotEqual', config: {} }],
    inputs: [{ name: 'x', dtype, shape: [null, 2] }],
    nodes: [{ layer: 'ne', inputs: ['x'], outputs: ['y'], arguments: { args: [{ $input: 0 }, c] } }],
    outputs: ['y'],
  });
  assert.deepEqual(Array.from(run(notEqual('float32', 0.1), [1, 2], [0.1, 0.2], 'float32').y.data), [0, 1]);
  assert.deepEqual(Array.from(run(notEqual('float64', 0.1), [1, 2], [0.1, Math.fround(0.1)]).y.data), [1, 0]);
  assert.deepEqual(Array.from(run(notEqual('int32', 16777217), [1, 2], [16777217, 16777216], 'int32').y.data), [0, 1]);
});
