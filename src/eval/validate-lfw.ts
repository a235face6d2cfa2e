/**
 * The one LFW evaluation of a model (validate_on_lfw, and train_softmax's evaluate() during
 * training): find the pairs' images in an aligned LFW folder, embed each distinct image once
 * (facenet embeds per pair slot; same numbers), then run the protocol (lfw-protocol.ts). A pair
 * whose image is missing or unreadable is skipped and reported. `facenet validate` and the
 * training loop both call it; lfw-facts.ts holds the summary and the threshold rule.
 */
import { readPairs, getLfwPaths, type LfwPair, type SkippedPair } from './pairs.js';
import { evaluateLfw, type LfwReport } from './lfw-protocol.js';
import type { DistanceMetric } from './distance.js';
import { Embedder, type FitMode, type FlipMode } from '../embed/embedder.js';
import { embedFiles } from '../embed/embed-files.js';
import type { RgbImage } from '../io/image.js';
import type { InceptionResnetV1 } from '../models/inception-resnet-v1/model.js';
import type { Precision } from '../tensor/index.js';
import { FacenetError } from '../errors.js';

/** Items i * total / n (i < n): an even spread that keeps the folds' same/different balance. */
export function spreadSubset<T>(items: readonly T[], n: number): T[] {
  if (n <= 0 || n >= items.length) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]!);
}

export interface LfwPairSetOptions {
  lfwDir: string;
  pairsFile: string;
  /** Use N pairs of the file (default all): the first N, or N spread evenly ('spread'). */
  maxPairs?: number;
  subset?: 'first' | 'spread';
}

/** The pairs of a pairs file whose images exist under an aligned LFW folder, each image listed once. */
export class LfwPairSet {
  private constructor(
    readonly options: LfwPairSetOptions,
    /** The pairs chosen from the file (before missing images are left out). */
    readonly pairs: readonly LfwPair[],
    /** Distinct image paths, in first-use order. */
    readonly images: readonly string[],
    /** For the found pairs: indices into `images` of their two images (2k, 2k + 1). */
    readonly slots: Int32Array,
    readonly issame: readonly boolean[],
    /** For the found pairs: their index in `pairs`. */
    readonly pairIndices: readonly number[],
    /** Pairs with a missing image. */
    readonly missing: readonly SkippedPair[],
  ) {}

  static async open(o: LfwPairSetOptions): Promise<LfwPairSet> {
    const all = (await readPairs(o.pairsFile)).pairs;
    const n = o.maxPairs ?? 0;
    const pairs = o.subset === 'spread' ? spreadSubset(all, n) : n > 0 ? all.slice(0, n) : all;
    const found = getLfwPaths(o.lfwDir, pairs);
    const index = new Map<string, number>();
    const slots = new Int32Array(found.paths.length);
    found.paths.forEach((p, i) => {
      if (!index.has(p)) index.set(p, index.size);
      slots[i] = index.get(p)!;
    });
    return new LfwPairSet(o, pairs, [...index.keys()], slots, found.issame, found.pairIndices, found.skipped);
  }

  get foundPairs(): number {
    return this.issame.length;
  }

  /** NOT_FOUND unless at least `nrofFolds` pairs (one per fold) have their images. */
  assertEnoughPairs(nrofFolds: number): void {
    if (this.foundPairs >= nrofFolds) return;
    const o = this.options;
    throw new FacenetError(
      'NOT_FOUND',
      `only ${this.foundPairs} of ${this.pairs.length} pairs from ${o.pairsFile} have their images under ${o.lfwDir}` +
        ` (need at least ${nrofFolds}, one per fold); is it the aligned LFW folder (<dir>/<Name>/<Name>_0001.png)?`,
    );
  }
}

export interface LfwEmbedOptions {
  flip?: FlipMode;
  fit?: FitMode;
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Reads one image (default: decode the file); training passes a cache of prepared images. */
  decode?: (file: string) => Promise<RgbImage>;
}

export interface LfwProtocolOptions {
  distanceMetric?: DistanceMetric;
  subtractMean?: boolean;
  nrofFolds?: number;
}

export interface LfwEvaluation {
  report: LfwReport;
  /** Pairs left out: missing images, then unreadable ones. */
  skipped: SkippedPair[];
  unreadable: { file: string; reason: string }[];
  /** Embeddings in pairs order: rows 2i and 2i+1 are pair i of the used pairs. */
  embeddings: Float32Array;
  issame: boolean[];
}

/** Embeds the set's images with `model` (in eval mode, restored after) and scores the pairs; null when aborted. */
export async function evaluateOnLfw(model: InceptionResnetV1, set: LfwPairSet, o: LfwEmbedOptions & LfwProtocolOptions = {}): Promise<LfwEvaluation | null> {
  const nrofFolds = o.nrofFolds ?? 10;
  set.assertEnoughPairs(nrofFolds);
  const embedder = new Embedder(model, { batchSize: o.batchSize ?? 32, flip: o.flip ?? 'none', fit: o.fit ?? 'crop' });
  const total = set.images.length;
  const wasTraining = model.training;
  model.eval();
  let r;
  try {
    r = await embedFiles(set.images, embedder, { signal: o.signal, onProgress: (n) => o.onProgress?.(n, total), ...(o.decode ? { decode: o.decode } : {}) });
  } finally {
    model.train(wasTraining);
  }
  if (r.aborted) return null;
  const row = new Map(r.kept.map((f, i) => [f, i]));
  const dim = embedder.dim;
  const embeddings = new Float32Array(set.foundPairs * 2 * dim);
  const issame: boolean[] = [];
  const skipped = [...set.missing];
  for (let k = 0; k < set.foundPairs; k++) {
    const files = [set.images[set.slots[2 * k]!]!, set.images[set.slots[2 * k + 1]!]!];
    const a = row.get(files[0]!);
    const b = row.get(files[1]!);
    if (a === undefined || b === undefined) {
      const pairIndex = set.pairIndices[k]!;
      skipped.push({ pairIndex, pair: set.pairs[pairIndex]!, missing: files.filter((p) => !row.has(p)) });
      continue;
    }
    const at = issame.length * 2 * dim;
    embeddings.set(r.embeddings.subarray(a * dim, (a + 1) * dim), at);
    embeddings.set(r.embeddings.subarray(b * dim, (b + 1) * dim), at + dim);
    issame.push(set.issame[k]!);
  }
  if (issame.length < nrofFolds) throw new FacenetError('BAD_ARGUMENT', `only ${issame.length} usable pairs in ${set.options.lfwDir}; need at least ${nrofFolds}`);
  const used = embeddings.subarray(0, issame.length * 2 * dim);
  const report = evaluateLfw(used, issame, { nrofFolds, distanceMetric: o.distanceMetric ?? 0, subtractMean: o.subtractMean ?? false });
  return { report, skipped, unreadable: r.failures, embeddings: used, issame };
}

export interface ValidateLfwOptions extends LfwEmbedOptions, LfwProtocolOptions {
  lfwDir: string;
  pairsFile: string;
  /** Use only the first N pairs of the file (e.g. one fold); default all. */
  maxPairs?: number;
}

export interface LfwValidation extends LfwEvaluation {
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
}

/** validate_on_lfw on a model: the evaluation plus the settings that produced it. */
export async function validateLfw(model: InceptionResnetV1, modelId: string, o: ValidateLfwOptions): Promise<LfwValidation> {
  const set = await LfwPairSet.open({ lfwDir: o.lfwDir, pairsFile: o.pairsFile, ...(o.maxPairs ? { maxPairs: o.maxPairs } : {}) });
  const v = await evaluateOnLfw(model, set, o);
  if (v === null) throw new FacenetError('BAD_ARGUMENT', 'LFW validation interrupted');
  return {
    ...v,
    settings: {
      model: modelId,
      standardization: model.config.standardization,
      inputSize: model.config.inputSize,
      precision: model.precision,
      flip: o.flip ?? 'none',
      fit: o.fit ?? 'crop',
      distanceMetric: o.distanceMetric ?? 0,
      subtractMean: o.subtractMean ?? false,
      nrofFolds: o.nrofFolds ?? 10,
      pairsFile: o.pairsFile,
      lfwDir: o.lfwDir,
      pairsUsed: v.issame.length,
      pairsSkipped: v.skipped.length,
      imagesUnreadable: v.unreadable.length,
    },
  };
}
