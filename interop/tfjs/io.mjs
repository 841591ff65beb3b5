// Loading a tfjs Layers model from a folder in Node, without tfjs-node: a small IO handler that
// reads model.json and the shard files it names, and hands tfjs the artifacts.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

// The pure-JS CPU backend suggests installing tfjs-node (a native binding) on first use; these checks
// use the pure-JS backend on purpose, so the notice is only noise in test output.
await tf.setBackend('cpu');
tf.backend().firstUse = false;

export function fileHandler(modelJsonPath) {
  const dir = path.dirname(modelJsonPath);
  return {
    async load() {
      const model = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8'));
      const specs = [];
      const buffers = [];
      for (const group of model.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, p)));
      }
      const all = Buffer.concat(buffers);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
      return {
        modelTopology: model.modelTopology, weightSpecs: specs, weightData,
        format: model.format, generatedBy: model.generatedBy, convertedBy: model.convertedBy,
      };
    },
  };
}

export async function loadModel(modelJsonPath) {
  return tf.loadLayersModel(fileHandler(modelJsonPath), { strict: true });
}

// Saves a model in memory, then writes OUTDIR/model.json and OUTDIR/weights.bin as tfjs' own
// file writer would lay them out.
export async function saveModel(model, outdir) {
  let artifacts;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  fs.mkdirSync(outdir, { recursive: true });
  const data = Buffer.from(artifacts.weightData);
  fs.writeFileSync(path.join(outdir, 'weights.bin'), data);
  const modelJson = {
    format: artifacts.format, generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
  };
  fs.writeFileSync(path.join(outdir, 'model.json'), JSON.stringify(modelJson));
}
