// Types of the public API of src/index.mjs (the package's main export).

/** The values a tensor's `data` takes, by dtype: bool and uint8 give Uint8Array, int64 BigInt64Array,
 * uint64 BigUint64Array, float16 and bfloat16 Float32Array (exact widening). */
export type TensorData =
  | Uint8Array | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint16Array | Uint32Array | BigUint64Array | Float32Array | Float64Array;

/** The reader limits of spec.md section 8; a limit not given keeps its default (DEFAULT_LIMITS). */
export interface Limits {
  readonly documentSize: bigint;
  readonly depth: number;
  /** Code points of a string or member name. */
  readonly string: number;
  /** Layers, nodes and tensors, in all graphs together. */
  readonly layers: number;
  readonly nodes: number;
  readonly tensors: number;
  readonly rank: number;
  readonly tensorSize: bigint;
  readonly totalSize: bigint;
}

export interface ReadOptions {
  limits?: Partial<Limits>;
  /** Another schema file than the package's schema/1.0/modeldoc.schema.json. */
  schemaPath?: string;
}

/** A finding's code (spec.md section 9) and JSON Pointer ('' is the whole document). */
export interface Finding {
  code: string;
  pointer: string;
}

export interface FindingWithSeverity extends Finding {
  severity: 'error' | 'warning';
}

export interface ValidateResult {
  valid: boolean;
  container?: 'json' | 'msgpack';
  /** The reader report (spec.md section 10) of a valid document. */
  report?: string;
  errors: Finding[];
  warnings: Finding[];
}

export interface StoredTensor {
  dtype: string;
  sha256: string;
  bytes: Uint8Array;
  data: TensorData;
}

export interface Tensor extends StoredTensor {
  name: string;
  shape: bigint[];
  /** Only for a quantized tensor (spec.md 5.5): the tensor as stored; the rest is the dequantized one. */
  quantization?: { scheme: string; stored: StoredTensor };
}

export interface ReadResult {
  report: string;
  container: 'json' | 'msgpack';
  tensors: Tensor[];
  warnings: Finding[];
}

/** The names of the ModelDoc dtypes. */
export const DTYPES: readonly string[];
export const DEFAULT_LIMITS: Limits;

/** An invalid document; `findings` holds every error and warning found. */
export class ModelDocError extends Error {
  constructor(findings: FindingWithSeverity[]);
  findings: FindingWithSeverity[];
}

/** Validates a document (JSON or MessagePack bytes); never throws for bad input. */
export function validate(bytes: Uint8Array, options?: ReadOptions): ValidateResult;

/** Reads a valid document; throws ModelDocError for an invalid one. */
export function read(bytes: Uint8Array, options?: ReadOptions): ReadResult;

/** A tensor's header, known without decoding its data (spec.md 7.1). */
export interface TensorInfo {
  name: string;
  dtype: string;
  shape: bigint[];
  encoding: 'base64' | 'list' | 'raw';
  /** The dtype as stored; `dtype` is what getTensor returns (quantization.dtype for a quantized tensor). */
  storedDtype: string;
  /** Where the data lies in the file, [start, end): a bin's bytes, a string's characters, an array's
   * text. null when opened from bytes, for data split into several bins, and for a scalar's number or
   * true/false as list data (read with the structure). */
  byteRange: [number, number] | null;
}

/** A document opened for one tensor at a time (spec.md 7.1). */
export interface OpenDocument {
  container: 'json' | 'msgpack';
  warnings: Finding[];
  tensors: TensorInfo[];
  keys(): string[];
  /** What read() gives for that tensor, read (from a path: from the file), decoded and checked now; throws
   * ModelDocError with its finding, RangeError for a name the document does not have, Error after close()
   * or if the file no longer holds the tensor's data where it was. */
  getTensor(name: string): Tensor;
  /** Reads and checks every tensor in turn (memory holds one), then document_sha256 (spec.md 7.1, item 3);
   * throws ModelDocError with every finding validate reports, nothing if the document is valid. */
  verifyDocument(): void;
  /** Closes the file (opened from a path); then getTensor and verifyDocument throw. Safe to call again. */
  close(): void;
}

/** Opens a document (a path or its bytes): its structure and every tensor's header are checked now, a
 * tensor's data by getTensor, document_sha256 by verifyDocument only. From a path, the file is not read into memory: its
 * structure is parsed in chunks, each tensor's data skipped, and the file stays open until close().
 * Throws ModelDocError if the structure is invalid. */
export function open(source: string | Uint8Array, options?: ReadOptions): OpenDocument;

/** Canonical JSON text (spec.md section 10) of a value tree. */
export function canonicalJson(value: unknown): string;

/** ECMAScript Number::toString of a finite number, as the reader report prints numbers. */
export function formatNumber(x: number): string;
