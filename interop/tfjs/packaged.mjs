// Real tfjs Layers models that ship inside npm packages, written out as model.json + shards, so the
// tests can run ModelDoc on files written by other people (the package is pinned in package-lock.json).
//   node packaged.mjs OUTDIR
// nsfwjs 4.4.0 bundles each model as CommonJS modules: model.min.js exports the model.json object,
// each group1-shardNofM.min.js exports its shard as a base64 string.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const [outdir] = process.argv.slice(2);
if (!outdir) {
  console.error('usage: node packaged.mjs OUTDIR');
  process.exit(2);
}

// Absolute paths: the package's "exports" map does not list the model modules.
const modules = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules');
const MODELS = { 'nsfwjs-mobilenet_v2': path.join(modules, 'nsfwjs/dist/models/mobilenet_v2') };

for (const [name, folder] of Object.entries(MODELS)) {
  const dir = path.join(outdir, name);
  fs.mkdirSync(dir, { recursive: true });
  const model = require(`${folder}/model.min.js`);
  for (const group of model.weightsManifest) {
    for (const shard of group.paths) {
      const data = require(`${folder}/${path.basename(shard)}.min.js`);
      fs.writeFileSync(path.join(dir, shard), Buffer.from(data, 'base64'));
    }
  }
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(model));
  console.log(path.join(dir, 'model.json'));
}
