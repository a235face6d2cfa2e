/** Face detection (MTCNN): the public surface. */
export { MtcnnDetector } from './mtcnn-detector.js';
export { DEFAULT_DETECT_OPTIONS, resolveDetectOptions, type DetectOptions, type FaceOrder, type MtcnnLoadOptions } from './options.js';
export { faceArea, type Face, type FaceBox, type FiveLandmarks, type Point } from './face.js';
export { pyramidScales, levelSize } from './pyramid.js';
export type { MtcnnWeights } from '../models/mtcnn/index.js';
export { parseThresholds } from './parse-thresholds.js';
export { drawFaces, facesOverlaySvg, drawOutputPaths } from './draw-faces.js';
