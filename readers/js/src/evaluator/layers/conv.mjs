// Convolutions (15.5) and pooling (15.6), for 1 or 2 spatial axes.
import { member, REQUIRED, int, bool, oneOf, nullOr, activation, perAxis } from '../config.mjs';
import { applyActivation } from '../activations.mjs';
import { EvalError, numel } from '../tensor.mjs';

/** Geometry of one spatial axis: padding before, output positions (15.5). */
export function axisGeometry(n, k, s, d, padding) {
  const kd = (k - 1) * d + 1;
  if (padding === 'same') {
    const out = Math.ceil(n / s);
    return { before: Math.floor(Math.max((out - 1) * s + kd - n, 0) / 2), out };
  }
  if (padding === 'causal') return { before: kd - 1, out: Math.floor((n - 1) / s) + 1 };
  return { before: 0, out: Math.max(Math.floor((n - kd) / s) + 1, 0) };
}

/**
 * For every output position (row-major over the spatial axes) the pairs
 * [kernel offset, input position] (both flat) that lie inside the input:
 * output o reads padded position o·s + j·d, i.e. input o·s + j·d - before.
 */
export function taps(inSp, ks, ss, ds, padding) {
  const geo = inSp.map((n, a) => axisGeometry(n, ks[a], ss[a], ds[a], padding));
  const outSp = geo.map((g) => g.out);
  const list = [];
  for (const o of multiIndexes(outSp)) {
    const pairs = [];
    for (const [jFlat, j] of multiIndexes(ks).entries()) {
      let p = 0, inside = true;
      for (let a = 0; a < inSp.length; a++) {
        const pos = o[a] * ss[a] + j[a] * ds[a] - geo[a].before;
        if (pos < 0 || pos >= inSp[a]) { inside = false; break; }
        p = p * inSp[a] + pos;
      }
      if (inside) pairs.push(jFlat, p);
    }
    list.push(pairs);
  }
  return { outSp, list };
}

/** Every multi-index of a shape, row-major. */
export function multiIndexes(shape) {
  const out = [];
  const total = numel(shape);
  const idx = new Array(shape.length).fill(0);
  for (let f = 0; f < total; f++) {
    out.push(idx.slice());
    for (let a = shape.length - 1; a >= 0; a--) { if (++idx[a] < shape[a]) break; idx[a] = 0; }
  }
  return out;
}

const split = (x) => ({ B: x.shape[0], sp: x.shape.slice(1, -1), C: x.shape.at(-1) });

/** The value has r spatial axes (rank r + 2), else EVAL_UNSUPPORTED at the layer (15.1 Shapes). */
function needRank(x, r, ctx) {
  if (x.shape.length !== r + 2) throw new EvalError([ctx.unsupported('', `needs an input of rank ${r + 2}, got [${x.shape}]`)]);
}

/** Windows that do not fit the (padded) input leave no output position: EVAL_UNSUPPORTED at the layer. */
function needWindows(outSp, ctx) {
  if (outSp.some((n) => n <= 0)) throw new EvalError([ctx.unsupported('', `the window is larger than the (padded) input`)]);
}

function convMembers(r, type) {
  const m = {
    kernel_size: member(REQUIRED, perAxis(r)), strides: member(1, perAxis(r)), dilation_rate: member(1, perAxis(r)),
    padding: member('valid', type === 'Conv' && r === 1 ? oneOf('valid', 'same', 'causal') : oneOf('valid', 'same')),
    use_bias: member(true, bool), activation: member('linear', activation), data_format: member('channels_last', oneOf('channels_last')),
  };
  if (type !== 'Depthwise') m.filters = member(REQUIRED, int(1));
  if (type === 'Conv') m.groups = member(1, int(1));
  if (type === 'Depthwise' || type === 'Separable') m.depth_multiplier = member(1, int(1));
  if (type === 'Transpose') m.output_padding = member(null, nullOr(perAxis(r, 0)));
  return m;
}

/** Depthwise convolution without bias: channel c·M + m. */
function depthwise(x, p, dk, ctx) {
  const { B, sp, C } = split(x);
  const M = p.depth_multiplier;
  const { outSp, list } = taps(sp, p.kernel_size, p.strides, p.dilation_rate, p.padding);
  needWindows(outSp, ctx);
  const P = numel(sp), Q = list.length, out = C * M;
  const d = new Float64Array(B * Q * out);
  for (let b = 0; b < B; b++) for (let q = 0; q < Q; q++) {
    const pairs = list[q], base = (b * Q + q) * out;
    for (let t = 0; t < pairs.length; t += 2) {
      const j = pairs[t], xb = (b * P + pairs[t + 1]) * C;
      for (let c = 0; c < C; c++) for (let m = 0; m < M; m++) d[base + c * M + m] += x.data[xb + c] * dk.data[(j * C + c) * M + m];
    }
  }
  return { shape: [B, ...outSp, out], data: d };
}

function finish(p, shape, d, bias) {
  const F = shape.at(-1);
  if (bias) for (let k = 0; k < d.length; k++) d[k] += bias.data[k % F];
  return [{ shape, data: applyActivation(p.activation, d, shape) }];
}

function convEntry(r, type) {
  const k = (p) => p.kernel_size;
  const groupsFit = (p, C, ctx) => {
    if (C % p.groups !== 0 || p.filters % p.groups !== 0) throw new EvalError([ctx.unsupported('', `groups ${p.groups} does not divide ${C} channels and ${p.filters} filters`)]);
  };
  const entries = {
    Conv: {
      weights: (p) => (p.use_bias ? ['kernel', 'bias'] : ['kernel']),
      shapes: (p, [x]) => [[...k(p), x.shape.at(-1) / p.groups, p.filters], [p.filters]],
      run: (p, [x], [kernel, bias], ctx) => {
        const { B, sp, C } = split(x);
        groupsFit(p, C, ctx);
        const G = p.groups, ci = C / G, fo = p.filters / G, F = p.filters;
        const { outSp, list } = taps(sp, k(p), p.strides, p.dilation_rate, p.padding);
        needWindows(outSp, ctx);
        const P = numel(sp), Q = list.length;
        const d = new Float64Array(B * Q * F);
        for (let b = 0; b < B; b++) for (let q = 0; q < Q; q++) {
          const pairs = list[q], base = (b * Q + q) * F;
          for (let t = 0; t < pairs.length; t += 2) {
            const j = pairs[t], xb = (b * P + pairs[t + 1]) * C;
            for (let g = 0; g < G; g++) for (let c = 0; c < ci; c++) {
              const xv = x.data[xb + g * ci + c], kb = (j * ci + c) * F + g * fo;
              for (let f = 0; f < fo; f++) d[base + g * fo + f] += xv * kernel.data[kb + f];
            }
          }
        }
        return finish(p, [B, ...outSp, F], d, bias);
      },
    },
    Depthwise: {
      weights: (p) => (p.use_bias ? ['depthwise_kernel', 'bias'] : ['depthwise_kernel']),
      shapes: (p, [x]) => [[...k(p), x.shape.at(-1), p.depth_multiplier], [x.shape.at(-1) * p.depth_multiplier]],
      run: (p, [x], [dk, bias], ctx) => { const y = depthwise(x, p, dk, ctx); return finish(p, y.shape, y.data, bias); },
    },
    Separable: {
      weights: (p) => (p.use_bias ? ['depthwise_kernel', 'pointwise_kernel', 'bias'] : ['depthwise_kernel', 'pointwise_kernel']),
      shapes: (p, [x]) => {
        const cm = x.shape.at(-1) * p.depth_multiplier;
        return [[...k(p), x.shape.at(-1), p.depth_multiplier], [...k(p).map(() => 1), cm, p.filters], [p.filters]];
      },
      run: (p, [x], [dk, pk, bias], ctx) => {
        const y = depthwise(x, p, dk, ctx);
        const cm = y.shape.at(-1), F = p.filters, rows = y.data.length / cm;
        const d = new Float64Array(rows * F);
        for (let r0 = 0; r0 < rows; r0++) for (let c = 0; c < cm; c++) {
          const v = y.data[r0 * cm + c];
          for (let f = 0; f < F; f++) d[r0 * F + f] += v * pk.data[c * F + f];
        }
        return finish(p, [...y.shape.slice(0, -1), F], d, bias);
      },
    },
    Transpose: {
      weights: (p) => (p.use_bias ? ['kernel', 'bias'] : ['kernel']),
      shapes: (p, [x]) => [[...k(p), p.filters, x.shape.at(-1)], [p.filters]],
      run: (p, [x], [kernel, bias]) => {
        const { B, sp, C } = split(x);
        const F = p.filters, ks = k(p), ss = p.strides, ds = p.dilation_rate;
        const outSp = [], begin = [];
        sp.forEach((n, a) => {
          const kd = (ks[a] - 1) * ds[a] + 1, full = (n - 1) * ss[a] + kd;
          const op = p.output_padding === null ? null : p.output_padding[a];
          let len;
          if (p.padding === 'valid') len = full + (op === null ? Math.max(kd, ss[a]) - kd : op);
          else len = op === null ? n * ss[a] : (n - 1) * ss[a] + (kd % 2) + op;
          outSp.push(len);
          begin.push(p.padding === 'valid' ? 0 : Math.floor(Math.max(full - len, 0) / 2));
        });
        const Q = numel(outSp), P = numel(sp);
        const d = new Float64Array(B * Q * F);
        const kIdx = multiIndexes(ks);
        for (const [iFlat, i] of multiIndexes(sp).entries()) {
          for (const [jFlat, j] of kIdx.entries()) {
            let o = 0, inside = true;
            for (let a = 0; a < sp.length; a++) {
              const pos = i[a] * ss[a] + j[a] * ds[a] - begin[a];
              if (pos < 0 || pos >= outSp[a]) { inside = false; break; }
              o = o * outSp[a] + pos;
            }
            if (!inside) continue;
            for (let b = 0; b < B; b++) {
              const xb = (b * P + iFlat) * C, yb = (b * Q + o) * F;
              for (let f = 0; f < F; f++) {
                let s = 0;
                for (let c = 0; c < C; c++) s += x.data[xb + c] * kernel.data[(jFlat * F + f) * C + c];
                d[yb + f] += s;
              }
            }
          }
        }
        return finish(p, [B, ...outSp, F], d, bias);
      },
    },
  };
  const e = entries[type];
  return {
    members: () => convMembers(r, type), inputs: [1, 1], outputs: () => 1, weights: e.weights,
    shapes: (p, xs) => e.shapes(p, xs).slice(0, e.weights(p).length),
    run: (p, xs, ws, ctx) => { needRank(xs[0], r, ctx); return e.run(p, xs, ws, ctx); },
  };
}

function poolEntry(r, kind) {
  return {
    members: () => ({
      pool_size: member(2, perAxis(r)), strides: member(null, nullOr(perAxis(r))), padding: member('valid', oneOf('valid', 'same')),
      data_format: member('channels_last', oneOf('channels_last')),
    }),
    inputs: [1, 1], outputs: () => 1, weights: () => [], shapes: () => [],
    run: (p, [x], _w, ctx) => {
      needRank(x, r, ctx);
      const { B, sp, C } = split(x);
      const { outSp, list } = taps(sp, p.pool_size, p.strides ?? p.pool_size, sp.map(() => 1), p.padding);
      needWindows(outSp, ctx);
      const P = numel(sp), Q = list.length;
      const d = new Float64Array(B * Q * C);
      for (let b = 0; b < B; b++) for (let q = 0; q < Q; q++) {
        const pairs = list[q], count = pairs.length / 2;
        for (let c = 0; c < C; c++) {
          let acc = kind === 'max' ? -Infinity : 0;
          for (let t = 1; t < pairs.length; t += 2) {
            const v = x.data[(b * P + pairs[t]) * C + c];
            acc = kind === 'max' ? Math.max(acc, v) : acc + v;
          }
          d[(b * Q + q) * C + c] = kind === 'max' ? acc : acc / count;
        }
      }
      return [{ shape: [B, ...outSp, C], data: d }];
    },
  };
}

function globalPoolEntry(r, kind) {
  return {
    members: () => ({ keepdims: member(false, bool), data_format: member('channels_last', oneOf('channels_last')) }),
    inputs: [1, 1], outputs: () => 1, weights: () => [], shapes: () => [],
    run: (p, [x], _w, ctx) => {
      needRank(x, r, ctx);
      const { B, sp, C } = split(x);
      const P = numel(sp);
      const d = new Float64Array(B * C);
      for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) {
        let acc = kind === 'max' ? -Infinity : 0;
        for (let q = 0; q < P; q++) {
          const v = x.data[(b * P + q) * C + c];
          acc = kind === 'max' ? Math.max(acc, v) : acc + v;
        }
        d[b * C + c] = kind === 'max' ? acc : acc / P;
      }
      return [{ shape: p.keepdims ? [B, ...sp.map(() => 1), C] : [B, C], data: d }];
    },
  };
}

export const CONV = {};
for (const r of [1, 2]) {
  CONV[`Conv${r}D`] = convEntry(r, 'Conv');
  CONV[`DepthwiseConv${r}D`] = convEntry(r, 'Depthwise');
  CONV[`SeparableConv${r}D`] = convEntry(r, 'Separable');
  CONV[`Conv${r}DTranspose`] = convEntry(r, 'Transpose');
  CONV[`MaxPooling${r}D`] = poolEntry(r, 'max');
  CONV[`AveragePooling${r}D`] = poolEntry(r, 'average');
  CONV[`GlobalMaxPooling${r}D`] = globalPoolEntry(r, 'max');
  CONV[`GlobalAveragePooling${r}D`] = globalPoolEntry(r, 'average');
}
