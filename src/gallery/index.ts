/** The face gallery: the public surface (the README's "Face gallery" section documents it). */
export {
  Gallery,
  type GalleryOptions,
  type BulkEnrollOptions,
  type ExportedRow,
  type EnrollInput,
  type EnrollFailure,
  type EnrollResult,
  type ImageEnrollOptions,
  type FaceIdentification,
  type Verification,
  type AnnStatus,
} from './gallery.js';
export { ANN_DEFAULTS, type AnnSettings, type AnnQuantization } from './ann-index.js';
export { createGallery, openGallery, isPostgresUrl, resolveGalleryLocation, type OpenGalleryOptions } from './open.js';
export { readGalleryLink, writeGalleryLink } from './link-file.js';
export { validateSubjectName, MAX_SUBJECT_NAME } from './subject-name.js';
export { thresholdForFar, parseRoc } from './far-threshold.js';
export type { MatrixPrecision } from './exact-index.js';
export type { EnrollItem } from './store.js';
export type {
  FaceMatch,
  Identification,
  SubjectSummary,
  FaceRecord,
  IdentifyOptions,
  FaceSource,
  GalleryInfo,
  CreateGalleryInfo,
  StoredRoc,
} from './types.js';
