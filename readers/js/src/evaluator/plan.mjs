// The "all at once" check of spec.md 15.1: before anything is evaluated,
// every layer type, config value and call of the document is checked, and
// every problem is reported, one finding each.
import { CORE } from './layers/core.mjs';
import { CONV } from './layers/conv.mjs';
import { NORM } from './layers/norm.mjs';
import { SHAPE } from './layers/shape.mjs';
import { RECURRENT } from './layers/recurrent.mjs';
import { APPS, OPS, operationProblem } from './layers/apps.mjs';
import { ATTENTION } from './layers/attention.mjs';
import { SEQUENCE, sequenceLayers, maskedAverage } from './layers/sequence.mjs';
import { callRoles, planMasks } from './masks.mjs';
import { topologicalOrder } from './order.mjs';
import { COMMON, readConfig } from './config.mjs';
import { finding } from './tensor.mjs';

/** Layer type -> {members, inputs: [min, max], weights(p), shapes(p, xs), outputs(p), run, keepsInts?, rawInputs?}. */
const BASE = { ...CORE, ...CONV, ...NORM, ...SHAPE, ...RECURRENT, ...SEQUENCE, ...ATTENTION, ...APPS };
BASE.GlobalAveragePooling1D = maskedAverage(BASE.GlobalAveragePooling1D);
export const LAYERS = Object.freeze({ ...BASE, ...sequenceLayers(BASE), ...OPS });

const esc = (s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1');
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isRef = (v) => isObj(v) && Object.keys(v).length === 1 && Number.isInteger(v.$input);

/**
 * The `{"$input": i}` references of a node's `arguments` in order (args,
 * then initial_state), or null when the call is outside the profile (15.1).
 */
export function callReferences(args, rnn) {
  if (!isObj(args)) return null;
  const keys = Object.keys(args);
  if (keys.length === 0) return undefined; // absent: the node's inputs as they are
  // `args` absent means [] and `kwargs` absent means {} (15.1)
  const list = Object.hasOwn(args, 'args') ? args.args : [];
  if (!keys.every((k) => k === 'args' || k === 'kwargs') || !Array.isArray(list)) return null;
  const refs = [];
  for (const a of list) {
    if (isRef(a)) refs.push(a.$input);
    else if (Array.isArray(a) && a.length > 0 && a.every(isRef)) refs.push(...a.map((r) => r.$input));
    else return null;
  }
  const kw = Object.hasOwn(args, 'kwargs') ? args.kwargs : {};
  if (!isObj(kw)) return null;
  for (const [k, v] of Object.entries(kw)) {
    if (k === 'training' && (v === true || v === false || v === null)) continue;
    if (k === 'mask' && v === null) continue;
    if (k === 'initial_state' && rnn) {
      const list = Array.isArray(v) ? v : [v];
      if (list.length === 0 || !list.every(isRef)) return null;
      refs.push(...list.map((r) => r.$input));
      continue;
    }
    return null;
  }
  return refs;
}

/**
 * Checks a whole document (its reader-report tree) and returns
 * {findings, configs: Map(layerPointer -> normalized config)}.
 */
export function plan(tree) {
  const findings = [];
  const configs = new Map();
  const fw = tree.producer.framework;
  // spec.md 15.1: "keras", or no framework at all (absent or ""), takes the profile's vocabulary.
  if (fw !== 'keras' && fw !== '' && fw !== undefined) {
    findings.push(finding('EVAL_UNSUPPORTED', '/producer/framework', `framework ${JSON.stringify(fw)} is neither "keras" nor absent: the core profile does not apply`));
    return { findings, configs };
  }
  checkGraph(tree.model, '/model', findings, configs);
  // masks that reach a call refusing them are reported with the rest, before anything runs (15.12)
  planMasks(tree.model, '/model', tree.model.inputs.map(() => false), { layers: LAYERS, configs, order: topologicalOrder }, findings);
  return { findings, configs };
}

function checkGraph(graph, gptr, findings, configs) {
  const index = new Map(graph.layers.map((l, i) => [l.name, i]));
  const called = new Set();
  for (const node of graph.nodes) {
    const i = index.get(node.layer);
    const layer = graph.layers[i];
    const lptr = `${gptr}/layers/${i}`;
    const entry = layer.model ? null : LAYERS[layer.type];
    if (!called.has(i)) {
      called.add(i);
      if (layer.model) checkGraph(layer.model, `${lptr}/model`, findings, configs);
      else if (!entry) findings.push(finding('EVAL_UNSUPPORTED', `${lptr}/type`, `layer type ${JSON.stringify(layer.type)} is outside the core profile`));
      else {
        const p = readConfig(layer.config, { ...(entry.noPolicy ? {} : COMMON), ...entry.members() }, lptr, findings); // no policy: no dtype member read
        if (entry.nested && p.layer !== undefined) entry.nested(p, lptr, findings); // a wrapped layer (15.13)
        for (const [name, message] of entry.pairProblems ? entry.pairProblems(p) : []) findings.push(finding('EVAL_UNSUPPORTED', `${lptr}/config/${esc(name)}`, message)); // members judged together
        configs.set(lptr, p);
      }
    }
    const problem = callProblem(node, layer, entry, configs.get(lptr));
    if (problem) findings.push(finding('EVAL_UNSUPPORTED', lptr, `call of ${JSON.stringify(layer.name)} with inputs ${JSON.stringify(node.inputs)}: ${problem}`));
  }
}

function callProblem(node, layer, entry, p) {
  if (entry && entry.operation) return operationProblem(layer.type, node.arguments, node.inputs.length, node.outputs.length);
  const roles = callRoles(node.arguments, layer.model ? null : layer.type, node.inputs.length);
  if (roles === null) return `arguments ${JSON.stringify(node.arguments).slice(0, 200)} are outside the core profile`;
  if (!entry || !p) return null; // nested model: arity is checked by the semantic layer (4)
  const [min, max] = entry.inputs;
  const n = layer.type === 'MultiHeadAttention' ? (roles.named.query !== undefined && roles.named.value !== undefined ? 2 : 0) : roles.data.length + roles.consts.length;
  if (layer.type === 'Bidirectional' && p.fwd && ![1, 1 + 2 * (p.fwd.type === 'LSTM' ? 2 : 1)].includes(n)) return `passes ${n} data inputs`;
  if (entry.inputCounts && !entry.inputCounts.includes(n)) return `takes ${entry.inputCounts.join(' or ')} inputs, got ${n}`;
  if (n < min || n > max) return `takes ${min === max ? min : `${min} to ${max}`} inputs, got ${n}`;
  if (layer.type === 'ops.numpy.NotEqual' && roles.data.length === 0) return 'compares two numbers: one operand has to be a tensor';
  const nOut = entry.outputs(p);
  if (node.outputs.length !== nOut) return `defines ${node.outputs.length} outputs, the layer returns ${nOut}`;
  return null;
}

export { esc };
