/**
 * ONNX tensors (TensorProto) to and from host arrays.
 *
 * A HostArray is a tensor's values on the host with the element type it has in ONNX,
 * narrowed to what descent computes with: 'float32' (FLOAT, FLOAT16 and BFLOAT16, widened),
 * 'float64' (DOUBLE), 'int' (every integer type and BOOL, held exactly as numbers up to 2⁵³).
 * Reading checks the dimensions against the data actually present, so a tensor never
 * allocates more than the file holds, and refuses external data: nothing is read outside
 * the bytes given.
 */
import { FormatError } from '../../errors.js';
import { sizeOf } from '../../tensor/shape.js';
import type { OnnxTensorProto } from './proto.js';
import { ONNX_DTYPE } from './schema.js';

export type HostType = 'float32' | 'float64' | 'int';

export interface HostArray {
  type: HostType;
  shape: number[];
  data: Float32Array | Float64Array;
  /** The TensorProto.DataType it came from (or is to be written as). */
  onnxType: number;
}

/** Dimensions larger than this (2³¹ − 1) are refused: descent indexes with 32-bit integers. */
export const MAX_DIM = 2 ** 31 - 1;

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(ONNX_DTYPE).map(([k, v]) => [v, k]));

export function onnxTypeName(type: number): string {
  return NAMES[type] ?? `unknown type ${type}`;
}

/** Bytes per element in raw_data, for the types descent reads. */
const RAW_BYTES: Record<number, number> = {
  [ONNX_DTYPE.FLOAT]: 4,
  [ONNX_DTYPE.DOUBLE]: 8,
  [ONNX_DTYPE.FLOAT16]: 2,
  [ONNX_DTYPE.BFLOAT16]: 2,
  [ONNX_DTYPE.INT8]: 1,
  [ONNX_DTYPE.UINT8]: 1,
  [ONNX_DTYPE.BOOL]: 1,
  [ONNX_DTYPE.INT16]: 2,
  [ONNX_DTYPE.UINT16]: 2,
  [ONNX_DTYPE.INT32]: 4,
  [ONNX_DTYPE.UINT32]: 4,
  [ONNX_DTYPE.INT64]: 8,
  [ONNX_DTYPE.UINT64]: 8,
};

export function hostTypeOf(onnxType: number): HostType | null {
  switch (onnxType) {
    case ONNX_DTYPE.FLOAT:
    case ONNX_DTYPE.FLOAT16:
    case ONNX_DTYPE.BFLOAT16:
      return 'float32';
    case ONNX_DTYPE.DOUBLE:
      return 'float64';
    case ONNX_DTYPE.INT8:
    case ONNX_DTYPE.UINT8:
    case ONNX_DTYPE.BOOL:
    case ONNX_DTYPE.INT16:
    case ONNX_DTYPE.UINT16:
    case ONNX_DTYPE.INT32:
    case ONNX_DTYPE.UINT32:
    case ONNX_DTYPE.INT64:
    case ONNX_DTYPE.UINT64:
      return 'int';
    default:
      return null;
  }
}

export const SUPPORTED_TYPES =
  'FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT8, UINT8, INT16, UINT16, INT32, UINT32, INT64, UINT64, BOOL';

/** IEEE half precision bits → number. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

const bfloatScratch = new DataView(new ArrayBuffer(4));
function bfloatToNumber(b: number): number {
  bfloatScratch.setUint32(0, b << 16);
  return bfloatScratch.getFloat32(0);
}

/** The shape of a TensorProto, checked: non-negative integers, each below 2³¹. */
export function checkDims(dims: readonly number[], where: string): number[] {
  return dims.map((d, i) => {
    if (!Number.isSafeInteger(d) || d < 0 || d > MAX_DIM)
      throw new FormatError(`${where}: dimension ${i} is ${d}; expected an integer in [0, ${MAX_DIM}].`);
    return d;
  });
}

/** Reads a TensorProto's values. `where` names it in messages (e.g. "initializer 'fc.weight'"). */
export function readTensorProto(t: OnnxTensorProto, where: string): HostArray {
  if (t.dataLocation === 1 || (t.externalData?.length ?? 0) > 0) {
    throw new FormatError(
      `${where}: its values are in an external file (${t.externalData.map((e) => `${e.key}=${e.value}`).join(', ')}); ` +
        'descent reads only the bytes it is given — save the model with its data inside the .onnx file.',
    );
  }
  if (t.segment) throw new FormatError(`${where}: segmented tensors are not supported.`);
  const onnxType = t.dataType;
  const type = hostTypeOf(onnxType);
  if (!type) {
    throw new FormatError(
      `${where}: element type ${onnxTypeName(onnxType)} is not supported; supported: ${SUPPORTED_TYPES}.`,
    );
  }
  const shape = checkDims(t.dims, where);
  const count = sizeOf(shape);
  const raw = t.rawData;
  const need = (have: number, what: string) => {
    if (have !== count) {
      throw new FormatError(
        `${where}: shape [${shape.join(', ')}] needs ${count} values, but its ${what} holds ${have}.`,
      );
    }
  };
  if (raw && raw.length > 0) {
    const width = RAW_BYTES[onnxType];
    if (raw.length % width !== 0 || raw.length / width !== count) {
      throw new FormatError(
        `${where}: shape [${shape.join(', ')}] of ${onnxTypeName(onnxType)} needs ${count * width} bytes of raw_data, got ${raw.length}.`,
      );
    }
    return { type, shape, onnxType, data: fromRaw(raw, onnxType, count) };
  }
  let values: ArrayLike<number>;
  switch (onnxType) {
    case ONNX_DTYPE.FLOAT:
      values = t.floatData;
      need(values.length, 'float_data');
      break;
    case ONNX_DTYPE.DOUBLE:
      values = t.doubleData;
      need(values.length, 'double_data');
      break;
    case ONNX_DTYPE.INT64:
      values = t.int64Data;
      need(values.length, 'int64_data');
      break;
    case ONNX_DTYPE.UINT32:
    case ONNX_DTYPE.UINT64:
      values = t.uint64Data;
      need(values.length, 'uint64_data');
      break;
    case ONNX_DTYPE.FLOAT16:
    case ONNX_DTYPE.BFLOAT16: {
      need(t.int32Data.length, 'int32_data');
      const convert = onnxType === ONNX_DTYPE.FLOAT16 ? halfToNumber : bfloatToNumber;
      const f = new Float32Array(count);
      for (let i = 0; i < count; i++) f[i] = convert(t.int32Data[i] & 0xffff);
      return { type, shape, onnxType, data: f };
    }
    default:
      values = t.int32Data;
      need(values.length, 'int32_data');
  }
  const data = type === 'float32' ? new Float32Array(count) : new Float64Array(count);
  for (let i = 0; i < count; i++) data[i] = values[i];
  if (type === 'int' && onnxType === ONNX_DTYPE.BOOL)
    for (let i = 0; i < count; i++) data[i] = data[i] ? 1 : 0;
  return { type, shape, onnxType, data };
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** raw_data (little-endian) → values. */
function fromRaw(raw: Uint8Array, onnxType: number, count: number): Float32Array | Float64Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (onnxType) {
    case ONNX_DTYPE.FLOAT: {
      // One copy: aligned bytes are viewed and copied in a block, unaligned ones read one by one.
      if (littleEndian && raw.byteOffset % 4 === 0)
        return new Float32Array(raw.buffer, raw.byteOffset, count).slice();
      const f = new Float32Array(count);
      for (let i = 0; i < count; i++) f[i] = view.getFloat32(4 * i, true);
      return f;
    }
    case ONNX_DTYPE.DOUBLE: {
      const f = new Float64Array(count);
      for (let i = 0; i < count; i++) f[i] = view.getFloat64(8 * i, true);
      return f;
    }
    case ONNX_DTYPE.FLOAT16:
    case ONNX_DTYPE.BFLOAT16: {
      const convert = onnxType === ONNX_DTYPE.FLOAT16 ? halfToNumber : bfloatToNumber;
      const f = new Float32Array(count);
      for (let i = 0; i < count; i++) f[i] = convert(view.getUint16(2 * i, true));
      return f;
    }
  }
  const d = new Float64Array(count);
  switch (onnxType) {
    case ONNX_DTYPE.INT8:
      for (let i = 0; i < count; i++) d[i] = view.getInt8(i);
      break;
    case ONNX_DTYPE.UINT8:
      for (let i = 0; i < count; i++) d[i] = view.getUint8(i);
      break;
    case ONNX_DTYPE.BOOL:
      for (let i = 0; i < count; i++) d[i] = view.getUint8(i) ? 1 : 0;
      break;
    case ONNX_DTYPE.INT16:
      for (let i = 0; i < count; i++) d[i] = view.getInt16(2 * i, true);
      break;
    case ONNX_DTYPE.UINT16:
      for (let i = 0; i < count; i++) d[i] = view.getUint16(2 * i, true);
      break;
    case ONNX_DTYPE.INT32:
      for (let i = 0; i < count; i++) d[i] = view.getInt32(4 * i, true);
      break;
    case ONNX_DTYPE.UINT32:
      for (let i = 0; i < count; i++) d[i] = view.getUint32(4 * i, true);
      break;
    case ONNX_DTYPE.INT64:
      for (let i = 0; i < count; i++) d[i] = Number(view.getBigInt64(8 * i, true));
      break;
    case ONNX_DTYPE.UINT64:
      for (let i = 0; i < count; i++) d[i] = Number(view.getBigUint64(8 * i, true));
      break;
  }
  return d;
}

/** A TensorProto (as protobufjs encodes it) holding `data` in raw_data, little-endian. */
export function tensorProto(
  name: string,
  onnxType: number,
  shape: readonly number[],
  data: ArrayLike<number>,
): Record<string, unknown> {
  const count = sizeOf(shape);
  const width = RAW_BYTES[onnxType];
  if (!width || data.length !== count)
    throw new FormatError(
      `exportOnnx: tensor '${name}': ${data.length} values for shape [${shape.join(', ')}].`,
    );
  const raw = new Uint8Array(count * width);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < count; i++) {
    const v = data[i];
    switch (onnxType) {
      case ONNX_DTYPE.FLOAT:
        view.setFloat32(4 * i, v, true);
        break;
      case ONNX_DTYPE.DOUBLE:
        view.setFloat64(8 * i, v, true);
        break;
      case ONNX_DTYPE.INT64:
        view.setBigInt64(8 * i, BigInt(Math.trunc(v)), true);
        break;
      case ONNX_DTYPE.INT32:
        view.setInt32(4 * i, v, true);
        break;
      case ONNX_DTYPE.BOOL:
      case ONNX_DTYPE.UINT8:
        view.setUint8(i, v);
        break;
      case ONNX_DTYPE.INT8:
        view.setInt8(i, v);
        break;
      default:
        throw new FormatError(`exportOnnx: tensor '${name}': cannot write ${onnxTypeName(onnxType)}.`);
    }
  }
  return { name, dataType: onnxType, dims: [...shape], rawData: raw };
}
