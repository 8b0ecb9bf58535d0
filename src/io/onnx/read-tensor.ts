/** One serialised TensorProto (an ONNX test case's input_0.pb) as a host array. */
import protobuf from 'protobufjs/light.js';
import { FormatError } from '../../errors.js';
import { ONNX_SCHEMA } from './schema.js';
import { readTensorProto, type HostArray } from './tensor.js';
import { decodeOnnxMessage } from './proto.js';

let tensorType: protobuf.Type | null = null;

export function readOnnxTensor(bytes: Uint8Array, source = 'tensor.pb'): HostArray {
  tensorType ??= protobuf.Root.fromJSON(ONNX_SCHEMA as protobuf.INamespace).lookupType('onnx.TensorProto');
  const t = decodeOnnxMessage(tensorType, bytes, source);
  if (!t) throw new FormatError(`${source}: not a TensorProto.`);
  return readTensorProto(t as never, source);
}
