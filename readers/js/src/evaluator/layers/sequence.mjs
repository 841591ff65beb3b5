// Sequence layers: the mask makers of 15.12 (Masking, the NotEqual and Any
// operation layers), Bidirectional and TimeDistributed (15.13),
// MultiHeadAttention (15.14), and GlobalAveragePooling1D with a mask.
import { member, REQUIRED, INVALID, int, bool, num, oneOf, nullOr, readConfig, COMMON } from '../config.mjs';
import { RNN, ATTN, boolValue, maskAt, keptStep } from '../masks.mjs';
import { softmaxAxes } from '../activations.mjs';
import { EvalError, isFloat, numel, normAxis, roundInPlace } from '../tensor.mjs';

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const unfit = (ctx, msg) => new EvalError([ctx.unsupported('', msg)]);

/** Reads a wrapped layer's config (15.13), its findings pointing inside. */
function wrapped(value, allowed, ptr, findings, layers) {
  if (!isObj(value) || !allowed(value.class_name) || (value.config !== undefined && !isObj(value.config))) return INVALID;
  const entry = layers[value.class_name];
  return { type: value.class_name, entry, p: readConfig(value.config ?? {}, { ...COMMON, ...entry.members() }, ptr, findings), raw: value.config ?? {} };
}

export function sequenceLayers(layers) {
  const NOT_WRAPPABLE = new Set([...RNN, 'Bidirectional', 'TimeDistributed', 'MultiHeadAttention', ...ATTN, 'Masking', 'ops.numpy.NotEqual', 'ops.numpy.Any']);
  const bidi = {
    members: () => ({ merge_mode: member('concat', oneOf('concat', 'sum', 'mul', 'ave', null)), layer: member(REQUIRED, (v) => v), backward_layer: member(null, (v) => v) }),
    // Reads the wrapped configs; called by plan() with the layer's pointer.
    nested: (p, ptr, findings) => {
      const f = wrapped(p.layer, (t) => RNN.includes(t), `${ptr}/config/layer`, findings, layers);
      if (f === INVALID) { findings.push({ code: 'EVAL_UNSUPPORTED', pointer: `${ptr}/config/layer`, message: 'Bidirectional wraps a SimpleRNN, LSTM or GRU' }); return; }
      const bRaw = p.backward_layer ?? { class_name: f.type, config: { ...f.raw, go_backwards: true } };
      const b = wrapped(bRaw, (t) => t === f.type, `${ptr}/config/backward_layer`, findings, layers);
      if (b === INVALID) { findings.push({ code: 'EVAL_UNSUPPORTED', pointer: `${ptr}/config/backward_layer`, message: 'not a layer of the forward layer\'s type' }); return; }
      for (const [name, w] of [['layer', f], ['backward_layer', b]]) {
        if (w.p.dtype !== p.dtype) findings.push({ code: 'EVAL_UNSUPPORTED', pointer: `${ptr}/config/${name}`, message: 'another dtype policy than the wrapper' });
        for (const s of ['return_sequences', 'return_state', 'stateful']) if (w.p[s] !== f.p[s]) findings.push({ code: 'EVAL_UNSUPPORTED', pointer: `${ptr}/config/${name}`, message: `differs in ${s}` });
        w.p.zero_output_for_mask = f.p.return_sequences; // Keras forces it (15.13)
      }
      if (f.p.go_backwards === b.p.go_backwards) findings.push({ code: 'EVAL_UNSUPPORTED', pointer: `${ptr}/config/backward_layer`, message: 'same go_backwards as the forward layer' });
      p.fwd = f; p.bwd = b;
      p.layer = f.p; // for outputMasks
    },
    inputs: [1, 7],
    outputs: (p) => (p.merge_mode === null ? 2 : 1) + (p.fwd && p.fwd.p.return_state ? 2 * (p.fwd.type === 'LSTM' ? 2 : 1) : 0),
    weights: (p) => [...p.fwd.entry.weights(p.fwd.p), ...p.bwd.entry.weights(p.bwd.p)],
    shapes: (p, xs) => [...p.fwd.entry.shapes(p.fwd.p, xs).slice(0, p.fwd.entry.weights(p.fwd.p).length), ...p.bwd.entry.shapes(p.bwd.p, xs).slice(0, p.bwd.entry.weights(p.bwd.p).length)],
    run: (p, xs, weights, ctx) => {
      const S = p.fwd.type === 'LSTM' ? 2 : 1;
      if (xs.length !== 1 && xs.length !== 1 + 2 * S) throw unfit(ctx, `takes 1 or ${1 + 2 * S} inputs`);
      const nf = p.fwd.entry.weights(p.fwd.p).length;
      const round = (v) => ({ ...v, data: roundInPlace(Float64Array.from(v.data), p.dtype) }); // each wrapped layer rounds (15.13)
      const fo = p.fwd.entry.run(p.fwd.p, [xs[0], ...xs.slice(1, 1 + S)], weights.slice(0, nf), ctx).map(round);
      const bo = p.bwd.entry.run(p.bwd.p, [xs[0], ...xs.slice(1 + S)], weights.slice(nf), ctx).map(round);
      let [y, ...fs] = fo; let [yr, ...bs] = bo;
      if (p.fwd.p.return_sequences) {
        const [B, T, U] = yr.shape, d = new Float64Array(yr.data.length);
        for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) d.set(yr.data.subarray((b * T + T - 1 - t) * U, (b * T + T - t) * U), (b * T + t) * U);
        yr = { shape: yr.shape, data: d };
      }
      let merged;
      const U = y.shape.at(-1), rows = y.data.length / U;
      if (p.merge_mode === 'concat') {
        const d = new Float64Array(rows * 2 * U);
        for (let r = 0; r < rows; r++) { d.set(y.data.subarray(r * U, r * U + U), r * 2 * U); d.set(yr.data.subarray(r * U, r * U + U), r * 2 * U + U); }
        merged = [{ shape: [...y.shape.slice(0, -1), 2 * U], data: d }];
      } else if (p.merge_mode === null) merged = [y, yr];
      else {
        const op = { sum: (a, b) => a + b, mul: (a, b) => a * b, ave: (a, b) => (a + b) / 2 }[p.merge_mode];
        merged = [{ shape: y.shape, data: y.data.map((v, k) => op(v, yr.data[k])) }];
      }
      return p.fwd.p.return_state ? [...merged, ...fs, ...bs] : merged;
    },
  };
  const td = {
    members: () => ({ layer: member(REQUIRED, (v) => v) }),
    nested: (p, ptr, findings) => {
      const w = wrapped(p.layer, (t) => layers[t] && !NOT_WRAPPABLE.has(t), `${ptr}/config/layer`, findings, layers);
      if (w === INVALID || (w.type === 'Embedding' && w.p.mask_zero)) { findings.push({ code: 'EVAL_UNSUPPORTED', pointer: `${ptr}/config/layer`, message: 'not a layer TimeDistributed may wrap' }); return; }
      if (w.p.dtype !== p.dtype) findings.push({ code: 'EVAL_UNSUPPORTED', pointer: `${ptr}/config/layer`, message: 'another dtype policy than the wrapper' });
      p.inner = w; p.layerType = w.type;
    },
    inputs: [1, 1], outputs: () => 1,
    weights: (p) => p.inner.entry.weights(p.inner.p),
    shapes: (p, [x]) => p.inner.entry.shapes(p.inner.p, [{ shape: [x.shape[0], ...x.shape.slice(2)], data: x.data }]),
    run: (p, [x], weights, ctx) => {
      if (x.shape.length < 3) throw unfit(ctx, 'TimeDistributed needs rank >= 3');
      const [B, T, ...rest] = x.shape, n = numel(rest);
      const steps = [];
      for (let t = 0; t < T; t++) {
        const d = new Float64Array(B * n);
        for (let b = 0; b < B; b++) d.set(x.data.subarray((b * T + t) * n, (b * T + t + 1) * n), b * n);
        steps.push(p.inner.entry.run(p.inner.p, [{ dtype: x.dtype, shape: [B, ...rest], data: d }], weights, ctx)[0]);
      }
      const os = steps[0].shape.slice(1), m = numel(os), d = new Float64Array(B * T * m);
      steps.forEach((s, t) => { for (let b = 0; b < B; b++) d.set(s.data.subarray(b * m, (b + 1) * m), (b * T + t) * m); });
      return [{ shape: [B, T, ...os], data: d }];
    },
  };
  return { Bidirectional: bidi, TimeDistributed: td };
}

export const SEQUENCE = {
  Masking: {
    members: () => ({ mask_value: member(0, num()) }),
    inputs: [1, 1], outputs: () => 1, weights: () => [], shapes: () => [],
    run: (p, [x]) => {
      const F = x.shape.at(-1), d = Float64Array.from(x.data);
      for (let r = 0; r < d.length / F; r++) if (!keptStep(x, p, r)) d.fill(0, r * F, r * F + F);
      return [{ shape: x.shape, data: d }];
    },
  },
  'ops.numpy.NotEqual': {
    members: () => ({}), inputs: [2, 2], outputs: () => 1, weights: () => [], shapes: () => [], rawInputs: true, noPolicy: true,
    run: (p, xs, _w, ctx) => {
      const ops = xs.slice();
      // Keras makes a float32 tensor of a number, unless it is an integer met by an integer tensor (15.12)
      const ints = xs.every((x) => !isFloat(x.dtype));
      for (const [place, c] of ctx.consts) ops.splice(place, 0, { shape: [], data: [ints && Number.isInteger(c) ? c : Math.fround(c)] });
      if (ops.length !== 2) throw unfit(ctx, 'NotEqual takes two operands');
      const [a, b] = ops;
      // Broadcasting as NumPy: align from the right, size 1 repeats.
      const R = Math.max(a.shape.length, b.shape.length);
      const pad = (s) => [...new Array(R - s.length).fill(1), ...s];
      const sa = pad(a.shape), sb = pad(b.shape);
      const shape = sa.map((v, k) => (v === 1 ? sb[k] : v));
      if (sa.some((v, k) => v !== sb[k] && v !== 1 && sb[k] !== 1)) throw unfit(ctx, 'operands do not broadcast');
      const idx = (s, k) => { let off = 0, mul = 1, rem = k; for (let i = R - 1; i >= 0; i--) { const c = rem % shape[i]; rem = Math.floor(rem / shape[i]); off += (s[i] === 1 ? 0 : c) * mul; mul *= s[i]; } return off; };
      return [boolValue(shape, (k) => Number(a.data[idx(sa, k)]) !== Number(b.data[idx(sb, k)]))];
    },
  },
  'ops.numpy.Any': {
    members: () => ({ axis: member(null, (v) => (v === null || Number.isInteger(v) || (Array.isArray(v) && v.every(Number.isInteger)) ? v : INVALID)), keepdims: member(false, bool) }),
    inputs: [1, 1], outputs: () => 1, weights: () => [], shapes: () => [], rawInputs: true, noPolicy: true,
    run: (p, [x], _w, ctx) => {
      const R = x.shape.length;
      const axes = p.axis === null ? x.shape.map((_, k) => k) : (Array.isArray(p.axis) ? p.axis : [p.axis]).map((a) => normAxis(a, R));
      if (axes.some((a) => a === null)) throw unfit(ctx, 'axis outside the value');
      const outShape = x.shape.map((v, k) => (axes.includes(k) ? 1 : v));
      const out = new Uint8Array(numel(outShape));
      const strides = outShape.map((_, k) => numel(outShape.slice(k + 1)));
      for (let k = 0; k < x.data.length; k++) {
        let rem = k, o = 0;
        for (let i = R - 1; i >= 0; i--) { const c = rem % x.shape[i]; rem = Math.floor(rem / x.shape[i]); if (!axes.includes(i)) o += c * strides[i]; }
        if (Number(x.data[k]) !== 0) out[o] = 1;
      }
      return [{ dtype: 'bool', shape: p.keepdims ? outShape : x.shape.filter((_, k) => !axes.includes(k)), data: out }];
    },
  },
  MultiHeadAttention: {
    members: () => ({
      num_heads: member(REQUIRED, int(1)), key_dim: member(REQUIRED, int(1)), value_dim: member(null, nullOr(int(1))), use_bias: member(true, bool),
      output_shape: member(null, oneOf(null)), use_gate: member(false, oneOf(false)), sliding_window: member(null, oneOf(null)),
      attention_axes: member(null, (v) => (v === null || v === 1 || (Array.isArray(v) && v.length === 1 && v[0] === 1) ? v : INVALID)),
    }),
    inputs: [2, 3], outputs: () => 1,
    weights: (p) => ['query', 'key', 'value', 'attention_output'].flatMap((n) => (p.use_bias ? [`${n}/kernel`, `${n}/bias`] : [`${n}/kernel`])),
    shapes: (p, [q, v, k = v]) => {
      const N = p.num_heads, K = p.key_dim, V = p.value_dim ?? K, D = q.shape.at(-1);
      const s = [[[q.shape.at(-1), N, K], [N, K]], [[k.shape.at(-1), N, K], [N, K]], [[v.shape.at(-1), N, V], [N, V]], [[N, V, D], [D]]];
      return s.flatMap(([w, b]) => (p.use_bias ? [w, b] : [w]));
    },
    run: (p, [q, v, k = v], ws, ctx) => {
      if (q.shape.length !== 3 || v.shape.length !== 3 || k.shape.length !== 3 || v.shape[1] !== k.shape[1] || q.shape[0] !== v.shape[0]) throw unfit(ctx, 'MultiHeadAttention needs (batch, T, D) query and (batch, S, ·) value and key');
      const N = p.num_heads, K = p.key_dim, V = p.value_dim ?? K, [B, T, D] = q.shape, S = v.shape[1];
      const w = p.use_bias ? ws : ws.flatMap((x) => [x, null]);
      const project = (x, W, b, H) => {
        const [, L, E] = x.shape, out = new Float64Array(B * L * N * H);
        for (let r = 0; r < B * L; r++) for (let j = 0; j < N * H; j++) {
          let s = b ? b.data[j] : 0;
          for (let e = 0; e < E; e++) s += x.data[r * E + e] * W.data[e * N * H + j];
          out[r * N * H + j] = s;
        }
        return out;
      };
      const qp = project(q, w[0], w[1], K), kp = project(k, w[2], w[3], K), vp = project(v, w[4], w[5], V);
      const am = ctx.named.attention_mask;
      if (am && (am.shape.length !== 3 || am.shape[1] !== T || am.shape[2] !== S || (am.shape[0] !== 1 && am.shape[0] !== B))) throw unfit(ctx, 'attention_mask is not (batch, T, S)');
      const o = new Float64Array(B * T * N * V);
      const scores = new Float64Array(S);
      for (let b = 0; b < B; b++) for (let n = 0; n < N; n++) for (let t = 0; t < T; t++) {
        for (let s = 0; s < S; s++) {
          let acc = 0;
          for (let h = 0; h < K; h++) acc += qp[((b * T + t) * N + n) * K + h] * kp[((b * S + s) * N + n) * K + h];
          const ok = (!am || Number(am.data[((am.shape[0] === 1 ? 0 : b) * T + t) * S + s]) !== 0) && (!ctx.flags.use_causal_mask || s <= t);
          scores[s] = ok ? acc / Math.sqrt(K) : -0.7 * 3.38953e38;
        }
        const a = softmaxAxes(scores, [S], [0]);
        for (let h = 0; h < V; h++) {
          let acc = 0;
          for (let s = 0; s < S; s++) acc += a[s] * vp[((b * S + s) * N + n) * V + h];
          o[((b * T + t) * N + n) * V + h] = acc;
        }
      }
      const y = new Float64Array(B * T * D);
      for (let r = 0; r < B * T; r++) for (let d = 0; d < D; d++) {
        let s = w[7] ? w[7].data[d] : 0;
        for (let j = 0; j < N * V; j++) s += o[r * N * V + j] * w[6].data[j * D + d];
        y[r * D + d] = s;
      }
      return [{ shape: [B, T, D], data: y }];
    },
  },
};

/** GlobalAveragePooling1D with a mask (15.12): the mean over the unmasked steps. */
export function maskedAverage(plain) {
  return {
    ...plain,
    run: (p, xs, w, ctx) => {
      if (!ctx.mask) return plain.run(p, xs, w, ctx);
      const [x] = xs, m = ctx.mask;
      if (x.shape.length !== 3 || m.shape.length !== 2 || m.shape[0] !== x.shape[0] || m.shape[1] !== x.shape[1]) throw unfit(ctx, 'needs (batch, steps, channels) and a (batch, steps) mask');
      const [B, T, C] = x.shape, d = new Float64Array(B * C);
      for (let b = 0; b < B; b++) {
        let count = 0;
        for (let t = 0; t < T; t++) if (maskAt(m, b * T + t)) { count++; for (let c = 0; c < C; c++) d[b * C + c] += x.data[(b * T + t) * C + c]; }
        for (let c = 0; c < C; c++) d[b * C + c] /= count;
      }
      return [{ shape: p.keepdims ? [B, 1, C] : [B, C], data: d }];
    },
  };
}

