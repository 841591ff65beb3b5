// Activation layers (15.3), Dense and Embedding (15.4).
import { member, REQUIRED, INVALID, int, bool, num, oneOf, nullOr, activation, axes } from '../config.mjs';
import { applyActivation, softmaxAxes } from '../activations.mjs';
import { EvalError, numel, normAxis } from '../tensor.mjs';

const one = [1, 1];
const positiveAxes = (v) => { const a = axes(true)(v); return a !== INVALID && a.every((k) => k >= 1) ? a : INVALID; };
const float = (shape, data) => ({ shape, data });

/** y = f(x) elementwise, the function built from the layer's config. */
function pointwise(members, fOf) {
  return {
    members: () => members, inputs: one, weights: () => [], shapes: () => [], outputs: () => 1,
    run: (p, [x]) => {
      const f = fOf(p);
      const d = Float64Array.from(x.data, f);
      return [float(x.shape, d)];
    },
  };
}

export const CORE = {
  Activation: {
    members: () => ({ activation: member(REQUIRED, activation) }), inputs: one, weights: () => [], shapes: () => [], outputs: () => 1,
    run: (p, [x]) => [float(x.shape, applyActivation(p.activation, Float64Array.from(x.data), x.shape))],
  },
  ReLU: pointwise(
    { max_value: member(null, nullOr(num())), negative_slope: member(0, num()), threshold: member(0, num()) },
    ({ max_value: mv, negative_slope: ns, threshold: t }) => {
      // Keras compares with a float32 tensor of the threshold cast to the policy dtype (15.3)
      const above = Math.fround(t);
      return (x) => {
        let r = x > above ? x : 0;
        if (mv !== null) r = Math.min(Math.max(r, 0), mv);
        return r - ns * Math.max(t - x, 0);
      };
    },
  ),
  LeakyReLU: pointwise({ negative_slope: member(0.3, num()) }, ({ negative_slope: a }) => (x) => (x >= 0 ? x : a * x)),
  ELU: pointwise({ alpha: member(1.0, num()) }, ({ alpha }) => (x) => (x >= 0 ? x : alpha * Math.expm1(x))),
  Softmax: {
    members: () => ({ axis: member(-1, axes(true)) }), inputs: one, weights: () => [], shapes: () => [], outputs: () => 1,
    run: (p, [x], _w, ctx) => {
      const ax = p.axis.map((a) => normAxis(a, x.shape.length));
      if (ax.includes(null)) throw new EvalError([ctx.unsupported('', `axis ${JSON.stringify(p.axis)} does not fit rank ${x.shape.length}`)]);
      return [float(x.shape, softmaxAxes(Float64Array.from(x.data), x.shape, ax))];
    },
  },
  PReLU: {
    members: () => ({ shared_axes: member(null, nullOr(positiveAxes)) }), inputs: one, weights: () => ['alpha'], outputs: () => 1,
    shapes: (p, [x]) => [x.shape.slice(1).map((n, k) => (p.shared_axes !== null && p.shared_axes.includes(k + 1) ? 1 : n))],
    run: (p, [x], [alpha]) => {
      // alpha broadcasts over the batch axis and over its size-1 (shared) axes
      const inner = x.shape.slice(1);
      const aIndex = broadcastIndex(inner, alpha.shape);
      const per = numel(inner);
      const d = new Float64Array(x.data.length);
      for (let k = 0; k < d.length; k++) {
        const v = x.data[k];
        d[k] = Math.max(v, 0) - alpha.data[aIndex[k % per]] * Math.max(-v, 0);
      }
      return [float(x.shape, d)];
    },
  },
  Dense: {
    members: () => ({
      units: member(REQUIRED, int(1)), activation: member('linear', activation), use_bias: member(true, bool),
      quantization_config: member(null, oneOf(null)), lora_rank: member(null, oneOf(null, 0)),
    }),
    inputs: one, outputs: () => 1,
    weights: (p) => (p.use_bias ? ['kernel', 'bias'] : ['kernel']),
    shapes: (p, [x]) => [[x.shape.at(-1), p.units], ...(p.use_bias ? [[p.units]] : [])],
    run: (p, [x], [kernel, bias], ctx) => {
      if (x.shape.length < 2) throw new EvalError([ctx.unsupported('', `Dense needs an input of rank >= 2, got ${x.shape.length}`)]);
      const n = x.shape.at(-1), u = p.units, rows = x.data.length / n;
      const d = new Float64Array(rows * u);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < u; j++) {
          let s = bias ? bias.data[j] : 0;
          for (let i = 0; i < n; i++) s += x.data[r * n + i] * kernel.data[i * u + j];
          d[r * u + j] = s;
        }
      }
      const shape = [...x.shape.slice(0, -1), u];
      return [float(shape, applyActivation(p.activation, d, shape))];
    },
  },
  Embedding: {
    members: () => ({
      input_dim: member(REQUIRED, int(1)), output_dim: member(REQUIRED, int(1)), mask_zero: member(false, bool), sparse: member(false, oneOf(false)),
      quantization_config: member(null, oneOf(null)), lora_rank: member(null, oneOf(null, 0)),
    }),
    inputs: one, outputs: () => 1, rawInputs: true,
    weights: () => ['embeddings'],
    shapes: (p) => [[p.input_dim, p.output_dim]],
    run: (p, [ids], [table], ctx) => {
      const n = ids.data.length, o = p.output_dim;
      const d = new Float64Array(n * o);
      for (let k = 0; k < n; k++) {
        const id = Math.trunc(Number(ids.data[k])); // float ids truncate toward zero (15.4)
        if (!(id >= 0 && id < p.input_dim)) throw new EvalError([{ code: 'EVAL_INPUT', pointer: ctx.ptr, message: `embedding id ${ids.data[k]} outside [0, ${p.input_dim})` }]);
        d.set(table.data.subarray(id * o, id * o + o), k * o);
      }
      return [float([...ids.shape, o], d)];
    },
  },
};

/** For each flat index of `shape`, the flat index into `small` (same rank, each dim equal or 1). */
function broadcastIndex(shape, small) {
  const total = numel(shape);
  const out = new Int32Array(total);
  const idx = new Array(shape.length).fill(0);
  for (let flat = 0; flat < total; flat++) {
    let s = 0;
    for (let a = 0; a < shape.length; a++) s = s * small[a] + (small[a] === 1 ? 0 : idx[a]);
    out[flat] = s;
    for (let a = shape.length - 1; a >= 0; a--) { if (++idx[a] < shape[a]) break; idx[a] = 0; }
  }
  return out;
}

