// Masks (spec.md 15.12): which inputs of a call are data, masks and named
// tensors, which mask each output carries, which calls refuse a mask; both
// while evaluating (mask values) and in the planning pass (whether a value
// has a mask, which depends only on the graph).
import { numel } from './tensor.mjs';

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isRef = (v) => isObj(v) && Object.keys(v).length === 1 && Number.isInteger(v.$input);
export const RNN = ['SimpleRNN', 'LSTM', 'GRU'];
export const ATTN = ['Attention', 'AdditiveAttention'];
// 15.12: who consumes, who carries, who is refused when a mask reaches it.
export const CONSUMERS = new Set([...RNN, 'Bidirectional', 'TimeDistributed', 'GlobalAveragePooling1D', ...ATTN]);
export const CARRIERS = new Set(['Dense', 'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'PReLU', 'BatchNormalization',
  'LayerNormalization', 'GroupNormalization', 'Dropout', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout',
  'ActivityRegularization', 'Identity', 'TimeDistributed']);
const OR_MERGES = new Set(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum']);
const REFUSED = new Set(['Softmax', 'Concatenate', 'MultiHeadAttention']);
const REFUSED_INSIDE_TIME_DISTRIBUTED = new Set(['Softmax', 'GlobalAveragePooling1D']);

/**
 * The parts a call's inputs play (15.1, 15.12): {data, mask, named, flags, consts}
 * with input indexes, or null when the arguments are outside the profile.
 */
export function callRoles(args, type, n) {
  if (args === undefined || args === null || (isObj(args) && Object.keys(args).length === 0)) args = { args: Array.from({ length: n }, (_, k) => ({ $input: k })) };
  if (!isObj(args) || !Object.keys(args).every((k) => k === 'args' || k === 'kwargs')) return null;
  const list = Object.hasOwn(args, 'args') ? args.args : [];
  const kw = Object.hasOwn(args, 'kwargs') ? args.kwargs : {};
  if (!Array.isArray(list) || !isObj(kw)) return null;
  const out = { data: [], mask: null, named: {}, flags: {}, consts: [] };
  let place = 0;
  for (const a of list) {
    if (isRef(a)) { out.data.push(a.$input); place++; }
    else if (Array.isArray(a) && a.length > 0 && a.every(isRef)) { out.data.push(...a.map((r) => r.$input)); place += a.length; }
    else if (type === 'ops.numpy.NotEqual' && typeof a === 'number') out.consts.push([place++, a]);
    else return null;
  }
  if (out.data.some((r, k) => r !== k)) return null;
  const first = out.data.length;
  if (type === 'MultiHeadAttention') {
    if (out.data.length > 3) return null;
    ['query', 'value', 'key'].forEach((name, k) => { if (k < out.data.length) out.named[name] = out.data[k]; });
    out.data = [];
  }
  const taken = [];
  for (const [k, v] of Object.entries(kw)) {
    if (k === 'training' && (v === true || v === false || v === null)) continue;
    if (k === 'mask' && v === null) continue;
    if (k === 'mask' && CONSUMERS.has(type)) {
      if (ATTN.includes(type)) {
        if (!Array.isArray(v) || v.length < 2 || v.length > 3 || !v.every((m) => m === null || isRef(m))) return null;
        out.mask = v.slice(0, 2).map((m) => (m === null ? null : m.$input));
        taken.push(...v.filter(isRef).map((m) => m.$input));
      } else {
        if (!isRef(v)) return null;
        out.mask = v.$input;
        taken.push(v.$input);
      }
      continue;
    }
    if (k === 'initial_state' && (RNN.includes(type) || type === 'Bidirectional')) {
      const states = Array.isArray(v) ? v : [v];
      if (states.length === 0 || !states.every(isRef)) return null;
      out.data.push(...states.map((r) => r.$input));
      taken.push(...states.map((r) => r.$input));
      continue;
    }
    if (type === 'MultiHeadAttention') {
      if (['query', 'value', 'key', 'attention_mask'].includes(k) && isRef(v) && !(k in out.named)) { out.named[k] = v.$input; taken.push(v.$input); continue; }
      // a null key is the value (spec.md: MultiHeadAttention)
      if (['key', 'attention_mask', 'query_mask', 'value_mask', 'key_mask'].includes(k) && v === null) continue;
    }
    if (type === 'MultiHeadAttention' || ATTN.includes(type)) {
      if (k === 'use_causal_mask' && typeof v === 'boolean') { out.flags.use_causal_mask = v; continue; }
      if (k === 'return_attention_scores' && v === false) continue;
    }
    return null;
  }
  taken.sort((a, b) => a - b);
  if (taken.length !== n - first || taken.some((r, k) => r !== first + k)) return null;
  return out;
}

/**
 * Where each output's mask comes from (15.12), one rule per output: null
 * (none), 'first' (the first data input's attached mask), 'or' (the OR of
 * every data input's, when each has one) or 'make' (the layer makes one).
 * Both the planning pass and the evaluation read this one table.
 */
export function maskFlow(type, p, nOut) {
  const rest = new Array(Math.max(nOut - 1, 0)).fill(null);
  if ((type === 'Embedding' && p.mask_zero === true) || type === 'Masking') return ['make', ...rest];
  if (CARRIERS.has(type) || ATTN.includes(type)) return ['first', ...rest];
  if (RNN.includes(type) || type === 'Bidirectional') {
    const seq = type === 'Bidirectional' ? p.layer?.return_sequences === true : p.return_sequences === true;
    if (!seq) return [null, ...rest];
    // both outputs of a Bidirectional with merge_mode null; states carry none
    return type === 'Bidirectional' && p.merge_mode === null ? ['first', 'first', ...rest.slice(1)] : ['first', ...rest];
  }
  if (OR_MERGES.has(type)) return ['or', ...rest];
  return [null, ...rest];
}

/** The mask attached to each output; `xs` the data inputs, `masks` their attached masks (null for none). */
export function outputMasks(type, p, xs, masks, nOut) {
  return maskFlow(type, p, nOut).map((rule) => {
    if (rule === 'first') return masks[0] ?? null;
    if (rule === 'or') return masks.length > 0 && masks.every(Boolean) ? boolValue(masks[0].shape, (k) => masks.some((m) => maskAt(m, k))) : null;
    if (rule === 'make') return madeMask(type, p, xs[0]);
    return null;
  });
}

/** `x` is the layer's input as the layer reads it: float values rounded to its policy (15.2). */
function madeMask(type, p, x) {
  if (type === 'Embedding') return boolValue(x.shape, (k) => Number(x.data[k]) !== 0);
  return boolValue(x.shape.slice(0, -1), (r) => keptStep(x, p, r));
}

/**
 * Masking (15.12): whether row r (a step, all features) of `x` differs from
 * `mask_value` anywhere. Keras makes a float32 tensor of the number and
 * compares in the input's dtype, so a mask_value such as 0.1 is the float32
 * nearest it, in a float64 layer too.
 */
export function keptStep(x, p, r) {
  const value = Math.fround(p.mask_value);
  const F = x.shape.at(-1);
  for (let j = 0; j < F; j++) if (Number(x.data[r * F + j]) !== value) return true;
  return false;
}

/** Why a mask may not reach this call's data inputs (`masks`: truthy where one is attached), or null. */
export function maskRefused(type, p, masks) {
  if (!masks.some(Boolean)) return null;
  if (REFUSED.has(type)) return `a mask reaches ${type}, whose masked behaviour the core profile does not define`;
  if (type === 'TimeDistributed' && REFUSED_INSIDE_TIME_DISTRIBUTED.has(p.layerType)) return `a mask reaches TimeDistributed(${p.layerType})`;
  return null;
}

export function boolValue(shape, fn) {
  const data = new Uint8Array(numel(shape));
  for (let k = 0; k < data.length; k++) data[k] = fn(k) ? 1 : 0;
  return { dtype: 'bool', shape, data };
}

/** Any nonzero mask value counts as true (15.12). */
export const maskAt = (m, k) => Number(m.data[k]) !== 0;

/**
 * The planning half of 15.12: whether a value has a mask depends only on
 * the graph, so every refused mask is found before anything runs. Walks
 * `graph` with `flags` (per graph input: has it a mask?) and pushes one
 * finding per refused call; returns the flags of the graph's outputs.
 * `ctx`: {layers (type -> entry), configs (pointer -> config), order(graph)}.
 * A nested model is walked at each call, with that call's flags.
 */
export function planMasks(graph, gptr, flags, ctx, findings) {
  const has = new Map(graph.inputs.map((inp, k) => [inp.name, flags[k] === true]));
  const index = new Map(graph.layers.map((l, i) => [l.name, i]));
  for (const k of ctx.order(graph)) {
    const node = graph.nodes[k];
    const i = index.get(node.layer);
    const layer = graph.layers[i], lptr = `${gptr}/layers/${i}`;
    const given = node.inputs.map((v) => has.get(v) === true);
    const outs = layer.model ? planMasks(layer.model, `${lptr}/model`, given, ctx, findings) : callMasks(layer, lptr, node, given, ctx, findings);
    node.outputs.forEach((v, j) => has.set(v, outs[j] === true));
  }
  return graph.outputs.map((v) => has.get(v) === true);
}

function callMasks(layer, lptr, node, given, ctx, findings) {
  const entry = ctx.layers[layer.type], p = ctx.configs.get(lptr);
  const none = node.outputs.map(() => false);
  if (!entry || !p) return none; // already reported as outside the profile
  const refuse = (message) => {
    if (!findings.some((f) => f.pointer === lptr && f.message === message)) findings.push({ code: 'EVAL_UNSUPPORTED', pointer: lptr, message });
  };
  if (entry.operation) {
    // Keras 3 drops a mask at an operation; the profile leaves that form out (15.12)
    if (given.some(Boolean)) refuse('a mask reaches an operation, which does not take a Keras mask');
    return none;
  }
  const roles = callRoles(node.arguments, layer.type, node.inputs.length);
  if (roles === null) return none; // the call itself is reported by plan()
  const data = layer.type === 'MultiHeadAttention' ? ['query', 'value', 'key'].filter((n) => roles.named[n] !== undefined).map((n) => roles.named[n]) : roles.data;
  const attached = data.map((j) => given[j]);
  const refused = maskRefused(layer.type, p, attached);
  if (refused) refuse(refused);
  return maskFlow(layer.type, p, node.outputs.length).map((rule) => {
    if (rule === 'first') return attached[0] === true;
    if (rule === 'or') return attached.length > 0 && attached.every(Boolean);
    return rule === 'make';
  });
}
