/**
 * How exported weights are stored. 'fp16' stores them as float16 (half the file) with a Cast to
 * float32 after each, so the arithmetic stays float32 on every runtime (onnxruntime-web's wasm
 * backend has no fp16 kernels). Its own file so that public types do not pull in onnx-proto's.
 */
export type Precision = 'fp32' | 'fp16';
