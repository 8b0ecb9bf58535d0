/**
 * ONNX files in and out, through protobufjs and the schema of schema.ts.
 *
 *   encodeOnnxModel(model)        a ModelProto object → the bytes of a .onnx file
 *   decodeOnnxModel(bytes, src)   the bytes → a ModelProto object, or a FormatError naming the byte
 *
 * Decoding is bounded. protobufjs never reads outside the bytes it is given, and the reader
 * below charges every value it produces (a field, a string, a packed array) against a
 * budget of twice the input's size plus a fixed allowance for the message tree of a small
 * file, so a crafted file — a million empty nodes in a few megabytes — is refused with a
 * FormatError before it can take more memory than that. 64-bit integers come back as
 * numbers (exact up to 2⁵³; larger ones are refused where they matter, e.g. as dimensions).
 */
import protobuf from 'protobufjs/light.js';
import { FormatError } from '../../errors.js';
import { ONNX_SCHEMA } from './schema.js';

// ---- the messages, as the decoder returns them (fields never set read as their defaults) ----

export type Long = number;

export interface OnnxTensorProto {
  dims: Long[];
  dataType: number;
  floatData: number[];
  int32Data: number[];
  stringData: Uint8Array[];
  int64Data: Long[];
  name: string;
  docString?: string;
  rawData: Uint8Array;
  externalData: { key: string; value: string }[];
  dataLocation: number;
  doubleData: number[];
  uint64Data: Long[];
  segment?: { begin: Long; end: Long } | null;
}

export interface OnnxAttributeProto {
  name: string;
  refAttrName?: string;
  type: number;
  f: number;
  i: Long;
  s: Uint8Array;
  t?: OnnxTensorProto | null;
  g?: OnnxGraphProto | null;
  sparseTensor?: unknown;
  tp?: unknown;
  floats: number[];
  ints: Long[];
  strings: Uint8Array[];
  tensors: OnnxTensorProto[];
  graphs: OnnxGraphProto[];
  sparseTensors: unknown[];
  typeProtos: unknown[];
}

export interface OnnxNodeProto {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain: string;
  attribute: OnnxAttributeProto[];
  docString?: string;
}

export interface OnnxDimension {
  dimValue?: Long;
  dimParam?: string;
  denotation?: string;
}

export interface OnnxTypeProto {
  tensorType?: { elemType: number; shape?: { dim: OnnxDimension[] } | null } | null;
  sequenceType?: unknown;
  mapType?: unknown;
  optionalType?: unknown;
  sparseTensorType?: unknown;
  denotation?: string;
}

export interface OnnxValueInfoProto {
  name: string;
  type?: OnnxTypeProto | null;
  docString?: string;
}

export interface OnnxGraphProto {
  node: OnnxNodeProto[];
  name: string;
  initializer: OnnxTensorProto[];
  sparseInitializer: unknown[];
  docString?: string;
  input: OnnxValueInfoProto[];
  output: OnnxValueInfoProto[];
  valueInfo: OnnxValueInfoProto[];
  quantizationAnnotation?: unknown[];
}

export interface OnnxOperatorSetId {
  domain: string;
  version: Long;
}

export interface OnnxModelProto {
  irVersion: Long;
  opsetImport: OnnxOperatorSetId[];
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: Long;
  docString: string;
  graph?: OnnxGraphProto | null;
  metadataProps: { key: string; value: string }[];
  trainingInfo: unknown[];
  functions: { name: string; domain: string }[];
}

// ---- the protobufjs types -------------------------------------------------------------------

let modelType: protobuf.Type | null = null;

function modelProto(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(ONNX_SCHEMA as protobuf.INamespace).lookupType('onnx.ModelProto');
  return modelType;
}

/** Encodes a ModelProto (plain objects; bytes as Uint8Array, 64-bit integers as numbers). */
export function encodeOnnxModel(model: object): Uint8Array {
  const type = modelProto();
  const problem = type.verify(model);
  if (problem) throw new FormatError(`exportOnnx: the ModelProto is not valid: ${problem}.`);
  const bytes = type.encode(model).finish();
  // In Node protobufjs returns a Buffer; hand back a plain Uint8Array everywhere.
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ---- bounded decoding -----------------------------------------------------------------------

/** What one decoded field may cost at most: a message object with its empty arrays, or an array slot. */
const FIELD_COST = 256;
/** A packed float or double becomes one 8-byte number in an array sized in advance. */
const NUMBER_COST = 8;
/** A packed varint becomes one number pushed onto an array (8 bytes, and the array's growth). */
const PUSHED_NUMBER_COST = 12;
/** The fixed allowance on top of twice the input: the message tree of any small, valid file. */
export const DECODE_ALLOWANCE = 4 * 1024 * 1024;

class BudgetExceeded extends Error {}

/**
 * A protobufjs Reader that charges what it produces against a budget, and returns 64-bit
 * integers as numbers. protobufjs's generated decoder calls these methods for every field.
 */
class BoundedReader extends protobuf.Reader {
  remaining: number;

  constructor(bytes: Uint8Array, budget: number) {
    super(bytes);
    this.remaining = budget;
    this.discardUnknown = true;
  }

  private charge(bytes: number): void {
    this.remaining -= bytes;
    if (this.remaining < 0) throw new BudgetExceeded();
  }

  /** Length of the next length-delimited payload, without moving. */
  private peekLength(): number {
    const start = this.pos;
    const length = super.uint32();
    this.pos = start;
    return length;
  }

  override tag(): number {
    this.charge(FIELD_COST);
    return super.tag();
  }

  override string(): string {
    this.charge(2 * this.peekLength());
    return super.string();
  }

  // Typed as protobufjs's Long, returned as a number: every int64 the decoder reads comes through here.
  override int64(): protobuf.Long {
    return toNumber(super.int64()) as unknown as protobuf.Long;
  }

  override uint64(): protobuf.Long {
    return toNumber(super.uint64()) as unknown as protobuf.Long;
  }

  override floats(array?: number[]): number[] {
    this.charge((this.peekLength() / 4) * NUMBER_COST);
    return super.floats(array);
  }

  override doubles(array?: number[]): number[] {
    this.charge((this.peekLength() / 8) * NUMBER_COST);
    return super.doubles(array);
  }

  // Varints take at least one byte each: charge the most elements the payload can hold.
  override int32s(array?: number[]): number[] {
    this.charge(this.peekLength() * PUSHED_NUMBER_COST);
    return super.int32s(array);
  }

  override int64s(array?: number[]): number[] {
    this.charge(this.peekLength() * PUSHED_NUMBER_COST);
    return super.int64s(array as never) as unknown as number[];
  }

  override uint64s(array?: number[]): number[] {
    this.charge(this.peekLength() * PUSHED_NUMBER_COST);
    return super.uint64s(array as never) as unknown as number[];
  }
}

/**
 * A 64-bit field as a number. Decoded values are numbers already; a field that was never set
 * reads protobufjs's default from the prototype, which is a Long zero.
 */
export function long(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value === undefined || value === null) return 0;
  return toNumber(value);
}

function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  const long = value as { toNumber(): number };
  return long.toNumber();
}

/**
 * Decodes the bytes of a .onnx file. A file that is not valid protobuf, or whose message tree
 * would take more than twice its size in memory, is a FormatError naming `source` and the byte
 * where reading stopped.
 */
export function decodeOnnxModel(bytes: Uint8Array, source: string): OnnxModelProto {
  if (!(bytes instanceof Uint8Array))
    throw new FormatError(`${source}: expected the bytes of an .onnx file (a Uint8Array).`);
  if (bytes.length === 0) throw new FormatError(`${source}: the file is empty (0 bytes), not an ONNX model.`);
  return decodeOnnxMessage(modelProto(), bytes, source) as unknown as OnnxModelProto;
}

/** Decodes one message of `type` with the bounded reader; errors as decodeOnnxModel's. */
export function decodeOnnxMessage(type: protobuf.Type, bytes: Uint8Array, source: string): unknown {
  const budget = 2 * bytes.length + DECODE_ALLOWANCE;
  const reader = new BoundedReader(bytes, budget);
  try {
    return type.decode(reader);
  } catch (error) {
    const at = Math.min(reader.pos, bytes.length);
    if (error instanceof BudgetExceeded) {
      throw new FormatError(
        `${source}: byte ${at} of ${bytes.length}: the file's message tree would take more than twice its size ` +
          `in memory (${budget} bytes) — it is corrupt or crafted (e.g. millions of empty entries).`,
      );
    }
    const detail = error instanceof Error ? error.message : String(error);
    throw new FormatError(
      `${source}: not a valid ONNX (protobuf) file: reading stopped at byte ${at} of ${bytes.length} ` +
        `(${detail.replace(/^index out of range.*/, 'a length or value runs past the end of its message')}).`,
    );
  }
}
