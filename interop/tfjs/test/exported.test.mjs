// Loads every model ModelDoc exported to the tfjs Layers format with @tensorflow/tfjs (pure JS CPU
// backend) and checks its predictions against the test vectors of the source document, read with the
// independent JavaScript reader. Run: MODELDOC_TFJS_EXPORTS=DIR npm test
//   DIR/<model>/model.json, DIR/<model>/group1-shard*.bin, DIR/<model>/doc.json (the ModelDoc document)
// A missing variable or an empty folder is a failure, never a skip: this test is the proof that exports load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { read } from '../../../readers/js/src/index.mjs';
import { loadModel } from '../io.mjs';

// The test-vector rule of spec.md 15.11, as every consumer applies it:
// |tfjs - keras| <= max(tolerance, ATOL) + RTOL * |keras| per element, `tolerance` being the vector's own
// member. float32 kernels in another order (tfjs' JS loops vs TensorFlow) differ in the last bits; the
// vector's tolerance says how far (the Keras adapter derives it from Keras' own distance to float64).
export const ATOL = 1e-5;
export const RTOL = 1e-5;

const TYPED = { float32: 'float32', int32: 'int32', bool: 'bool' };

function exportsDir() {
  const dir = process.env.MODELDOC_TFJS_EXPORTS;
  assert.ok(dir, 'MODELDOC_TFJS_EXPORTS must name a folder of exported models');
  assert.ok(fs.existsSync(dir), `${dir} does not exist`);
  const models = fs.readdirSync(dir).filter((n) => fs.existsSync(path.join(dir, n, 'model.json'))).sort();
  assert.ok(models.length > 0, `${dir} holds no exported model`);
  return { dir, models };
}

function toTensor(t) {
  const dtype = TYPED[t.dtype];
  assert.ok(dtype, `test vector tensor ${t.name} is ${t.dtype}, which tfjs cannot take`);
  const shape = t.shape.map(Number);
  const data = dtype === 'bool' ? Uint8Array.from(t.data) : t.data;
  return tf.tensor(data, shape, dtype);
}

async function check(name, folder, stats) {
  const bytes = fs.readFileSync(path.join(folder, 'doc.json'));
  const { tensors } = read(bytes);
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const doc = JSON.parse(bytes.toString('utf8'));
  assert.ok(doc.test_vectors && doc.test_vectors.length > 0, `${name}: the document has no test vectors`);
  const model = await loadModel(path.join(folder, 'model.json'));
  const inputNames = doc.model.inputs.map((i) => i.name);
  const outputNames = doc.model.outputs;
  assert.equal(model.inputs.length, inputNames.length, `${name}: input count`);
  assert.equal(model.outputs.length, outputNames.length, `${name}: output count`);
  for (const v of doc.test_vectors) {
    const xs = inputNames.map((n) => toTensor(byName.get(v.inputs[n])));
    let ys = model.predict(xs.length === 1 ? xs[0] : xs);
    if (!Array.isArray(ys)) ys = [ys];
    outputNames.forEach((out, k) => {
      const want = byName.get(v.outputs[out]);
      const got = ys[k];
      assert.deepEqual(got.shape, want.shape.map(Number), `${name} ${v.name ?? ''} ${out}: shape`);
      const g = got.dataSync();
      for (let i = 0; i < g.length; i++) {
        const w = Number(want.data[i]);
        const diff = Math.abs(g[i] - w);
        stats.worst = Math.max(stats.worst, diff);
        assert.ok(diff <= Math.max(v.tolerance ?? 0, ATOL) + RTOL * Math.abs(w),
          `${name} ${v.name ?? ''} ${out}[${i}]: tfjs ${g[i]}, document ${w} (|diff| ${diff})`);
      }
    });
    stats.vectors += 1;
    tf.dispose([...xs, ...ys]);
  }
  model.dispose();
}

test('every exported model loads in tfjs and reproduces its test vectors', async (t) => {
  const { dir, models } = exportsDir();
  const stats = { checked: 0, vectors: 0, worst: 0 };
  for (const name of models) {
    await t.test(name, async () => {
      await check(name, path.join(dir, name), stats);
      stats.checked += 1;
    });
  }
  // The Python side reads this line to know how many models were really checked.
  console.log(`MODELDOC_TFJS_CHECKED models=${stats.checked} vectors=${stats.vectors} max_abs_diff=${stats.worst}`);
  assert.equal(stats.checked, models.length, 'some models failed');
});
