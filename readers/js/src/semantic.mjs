// The semantic layer (spec.md section 4): names, references, graph, test
// vectors. Runs only on a tree the schema accepted, so member types are known.
import { pointer, integerValue } from './values.mjs';

/**
 * @param {import('./values.mjs').JObj} doc
 * @returns {{code: string, pointer: string, severity: 'error'|'warning'}[]}
 */
export function semanticFindings(doc) {
  const findings = [];
  const error = (code, path) => findings.push({ code, pointer: pointer(path), severity: 'error' });
  const warning = (code, path) => findings.push({ code, pointer: pointer(path), severity: 'warning' });

  const tensors = doc.get('tensors');
  const tensorByName = new Map();
  tensors.forEach((t, k) => {
    const name = t.get('name');
    if (tensorByName.has(name)) error('SEMANTIC_DUPLICATE_TENSOR', ['tensors', k, 'name']);
    else tensorByName.set(name, t);
  });

  const used = new Set(); // tensor names that are a weight or a test vector's

  function checkGraph(graph, at) {
    const layers = graph.get('layers');
    const inputs = graph.get('inputs');
    const nodes = graph.get('nodes');
    const outputs = graph.get('outputs');

    // Layers in document order, each before the layers of its nested model (4).
    const layerByName = new Map();
    layers.forEach((layer, k) => {
      const name = layer.get('name');
      if (layerByName.has(name)) error('SEMANTIC_DUPLICATE_LAYER', [...at, 'layers', k, 'name']);
      else layerByName.set(name, layer);
      (layer.get('weights') ?? []).forEach((w, j) => {
        const where = [...at, 'layers', k, 'weights', j];
        if (!tensorByName.has(w)) { error('SEMANTIC_UNKNOWN_TENSOR', where); return; }
        if (used.has(w)) warning('SEMANTIC_SHARED_WEIGHT', where);
        used.add(w);
      });
      if (layer.has('model')) checkGraph(layer.get('model'), [...at, 'layers', k, 'model']);
    });

    // One namespace of values: graph inputs first, then node outputs in order.
    const definedBy = new Map(); // value name -> node index, -1 for a graph input
    inputs.forEach((input, k) => {
      const name = input.get('name');
      if (definedBy.has(name)) error('SEMANTIC_DUPLICATE_VALUE', [...at, 'inputs', k, 'name']);
      else definedBy.set(name, -1);
    });
    const nodeNames = new Set();
    nodes.forEach((node, k) => {
      if (node.has('name')) {
        const name = node.get('name');
        if (nodeNames.has(name)) error('SEMANTIC_DUPLICATE_NODE', [...at, 'nodes', k, 'name']);
        nodeNames.add(name);
      }
      node.get('outputs').forEach((value, j) => {
        if (definedBy.has(value)) error('SEMANTIC_DUPLICATE_VALUE', [...at, 'nodes', k, 'outputs', j]);
        else definedBy.set(value, k);
      });
    });

    const consumers = nodes.map(() => []); // edge a -> b: b takes a value a defines
    nodes.forEach((node, k) => {
      const layer = layerByName.get(node.get('layer'));
      if (!layer) error('SEMANTIC_UNKNOWN_LAYER', [...at, 'nodes', k, 'layer']);
      const ins = node.get('inputs');
      ins.forEach((value, j) => {
        if (!definedBy.has(value)) error('SEMANTIC_UNKNOWN_VALUE', [...at, 'nodes', k, 'inputs', j]);
        else if (definedBy.get(value) >= 0) consumers[definedBy.get(value)].push(k);
      });
      if (layer && layer.has('model')) {
        const inner = layer.get('model');
        if (inner.get('inputs').length !== ins.length || inner.get('outputs').length !== node.get('outputs').length) {
          error('SEMANTIC_ARITY', [...at, 'nodes', k]);
        }
      }
    });
    outputs.forEach((value, j) => {
      if (!definedBy.has(value)) error('SEMANTIC_UNKNOWN_VALUE', [...at, 'outputs', j]);
    });

    const onCycle = nodesOnCycles(consumers);
    if (onCycle.length) error('SEMANTIC_CYCLE', [...at, 'nodes', Math.min(...onCycle)]);
  }

  checkGraph(doc.get('model'), ['model']);
  checkTestVectors(doc, tensorByName, used, error);

  tensors.forEach((t, k) => {
    if (!used.has(t.get('name'))) warning('SEMANTIC_UNUSED_TENSOR', ['tensors', k]);
  });
  return findings;
}

function checkTestVectors(doc, tensorByName, used, error) {
  const model = doc.get('model');
  const inputByName = new Map(model.get('inputs').map((input) => [input.get('name'), input]));
  const outputNames = new Set(model.get('outputs'));
  (doc.get('test_vectors') ?? []).forEach((vector, i) => {
    for (const side of ['inputs', 'outputs']) {
      const map = vector.get(side);
      const expected = side === 'inputs' ? [...inputByName.keys()] : [...outputNames];
      for (const [key, tensorName] of map.m) {
        const where = ['test_vectors', i, side, key];
        const known = side === 'inputs' ? inputByName.has(key) : outputNames.has(key);
        if (!known) error('SEMANTIC_TEST_VECTOR', where);
        const tensor = tensorByName.get(tensorName);
        if (!tensor) { error('SEMANTIC_UNKNOWN_TENSOR', where); continue; }
        used.add(tensorName);
        if (known && side === 'inputs' && !fitsInput(tensor, inputByName.get(key))) error('SEMANTIC_TEST_VECTOR', where);
      }
      // One finding per missing key, all at the object that lacks them (4.1).
      for (const name of expected) if (!map.has(name)) error('SEMANTIC_TEST_VECTOR', ['test_vectors', i, side]);
    }
  });
}

// Same dtype (for a quantized tensor, its quantization.dtype: the dtype it
// reads as), same rank, equal dimensions where the input's is not null (4.1).
function fitsInput(tensor, input) {
  const q = tensor.get('quantization');
  const dtype = q !== undefined && q !== null ? q.get('dtype') : tensor.get('dtype');
  if (dtype !== input.get('dtype')) return false;
  const shape = tensor.get('shape');
  const want = input.get('shape');
  if (shape.length !== want.length) return false;
  return want.every((d, k) => d === null || integerValue(d) === integerValue(shape[k]));
}

/** Indexes of the nodes that lie on a cycle (iterative Tarjan: no deep recursion). */
export function nodesOnCycles(adjacency) {
  const n = adjacency.length;
  const index = new Array(n).fill(-1);
  const low = new Array(n).fill(0);
  const onStack = new Array(n).fill(false);
  const stack = [];
  const result = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const work = [[root, 0]];
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = true;
    while (work.length) {
      const frame = work[work.length - 1];
      const v = frame[0];
      if (frame[1] < adjacency[v].length) {
        const w = adjacency[v][frame[1]++];
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = true;
          work.push([w, 0]);
        } else if (onStack[w]) {
          low[v] = Math.min(low[v], index[w]);
        }
        continue;
      }
      work.pop();
      if (work.length) {
        const u = work[work.length - 1][0];
        low[u] = Math.min(low[u], low[v]);
      }
      if (low[v] === index[v]) {
        const component = [];
        let w;
        do { w = stack.pop(); onStack[w] = false; component.push(w); } while (w !== v);
        if (component.length > 1 || adjacency[v].includes(v)) result.push(...component);
      }
    }
  }
  return result;
}
