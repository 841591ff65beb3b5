// Types of src/evaluate.mjs: the core-profile evaluator (spec.md section 15), exported as
// 'modeldoc-reader/evaluate'.
import type { ReadResult, TensorData } from './index.js';

/** An array given to the evaluator: data in row-major order, one element per position. */
export interface InputArray {
  dtype: string;
  shape: ArrayLike<number | bigint>;
  data: ArrayLike<number | bigint>;
}

/** An output: float32 (and float16, bfloat16) as Float32Array, float64 as Float64Array,
 * integers in their dtype's typed array. */
export interface OutputArray {
  dtype: string;
  shape: number[];
  data: TensorData;
}

export interface EvalFinding {
  code: string;
  pointer: string;
  message: string;
}

/** A document outside the core profile, or inputs that do not fit the model. */
export class EvalError extends Error {
  constructor(findings: EvalFinding[]);
  findings: EvalFinding[];
}

export interface Comparison {
  pass: boolean;
  shapeOk: boolean;
  maxAbsDiff: number;
  /** The absolute part of the tolerance, max(tolerance, 1e-5). */
  allowed: number;
  /** The largest |got - want| / (allowed + 1e-5 |want|); at most 1 passes. */
  worst: number;
}

export interface TestVectorResult extends Comparison {
  vector: number;
  name: string;
  output: string;
  pointer: string;
}

/** Runs the model of a document read by `read` on named inputs; returns the outputs by name. */
export function evaluate(
  doc: ReadResult,
  inputs: Map<string, InputArray> | Record<string, InputArray>,
): Record<string, OutputArray>;

/** Compares one output with a test vector's tensor by the rule of spec.md 15.11. */
export function compareOutput(
  got: { shape: ArrayLike<number>; data: ArrayLike<number | bigint> },
  want: { dtype: string; shape: ArrayLike<number | bigint>; data: ArrayLike<number | bigint> },
  tolerance: number,
): Comparison;

/** Evaluates every test vector of a document and compares each output (spec.md 15.11). */
export function checkTestVectors(doc: ReadResult): {
  pass: boolean;
  results: TestVectorResult[];
  findings: EvalFinding[];
};
