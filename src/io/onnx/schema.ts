/**
 * ONNX's message definitions (the public format of onnx/onnx.proto, IR version 8, proto2
 * syntax) in protobufjs's reflection (JSON) form: every message, field number and type that
 * an ONNX model file can hold. protobufjs builds its encoder and decoder from this; no wire
 * format is written by hand here.
 *
 * Kept in full (training info, functions, sparse tensors, type protos) so that any valid
 * file decodes; the importer then says which parts it cannot run.
 */

const field = (type: string, id: number) => ({ type, id });
const repeated = (type: string, id: number) => ({ rule: 'repeated', type, id });
/** proto2 repeated scalars are unpacked unless marked; ONNX marks TensorProto's data packed. */
const packed = (type: string, id: number) => ({ rule: 'repeated', type, id, options: { packed: true } });

const message = (fields: Record<string, object>, extra: Record<string, unknown> = {}) => ({
  edition: 'proto2',
  fields,
  ...extra,
});

export const ONNX_SCHEMA = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: message(
          {
            name: field('string', 1),
            refAttrName: field('string', 21),
            docString: field('string', 13),
            type: field('AttributeType', 20),
            f: field('float', 2),
            i: field('int64', 3),
            s: field('bytes', 4),
            t: field('TensorProto', 5),
            g: field('GraphProto', 6),
            sparseTensor: field('SparseTensorProto', 22),
            tp: field('TypeProto', 14),
            floats: repeated('float', 7),
            ints: repeated('int64', 8),
            strings: repeated('bytes', 9),
            tensors: repeated('TensorProto', 10),
            graphs: repeated('GraphProto', 11),
            sparseTensors: repeated('SparseTensorProto', 23),
            typeProtos: repeated('TypeProto', 15),
          },
          {
            nested: {
              AttributeType: {
                values: {
                  UNDEFINED: 0,
                  FLOAT: 1,
                  INT: 2,
                  STRING: 3,
                  TENSOR: 4,
                  GRAPH: 5,
                  SPARSE_TENSOR: 11,
                  TYPE_PROTO: 13,
                  FLOATS: 6,
                  INTS: 7,
                  STRINGS: 8,
                  TENSORS: 9,
                  GRAPHS: 10,
                  SPARSE_TENSORS: 12,
                  TYPE_PROTOS: 14,
                },
              },
            },
          },
        ),
        ValueInfoProto: message({
          name: field('string', 1),
          type: field('TypeProto', 2),
          docString: field('string', 3),
        }),
        NodeProto: message({
          input: repeated('string', 1),
          output: repeated('string', 2),
          name: field('string', 3),
          opType: field('string', 4),
          domain: field('string', 7),
          attribute: repeated('AttributeProto', 5),
          docString: field('string', 6),
        }),
        TrainingInfoProto: message({
          initialization: field('GraphProto', 1),
          algorithm: field('GraphProto', 2),
          initializationBinding: repeated('StringStringEntryProto', 3),
          updateBinding: repeated('StringStringEntryProto', 4),
        }),
        ModelProto: message({
          irVersion: field('int64', 1),
          opsetImport: repeated('OperatorSetIdProto', 8),
          producerName: field('string', 2),
          producerVersion: field('string', 3),
          domain: field('string', 4),
          modelVersion: field('int64', 5),
          docString: field('string', 6),
          graph: field('GraphProto', 7),
          metadataProps: repeated('StringStringEntryProto', 14),
          trainingInfo: repeated('TrainingInfoProto', 20),
          functions: repeated('FunctionProto', 25),
        }),
        StringStringEntryProto: message({ key: field('string', 1), value: field('string', 2) }),
        TensorAnnotation: message({
          tensorName: field('string', 1),
          quantParameterTensorNames: repeated('StringStringEntryProto', 2),
        }),
        GraphProto: message({
          node: repeated('NodeProto', 1),
          name: field('string', 2),
          initializer: repeated('TensorProto', 5),
          sparseInitializer: repeated('SparseTensorProto', 15),
          docString: field('string', 10),
          input: repeated('ValueInfoProto', 11),
          output: repeated('ValueInfoProto', 12),
          valueInfo: repeated('ValueInfoProto', 13),
          quantizationAnnotation: repeated('TensorAnnotation', 14),
        }),
        TensorProto: message(
          {
            dims: repeated('int64', 1),
            dataType: field('int32', 2),
            segment: field('Segment', 3),
            floatData: packed('float', 4),
            int32Data: packed('int32', 5),
            stringData: repeated('bytes', 6),
            int64Data: packed('int64', 7),
            name: field('string', 8),
            docString: field('string', 12),
            rawData: field('bytes', 9),
            externalData: repeated('StringStringEntryProto', 13),
            dataLocation: field('DataLocation', 14),
            doubleData: packed('double', 10),
            uint64Data: packed('uint64', 11),
          },
          {
            nested: {
              Segment: message({ begin: field('int64', 1), end: field('int64', 2) }),
              DataLocation: { values: { DEFAULT: 0, EXTERNAL: 1 } },
            },
          },
        ),
        SparseTensorProto: message({
          values: field('TensorProto', 1),
          indices: field('TensorProto', 2),
          dims: repeated('int64', 3),
        }),
        TensorShapeProto: message(
          { dim: repeated('Dimension', 1) },
          {
            nested: {
              Dimension: message(
                {
                  dimValue: field('int64', 1),
                  dimParam: field('string', 2),
                  denotation: field('string', 3),
                },
                { oneofs: { value: { oneof: ['dimValue', 'dimParam'] } } },
              ),
            },
          },
        ),
        TypeProto: message(
          {
            tensorType: field('Tensor', 1),
            sequenceType: field('Sequence', 4),
            mapType: field('Map', 5),
            optionalType: field('Optional', 9),
            sparseTensorType: field('SparseTensor', 8),
            denotation: field('string', 6),
          },
          {
            oneofs: {
              value: { oneof: ['tensorType', 'sequenceType', 'mapType', 'optionalType', 'sparseTensorType'] },
            },
            nested: {
              Tensor: message({ elemType: field('int32', 1), shape: field('TensorShapeProto', 2) }),
              Sequence: message({ elemType: field('TypeProto', 1) }),
              Map: message({ keyType: field('int32', 1), valueType: field('TypeProto', 2) }),
              Optional: message({ elemType: field('TypeProto', 1) }),
              SparseTensor: message({ elemType: field('int32', 1), shape: field('TensorShapeProto', 2) }),
            },
          },
        ),
        OperatorSetIdProto: message({ domain: field('string', 1), version: field('int64', 2) }),
        FunctionProto: message({
          name: field('string', 1),
          input: repeated('string', 4),
          output: repeated('string', 5),
          attribute: repeated('string', 6),
          node: repeated('NodeProto', 7),
          docString: field('string', 8),
          opsetImport: repeated('OperatorSetIdProto', 9),
          domain: field('string', 10),
        }),
      },
    },
  },
};

/** TensorProto.DataType values. */
export const ONNX_DTYPE = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
} as const;

/** AttributeProto.AttributeType values. */
export const ATTRIBUTE_TYPE = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;
