// Merge layers (15.8) and shape and identity layers (15.9). The 15.9 layers
// and Concatenate move values without arithmetic, so integer and bool values
// keep their dtype (`keepsInts`).
import { member, REQUIRED, INVALID, int, oneOf } from '../config.mjs';
import { EvalError, asFloat64, numel, normAxis, stridesOf, sameKind } from '../tensor.mjs';
import { multiIndexes } from './conv.mjs';

const isInt = (v) => typeof v === 'number' && Number.isInteger(v);
const same = (a, b) => a.length === b.length && a.every((v, k) => v === b[k]);
const noWeights = { weights: () => [], shapes: () => [], outputs: () => 1 };

/**
 * The shape merge inputs broadcast to (15.8): one rank, on each axis equal
 * sizes or 1; null when they do not.
 */
function broadcastShape(xs) {
  const rank = xs[0].shape.length;
  if (!xs.every((x) => x.shape.length === rank)) return null;
  const shape = [];
  for (let a = 0; a < rank; a++) {
    const sizes = new Set(xs.map((x) => x.shape[a]).filter((n) => n !== 1));
    if (sizes.size > 1) return null;
    shape.push(sizes.size ? [...sizes][0] : 1);
  }
  return shape;
}

/** For each flat index of `shape`, the flat index into `small` (same rank, each dim equal or 1). */
function broadcastIndex(shape, small) {
  const out = new Int32Array(numel(shape));
  const idx = new Array(shape.length).fill(0);
  for (let flat = 0; flat < out.length; flat++) {
    let s = 0;
    for (let a = 0; a < shape.length; a++) s = s * small[a] + (small[a] === 1 ? 0 : idx[a]);
    out[flat] = s;
    for (let a = shape.length - 1; a >= 0; a--) { if (++idx[a] < shape[a]) break; idx[a] = 0; }
  }
  return out;
}

function elementwise(op, arity) {
  return {
    ...noWeights, members: () => ({}), inputs: arity,
    run: (_p, xs, _w, ctx) => {
      const shape = broadcastShape(xs);
      if (!shape) throw new EvalError([ctx.unsupported('', `merge inputs ${xs.map((x) => `[${x.shape}]`).join(' ')} do not broadcast`)]);
      const at = xs.map((x) => (same(x.shape, shape) ? null : broadcastIndex(shape, x.shape)));
      const value = (j, k) => xs[j].data[at[j] ? at[j][k] : k];
      const d = new Float64Array(numel(shape));
      for (let k = 0; k < d.length; k++) {
        let acc = value(0, k);
        for (let j = 1; j < xs.length; j++) acc = op(acc, value(j, k));
        d[k] = op === AVG ? acc / xs.length : acc;
      }
      return [{ shape, data: d }];
    },
  };
}
const AVG = (a, b) => a + b;

/** A reshaping layer: `shapeOf(p, x)` gives the output shape, `source(p, x)` maps out index -> in index. */
function mover(members, run) {
  return { ...noWeights, members: () => members, inputs: [1, 1], keepsInts: true, run };
}

/** Copies `x` into a new value of `shape`, element k of the result from x element src(k) (-1: zero). */
function gather(x, shape, src) {
  const y = sameKind(x, shape);
  const zero = y.data instanceof BigInt64Array || y.data instanceof BigUint64Array ? 0n : 0;
  for (let k = 0; k < y.data.length; k++) { const s = src(k); y.data[k] = s < 0 ? zero : x.data[s]; }
  return y;
}

/**
 * (before, after) per spatial axis (15.9): an integer; for 1D one pair,
 * [b, a] or [[b, a]]; for 2D one item per axis, each an integer or a pair.
 */
const pairs = (r) => (v) => {
  if (isInt(v) && v >= 0) return Array.from({ length: r }, () => [v, v]);
  if (!Array.isArray(v)) return INVALID;
  const ok = (u) => isInt(u) && u >= 0;
  if (r === 1 && v.length === 2 && v.every(ok)) return [[v[0], v[1]]];
  const item = (u) => (ok(u) ? [u, u] : Array.isArray(u) && u.length === 2 && u.every(ok) ? u.slice() : null);
  const out = v.map(item);
  return v.length === r && (r > 1 || Array.isArray(v[0])) && out.every((u) => u !== null) ? out : INVALID;
};

const channelsLast = { data_format: member('channels_last', oneOf('channels_last')) };

/** Pads (amounts > 0) or crops (< 0) the spatial axes 1..r. */
function padCrop(x, amounts, ctx) {
  const outShape = x.shape.map((n, a) => (a === 0 || a === x.shape.length - 1 ? n : n + amounts[a - 1][0] + amounts[a - 1][1]));
  if (amounts.length !== x.shape.length - 2 || outShape.some((n, a) => n < 0 || (n === 0 && x.shape[a] > 0))) throw new EvalError([ctx.unsupported('', `padding/cropping does not fit shape [${x.shape}]`)]);
  const inStrides = stridesOf(x.shape);
  const idx = multiIndexes(outShape);
  return gather(x, outShape, (k) => {
    let s = 0;
    for (let a = 0; a < outShape.length; a++) {
      const i = a === 0 || a === outShape.length - 1 ? idx[k][a] : idx[k][a] - amounts[a - 1][0];
      if (i < 0 || i >= x.shape[a]) return -1;
      s += i * inStrides[a];
    }
    return s;
  });
}

export const SHAPE = {
  Add: elementwise((a, b) => a + b, [2, Infinity]),
  Multiply: elementwise((a, b) => a * b, [2, Infinity]),
  Maximum: elementwise(Math.max, [2, Infinity]),
  Minimum: elementwise(Math.min, [2, Infinity]),
  Subtract: elementwise((a, b) => a - b, [2, 2]),
  Average: elementwise(AVG, [2, Infinity]),
  Concatenate: {
    ...noWeights, members: () => ({ axis: member(-1, int(-Infinity)) }), inputs: [2, Infinity], keepsInts: true,
    run: (p, given, _w, ctx) => {
      // any float input makes the result a float of the policy; integer and bool inputs keep their dtype
      // only when they all share it (15.2)
      const anyFloat = given.some((x) => x.data instanceof Float64Array);
      if (!anyFloat && !given.every((x) => x.dtype === given[0].dtype)) throw new EvalError([ctx.unsupported('', `Concatenate of integer and bool values of different dtypes ${given.map((x) => x.dtype).join(', ')}`)]);
      const xs = anyFloat ? given.map((x) => ({ dtype: 'float64', shape: x.shape, data: asFloat64(x) })) : given;
      const rank = xs[0].shape.length, a = normAxis(p.axis, rank);
      const fits = a !== null && xs.every((x) => x.shape.length === rank && x.shape.every((n, k) => k === a || n === xs[0].shape[k]));
      if (!fits) throw new EvalError([ctx.unsupported('', `Concatenate inputs do not fit axis ${p.axis}: ${xs.map((x) => `[${x.shape}]`).join(' ')}`)]);
      const shape = xs[0].shape.slice();
      shape[a] = xs.reduce((s, x) => s + x.shape[a], 0);
      const y = sameKind(xs[0], shape);
      const outer = numel(shape.slice(0, a));
      let off = 0;
      const rowOut = numel(shape.slice(a));
      for (const x of xs) {
        const row = numel(x.shape.slice(a));
        for (let o = 0; o < outer; o++) for (let k = 0; k < row; k++) y.data[o * rowOut + off + k] = x.data[o * row + k];
        off += row;
      }
      return [y];
    },
  },
  Flatten: mover(channelsLast, (_p, [x]) => [{ ...x, shape: [x.shape[0], numel(x.shape.slice(1))] }]),
  Reshape: mover({ target_shape: member(REQUIRED, (v) => (Array.isArray(v) && v.every((n) => isInt(n) && n >= -1) && v.filter((n) => n === -1).length <= 1 ? v.slice() : INVALID)) },
    (p, [x], _w, ctx) => {
      const per = numel(x.shape.slice(1)), known = numel(p.target_shape.filter((n) => n !== -1));
      const shape = p.target_shape.map((n) => (n === -1 ? (known === 0 ? 0 : per / known) : n));
      if (!Number.isInteger(numel(shape)) || numel(shape) !== per) throw new EvalError([ctx.unsupported('', `cannot reshape [${x.shape}] to target ${JSON.stringify(p.target_shape)}`)]);
      return [{ ...x, shape: [x.shape[0], ...shape] }];
    }),
  Permute: mover({ dims: member(REQUIRED, (v) => (Array.isArray(v) && v.every(isInt) && [...v].sort((a, b) => a - b).every((n, k) => n === k + 1) ? v.slice() : INVALID)) },
    (p, [x], _w, ctx) => {
      if (p.dims.length !== x.shape.length - 1) throw new EvalError([ctx.unsupported('', `dims ${JSON.stringify(p.dims)} do not fit rank ${x.shape.length}`)]);
      const perm = [0, ...p.dims], inStrides = stridesOf(x.shape);
      const shape = perm.map((a) => x.shape[a]);
      const idx = multiIndexes(shape);
      return [gather(x, shape, (k) => perm.reduce((s, a, i) => s + idx[k][i] * inStrides[a], 0))];
    }),
  RepeatVector: mover({ n: member(REQUIRED, int(1)) }, (p, [x], _w, ctx) => {
    if (x.shape.length !== 2) throw new EvalError([ctx.unsupported('', `RepeatVector needs rank 2, got [${x.shape}]`)]);
    const [B, f] = x.shape;
    return [gather(x, [B, p.n, f], (k) => Math.floor(k / (p.n * f)) * f + (k % f))];
  }),
};

const IDENTITY = ['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'ActivityRegularization', 'Identity'];
for (const t of IDENTITY) SHAPE[t] = mover({}, (_p, [x]) => [x]);

// Keras' defaults: ZeroPadding1D/2D pad 1 on each side, Cropping1D crops (1, 1), Cropping2D 0
for (const r of [1, 2]) {
  SHAPE[`ZeroPadding${r}D`] = mover({ padding: member(1, pairs(r)), ...channelsLast }, (p, [x], _w, ctx) => [padCrop(x, p.padding, ctx)]);
  SHAPE[`Cropping${r}D`] = mover({ cropping: member(r === 1 ? [1, 1] : 0, pairs(r)), ...channelsLast },
    (p, [x], _w, ctx) => [padCrop(x, p.cropping.map(([b, e]) => [-b, -e]), ctx)]);
  const upMembers = { size: member(2, (v) => (isInt(v) && v >= 1 ? new Array(r).fill(v) : Array.isArray(v) && v.length === r && v.every((u) => isInt(u) && u >= 1) ? v.slice() : INVALID)), ...channelsLast };
  if (r === 2) upMembers.interpolation = member('nearest', oneOf('nearest'));
  SHAPE[`UpSampling${r}D`] = mover(upMembers, (p, [x], _w, ctx) => {
    if (x.shape.length !== r + 2) throw new EvalError([ctx.unsupported('', `UpSampling${r}D needs rank ${r + 2}, got [${x.shape}]`)]);
    const shape = x.shape.map((n, a) => (a === 0 || a === r + 1 ? n : n * p.size[a - 1]));
    const inStrides = stridesOf(x.shape), idx = multiIndexes(shape);
    return [gather(x, shape, (k) => idx[k].reduce((s, i, a) => s + (a === 0 || a === r + 1 ? i : Math.floor(i / p.size[a - 1])) * inStrides[a], 0))];
  });
}
