// Builds small models with TensorFlow.js itself, with seeded non-trivial weights, and saves each as
// OUTDIR/<name>/{model.json, weights.bin, io.json} (io.json: fixed inputs and tfjs' predictions).
//   node build-models.mjs OUTDIR
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { saveModel } from './io.mjs';

// mulberry32: a tiny seeded generator, so the weights and inputs are the same on every run.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fillWeights(model, next) {
  for (const layer of model.layers) {
    const values = layer.getWeights().map((w, k) => {
      const name = layer.weights[k].originalName;
      const n = w.size;
      const low = name.includes('variance') ? 0.5 : -0.5; // keep batch-norm variances positive
      const data = Float32Array.from({ length: n }, () => low + next());
      return tf.tensor(data, w.shape, w.dtype);
    });
    if (values.length) layer.setWeights(values);
  }
}

function input(shape, dtype, next, high) {
  const n = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'int32') return tf.tensor(Int32Array.from({ length: n }, () => Math.floor(next() * high)), shape, 'int32');
  return tf.tensor(Float32Array.from({ length: n }, () => next() * 2 - 1), shape, 'float32');
}

const MODELS = {
  mlp() {
    const m = tf.sequential({ name: 'mlp' });
    m.add(tf.layers.dense({ units: 8, activation: 'relu', inputShape: [5], name: 'hidden' }));
    m.add(tf.layers.dropout({ rate: 0.25, name: 'drop' }));
    m.add(tf.layers.dense({ units: 6, activation: 'tanh', name: 'hidden2' }));
    m.add(tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }));
    return { model: m, inputs: [{ shape: [3, 5], dtype: 'float32' }] };
  },
  cnn() {
    const x = tf.input({ shape: [10, 10, 3], name: 'image' });
    let h = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv' }).apply(x);
    h = tf.layers.batchNormalization({ name: 'bn' }).apply(h);
    h = tf.layers.maxPooling2d({ poolSize: 2, name: 'max_pool' }).apply(h);
    h = tf.layers.conv2d({ filters: 5, kernelSize: [2, 3], strides: [1, 2], name: 'conv2' }).apply(h);
    h = tf.layers.averagePooling2d({ poolSize: 2, padding: 'valid', name: 'avg_pool' }).apply(h);
    const a = tf.layers.flatten({ name: 'flatten' }).apply(h);
    const b = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(h);
    const y = tf.layers.dense({ units: 3, name: 'logits' }).apply(tf.layers.concatenate({ name: 'concat' }).apply([a, b]));
    return { model: tf.model({ inputs: x, outputs: y, name: 'cnn' }), inputs: [{ shape: [2, 10, 10, 3], dtype: 'float32' }] };
  },
  embedding_lstm() {
    const m = tf.sequential({ name: 'embedding_lstm' });
    m.add(tf.layers.embedding({ inputDim: 12, outputDim: 5, inputLength: 6, inputShape: [6], name: 'embed' }));
    // tfjs' default recurrent activation is its hard_sigmoid, which Keras 3 does not have: say sigmoid.
    m.add(tf.layers.lstm({ units: 4, recurrentActivation: 'sigmoid', returnSequences: true, name: 'lstm_seq' }));
    m.add(tf.layers.lstm({ units: 3, recurrentActivation: 'sigmoid', name: 'lstm_last' }));
    m.add(tf.layers.dense({ units: 2, activation: 'sigmoid', name: 'out' }));
    return { model: m, inputs: [{ shape: [2, 6], dtype: 'int32', high: 12 }] };
  },
  gru() {
    const x = tf.input({ shape: [5, 3], name: 'seq' });
    const a = tf.layers.gru({ units: 4, recurrentActivation: 'sigmoid', returnSequences: true, name: 'gru_seq' }).apply(x);
    const b = tf.layers.gru({ units: 3, recurrentActivation: 'sigmoid', name: 'gru_last' }).apply(a);
    const c = tf.layers.simpleRNN({ units: 3, name: 'simple_rnn' }).apply(x);
    const y = tf.layers.add({ name: 'add' }).apply([b, c]);
    return { model: tf.model({ inputs: x, outputs: y, name: 'gru' }), inputs: [{ shape: [2, 5, 3], dtype: 'float32' }] };
  },
  multi_input() {
    const a = tf.input({ shape: [4], name: 'a' });
    const b = tf.input({ shape: [4], name: 'b' });
    const c = tf.input({ shape: [3], name: 'c' });
    const da = tf.layers.dense({ units: 4, activation: 'relu', name: 'da' }).apply(a);
    const db = tf.layers.dense({ units: 4, name: 'db' }).apply(b);
    const sum = tf.layers.add({ name: 'add' }).apply([da, db]);
    const prod = tf.layers.multiply({ name: 'multiply' }).apply([da, db]);
    const merged = tf.layers.concatenate({ name: 'concat' }).apply([sum, prod, c]);
    const y = tf.layers.dense({ units: 2, name: 'head' }).apply(merged);
    const model = tf.model({ inputs: [a, b, c], outputs: [y, sum], name: 'multi_input' });
    return { model, inputs: [{ shape: [3, 4], dtype: 'float32' }, { shape: [3, 4], dtype: 'float32' }, { shape: [3, 3], dtype: 'float32' }] };
  },
  nested() {
    const block = tf.sequential({ name: 'block' });
    block.add(tf.layers.dense({ units: 4, activation: 'elu', inputShape: [4], name: 'inner_dense' }));
    block.add(tf.layers.layerNormalization({ name: 'inner_ln' }));
    const x = tf.input({ shape: [4], name: 'x' });
    const h = tf.layers.dense({ units: 4, name: 'pre' }).apply(x);
    const y = tf.layers.dense({ units: 2, name: 'post' }).apply(block.apply(h));
    return { model: tf.model({ inputs: x, outputs: y, name: 'nested' }), inputs: [{ shape: [2, 4], dtype: 'float32' }] };
  },
  // Bidirectional with every merge mode tfjs-layers has (concat, its default; sum, mul, ave, and null: the
  // two directions as two outputs), around LSTM, GRU and SimpleRNN, returning sequences or the last step;
  // and TimeDistributed. tfjs saves their weights as bi_lstm/forward_lstm/kernel, td/kernel...
  bidirectional() {
    const x = tf.input({ shape: [5, 3], name: 'seq' });
    const rnn = (kind, units, returnSequences, name) =>
      tf.layers[kind]({ units, returnSequences, name, ...(kind === 'simpleRNN' ? {} : { recurrentActivation: 'sigmoid' }) });
    const bi = (layer, mergeMode, name) => tf.layers.bidirectional({ layer, name, ...(mergeMode === undefined ? {} : { mergeMode }) });
    const a = bi(rnn('lstm', 4, true, 'lstm'), undefined, 'bi_lstm').apply(x);
    const b = bi(rnn('gru', 3, true, 'gru'), 'sum', 'bi_gru').apply(a);
    const c = bi(rnn('simpleRNN', 3, false, 'simple_rnn'), 'ave', 'bi_rnn').apply(b);
    const d = bi(rnn('lstm', 2, false, 'lstm'), 'mul', 'bi_mul').apply(x);
    const [e, f] = bi(rnn('gru', 2, true, 'gru'), null, 'bi_none').apply(x);
    const t = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: 'tanh', name: 'dense' }), name: 'td' }).apply(e);
    return { model: tf.model({ inputs: x, outputs: [c, d, t, f], name: 'bidirectional' }), inputs: [{ shape: [2, 5, 3], dtype: 'float32' }] };
  },
  // The form of a Teachable Machine image model: a Sequential of two Sequentials, the first holding a
  // truncated MobileNet-style Functional model (which defines the input) and a pooling layer, the second
  // the classifier head, whose first layer declares its own input shape.
  teachable() {
    const x = tf.input({ shape: [8, 8, 3], name: 'input_1' });
    let h = tf.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: 'Conv1_pad' }).apply(x);
    h = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, useBias: false, name: 'Conv1' }).apply(h);
    h = tf.layers.batchNormalization({ name: 'bn_Conv1' }).apply(h);
    h = tf.layers.reLU({ maxValue: 6, name: 'Conv1_relu' }).apply(h);
    let d = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, name: 'dw' }).apply(h);
    d = tf.layers.reLU({ maxValue: 6, name: 'dw_relu' }).apply(d);
    d = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'project' }).apply(d);
    h = tf.layers.add({ name: 'block_add' }).apply([h, d]);
    const base = tf.model({ inputs: x, outputs: tf.layers.reLU({ maxValue: 6, name: 'out_relu' }).apply(h), name: 'model1' });
    const truncated = tf.sequential({ name: 'sequential_1' });
    truncated.add(base);
    truncated.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
    const head = tf.sequential({ name: 'sequential_3', layers: [
      tf.layers.dense({ inputShape: [4], units: 5, activation: 'relu', name: 'dense_Dense1' }),
      tf.layers.dense({ units: 3, useBias: false, activation: 'softmax', name: 'dense_Dense2' })] });
    const m = tf.sequential({ name: 'sequential_4' });
    m.add(truncated);
    m.add(head);
    return { model: m, inputs: [{ shape: [2, 8, 8, 3], dtype: 'float32' }] };
  },
};

async function main() {
  const outdir = process.argv[2];
  if (!outdir) {
    console.error('usage: node build-models.mjs OUTDIR');
    process.exit(2);
  }
  let seed = 1;
  for (const [name, make] of Object.entries(MODELS)) {
    const next = rng(seed++);
    const { model, inputs } = make();
    fillWeights(model, next);
    const xs = inputs.map((spec) => input(spec.shape, spec.dtype, next, spec.high));
    let ys = model.predict(xs.length === 1 ? xs[0] : xs);
    if (!Array.isArray(ys)) ys = [ys];
    const dir = path.join(outdir, name);
    await saveModel(model, dir);
    const io = {
      inputs: model.inputNames.map((n, k) => ({ name: n, dtype: xs[k].dtype, shape: xs[k].shape, data: Array.from(xs[k].dataSync()) })),
      outputs: ys.map((y, k) => ({ name: model.outputNames[k], shape: y.shape, data: Array.from(y.dataSync()) })),
    };
    fs.writeFileSync(path.join(dir, 'io.json'), JSON.stringify(io));
    console.log(`built ${name}`);
  }
}

await main();
