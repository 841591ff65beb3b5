// What @tensorflow/tfjs itself computes for a tfjs Layers model: the reference a conversion is judged by.
//   node reference.mjs MODEL_JSON [INPUTS_JSON [OUT_JSON]]
// INPUTS_JSON: {"inputs": [{"shape": [2, 5], "data": [...], "dtype": "float32"}, ...]} (dtype optional),
// one entry per model input, data flat in row-major order. Writes {"outputs": [{"name", "shape", "data"}]}
// to OUT_JSON (or stdout). Without INPUTS_JSON it only loads the model and prints its inputs and outputs.
// Exit 0 on success, 1 when tfjs cannot load the model or predict (the message on stderr), 2 on usage.
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { loadModel } from './io.mjs';

const [modelJson, inputsJson, outJson] = process.argv.slice(2);
if (!modelJson) {
  console.error('usage: node reference.mjs MODEL_JSON [INPUTS_JSON [OUT_JSON]]');
  process.exit(2);
}

// Non-finite outputs cannot be JSON numbers: they are written as the strings "NaN", "Infinity", "-Infinity".
const number = (v) => (Number.isFinite(v) ? v : String(v));

try {
  const model = await loadModel(modelJson);
  let result;
  if (!inputsJson) {
    const describe = (ts, names) => ts.map((t, k) => ({ name: names[k], shape: t.shape, dtype: t.dtype }));
    result = { loaded: true, inputs: describe(model.inputs, model.inputNames),
      outputs: describe(model.outputs, model.outputNames) };
  } else {
    const spec = JSON.parse(fs.readFileSync(inputsJson, 'utf8'));
    const xs = spec.inputs.map((i, k) => tf.tensor(i.data, i.shape, i.dtype ?? model.inputs[k].dtype));
    let ys = model.predict(xs.length === 1 ? xs[0] : xs);
    if (!Array.isArray(ys)) ys = [ys];
    result = { outputs: ys.map((y, k) => ({ name: model.outputNames[k], shape: y.shape,
      data: Array.from(y.dataSync(), number) })) };
  }
  const text = JSON.stringify(result);
  if (outJson) fs.writeFileSync(outJson, text);
  else console.log(text);
} catch (e) {
  console.error(`tfjs cannot use ${modelJson}: ${String(e.message ?? e).split('\n')[0]}`);
  process.exit(1);
}
