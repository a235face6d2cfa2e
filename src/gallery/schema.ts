/**
 * The gallery's table layout, shared by the SQLite and PostgreSQL stores, and its version.
 *
 * Version history:
 *   1: meta, subjects, faces.
 *   2: + changes, the log of committed writes that lets other processes keep their search matrix
 *      in step (SQLite polls it; PostgreSQL pushes the same records with NOTIFY).
 * Opening a version-1 gallery migrates it in place (one transaction); a newer version than this
 * code knows is refused with a message to upgrade facenet.
 */
export const SCHEMA_VERSION = 2;

/** Meta keys. */
export const META = {
  schemaVersion: 'schema_version',
  modelId: 'model_id',
  dim: 'dim',
  model: 'model',
  threshold: 'threshold',
  roc: 'roc',
  createdAt: 'created_at',
  kind: 'kind',
  /** A random id, so that a matrix snapshot is never applied to another gallery. */
  galleryId: 'gallery_id',
} as const;

/** The value of meta 'kind' that marks a database as a facenet gallery. */
export const GALLERY_KIND = 'facenet-gallery';
