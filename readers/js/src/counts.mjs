// Count limits (spec.md section 8), checked after the schema and before the
// semantic layer, whose cost grows with these counts.
import { pointer } from './values.mjs';

/**
 * Tensors, and layers and nodes in all graphs together. Graphs are taken in
 * depth-first pre-order (a graph, then the nested models of its layers in
 * layer order); each kind gets one finding, at the array of the first graph
 * whose running total passes the limit.
 * @returns {{code: string, pointer: string, severity: 'error'}[]}
 */
export function countFindings(doc, limits) {
  const findings = [];
  const add = (path) => findings.push({ code: 'LIMIT_COUNT', pointer: pointer(path), severity: 'error' });
  if (doc.get('tensors').length > limits.tensors) add(['tensors']);
  const totals = { layers: 0, nodes: 0 };
  const stack = [[doc.get('model'), ['model']]];
  while (stack.length) {
    const [graph, at] = stack.pop();
    for (const kind of ['layers', 'nodes']) {
      const before = totals[kind];
      totals[kind] += graph.get(kind).length;
      if (before <= limits[kind] && totals[kind] > limits[kind]) add([...at, kind]);
    }
    const nested = [];
    graph.get('layers').forEach((layer, k) => { if (layer.has('model')) nested.push([layer.get('model'), [...at, 'layers', k, 'model']]); });
    stack.push(...nested.reverse()); // popped in layer order
  }
  return findings;
}
