// Normalization (15.7): BatchNormalization at inference, LayerNormalization;
// GroupNormalization (15.14).
import { member, INVALID, int, bool, num, oneOf, axes } from '../config.mjs';
import { groupsOf } from '../activations.mjs';
import { EvalError, normAxis, stridesOf } from '../tensor.mjs';

const axisOf = (p, x, ctx) => {
  const ax = p.axis.map((a) => normAxis(a, x.shape.length));
  if (ax.includes(null)) throw new EvalError([ctx.unsupported('', `axis ${JSON.stringify(p.axis)} does not fit rank ${x.shape.length}`)]);
  return ax;
};

export const NORM = {
  BatchNormalization: {
    members: () => ({
      axis: member(-1, axes(false)), epsilon: member(0.001, num(0)), center: member(true, bool), scale: member(true, bool),
      renorm: member(false, oneOf(false)),
    }),
    inputs: [1, 1], outputs: () => 1,
    weights: (p) => [...(p.scale ? ['gamma'] : []), ...(p.center ? ['beta'] : []), 'moving_mean', 'moving_variance'],
    shapes: (p, [x]) => {
      const a = normAxis(p.axis[0], x.shape.length);
      const n = a === null ? -1 : x.shape[a];
      return NORM.BatchNormalization.weights(p).map(() => [n]);
    },
    run: (p, [x], weights, ctx) => {
      const [a] = axisOf(p, x, ctx);
      const ws = weights.slice();
      const gamma = p.scale ? ws.shift() : null;
      const beta = p.center ? ws.shift() : null;
      const [mean, variance] = ws;
      const n = x.shape[a], stride = stridesOf(x.shape)[a];
      const d = new Float64Array(x.data.length);
      for (let k = 0; k < d.length; k++) {
        const c = Math.floor(k / stride) % n;
        let y = (x.data[k] - mean.data[c]) / Math.sqrt(variance.data[c] + p.epsilon);
        if (gamma) y *= gamma.data[c];
        if (beta) y += beta.data[c];
        d[k] = y;
      }
      return [{ shape: x.shape, data: d }];
    },
  },
  LayerNormalization: {
    members: () => ({
      axis: member(-1, axes(true)), epsilon: member(0.001, num(0)), center: member(true, bool), scale: member(true, bool),
      rms_scaling: member(false, oneOf(false)),
    }),
    inputs: [1, 1], outputs: () => 1,
    weights: (p) => [...(p.scale ? ['gamma'] : []), ...(p.center ? ['beta'] : [])],
    shapes: (p, [x]) => {
      const ax = p.axis.map((a) => normAxis(a, x.shape.length));
      const dims = ax.includes(null) ? [-1] : [...ax].sort((u, v) => u - v).map((a) => x.shape[a]);
      return NORM.LayerNormalization.weights(p).map(() => dims);
    },
    run: (p, [x], ws, ctx) => {
      const ax = axisOf(p, x, ctx);
      const gamma = p.scale ? ws[0] : null;
      const beta = p.center ? ws[p.scale ? 1 : 0] : null;
      const d = new Float64Array(x.data.length);
      // members of a group run row-major over the normalized axes, so member m is gamma's element m
      for (const members of groupsOf(x.shape, ax)) {
        let mean = 0;
        for (const k of members) mean += x.data[k];
        mean /= members.length;
        let variance = 0;
        for (const k of members) variance += (x.data[k] - mean) ** 2;
        variance /= members.length;
        const inv = 1 / Math.sqrt(variance + p.epsilon);
        members.forEach((k, m) => {
          let y = (x.data[k] - mean) * inv;
          if (gamma) y *= gamma.data[m];
          if (beta) y += beta.data[m];
          d[k] = y;
        });
      }
      return [{ shape: x.shape, data: d }];
    },
  },  GroupNormalization: {
    members: () => ({
      groups: member(32, int(1)), axis: member(-1, (v) => (v === -1 || (Number.isInteger(v) && v >= 1) ? v : INVALID)),
      epsilon: member(0.001, num(0)), center: member(true, bool), scale: member(true, bool),
    }),
    inputs: [1, 1], outputs: () => 1,
    weights: (p) => [...(p.scale ? ['gamma'] : []), ...(p.center ? ['beta'] : [])],
    shapes: (p, [x]) => {
      const a = normAxis(p.axis, x.shape.length);
      return NORM.GroupNormalization.weights(p).map(() => [a === null ? -1 : x.shape[a]]);
    },
    run: (p, [x], ws, ctx) => {
      const a = normAxis(p.axis, x.shape.length);
      if (a === null) throw new EvalError([ctx.unsupported('', `axis ${p.axis} is not a non-batch axis of rank ${x.shape.length}`)]);
      const c = x.shape[a];
      if (c % p.groups !== 0) throw new EvalError([ctx.unsupported('', `groups ${p.groups} does not divide the ${c} channels of axis ${p.axis}`)]);
      const gamma = p.scale ? ws[0] : null;
      const beta = p.center ? ws[p.scale ? 1 : 0] : null;
      const B = x.shape[0], inner = stridesOf(x.shape)[a], outer = x.data.length / (B * c * inner), width = c / p.groups;
      // flat index of (batch b, position i of the axes between batch and channel, channel ch, position j after it)
      const at = (b, i, ch, j) => ((b * outer + i) * c + ch) * inner + j;
      const d = new Float64Array(x.data.length);
      const count = outer * width * inner;
      for (let b = 0; b < B; b++) for (let g = 0; g < p.groups; g++) {
        const first = g * width, last = first + width;
        let mean = 0;
        for (let i = 0; i < outer; i++) for (let ch = first; ch < last; ch++) for (let j = 0; j < inner; j++) mean += x.data[at(b, i, ch, j)];
        mean /= count;
        let variance = 0;
        for (let i = 0; i < outer; i++) for (let ch = first; ch < last; ch++) for (let j = 0; j < inner; j++) variance += (x.data[at(b, i, ch, j)] - mean) ** 2;
        variance /= count;
        const inv = 1 / Math.sqrt(variance + p.epsilon);
        for (let i = 0; i < outer; i++) for (let ch = first; ch < last; ch++) for (let j = 0; j < inner; j++) {
          const k = at(b, i, ch, j);
          let y = (x.data[k] - mean) * inv;
          if (gamma) y *= gamma.data[ch];
          if (beta) y += beta.data[ch];
          d[k] = y;
        }
      }
      return [{ shape: x.shape, data: d }];
    },
  },
};
