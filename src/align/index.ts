/** Face alignment: one face (alignFace) or a whole class-per-folder dataset (alignDataset). */
export { alignFace, faceCropBox, resolveAlignOptions, DEFAULT_ALIGN_OPTIONS, ALIGN_MODES, type AlignFaceOptions, type AlignMode } from './align-face.js';
export { selectCentralFace } from './select-face.js';
export { alignDataset, type AlignDatasetOptions, type AlignProgress, type AlignSummary } from './align-dataset.js';
export type { AlignFailure, AlignFailureReason } from './failures-log.js';
