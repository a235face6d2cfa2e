/**
 * LFW verification during training, as train_softmax's evaluate(): embed the pairs' images with the
 * model in inference mode and run facenet's LFW protocol (src/eval/lfw-protocol.ts) with the run's
 * --lfw_* settings. The trainer calls it with the moving-average weights swapped in.
 *
 * Differences from facenet, for speed: each distinct image is embedded once (facenet embeds every
 * pair's two paths, repeats included), and with --lfw-max-pairs N only N pairs spread evenly over
 * the file are used, so each fold keeps its share of same and different pairs. Images of another
 * size are centre-cropped or padded to the model's input size, as facenet's evaluate() does.
 */
import { decodeImageFile, type RgbImage } from '../io/image.js';
import { Embedder } from '../embed/embedder.js';
import { evaluateLfw } from '../eval/lfw-protocol.js';
import { getLfwPaths, readPairs, type LfwPair } from '../eval/pairs.js';
import type { InceptionResnetV1 } from '../models/inception-resnet-v1/model.js';
import { FacenetError } from '../errors.js';
import type { TrainConfig } from './config.js';

export interface LfwCheckResult {
  accuracy: number;
  accuracyStd: number;
  val: number;
  valStd: number;
  far: number;
  auc: number;
  eer: number;
  /** Mean over folds of the chosen distance threshold. */
  threshold: number;
  pairs: number;
  skippedPairs: number;
  seconds: number;
}

/** Above this many bytes of decoded images, LFW images are decoded again at every evaluation. */
const CACHE_LIMIT_BYTES = 256 * 1024 * 1024;

/** Pairs i * total / n (i < n): an even spread that keeps the folds' same/different balance. */
export function spreadSubset<T>(items: readonly T[], n: number): T[] {
  if (n <= 0 || n >= items.length) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]!);
}

export class LfwCheck {
  private cache: Map<string, RgbImage> | null = null;

  private constructor(
    private readonly config: TrainConfig,
    private readonly uniquePaths: string[],
    private readonly pairRows: Int32Array,
    private readonly issame: boolean[],
    readonly skippedPairs: number,
  ) {}

  /** Reads the pairs and finds their images; fails early when nothing usable is there. */
  static async create(config: TrainConfig): Promise<LfwCheck> {
    const file = await readPairs(config.lfwPairs!);
    const chosen: LfwPair[] = spreadSubset(file.pairs, config.lfwMaxPairs);
    const found = getLfwPaths(config.lfwDir!, chosen);
    if (found.issame.length < config.lfwNrofFolds) {
      throw new FacenetError(
        'NOT_FOUND',
        `LFW check: only ${found.issame.length} of ${chosen.length} pairs from ${config.lfwPairs} have their images under ${config.lfwDir}` +
          ` (need at least --lfw-nrof-folds = ${config.lfwNrofFolds}); is --lfw-dir the aligned LFW folder (<dir>/<Name>/<Name>_0001.png)?`,
      );
    }
    const index = new Map<string, number>();
    const rows = new Int32Array(found.paths.length);
    found.paths.forEach((p, i) => {
      if (!index.has(p)) index.set(p, index.size);
      rows[i] = index.get(p)!;
    });
    return new LfwCheck(config, [...index.keys()], rows, found.issame, found.skipped.length);
  }

  get pairCount(): number {
    return this.issame.length;
  }

  private async prepared(embedder: Embedder, start: number, end: number): Promise<RgbImage[]> {
    const paths = this.uniquePaths.slice(start, end);
    return Promise.all(
      paths.map(async (p) => {
        const hit = this.cache?.get(p);
        if (hit) return hit;
        const img = await embedder.prepare(await decodeImageFile(p));
        this.cache?.set(p, img);
        return img;
      }),
    );
  }

  /** Embeds and evaluates; null when the signal aborts it part way. The model is left in eval mode. */
  async run(model: InceptionResnetV1, signal?: AbortSignal): Promise<LfwCheckResult | null> {
    const started = performance.now();
    const c = this.config;
    const embedder = new Embedder(model, { batchSize: c.lfwBatchSize, flip: c.lfwUseFlippedImages ? 'concat' : 'none', fit: 'crop' });
    const s = model.config.inputSize;
    if (this.cache === null && this.uniquePaths.length * s * s * 3 <= CACHE_LIMIT_BYTES) this.cache = new Map();
    model.eval();
    const dim = embedder.dim;
    const unique = new Float32Array(this.uniquePaths.length * dim);
    const b = c.lfwBatchSize;
    const guarded = (p: Promise<RgbImage[]>) => {
      p.catch(() => undefined); // awaited below; never an unhandled rejection in the meantime
      return p;
    };
    let next = guarded(this.prepared(embedder, 0, b));
    for (let start = 0; start < this.uniquePaths.length; start += b) {
      const images = await next;
      if (start + b < this.uniquePaths.length) next = guarded(this.prepared(embedder, start + b, start + 2 * b));
      if (signal?.aborted) return null;
      unique.set(embedder.embedPrepared(images), start * dim);
    }
    const embeddings = new Float32Array(this.pairRows.length * dim);
    this.pairRows.forEach((u, i) => embeddings.set(unique.subarray(u * dim, (u + 1) * dim), i * dim));
    const r = evaluateLfw(embeddings, this.issame, { nrofFolds: c.lfwNrofFolds, distanceMetric: c.lfwDistanceMetric, subtractMean: c.lfwSubtractMean });
    return {
      accuracy: r.accuracy_mean,
      accuracyStd: r.accuracy_std,
      val: r.val,
      valStd: r.val_std,
      far: r.far,
      auc: r.auc,
      eer: r.eer,
      threshold: r.best_thresholds.reduce((a, t) => a + t, 0) / r.best_thresholds.length,
      pairs: this.issame.length,
      skippedPairs: this.skippedPairs,
      seconds: (performance.now() - started) / 1000,
    };
  }
}
