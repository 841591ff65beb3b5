// Evaluating a graph (spec.md 15.2): nodes in a topological order, nested
// models evaluated at each call, shared layers with one set of weights, and
// every float result rounded to the layer's dtype policy.
import { LAYERS } from './plan.mjs';
import { callRoles, outputMasks, maskRefused } from './masks.mjs';
import { topologicalOrder } from './order.mjs';
import { EvalError, finding, isFloat, asFloat64, numel, roundInPlace } from './tensor.mjs';
import { operandsOf } from './layers/apps.mjs';

/**
 * Runs `graph` (at `gptr`) on `inputs` (values, by position) and returns its
 * outputs (by position). `ctx` holds the configs from plan() and the weights.
 */
export function runGraph(graph, gptr, inputs, ctx) {
  const env = new Map();
  graph.inputs.forEach((inp, k) => env.set(inp.name, inputs[k]));
  const index = new Map(graph.layers.map((l, i) => [l.name, i]));
  for (const k of topologicalOrder(graph)) {
    const node = graph.nodes[k];
    const i = index.get(node.layer);
    const layer = graph.layers[i];
    const lptr = `${gptr}/layers/${i}`;
    const xs = node.inputs.map((v) => env.get(v));
    const outs = layer.model ? runGraph(layer.model, `${lptr}/model`, xs, ctx) : runLayer(layer, lptr, xs, ctx, node);
    node.outputs.forEach((v, j) => env.set(v, outs[j]));
  }
  return graph.outputs.map((v) => env.get(v));
}

function runLayer(layer, lptr, all, ctx, node) {
  const entry = LAYERS[layer.type];
  const p = ctx.configs.get(lptr);
  if (entry.operation) {
    // an operation has no dtype policy: it rounds to its operands' dtype itself (15.15); it takes no mask
    // (plan() has reported that already: this guards the two mask walks against drifting apart)
    if (all.some((x) => x.mask)) throw new EvalError([finding('EVAL_UNSUPPORTED', lptr, 'an operation does not take a Keras mask')]);
    const octx = {
      ptr: lptr,
      unsupported: (suffix, message) => finding('EVAL_UNSUPPORTED', lptr + suffix, message),
      operands: (values) => operandsOf(node.arguments, values.length).map((o) => ('ref' in o ? { value: values[o.ref] } : o)),
    };
    return entry.run(p, all, [], octx);
  }
  // 15.12: which inputs are data, masks and named tensors; masks ride on the values, as Keras attaches them
  const roles = callRoles(node.arguments, layer.type, all.length);
  const mha = layer.type === 'MultiHeadAttention';
  const dataIdx = mha ? ['query', 'value', 'key'].filter((k) => roles.named[k] !== undefined).map((k) => roles.named[k]) : roles.data;
  const xs = dataIdx.map((i) => all[i]);
  const attached = xs.map((x) => x.mask ?? null);
  const refused = maskRefused(layer.type, p, attached); // reported by plan() first; a guard, as above
  if (refused) throw new EvalError([finding('EVAL_UNSUPPORTED', lptr, refused)]);
  let mask = null;
  if (Array.isArray(roles.mask)) mask = roles.mask.map((i) => (i === null ? null : all[i]));
  else if (roles.mask !== null) mask = all[roles.mask];
  else if (['Attention', 'AdditiveAttention'].includes(layer.type)) mask = attached.some(Boolean) ? attached.slice(0, 2) : null;
  else if (xs.length === 1) mask = attached[0]; // Keras fills in mask only for a call of one tensor
  // Keras casts a layer's float inputs to its policy dtype (15.2); integer and bool values are kept by the
  // layers that only move them (and by Embedding), and read as floats of the policy by every other layer
  // the operation layers of 15.12 have no policy: they compare values in the dtype they arrive in
  const rounded = xs.map((x) => (!entry.noPolicy && isFloat(x.dtype) && x.dtype !== p.dtype ? { dtype: p.dtype, shape: x.shape, data: roundInPlace(Float64Array.from(x.data), p.dtype) } : x));
  const args = entry.keepsInts || entry.rawInputs ? rounded : rounded.map((x) => ({ dtype: 'float64', shape: x.shape, data: asFloat64(x) }));
  const weights = layerWeights(layer, lptr, entry, p, args, ctx);
  const lctx = {
    ptr: lptr, mask, flags: roles.flags, consts: roles.consts,
    named: Object.fromEntries(Object.entries(roles.named).map(([k, i]) => [k, all[i]])),
    unsupported: (suffix, message) => finding('EVAL_UNSUPPORTED', lptr + suffix, message),
  };
  const outs = entry.run(p, args, weights, lctx);
  const masks = outputMasks(layer.type, p, rounded, attached, outs.length); // a mask maker reads its input as the layer does
  return outs.map((y, j) => {
    if (!(y.data instanceof Float64Array)) return { ...y, mask: masks[j] }; // integer or bool, moved unchanged (15.9)
    // Keras rounds float results to the layer's policy at the boundary (15.2)
    const data = xs.some((x) => x.data === y.data) ? Float64Array.from(y.data) : y.data;
    return { dtype: p.dtype, shape: y.shape, data: roundInPlace(data, p.dtype), mask: masks[j] };
  });
}

/** The layer's weights as {shape, data: Float64Array}, checked against the shapes 15.x gives (EVAL_MISMATCH). */
function layerWeights(layer, lptr, entry, p, xs, ctx) {
  const names = entry.weights(p);
  const want = entry.shapes(p, xs);
  const got = layer.weights.map((name) => ctx.tensor(name));
  const same = (a, b) => a.length === b.length && a.every((v, k) => v === b[k]);
  for (let k = 0; k < Math.min(names.length, got.length); k++) {
    if (!isFloat(got[k].dtype) && !(entry.anyDtype ?? []).includes(names[k])) throw new EvalError([finding('EVAL_MISMATCH', `${lptr}/weights/${k}`, `weight ${names[k]} has dtype ${got[k].dtype}, not a float dtype`)]);
    if (!same(got[k].shape, want[k])) throw new EvalError([finding('EVAL_MISMATCH', `${lptr}/weights/${k}`, `weight ${names[k]} has shape [${got[k].shape}], expected [${want[k]}]`)]);
  }
  if (got.length < names.length) throw new EvalError([finding('EVAL_MISMATCH', `${lptr}/weights`, `${got.length} weights, expected ${names.length} (${names.join(', ')})`)]);
  if (got.length > names.length) throw new EvalError([finding('EVAL_MISMATCH', `${lptr}/weights/${names.length}`, `${got.length} weights, expected ${names.length} (${names.join(', ')})`)]);
  // a Keras layer holds its weights in its policy dtype (15.1): rounded once per tensor and dtype
  return got.map((w, k) => {
    if (!isFloat(w.dtype)) return w; // a weight the layer does not read (Normalization's count)
    const key = `${p.dtype}\u0000${layer.weights[k]}`;
    if (!ctx.rounded.has(key)) ctx.rounded.set(key, w.dtype === p.dtype ? w : { ...w, dtype: p.dtype, data: roundInPlace(Float64Array.from(w.data), p.dtype) });
    return ctx.rounded.get(key);
  });
}

/** A cache of the document's tensors as {dtype, shape: number[], data: Float64Array}. */
export function tensorTable(tensors) {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const cache = new Map();
  return (name) => {
    if (!cache.has(name)) {
      const t = byName.get(name);
      const shape = t.shape.map(Number);
      cache.set(name, { dtype: t.dtype, shape, data: isFloat(t.dtype) ? Float64Array.from(t.data) : t.data, count: numel(shape) });
    }
    return cache.get(name);
  };
}
