// Attention and AdditiveAttention (spec.md 15.14): scores, then the value
// mask and causal mask as Keras' 1e9 bias, a softmax over the value steps,
// and the query mask zeroing whole output steps.
import { member, bool, oneOf } from '../config.mjs';
import { EvalError, roundInPlace } from '../tensor.mjs';

/** Keras subtracts this from a score that is not allowed (15.14). */
const MASK_BIAS = 1e9;

const unfit = (ctx, message) => new EvalError([ctx.unsupported('', message)]);

/** [query, value, key] with the key defaulting to the value, checked as 15.14 requires. */
function operands(xs, ctx) {
  const [q, v, k = v] = xs;
  if ([q, v, k].some((x) => x.shape.length !== 3)) throw unfit(ctx, `query, value and key have to be (batch, steps, dim), got ${xs.map((x) => `[${x.shape}]`).join(' ')}`);
  if (q.shape.at(-1) !== k.shape.at(-1)) throw unfit(ctx, `query dim ${q.shape.at(-1)} differs from key dim ${k.shape.at(-1)}`);
  if (k.shape[1] !== v.shape[1]) throw unfit(ctx, `key steps ${k.shape[1]} differ from value steps ${v.shape[1]}`);
  if (v.shape[0] !== q.shape[0] || k.shape[0] !== q.shape[0]) throw unfit(ctx, 'query, value and key have different batch sizes');
  return [q, v, k];
}

/** A (batch, steps) mask as a predicate (b, t) -> bool, or null for none; any nonzero counts as true (15.12). */
function maskOf(m, batch, steps, which, ctx) {
  if (!m) return null;
  if (m.shape.length !== 2 || m.shape[0] !== batch || m.shape[1] !== steps) throw unfit(ctx, `the ${which} mask [${m.shape}] is not (batch, steps) = [${batch},${steps}]`);
  return (b, t) => Number(m.data[b * steps + t]) !== 0;
}

/**
 * The shared second half of both layers: `score(b, t, s)` gives the raw
 * score; masked positions get the bias in the policy dtype, then softmax
 * over s, weighted sum of the value, query-masked steps set to 0.
 */
function attend(q, v, score, p, ctx) {
  const [B, Tq] = q.shape, [, Tv, Dv] = v.shape;
  const [qMask, vMask] = (ctx.mask ?? [null, null]).map((m, k) => maskOf(m, B, k === 0 ? Tq : Tv, k === 0 ? 'query' : 'value', ctx));
  const causal = ctx.flags.use_causal_mask === true;
  const round = (x) => roundInPlace(Float64Array.of(x), p.dtype)[0];
  const y = new Float64Array(B * Tq * Dv);
  const row = new Float64Array(Tv);
  for (let b = 0; b < B; b++) for (let t = 0; t < Tq; t++) {
    if (qMask && !qMask(b, t)) continue; // the step's output is 0
    let m = -Infinity;
    for (let s = 0; s < Tv; s++) {
      const allowed = (!vMask || vMask(b, s)) && (!causal || s <= t);
      // in a float32 policy the bias swamps the score: a row with no allowed step is then near uniform
      row[s] = allowed ? score(b, t, s) : round(round(score(b, t, s)) - MASK_BIAS);
      m = Math.max(m, row[s]);
    }
    let sum = 0;
    for (let s = 0; s < Tv; s++) { row[s] = Math.exp(row[s] - m); sum += row[s]; }
    const out = (b * Tq + t) * Dv;
    for (let s = 0; s < Tv; s++) {
      const a = row[s] / sum, at = (b * Tv + s) * Dv;
      for (let d = 0; d < Dv; d++) y[out + d] += a * v.data[at + d];
    }
  }
  return [{ shape: [B, Tq, Dv], data: y }];
}

/** Dot product of query step t and key step s over the shared dim. */
function dot(q, k, b, t, s) {
  const [, Tq, D] = q.shape, Tv = k.shape[1];
  let acc = 0;
  for (let j = 0; j < D; j++) acc += q.data[(b * Tq + t) * D + j] * k.data[(b * Tv + s) * D + j];
  return acc;
}

/** Σ_j c_j · tanh(inner · (q[t,j] + k[s,j])), c from `weight(j)`. */
function tanhSum(q, k, b, t, s, inner, weight) {
  const [, Tq, D] = q.shape, Tv = k.shape[1];
  let acc = 0;
  for (let j = 0; j < D; j++) acc += weight(j) * Math.tanh(inner * (q.data[(b * Tq + t) * D + j] + k.data[(b * Tv + s) * D + j]));
  return acc;
}

export const ATTENTION = {
  Attention: {
    members: () => ({ use_scale: member(false, bool), score_mode: member('dot', oneOf('dot', 'concat')) }),
    inputs: [2, 3], outputs: () => 1,
    weights: (p) => [...(p.use_scale ? ['scale'] : []), ...(p.score_mode === 'concat' ? ['concat_score_weight'] : [])],
    shapes: (p) => ATTENTION.Attention.weights(p).map(() => []),
    run: (p, xs, ws, ctx) => {
      const [q, v, k] = operands(xs, ctx);
      const scale = p.use_scale ? ws[0].data[0] : null;
      if (p.score_mode === 'dot') return attend(q, v, (b, t, s) => (scale === null ? dot(q, k, b, t, s) : dot(q, k, b, t, s) * scale), p, ctx);
      const w = ws.at(-1).data[0];
      return attend(q, v, (b, t, s) => w * tanhSum(q, k, b, t, s, scale ?? 1, () => 1), p, ctx);
    },
  },
  AdditiveAttention: {
    members: () => ({ use_scale: member(true, bool) }),
    inputs: [2, 3], outputs: () => 1,
    weights: (p) => (p.use_scale ? ['scale'] : []),
    shapes: (p, [q]) => (p.use_scale ? [[q.shape.at(-1)]] : []),
    run: (p, xs, ws, ctx) => {
      const [q, v, k] = operands(xs, ctx);
      const c = p.use_scale ? (j) => ws[0].data[j] : () => 1;
      return attend(q, v, (b, t, s) => tanhSum(q, k, b, t, s, 1, c), p, ctx);
    },
  },
};
