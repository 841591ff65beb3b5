// Section 15.15: the preprocessing and scale layers of keras.applications
// models, and Keras operations (`ops.MODULE.CLASS`) with constant operands.
import { member, REQUIRED, INVALID, int, bool, num, oneOf, nullOr, axes } from '../config.mjs';
import { ELEMENTWISE } from '../activations.mjs';
import { EvalError, isFloat, numel, normAxis, stridesOf, roundInPlace } from '../tensor.mjs';

const float = (shape, data) => ({ shape, data });
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isRef = (v) => isObj(v) && Object.keys(v).length === 1 && Number.isInteger(v.$input);
const isNum = (v) => typeof v === 'number';

/** A constant of 15.15 as {shape, data: Float64Array}, or null: a number or a rectangular nested list of numbers. */
export function constantOf(v) {
  if (isNum(v)) return { shape: [], data: Float64Array.of(v) };
  if (!Array.isArray(v) || v.length === 0) return null;
  const parts = v.map(constantOf);
  if (parts.includes(null)) return null;
  const inner = parts[0].shape;
  if (!parts.every((p) => p.shape.length === inner.length && p.shape.every((n, k) => n === inner[k]))) return null;
  const data = new Float64Array(numel(inner) * parts.length);
  parts.forEach((p, k) => data.set(p.data, k * p.data.length));
  return { shape: [parts.length, ...inner], data };
}
const constant = (v) => constantOf(v) ?? INVALID;

/** NumPy broadcasting of two shapes (trailing axes aligned), or null. */
function broadcastShape(a, b) {
  const n = Math.max(a.length, b.length);
  const out = [];
  for (let k = 0; k < n; k++) {
    const u = a[a.length - n + k] ?? 1, v = b[b.length - n + k] ?? 1;
    if (u !== v && u !== 1 && v !== 1) return null;
    out.push(Math.max(u, v));
  }
  return out;
}

/** The flat index into a value of `shape` for each element of a value of `out` it broadcasts to. */
function gather(shape, out) {
  const strides = stridesOf(shape);
  const outStrides = stridesOf(out);
  const idx = new Int32Array(numel(out));
  const off = out.length - shape.length;
  for (let k = 0; k < idx.length; k++) {
    let j = 0;
    for (let a = 0; a < shape.length; a++) {
      const pos = Math.floor(k / outStrides[a + off]) % out[a + off];
      if (shape[a] !== 1) j += pos * strides[a];
    }
    idx[k] = j;
  }
  return idx;
}

/** fn(a, b) elementwise with broadcasting; null when the shapes do not broadcast. */
function binary(a, b, fn) {
  const out = broadcastShape(a.shape, b.shape);
  if (!out) return null;
  const ia = gather(a.shape, out), ib = gather(b.shape, out);
  const d = new Float64Array(ia.length);
  for (let k = 0; k < d.length; k++) d[k] = fn(a.data[ia[k]], b.data[ib[k]]);
  return { shape: out, data: d };
}

const rounded = (c, dtype) => ({ shape: c.shape, data: roundInPlace(Float64Array.from(c.data), dtype) });

const height = () => ({ height: member(REQUIRED, int(1)), width: member(REQUIRED, int(1)), data_format: member('channels_last', oneOf('channels_last')) });
const rank4 = (x, ctx) => {
  if (x.shape.length !== 4) throw new EvalError([ctx.unsupported('', `takes (batch, height, width, channels), got rank ${x.shape.length}`)]);
};

/** Picks positions `src(o)` of axis `axis` of x. */
function pickAxis(x, axis, m, src) {
  const shape = x.shape.slice();
  const n = shape[axis];
  shape[axis] = m;
  const inner = numel(x.shape.slice(axis + 1)), outer = numel(x.shape.slice(0, axis));
  const Type = x.data.constructor;
  const d = new Type(outer * m * inner);
  for (let o = 0; o < outer; o++) for (let i = 0; i < m; i++) {
    const from = (o * n + src(i)) * inner;
    d.set(x.data.subarray(from, from + inner), (o * m + i) * inner);
  }
  return { ...x, shape, data: d };
}

export const APPS = {
  Rescaling: {
    members: () => ({ scale: member(REQUIRED, constant), offset: member(0, constant) }),
    inputs: [1, 1], outputs: () => 1, weights: () => [], shapes: () => [],
    run: (p, [x], _w, ctx) => {
      // Keras casts scale and offset to the layer's dtype, then x * scale + offset
      const s = rounded(p.scale, p.dtype), o = rounded(p.offset, p.dtype);
      const y = binary(x, s, (u, v) => u * v);
      const z = y && y.shape.length === x.shape.length ? binary(y, o, (u, v) => u + v) : null;
      if (!z || z.shape.some((n, k) => n !== x.shape[k])) throw new EvalError([ctx.unsupported('', `scale [${s.shape}] or offset [${o.shape}] does not broadcast to [${x.shape}]`)]);
      return [float(z.shape, z.data)];
    },
  },
  Normalization: {
    members: () => ({
      axis: member(-1, (v) => (v === null ? [] : Array.isArray(v) && v.length === 0 ? [] : axes(true)(v))),
      invert: member(false, bool), mean: member(null, nullOr(constant)), variance: member(null, nullOr(constant)),
    }),
    // both null, or both constants of one shape (15.15): beside a constant, a null member is reported at
    // itself, and a variance that is not a constant of mean's shape at variance
    pairProblems: (p) => {
      const constant = (m) => m in p && p[m] !== null; // a member outside what is allowed is reported on its own
      if (!constant('mean') && !constant('variance')) return [];
      const out = ['mean', 'variance'].filter((m) => m in p && p[m] === null).map((m) => [m, `${m} is null beside a constant`]);
      const same = constant('mean') && constant('variance') && p.mean.shape.length === p.variance.shape.length && p.mean.shape.every((n, k) => n === p.variance.shape[k]);
      if (!same && constant('variance')) out.push(['variance', 'variance is not a constant of mean\'s shape']);
      return out;
    },
    inputs: [1, 1], outputs: () => 1,
    weights: (p) => (p.mean === null && p.variance === null ? ['mean', 'variance', 'count'] : []),
    anyDtype: ['count'],
    shapes: (p, [x]) => {
      const kept = [...new Set(p.axis.map((a) => normAxis(a, x.shape.length)))].sort((u, v) => u - v);
      const sizes = kept.includes(null) ? [-1] : kept.map((a) => x.shape[a]);
      return p.mean === null && p.variance === null ? [sizes, sizes, []] : [];
    },
    run: (p, [x], weights, ctx) => {
      const r = x.shape.length;
      const kept = [...new Set(p.axis.map((a) => normAxis(a, r)))].sort((u, v) => u - v);
      if (kept.includes(null)) throw new EvalError([ctx.unsupported('', `axis ${JSON.stringify(p.axis)} does not fit rank ${r}`)]);
      let mean, variance;
      const at = new Array(r).fill(1);
      if (p.mean === null) {
        kept.forEach((a) => { at[a] = x.shape[a]; });
        [mean, variance] = weights;
      } else {
        const m = p.mean.shape;
        if (m.length > kept.length) throw new EvalError([ctx.unsupported('', `mean of rank ${m.length} for ${kept.length} kept axes`)]);
        // its axes are the last kept axes, aligned from the right
        for (let k = 1; k <= m.length; k++) {
          const n = m[m.length - k], a = kept[kept.length - k];
          if (n !== 1 && n !== x.shape[a]) throw new EvalError([ctx.unsupported('', `mean [${m}] does not fit axis ${a} of [${x.shape}]`)]);
          at[a] = n;
        }
        mean = rounded(p.mean, p.dtype);
        variance = rounded(p.variance, p.dtype);
      }
      const m = { shape: at, data: mean.data }, v = { shape: at, data: variance.data };
      const spread = { shape: at, data: Float64Array.from(v.data, (q) => Math.max(Math.sqrt(q), 1e-7)) };
      const y = p.invert
        ? binary(binary(x, spread, (u, s) => u * s), m, (u, q) => q + u)
        : binary(binary(x, m, (u, q) => u - q), spread, (u, s) => u / s);
      return [float(y.shape, y.data)];
    },
  },
  CenterCrop: {
    members: height, inputs: [1, 1], outputs: () => 1, weights: () => [], shapes: () => [],
    run: (p, [x], _w, ctx) => {
      rank4(x, ctx);
      const [, h, w] = x.shape;
      if (p.height > h || p.width > w) throw new EvalError([ctx.unsupported('', `height=${p.height}, width=${p.width}: larger than the input ${h}x${w} (Keras resizes then)`)]);
      const top = Math.floor((h - p.height) / 2), left = Math.floor((w - p.width) / 2);
      const y = pickAxis(pickAxis(x, 1, p.height, (i) => top + i), 2, p.width, (i) => left + i);
      return [float(y.shape, y.data)];
    },
  },
  Resizing: {
    members: () => ({
      ...height(), interpolation: member('bilinear', oneOf('bilinear', 'nearest', 'bicubic', 'area')),
      crop_to_aspect_ratio: member(false, oneOf(false)), pad_to_aspect_ratio: member(false, oneOf(false)), antialias: member(false, oneOf(false)),
    }),
    inputs: [1, 1], outputs: () => 1, weights: () => [], shapes: () => [], keepsInts: true,
    run: (p, [x], _w, ctx) => {
      rank4(x, ctx);
      let y = x;
      for (const [axis, m, name] of [[1, p.height, 'height'], [2, p.width, 'width']]) {
        const n = y.shape[axis];
        if (m === n) continue;
        if (p.interpolation === 'nearest' && m % n === 0) y = pickAxis(y, axis, m, (i) => Math.floor(i / (m / n)));
        else if (p.interpolation === 'nearest' && n % m === 0) { const k = n / m; y = pickAxis(y, axis, m, (i) => i * k + Math.floor(k / 2)); }
        else throw new EvalError([ctx.unsupported('', `${name}: interpolation=${JSON.stringify(p.interpolation)} from ${n} to ${m} is not exact`)]);
      }
      return [y.data instanceof Float64Array ? float(y.shape, y.data) : y];
    },
  },
  LayerScale: {
    members: () => ({}), inputs: [1, 1], outputs: () => 1, weights: () => ['gamma'],
    shapes: (_p, [x]) => [[x.shape[x.shape.length - 1]]],
    run: (_p, [x], [gamma]) => {
      const c = gamma.data.length;
      return [float(x.shape, Float64Array.from(x.data, (v, k) => v * gamma.data[k % c]))];
    },
  },
  CustomScaleLayer: {
    members: () => ({ scale: member(REQUIRED, num()) }), inputs: [2, 2], outputs: () => 1, weights: () => [], shapes: () => [],
    run: (p, [a, b], _w, ctx) => {
      const s = roundInPlace(Float64Array.of(p.scale), p.dtype)[0];
      const y = a.shape.length === b.shape.length ? binary(a, b, (u, v) => u + v * s) : null;
      if (!y) throw new EvalError([ctx.unsupported('', `inputs [${a.shape}] and [${b.shape}] do not broadcast`)]);
      return [float(y.shape, y.data)];
    },
  },
};

// --- operations --------------------------------------------------------------------------

const BINARY = {
  Add: (a, b) => a + b, Subtract: (a, b) => a - b, Multiply: (a, b) => a * b, TrueDivide: (a, b) => a / b,
  Divide: (a, b) => a / b, Maximum: (a, b) => Math.max(a, b), Minimum: (a, b) => Math.min(a, b),
};
const UNARY = {
  'ops.nn.Relu': 'relu', 'ops.nn.Relu6': 'relu6', 'ops.nn.Sigmoid': 'sigmoid', 'ops.nn.HardSigmoid': 'hard_sigmoid',
  'ops.nn.HardSilu': 'hard_silu', 'ops.nn.Silu': 'silu', 'ops.nn.Softplus': 'softplus', 'ops.nn.Softsign': 'softsign',
  'ops.nn.LogSigmoid': 'log_sigmoid', 'ops.nn.Selu': 'selu', 'ops.nn.HardTanh': 'hard_tanh', 'ops.nn.TanhShrink': 'tanh_shrink',
  'ops.numpy.Tanh': 'tanh', 'ops.numpy.Exp': 'exponential',
};

/**
 * The operands of an operation call (15.15): [{ref: i} | {constant}], or a
 * string saying why the call is outside the profile.
 */
export function operandsOf(args, nInputs) {
  if (args === undefined || (isObj(args) && Object.keys(args).length === 0)) return Array.from({ length: nInputs }, (_, i) => ({ ref: i }));
  if (!isObj(args) || !Object.keys(args).every((k) => k === 'args' || k === 'kwargs')) return 'arguments has members other than args and kwargs';
  const list = Object.hasOwn(args, 'args') ? args.args : [];
  const kw = Object.hasOwn(args, 'kwargs') ? args.kwargs : {};
  if (!Array.isArray(list) || !isObj(kw) || Object.keys(kw).length > 0) return 'args is not a list, or kwargs is not empty';
  const out = [];
  for (const a of list) {
    if (isRef(a)) out.push({ ref: a.$input });
    else if (Array.isArray(a) && a.length > 0 && a.every(isRef)) out.push(...a.map((r) => ({ ref: r.$input })));
    else if (constantOf(a)) out.push({ constant: constantOf(a) });
    else return 'args holds an item that is neither a reference nor a constant';
  }
  const refs = out.filter((o) => 'ref' in o).map((o) => o.ref);
  if (refs.length !== nInputs || refs.some((r, k) => r !== k)) return 'the $input references are not the node\'s inputs in order';
  return out;
}

/** Why a call of operation `type` is outside the profile, or null. */
export function operationProblem(type, args, nInputs, nOutputs) {
  const ops = operandsOf(args, nInputs);
  if (typeof ops === 'string') return ops;
  const tensors = ops.filter((o) => 'ref' in o).length;
  if (type.startsWith('ops.numpy.') && type.slice(10) in BINARY) {
    if (ops.length !== 2 || tensors < 1) return 'takes two operands, at least one a tensor';
  } else if (type === 'ops.numpy.Concatenate') {
    if (tensors < 1 || tensors !== ops.length) return 'takes one or more tensors and no constant';
  } else if (ops.length !== 1 || tensors !== 1) return 'takes one tensor';
  if (nOutputs !== 1) return `defines ${nOutputs} outputs, an operation returns 1`;
  return null;
}

/** The one float dtype of the tensor operands (15.15). */
function opDtype(xs, ctx, movesValues = false) {
  const dtypes = new Set(xs.map((x) => x.dtype));
  if (dtypes.size !== 1 || (!movesValues && !isFloat(xs[0].dtype))) throw new EvalError([ctx.unsupported('', `takes tensors of one float dtype, got ${[...dtypes].join(', ')}`)]);
  return xs[0].dtype;
}

const op = (members, run, movesValues = false) => ({
  members: () => members, inputs: [0, Infinity], outputs: () => 1, weights: () => [], shapes: () => [],
  operation: true, rawInputs: true,
  run: (p, xs, _w, ctx) => {
    const dtype = opDtype(xs, ctx, movesValues);
    const y = run(p, xs, ctx, dtype);
    return [isFloat(y.dtype ?? dtype) && y.data instanceof Float64Array ? { dtype, shape: y.shape, data: roundInPlace(y.data, dtype) } : y];
  },
});

const f64 = (x) => ({ shape: x.shape, data: Float64Array.from(x.data) });
const gelu = (approx) => (x) => (approx
  ? 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)))
  : ELEMENTWISE.gelu(x));

function reduceMean(x, axesList, keepdims) {
  const r = x.shape.length;
  const outShape = x.shape.map((n, a) => (axesList.includes(a) ? 1 : n));
  const idx = gather(outShape, x.shape); // each input element -> its output element
  const d = new Float64Array(numel(outShape));
  for (let k = 0; k < x.data.length; k++) d[idx[k]] += x.data[k];
  const count = axesList.reduce((c, a) => c * x.shape[a], 1);
  for (let k = 0; k < d.length; k++) d[k] /= count;
  return { shape: keepdims ? outShape : x.shape.filter((_, a) => !axesList.includes(a) && a < r), data: d };
}

export const OPS = {
  ...Object.fromEntries(Object.entries(BINARY).map(([name, fn]) => [`ops.numpy.${name}`, op({}, (_p, xs, ctx, dtype) => {
    const ops = ctx.operands(xs).map((o) => (o.constant ? rounded(o.constant, dtype) : f64(o.value)));
    const y = binary(ops[0], ops[1], fn);
    if (!y) throw new EvalError([ctx.unsupported('', `operands [${ops[0].shape}] and [${ops[1].shape}] do not broadcast`)]);
    return y;
  })])),
  ...Object.fromEntries(Object.entries(UNARY).map(([type, name]) => [type, op({}, (_p, [x]) => ({ shape: x.shape, data: Float64Array.from(x.data, ELEMENTWISE[name]) }))])),
  'ops.nn.Gelu': op({ approximate: member(true, bool) }, (p, [x]) => ({ shape: x.shape, data: Float64Array.from(x.data, gelu(p.approximate)) })),
  'ops.numpy.Mean': op({ axis: member(null, nullOr(axes(true))), keepdims: member(false, bool) }, (p, [x], ctx) => {
    const r = x.shape.length;
    const list = p.axis === null ? [...Array(r).keys()] : p.axis.map((a) => normAxis(a, r));
    if (list.includes(null)) throw new EvalError([ctx.unsupported('', `axis ${JSON.stringify(p.axis)} does not fit rank ${r}`)]);
    return reduceMean(x, [...new Set(list)], p.keepdims);
  }),
  'ops.numpy.Concatenate': op({ axis: member(0, int(-(2 ** 31))) }, (p, xs, ctx) => {
    const r = xs[0].shape.length;
    const a = normAxis(p.axis, r);
    if (a === null || xs.some((x) => x.shape.length !== r || x.shape.some((n, k) => k !== a && n !== xs[0].shape[k]))) {
      throw new EvalError([ctx.unsupported('', `cannot join ${xs.map((x) => `[${x.shape}]`).join(', ')} on axis ${p.axis}`)]);
    }
    const shape = xs[0].shape.slice();
    shape[a] = xs.reduce((s, x) => s + x.shape[a], 0);
    const inner = numel(shape.slice(a + 1)), outer = numel(shape.slice(0, a));
    const d = new xs[0].data.constructor(numel(shape));
    let at = 0;
    for (let o = 0; o < outer; o++) for (const x of xs) {
      const len = x.shape[a] * inner;
      d.set(x.data.subarray(o * len, (o + 1) * len), at);
      at += len;
    }
    return { dtype: xs[0].dtype, shape, data: d };
  }, true),
  'ops.numpy.Reshape': op({ newshape: member(REQUIRED, (v) => (Array.isArray(v) && v.every((d) => Number.isInteger(d) && d >= -1) && v.filter((d) => d === -1).length <= 1 ? v.slice() : INVALID)) }, (p, [x], ctx) => {
    const known = p.newshape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const size = x.data.length;
    const fits = p.newshape.includes(-1) ? known > 0 && size % known === 0 : known === size;
    if (!fits) throw new EvalError([ctx.unsupported('', `cannot reshape [${x.shape}] into ${JSON.stringify(p.newshape)}`)]);
    return { dtype: x.dtype, shape: p.newshape.map((d) => (d === -1 ? size / known : d)), data: x.data };
  }, true),
};
