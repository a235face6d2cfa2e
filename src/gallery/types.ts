/** The gallery's public data shapes, shared with the server's API (src/serve/schemas.ts). */
import type { Face } from '../detect/face.js';
import type { ImageInput, RgbImage } from '../io/image.js';

export interface FaceMatch {
  subject: string;
  faceId: string;
  /** Plain L2 distance between unit embeddings. */
  distance: number;
  /** Cosine similarity. */
  similarity: number;
}

/** One query's answer; matches are ranked best first, one per subject. */
export interface Identification {
  unknown: boolean;
  matches: FaceMatch[];
}

export interface SubjectSummary {
  name: string;
  faces: number;
}

export interface FaceRecord {
  faceId: string;
  subject: string;
  metadata: Record<string, unknown> | null;
  createdAt: string;
}

export interface IdentifyOptions {
  /** Subjects to return (default 5). */
  k?: number;
  /** Squared-L2 threshold (facenet's convention); default: the gallery's (the model's calibrated one). */
  threshold?: number;
  /** Pick the threshold for this false-accept rate from the gallery's stored ROC instead. */
  far?: number;
  /** A subject's score: its best face (default) or the centroid of its faces. */
  aggregate?: 'best' | 'centroid';
  /** Force the exact scan even when an ANN index is attached. */
  exact?: boolean;
  /** The model the queries come from; refused (MODEL_MISMATCH) when it is not the gallery's. */
  modelId?: string;
}

/**
 * A stored ROC: the true/false-accept rates of the model at each squared-L2 threshold, as facenet's
 * LFW protocol computes them (thresholds 0, 0.01, ..., 3.99; `facenet validate --save-threshold`
 * keeps it in the model file's facts as `roc`).
 */
export interface StoredRoc {
  thresholds: number[];
  tpr: number[];
  fpr: number[];
}

export interface GalleryInfo {
  modelId: string;
  dim: number;
  /** The model path or name as given at create. */
  model: string;
  /** Squared-L2 threshold, or null when the model had none. */
  threshold: number | null;
  roc: StoredRoc | null;
  schemaVersion: number;
  createdAt: string;
}

export interface CreateGalleryInfo {
  modelId: string;
  dim: number;
  model: string;
  threshold: number | null;
  roc?: StoredRoc | null;
}

/** Structural: FaceNet (src/facenet.ts) satisfies it, so the gallery layer never imports the facade. */
export interface FaceSource {
  readonly modelId: string;
  faces(image: ImageInput | RgbImage): Promise<{ face: Face; embedding: Float32Array }[]>;
}
