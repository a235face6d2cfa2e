/** Messages between the server thread and the inference worker (structured-clone data only). */
import type { Face } from '../detect/index.js';
import type { RgbImage } from '../io/image.js';
import type { Comparison, Precision, RuntimeOptions } from '../facenet.js';

/** What loads the model in the worker: FaceNet.load's options that survive structured clone. */
export interface EngineConfig {
  model: string;
  home?: string;
  mirror?: string;
  /** Faces per embedding forward pass inside one batch. */
  embedBatch: number;
  /** threads (0: every core), device and precision, as for FaceNet.load. */
  runtime: RuntimeOptions;
}

export type InferenceJob =
  | { kind: 'detect'; image: RgbImage }
  | { kind: 'faces'; image: RgbImage }
  | { kind: 'verify'; images: [RgbImage, RgbImage] };

export interface FaceEmbedding {
  face: Face;
  embedding: Float32Array;
}

export type InferenceResult =
  | { kind: 'detect'; faces: Face[] }
  | { kind: 'faces'; faces: FaceEmbedding[] }
  | { kind: 'verify'; faces: [FaceEmbedding | null, FaceEmbedding | null]; comparison: Comparison | null };

export type JobOutcome = { ok: true; value: InferenceResult } | { ok: false; error: { code: string; message: string } };

export interface ModelInfo {
  modelId: string;
  dim: number;
  /** Squared-L2 threshold stored with the model, or null. */
  threshold: number | null;
  /** The embedding network's compute precision, as resolved in the worker ('auto' decided there). */
  precision: Precision;
  /** Load-time notes, e.g. bf16 on a CPU without bf16 units (the server logs them). */
  warnings: string[];
}

export type ToWorker = { type: 'batch'; id: number; jobs: InferenceJob[] } | { type: 'close' };

export type FromWorker =
  | { type: 'ready'; info: ModelInfo }
  | { type: 'result'; id: number; outcomes: JobOutcome[] }
  | { type: 'fatal'; code: string; message: string };
