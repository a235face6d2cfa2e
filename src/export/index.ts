/** ONNX export (graph writer on onnx-proto, per-model exporters, structural checks). */
export { exportInceptionResnetV1, EMBEDDING_IO, type ExportEmbeddingOptions } from './inception-resnet-v1.js';
export { exportMtcnnNet, MTCNN_IO, type ExportMtcnnOptions } from './mtcnn.js';
export { exportModelFile, exportMtcnnFiles, MTCNN_FILES, type ExportFileOptions, type WrittenFile } from './export-files.js';
export { checkModelStructure, checkOnnxModel } from './onnx-check.js';
export { encodeModel, decodeModel, OnnxGraph, type OnnxModel, type Precision } from './onnx-graph.js';
export { DEFAULT_OPSET, MIN_OPSET, MAX_OPSET, requiredOpset } from './opsets.js';
