/**
 * LFW verification during training, as train_softmax's evaluate(): the run's --lfw_* settings
 * applied to eval/'s one LFW evaluation (evaluateOnLfw). The trainer calls it with the
 * moving-average weights swapped in.
 *
 * Differences from facenet, for speed: each distinct image is embedded once, with
 * --lfw-max-pairs N only N pairs spread evenly over the file are used (each fold keeps its share
 * of same and different pairs), and the prepared images are kept in memory between evaluations
 * when they fit in CACHE_LIMIT_BYTES.
 */
import { decodeImageFile, type RgbImage } from '../io/image.js';
import { cropOrPad } from '../embed/crop-or-pad.js';
import { LfwPairSet, evaluateOnLfw } from '../eval/validate-lfw.js';
import { summarizeLfw, type LfwSummary } from '../eval/lfw-facts.js';
import type { InceptionResnetV1 } from '../models/inception-resnet-v1/model.js';
import type { TrainConfig } from './config.js';

export interface LfwCheckResult extends LfwSummary {
  seconds: number;
}

/** Above this many bytes of prepared images, LFW images are decoded again at every evaluation. */
const CACHE_LIMIT_BYTES = 256 * 1024 * 1024;

export class LfwCheck {
  private cache: Map<string, RgbImage> | null = null;

  private constructor(
    private readonly config: TrainConfig,
    private readonly set: LfwPairSet,
  ) {}

  /** Reads the pairs and finds their images; fails early when too few are there. */
  static async create(config: TrainConfig): Promise<LfwCheck> {
    const set = await LfwPairSet.open({ lfwDir: config.lfwDir!, pairsFile: config.lfwPairs!, maxPairs: config.lfwMaxPairs, subset: 'spread' });
    set.assertEnoughPairs(config.lfwNrofFolds);
    return new LfwCheck(config, set);
  }

  /** Pairs left out because an image is missing. */
  get skippedPairs(): number {
    return this.set.missing.length;
  }

  /** Embeds and evaluates; null when the signal aborts it part way. */
  async run(model: InceptionResnetV1, signal?: AbortSignal): Promise<LfwCheckResult | null> {
    const started = performance.now();
    const config = this.config;
    const size = model.config.inputSize;
    if (this.cache === null && this.set.images.length * size * size * 3 <= CACHE_LIMIT_BYTES) this.cache = new Map();
    const cache = this.cache;
    const decode = async (file: string): Promise<RgbImage> => {
      const hit = cache?.get(file);
      if (hit) return hit;
      const img = await decodeImageFile(file);
      const prepared = img.width === size && img.height === size ? img : cropOrPad(img, size);
      cache?.set(file, prepared);
      return prepared;
    };
    const evaluation = await evaluateOnLfw(model, this.set, {
      batchSize: config.lfwBatchSize,
      flip: config.lfwUseFlippedImages ? 'concat' : 'none',
      fit: 'crop',
      nrofFolds: config.lfwNrofFolds,
      distanceMetric: config.lfwDistanceMetric,
      subtractMean: config.lfwSubtractMean,
      decode,
      ...(signal ? { signal } : {}),
    });
    if (evaluation === null) return null;
    return { ...summarizeLfw(evaluation.report, evaluation.skipped.length), seconds: (performance.now() - started) / 1000 };
  }
}
