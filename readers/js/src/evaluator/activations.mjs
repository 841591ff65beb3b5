// Activations of spec.md 15.3, in binary64.

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_LAMBDA = 1.0507009873554804934193349852946;

const sigmoid = (x) => 1 / (1 + Math.exp(-x));
// ln(1 + e^x) without overflow for large x or loss for very negative x
const softplus = (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
const hardSigmoid = (x) => Math.min(Math.max(x / 6 + 0.5, 0), 1);
// Keras 2's hard_sigmoid: product, then sum, then clip; in binary64 the constant is binary64 0.2 (15.3)
const hardSigmoidKeras2 = (x) => Math.min(Math.max(0.2 * x + 0.5, 0), 1);

/**
 * erf in binary64 (JavaScript has none): the Maclaurin series below 2.5
 * (terms peak near e^(x^2) ~ 500, so about 1e-13 is lost to cancellation),
 * the continued fraction of erfc above.
 * @example erf(1) // 0.8427007929497149
 */
export function erf(x) {
  const a = Math.abs(x);
  if (a < 2.5) {
    let term = a, sum = a;
    for (let n = 1; n < 200; n++) {
      term *= -a * a / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * sum * 2 / Math.sqrt(Math.PI);
  }
  // erfc(a) = e^(-a^2)/sqrt(pi) * 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + ...)))), evaluated bottom-up
  let f = a;
  for (let n = 60; n >= 1; n--) f = a + (n / 2) / f;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/** Elementwise activations by name (the table of 15.3, without softmax/log_softmax). */
export const ELEMENTWISE = {
  linear: (x) => x,
  relu: (x) => Math.max(x, 0),
  relu6: (x) => Math.min(Math.max(x, 0), 6),
  leaky_relu: (x) => (x >= 0 ? x : 0.2 * x),
  elu: (x) => (x >= 0 ? x : Math.expm1(x)),
  selu: (x) => SELU_LAMBDA * (x >= 0 ? x : SELU_ALPHA * Math.expm1(x)),
  celu: (x) => Math.max(x, 0) + Math.expm1(Math.min(x, 0)),
  sigmoid,
  hard_sigmoid: hardSigmoid,
  hard_sigmoid_keras2: hardSigmoidKeras2,
  tanh: Math.tanh,
  exponential: Math.exp,
  hard_tanh: (x) => Math.min(Math.max(x, -1), 1),
  tanh_shrink: (x) => x - Math.tanh(x),
  softplus,
  softsign: (x) => x / (1 + Math.abs(x)),
  silu: (x) => x * sigmoid(x),
  swish: (x) => x * sigmoid(x),
  hard_silu: (x) => x * hardSigmoid(x),
  hard_swish: (x) => x * hardSigmoid(x),
  mish: (x) => x * Math.tanh(softplus(x)),
  gelu: (x) => x * (1 + erf(x / Math.SQRT2)) / 2,
  log_sigmoid: (x) => -softplus(-x),
};

export const ACTIVATION_NAMES = new Set([...Object.keys(ELEMENTWISE), 'softmax', 'log_softmax']);
// 15.3: the name Keras writes for ModelDoc's registered function, in either form, is the table's name
const ALIASES = { 'modeldoc>hard_sigmoid_keras2': 'hard_sigmoid_keras2' };
const known = (name) => { const n = Object.hasOwn(ALIASES, name) ? ALIASES[name] : name; return ACTIVATION_NAMES.has(n) ? n : undefined; };

/**
 * The activation name of a config value, or undefined when it is outside
 * 15.3: a name, null (linear) or {"class_name": "function", "config": NAME}.
 */
export function activationName(value) {
  if (value === null) return 'linear';
  if (typeof value === 'string') return known(value);
  if (value && typeof value === 'object' && !Array.isArray(value) && value.class_name === 'function') {
    // further members (Keras writes "module" and "registered_name") are ignored (15.1)
    if (typeof value.config === 'string') return known(value.config);
  }
  return undefined;
}

/**
 * Softmax (or log-softmax) over a set of axes together, in place on `data`
 * of `shape`: the groups are the positions of the other axes.
 */
export function softmaxAxes(data, shape, axes, log = false) {
  const groups = groupsOf(shape, axes);
  for (const members of groups) {
    let m = -Infinity;
    for (const k of members) m = Math.max(m, data[k]);
    let s = 0;
    for (const k of members) s += Math.exp(data[k] - m);
    const ls = Math.log(s);
    for (const k of members) data[k] = log ? data[k] - m - ls : Math.exp(data[k] - m) / s;
  }
  return data;
}

/**
 * Flat indexes grouped by the positions of the axes not in `axes`, groups
 * in row-major order of those axes, members in row-major order.
 */
export function groupsOf(shape, axes) {
  const keep = shape.map((_, a) => !axes.includes(a));
  const keptShape = shape.filter((_, a) => keep[a]);
  const count = keptShape.reduce((a, b) => a * b, 1);
  const groups = Array.from({ length: count }, () => []);
  const total = shape.reduce((a, b) => a * b, 1);
  const idx = new Array(shape.length).fill(0);
  for (let flat = 0; flat < total; flat++) {
    let g = 0;
    for (let a = 0; a < shape.length; a++) if (keep[a]) g = g * shape[a] + idx[a];
    groups[g].push(flat);
    for (let a = shape.length - 1; a >= 0; a--) { if (++idx[a] < shape[a]) break; idx[a] = 0; }
  }
  return groups;
}

/** Applies an activation (a name accepted by activationName) in place over the last axis. */
export function applyActivation(name, data, shape) {
  if (name === 'softmax' || name === 'log_softmax') return softmaxAxes(data, shape, [shape.length - 1], name === 'log_softmax');
  const f = ELEMENTWISE[name];
  if (name !== 'linear') for (let k = 0; k < data.length; k++) data[k] = f(data[k]);
  return data;
}
