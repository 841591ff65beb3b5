// Recurrent layers (15.10): SimpleRNN, LSTM, GRU at inference.
import { member, REQUIRED, int, bool, oneOf, activation } from '../config.mjs';
import { applyActivation } from '../activations.mjs';
import { EvalError } from '../tensor.mjs';

const GATES = { SimpleRNN: 1, LSTM: 4, GRU: 3 };
const STATES = { SimpleRNN: 1, LSTM: 2, GRU: 1 };

/** out[j] = sum_i v[i] · m[i, cols + j] (+ add[j]) for j < width; m has `stride` columns. */
function matvec(v, m, stride, col, width, add = null, addOff = 0) {
  const out = new Float64Array(width);
  for (let j = 0; j < width; j++) {
    let s = add ? add[addOff + j] : 0;
    for (let i = 0; i < v.length; i++) s += v[i] * m[i * stride + col + j];
    out[j] = s;
  }
  return out;
}

function entry(type) {
  const G = GATES[type];
  const members = {
    units: member(REQUIRED, int(1)), activation: member('tanh', activation), use_bias: member(true, bool),
    return_sequences: member(false, bool), return_state: member(false, bool), go_backwards: member(false, bool),
    stateful: member(false, oneOf(false)), time_major: member(false, oneOf(false)),
    zero_output_for_mask: member(false, bool),
  };
  if (type !== 'SimpleRNN') members.recurrent_activation = member('sigmoid', activation);
  if (type === 'GRU') members.reset_after = member(true, bool);
  return {
    members: () => members,
    inputs: [1, 1 + STATES[type]], inputCounts: [1, 1 + STATES[type]], // the sequence, or it and every initial state (15.1)
    outputs: (p) => 1 + (p.return_state ? STATES[type] : 0),
    weights: (p) => ['kernel', 'recurrent_kernel', ...(p.use_bias ? ['bias'] : [])],
    shapes: (p, [x]) => {
      const gu = G * p.units;
      return [[x.shape.at(-1), gu], [p.units, gu], type === 'GRU' && p.reset_after ? [2, gu] : [gu]];
    },
    run: (p, xs, [kernel, rk, bias], ctx) => {
      const [x, ...init] = xs;
      if (x.shape.length !== 3) throw new EvalError([ctx.unsupported('', `${type} needs (batch, time, in), got [${x.shape}]`)]);
      if (init.length !== 0 && init.length !== STATES[type]) throw new EvalError([ctx.unsupported('', `${type} takes ${STATES[type]} initial state(s), got ${init.length}`)]);
      const [B, T, n] = x.shape, u = p.units, gu = G * u;
      for (const s of init) if (s.shape.length !== 2 || s.shape[0] !== B || s.shape[1] !== u) throw new EvalError([ctx.unsupported('', `initial state of shape [${s.shape}], expected [${B}, ${u}]`)]);
      const zeros = new Float64Array(2 * gu);
      const bx = bias ? bias.data : zeros; // GRU reset_after: row 0 is b_x, row 1 is b_h
      const bh = type === 'GRU' && p.reset_after && bias ? bias.data.subarray(gu) : zeros;
      const g = (v) => applyActivation(p.activation, v, [1, v.length]);
      const r = (v) => applyActivation(p.recurrent_activation, v, [1, v.length]);
      const steps = Array.from({ length: T }, (_, t) => (p.go_backwards ? T - 1 - t : t));
      const seq = new Float64Array(B * T * u);
      const hOut = new Float64Array(B * u), cOut = new Float64Array(B * u);
      const mask = ctx.mask ?? null;
      if (mask && (mask.shape.length !== 2 || mask.shape[0] !== B || mask.shape[1] !== T)) throw new EvalError([ctx.unsupported('', `mask of shape [${mask.shape}], expected [${B}, ${T}]`)]);
      for (let b = 0; b < B; b++) {
        let prevOut = new Float64Array(u); // 15.12: the output before the first step is 0
        let h = init[0] ? init[0].data.slice(b * u, b * u + u) : new Float64Array(u);
        let c = init[1] ? init[1].data.slice(b * u, b * u + u) : new Float64Array(u);
        steps.forEach((t, k) => {
          const hPrev = h, cPrev = c;
          const xt = x.data.subarray((b * T + t) * n, (b * T + t + 1) * n);
          if (type === 'SimpleRNN') {
            const z = matvec(xt, kernel.data, gu, 0, u, bx);
            const hz = matvec(h, rk.data, gu, 0, u);
            h = g(z.map((v, j) => v + hz[j]));
          } else if (type === 'LSTM') {
            const z = matvec(xt, kernel.data, gu, 0, gu, bx);
            const hz = matvec(h, rk.data, gu, 0, gu);
            for (let j = 0; j < gu; j++) z[j] += hz[j];
            const i = r(z.slice(0, u)), f = r(z.slice(u, 2 * u)), cc = g(z.slice(2 * u, 3 * u)), o = r(z.slice(3 * u));
            c = c.map((cv, j) => f[j] * cv + i[j] * cc[j]);
            const gc = g(Float64Array.from(c));
            h = o.map((ov, j) => ov * gc[j]);
          } else {
            const xz = matvec(xt, kernel.data, gu, 0, gu, bx);
            const hz = matvec(h, rk.data, gu, 0, u, bh);
            const z = r(xz.slice(0, u).map((v, j) => v + hz[j]));
            const hr = matvec(h, rk.data, gu, u, u, bh, u);
            const rho = r(xz.slice(u, 2 * u).map((v, j) => v + hr[j]));
            let cand;
            if (p.reset_after) {
              const hh = matvec(h, rk.data, gu, 2 * u, u, bh, 2 * u);
              cand = g(xz.slice(2 * u).map((v, j) => v + rho[j] * hh[j]));
            } else {
              const hh = matvec(h.map((hv, j) => rho[j] * hv), rk.data, gu, 2 * u, u);
              cand = g(xz.slice(2 * u).map((v, j) => v + hh[j]));
            }
            h = h.map((hv, j) => z[j] * hv + (1 - z[j]) * cand[j]);
          }
          let o = h;
          if (mask && Number(mask.data[b * T + t]) === 0) {
            // a masked step keeps the states; its output is the previous output, or 0 (15.12)
            h = hPrev; c = cPrev;
            o = p.zero_output_for_mask ? new Float64Array(u) : prevOut;
          }
          prevOut = o;
          seq.set(o, (b * T + k) * u);
        });
        hOut.set(h, b * u);
        cOut.set(c, b * u);
      }
      const last = new Float64Array(B * u);
      for (let b = 0; b < B; b++) last.set(seq.subarray((b * T + T - 1) * u, (b * T + T) * u), b * u);
      const out = p.return_sequences ? { shape: [B, T, u], data: seq } : { shape: [B, u], data: last };
      if (!p.return_state) return [out];
      return [out, { shape: [B, u], data: hOut }, ...(type === 'LSTM' ? [{ shape: [B, u], data: cOut }] : [])];
    },
  };
}

export const RECURRENT = { SimpleRNN: entry('SimpleRNN'), LSTM: entry('LSTM'), GRU: entry('GRU') };
