/**
 * The package's public surface, chosen export by export: the FaceNet facade first, then the
 * pieces its CLI uses (detection, alignment, embedding, models, training, evaluation, classifier,
 * export, file formats).
 */
export { FaceNet, type FaceNetOptions, type EmbeddedFace, type Comparison } from './facenet.js';
export { FacenetError, type FacenetErrorCode } from './errors.js';
export { MtcnnDetector, type Face, type DetectOptions, type MtcnnLoadOptions } from './detect/index.js';
export { alignFace, alignDataset, type AlignFaceOptions, type AlignDatasetOptions, type AlignSummary } from './align/index.js';
export { Embedder, type EmbedderOptions, type FlipMode, type FitMode } from './embed/embedder.js';
export { embedFiles } from './embed/embed-files.js';
export { InceptionResnetV1 } from './models/inception-resnet-v1/model.js';
export { resolveConfig, VARIANTS, type InceptionResnetV1Config, type Standardization } from './models/inception-resnet-v1/config.js';
export { loadFaceModel, PRETRAINED, type FaceModel } from './models/registry.js';
export { saveModel, loadModelFile, updateModelFacts, type ModelFacts } from './models/model-file.js';
export { train, resolveTrainConfig, TRAIN_DEFAULTS, type TrainConfig, type TrainSummary, type TrainEvent } from './train/index.js';
export { validateLfw, type LfwValidation, type ValidateLfwOptions } from './eval/validate-lfw.js';
export { evaluateLfw, type LfwReport, type LfwOptions } from './eval/lfw-protocol.js';
export { readPairs, getLfwPaths } from './eval/pairs.js';
export { renderRocSvg } from './eval/roc-plot.js';
export { SvmClassifier, type Prediction } from './classify/svm-classifier.js';
export {
  Gallery,
  createGallery,
  openGallery,
  validateSubjectName,
  type GalleryOptions,
  type OpenGalleryOptions,
  type FaceSource,
  type FaceMatch,
  type Identification,
  type FaceIdentification,
  type IdentifyOptions,
  type EnrollResult,
  type Verification,
  type SubjectSummary,
  type FaceRecord,
  type GalleryInfo,
  type MatrixPrecision,
} from './gallery/index.js';
// Only the file-level export API: the graph-level one (src/export/index.ts) exposes onnx-proto's types.
export { exportModelFile, exportMtcnnFiles, MTCNN_FILES, type ExportFileOptions, type WrittenFile } from './export/export-files.js';
export type { Precision } from './export/precision.js';
export { decodeImage, encodePng, type RgbImage, type ImageInput } from './io/image.js';
export { readTorchStateDict } from './io/torch-file.js';
export { readSafetensors, writeSafetensors } from './io/safetensors.js';
export { readNpy, writeNpy } from './io/npy.js';
export { resolveAsset } from './io/assets.js';
// The tensor engine and nn layers stay internal: results are plain data. What an application needs
// of the engine is its settings and its diagnostics.
export { type RuntimeOptions } from './facenet.js';
export { getNumThreads, setNumThreads, libtorchVersion, cudaAvailable, liveTensors, type Tensor } from './tensor/index.js';
