/**
 * facenet/web: the browser entry (bundled by esbuild into dist/web/facenet-web.js). Same detect /
 * align / embed / faces / compare shape as the Node facade, on onnxruntime-web and the models
 * from `facenet export`. Imports only modules without Node or native dependencies.
 */
export { FaceNetWeb, type FaceNetWebOptions, type EmbeddedFace, type ModelSource } from './facenet-web.js';
export { toRgbImage, type WebImageInput } from './browser-image.js';
export { compareEmbeddings, type Comparison } from '../math/compare-embeddings.js';
export type { Face, FaceBox, FiveLandmarks, Point } from '../detect/face.js';
export type { DetectOptions } from '../detect/options.js';
export type { RgbImage } from '../io/image.js';
export { FacenetError } from '../errors.js';
