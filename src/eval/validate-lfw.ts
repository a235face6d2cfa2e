/**
 * validate_on_lfw: embed the images of an aligned LFW folder named by a pairs file, then run the
 * protocol. Each distinct image is embedded once (facenet embeds per pair slot; same numbers).
 * Every report carries the settings that produced it, skipped pairs included.
 */
import { readPairs, getLfwPaths, type SkippedPair } from './pairs.js';
import { evaluateLfw, type LfwReport } from './lfw-protocol.js';
import type { DistanceMetric } from './distance.js';
import { Embedder, type FitMode, type FlipMode } from '../embed/embedder.js';
import { embedFiles } from '../embed/embed-files.js';
import type { InceptionResnetV1 } from '../models/inception-resnet-v1/model.js';
import type { Precision } from '../tensor/index.js';
import { FacenetError } from '../errors.js';

export interface ValidateLfwOptions {
  lfwDir: string;
  pairsFile: string;
  distanceMetric?: DistanceMetric;
  subtractMean?: boolean;
  flip?: FlipMode;
  fit?: FitMode;
  nrofFolds?: number;
  batchSize?: number;
  /** Use only the first N pairs of the file (e.g. one fold); default all. */
  maxPairs?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface LfwValidation {
  report: LfwReport;
  /** Everything a reader needs to reproduce the figures. */
  settings: {
    model: string;
    standardization: string;
    inputSize: number;
    /** Compute precision of the embeddings ('fp32' or 'bf16'). */
    precision: Precision;
    flip: FlipMode;
    fit: FitMode;
    distanceMetric: DistanceMetric;
    subtractMean: boolean;
    nrofFolds: number;
    pairsFile: string;
    lfwDir: string;
    pairsUsed: number;
    pairsSkipped: number;
    imagesUnreadable: number;
  };
  skipped: SkippedPair[];
  unreadable: { file: string; reason: string }[];
  /** Embeddings in pairs order: rows 2i and 2i+1 are pair i of the used pairs. */
  embeddings: Float32Array;
  issame: boolean[];
}

export async function validateLfw(model: InceptionResnetV1, modelId: string, o: ValidateLfwOptions): Promise<LfwValidation> {
  const pairsFile = await readPairs(o.pairsFile);
  const pairs = o.maxPairs ? pairsFile.pairs.slice(0, o.maxPairs) : pairsFile.pairs;
  const found = getLfwPaths(o.lfwDir, pairs);
  const unique = [...new Set(found.paths)];
  const flip = o.flip ?? 'none';
  const embedder = new Embedder(model, { batchSize: o.batchSize ?? 32, flip, fit: o.fit ?? 'crop' });
  const wasTraining = model.training;
  model.eval();
  let r;
  try {
    r = await embedFiles(unique, embedder, { signal: o.signal, onProgress: (n) => o.onProgress?.(n, unique.length) });
  } finally {
    model.train(wasTraining);
  }
  if (r.aborted) throw new FacenetError('BAD_ARGUMENT', 'LFW validation interrupted');
  const row = new Map(r.kept.map((f, i) => [f, i]));
  const dim = embedder.dim;
  // A pair with an unreadable image is skipped like a missing one, and reported.
  const emb: number[] = [];
  const issame: boolean[] = [];
  const skipped = [...found.skipped];
  for (let k = 0; k < found.issame.length; k++) {
    const a = row.get(found.paths[2 * k]!);
    const b = row.get(found.paths[2 * k + 1]!);
    if (a === undefined || b === undefined) {
      const pairIndex = found.pairIndices[k]!;
      skipped.push({ pairIndex, pair: pairs[pairIndex]!, missing: [found.paths[2 * k]!, found.paths[2 * k + 1]!].filter((p) => !row.has(p)) });
      continue;
    }
    emb.push(...r.embeddings.subarray(a * dim, (a + 1) * dim), ...r.embeddings.subarray(b * dim, (b + 1) * dim));
    issame.push(found.issame[k]!);
  }
  const nrofFolds = o.nrofFolds ?? 10;
  if (issame.length < nrofFolds) throw new FacenetError('BAD_ARGUMENT', `only ${issame.length} usable pairs in ${o.lfwDir}; need at least ${nrofFolds}`);
  const embeddings = Float32Array.from(emb);
  const report = evaluateLfw(embeddings, issame, { nrofFolds, distanceMetric: o.distanceMetric ?? 0, subtractMean: o.subtractMean ?? false });
  return {
    report,
    settings: {
      model: modelId,
      standardization: model.config.standardization,
      inputSize: model.config.inputSize,
      precision: model.precision,
      flip,
      fit: o.fit ?? 'crop',
      distanceMetric: o.distanceMetric ?? 0,
      subtractMean: o.subtractMean ?? false,
      nrofFolds,
      pairsFile: o.pairsFile,
      lfwDir: o.lfwDir,
      pairsUsed: issame.length,
      pairsSkipped: skipped.length,
      imagesUnreadable: r.failures.length,
    },
    skipped,
    unreadable: r.failures,
    embeddings,
    issame,
  };
}
