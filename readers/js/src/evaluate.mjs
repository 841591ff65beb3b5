// Reference evaluator of the ModelDoc core profile (spec.md section 15),
// written from the specification alone.
//
//   import { read } from './index.mjs';
//   import { evaluate, checkTestVectors } from './evaluate.mjs';
//   const doc = read(bytes);
//   evaluate(doc, { x: { dtype: 'float32', shape: [1, 4], data: new Float32Array(4) } }).out.data;
//   checkTestVectors(doc).pass; // every output within the tolerance of 15.11
import { plan, esc } from './evaluator/plan.mjs';
import { runGraph, tensorTable } from './evaluator/graph.mjs';
import { EvalError, finding, isFloat, numel, roundInPlace, toPublic } from './evaluator/tensor.mjs';

export { EvalError };

const ARRAYS = {
  bool: Uint8Array, int8: Int8Array, int16: Int16Array, int32: Int32Array, int64: BigInt64Array,
  uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array,
};

/** The document tree (the reader report, defaults applied) and a tensor lookup. */
const PREPARED = new WeakMap();
function prepare(doc) {
  if (!PREPARED.has(doc)) PREPARED.set(doc, { tree: JSON.parse(doc.report), tensorOf: tensorTable(doc.tensors) });
  return PREPARED.get(doc);
}

/** Checks the given arrays against the top-level inputs (15.1 Inputs) and turns them into values. */
function bindInputs(model, inputs) {
  const given = inputs instanceof Map ? inputs : new Map(Object.entries(inputs ?? {}));
  const findings = [];
  const names = new Set(model.inputs.map((i) => i.name));
  for (const name of given.keys()) if (!names.has(name)) findings.push(finding('EVAL_INPUT', '/model/inputs', `no graph input is named ${JSON.stringify(name)}`));
  const values = model.inputs.map((inp, i) => {
    const at = `/model/inputs/${i}`;
    const a = given.get(inp.name);
    if (a === undefined) { findings.push(finding('EVAL_INPUT', at, `input ${JSON.stringify(inp.name)} is missing`)); return null; }
    const shape = Array.from(a.shape ?? [], Number);
    const fits = shape.length === inp.shape.length && inp.shape.every((d, k) => d === null || d === shape[k]);
    if (a.dtype !== inp.dtype || !fits || a.data?.length !== numel(shape)) {
      findings.push(finding('EVAL_INPUT', at, `array ${a.dtype} [${shape}] does not fit input ${inp.dtype} [${inp.shape.map((d) => d ?? 'null')}]`));
      return null;
    }
    if (isFloat(inp.dtype)) return { dtype: inp.dtype, shape, data: roundInPlace(Float64Array.from(a.data, Number), inp.dtype) };
    const Type = ARRAYS[inp.dtype];
    return { dtype: inp.dtype, shape, data: a.data instanceof Type ? a.data : Type.from(a.data, (v) => (Type === BigInt64Array || Type === BigUint64Array ? BigInt(v) : Number(v))) };
  });
  if (findings.length) throw new EvalError(findings);
  return values;
}

/**
 * Evaluates a document (as returned by `read`) on `inputs`: a Map or object
 * of input name -> {dtype, shape, data}. Returns output name ->
 * {dtype, shape, data}; float32 outputs as Float32Array, float64 as
 * Float64Array, integers in their dtype's typed array. Throws EvalError
 * (`.findings`: {code, pointer, message}[]) for anything outside the profile.
 */
export function evaluate(doc, inputs) {
  const { tree, tensorOf } = prepare(doc);
  const { findings, configs } = plan(tree);
  if (findings.length) throw new EvalError(findings);
  const values = bindInputs(tree.model, inputs);
  const outs = runGraph(tree.model, '/model', values, { configs, tensor: tensorOf, rounded: new Map() });
  const result = {};
  tree.model.outputs.forEach((name, k) => { result[name] = toPublic(outs[k]); });
  return result;
}

/**
 * Compares one output with a test vector's tensor by the rule of 15.11.
 * Returns {pass, shapeOk, maxAbsDiff, allowed, worst} where `allowed` is the
 * absolute part max(tolerance, 1e-5) and `worst` the largest
 * |got - want| / (allowed + 1e-5 |want|) (<= 1 passes; Infinity for a non-finite mismatch).
 */
export function compareOutput(got, want, tolerance) {
  const allowed = Math.max(tolerance, 1e-5);
  const wantShape = Array.from(want.shape, Number);
  const shapeOk = got.shape.length === wantShape.length && got.shape.every((d, k) => d === wantShape[k]);
  if (!shapeOk) return { pass: false, shapeOk, maxAbsDiff: NaN, allowed, worst: Infinity };
  let maxAbsDiff = 0, worst = 0;
  const float = isFloat(want.dtype);
  for (let k = 0; k < want.data.length; k++) {
    const g = got.data[k], w = want.data[k];
    if (!float) {
      const equal = typeof g === 'bigint' || typeof w === 'bigint' ? BigInt(g) === BigInt(w) : g === w;
      const diff = equal ? 0 : Math.abs(Number(g) - Number(w)) || Infinity;
      maxAbsDiff = Math.max(maxAbsDiff, diff);
      if (!equal) worst = Infinity;
      continue;
    }
    const gn = Number(g);
    if (!Number.isFinite(w)) {
      // NaN matches only NaN, an infinity only the same infinity
      if (!(Number.isNaN(w) ? Number.isNaN(gn) : gn === w)) { worst = Infinity; maxAbsDiff = Infinity; }
      continue;
    }
    const diff = Math.abs(gn - w);
    const d = Number.isNaN(diff) ? Infinity : diff;
    maxAbsDiff = Math.max(maxAbsDiff, d);
    worst = Math.max(worst, d / (allowed + 1e-5 * Math.abs(w)));
  }
  return { pass: worst <= 1, shapeOk, maxAbsDiff, allowed, worst };
}

/**
 * Evaluates every test vector of a document and compares each output
 * (15.11). Returns {pass, results: [{vector, name, output, pointer, pass,
 * maxAbsDiff, allowed, worst, shapeOk}], findings: EVAL_TEST_VECTOR findings}.
 * Throws EvalError when the document is outside the profile, with or without test vectors.
 */
export function checkTestVectors(doc) {
  const { tree, tensorOf } = prepare(doc);
  // a document outside the profile says so even when it has no test vector to run (15.1: before anything runs)
  const { findings: unsupported } = plan(tree);
  if (unsupported.length) throw new EvalError(unsupported);
  const results = [];
  tree.test_vectors.forEach((tv, i) => {
    const inputs = new Map(Object.entries(tv.inputs).map(([name, t]) => [name, tensorOf(t)]));
    const got = evaluate(doc, inputs);
    for (const [output, tname] of Object.entries(tv.outputs)) {
      const pointer = `/test_vectors/${i}/outputs/${esc(output)}`;
      const r = compareOutput(got[output], tensorOf(tname), tv.tolerance);
      results.push({ vector: i, name: tv.name ?? `#${i}`, output, pointer, ...r });
    }
  });
  const findings = results.filter((r) => !r.pass).map((r) => finding('EVAL_TEST_VECTOR', r.pointer,
    r.shapeOk ? `largest difference ${r.maxAbsDiff} exceeds ${r.allowed} + 1e-5·|want|` : 'output shape differs from the test vector\'s'));
  return { pass: findings.length === 0, results, findings };
}
