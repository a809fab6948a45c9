import onnxProto from 'onnx-proto';

/** The ONNX protobuf messages (generated from the published ONNX schema by the `onnx-proto` package). */
export const onnx = onnxProto.onnx;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
