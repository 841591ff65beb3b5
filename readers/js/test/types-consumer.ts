// Compiled by `tsc -p tsconfig.json` (test/types.test.mjs), never run: a user's code against
// the declarations in types/, imported by the package name as an installed package would be.
import { read, validate, open, ModelDocError, DEFAULT_LIMITS, DTYPES, type Tensor, type ValidateResult } from 'modeldoc-reader';
import { evaluate, checkTestVectors, compareOutput, EvalError, type OutputArray } from 'modeldoc-reader/evaluate';

const bytes = new Uint8Array([0x7b, 0x7d]);
const checked: ValidateResult = validate(bytes, { limits: DEFAULT_LIMITS });
const codes: string[] = checked.errors.map((e) => e.code + e.pointer);
const firstDtype: string | undefined = DTYPES[0];

try {
  const doc = read(bytes);
  const t: Tensor = doc.tensors[0];
  const rank: number = t.shape.length;
  const big: bigint = t.shape[0];
  const stored = t.quantization?.stored.dtype;
  const out: Record<string, OutputArray> = evaluate(doc, { x: { dtype: 'float32', shape: [1, 3], data: new Float32Array(3) } });
  const again = evaluate(doc, new Map([['x', { dtype: 'int64', shape: [1n], data: new BigInt64Array(1) }]]));
  const vectors = checkTestVectors(doc);
  const worst: number = vectors.results.reduce((w, r) => Math.max(w, r.worst), 0);
  const cmp: boolean = compareOutput(out.y, { dtype: 'float32', shape: [1], data: [0.5] }, 1e-6).pass;
  const lazy = open('model.msgpack', { limits: { depth: 64 } }); // a limit not given keeps its default
  const one: Tensor = lazy.getTensor(lazy.keys()[0]);
  const header: bigint[] = lazy.tensors[0].shape;
  const checked: void = lazy.verifyDocument();
  lazy.close();
  void [rank, big, stored, again, worst, cmp, one, header, checked];
} catch (e) {
  if (e instanceof ModelDocError) void e.findings.map((f) => f.severity);
  else if (e instanceof EvalError) void e.findings.map((f) => f.message);
}

// Misuse the declarations must refuse:
// @ts-expect-error bytes, not text
read('{}');
// @ts-expect-error a limit is a number or a bigint, not text
validate(bytes, { limits: { depth: '10' } });
// @ts-expect-error shapes from the reader are bigints
const wrong: number = read(bytes).tensors[0].shape[0];
// @ts-expect-error close() returns nothing
const closed: boolean = open(bytes).close();

void [codes, firstDtype, wrong, closed];
