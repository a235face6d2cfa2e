/**
 * What the gallery needs from a durable store (SQLite file or PostgreSQL). Stores hold subjects,
 * faces (embedding, model id, metadata) and the gallery's facts; the search matrix lives in the
 * Gallery. A store reports every committed write as a Change, so that every process's matrix can
 * follow writes made by other processes.
 */
import type { FaceRecord, GalleryInfo, SubjectSummary } from './types.js';

export interface EnrollItem {
  subject: string;
  /** Unit embeddings. */
  embeddings: readonly Float32Array[];
  metadata?: Record<string, unknown> | null;
}

export interface EnrolledItem {
  subject: string;
  subjectId: number;
  faceIds: number[];
}

export type Change =
  /** Faces with ids in [fromFaceId, toFaceId] were added (reloading the range is idempotent). */
  | { kind: 'add'; fromFaceId: number; toFaceId: number }
  | { kind: 'removeSubject'; subjectId: number }
  | { kind: 'removeFace'; faceId: number };

export interface StoredRows {
  faceIds: Float64Array;
  subjectIds: Int32Array;
  /** Row-major [count, dim]. */
  embeddings: Float32Array;
}

export interface GalleryStore {
  readonly location: string;
  readonly info: GalleryInfo;
  /** Subject id -> name, for every subject. */
  subjectNames(): Promise<Map<number, string>>;
  countFaces(): Promise<number>;
  /** Every face, in chunks, for the search matrix. */
  loadFaces(onChunk: (rows: StoredRows) => void): Promise<void>;
  /** The faces one Change 'add' names (those still there), with their subjects' names. */
  loadAdded(change: Extract<Change, { kind: 'add' }>): Promise<StoredRows & { names: Map<number, string> }>;
  /** Each item in its own transaction, in order; an item either lands whole or not at all. */
  enroll(items: readonly EnrollItem[], modelId: string): Promise<EnrolledItem[]>;
  subjects(): Promise<SubjectSummary[]>;
  faces(subject: string): Promise<FaceRecord[]>;
  removeSubject(name: string): Promise<{ subjectId: number; faceIds: number[] } | null>;
  removeFace(faceId: number): Promise<boolean>;
  /** Changes committed by other connections since the last call (SQLite polls; PostgreSQL also pushes). */
  pollChanges(): Promise<Change[]>;
  /** Saves the search matrix for a fast next open, where the store keeps snapshots (SQLite). */
  saveSnapshot?(rows: number, faceIdAt: (r: number) => number, subjectAt: (r: number) => number, chunks: Iterable<{ start: number; embeddings: Float32Array }>): void;
  /** A path beside the store where derived files may be kept (SQLite: the database file); none for PostgreSQL. */
  readonly sidecarBase?: string;
  /** loadFaces() read a snapshot (then pollChanges() returns what happened since it). */
  readonly loadedFromSnapshot?: boolean;
  /** Called as soon as other processes' changes arrive, where the store can push them (PostgreSQL). */
  onChanges?: (listener: (changes: Change[]) => void) => void;
  close(): Promise<void>;
}
