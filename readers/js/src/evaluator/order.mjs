// The order in which a graph's nodes run (spec.md 15.2).
import { EvalError, finding } from './tensor.mjs';

/** Node indexes in a topological order (Kahn's algorithm, ties by listing order). */
export function topologicalOrder(graph) {
  const producer = new Map();
  graph.nodes.forEach((n, k) => n.outputs.forEach((v) => producer.set(v, k)));
  const deps = graph.nodes.map((n) => new Set(n.inputs.filter((v) => producer.has(v)).map((v) => producer.get(v))));
  const done = new Array(graph.nodes.length).fill(false);
  const order = [];
  while (order.length < graph.nodes.length) {
    const k = done.findIndex((d, j) => !d && [...deps[j]].every((i) => done[i]));
    if (k < 0) throw new EvalError([finding('EVAL_UNSUPPORTED', '', 'the graph has a cycle')]); // the reader rejects these (4)
    done[k] = true;
    order.push(k);
  }
  return order;
}
