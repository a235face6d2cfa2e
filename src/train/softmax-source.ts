/**
 * Batches for softmax training: batch k holds samples k*B .. k*B+B-1 of the run's endless shuffled
 * order (see EpochOrder), each with its own augmentation seed, decoded a few batches ahead.
 * Everything is a function of the step number, so a resumed run restarts the queue at its step.
 */
import { loadBatch, type BatchLoaderOptions, type LoadedBatch, type SampleRef } from '../data/batch-loader.js';
import { PrefetchQueue, type Taken } from '../io/prefetch-queue.js';
import { EpochOrder, mixSeed, STREAM } from '../data/sample-order.js';
import type { LabelledImages } from '../data/training-set.js';
import type { TrainConfig } from './config.js';

export function loaderOptions(config: TrainConfig, root: string, augmentEnabled: boolean, groupSize = 1): BatchLoaderOptions {
  return {
    augment: { imageSize: config.imageSize!, randomCrop: config.randomCrop, randomFlip: config.randomFlip, randomRotate: config.randomRotate },
    augmentEnabled,
    datasetRoot: root,
    groupSize,
  };
}

export class SoftmaxBatchSource {
  private readonly order: EpochOrder;
  private readonly queue: PrefetchQueue<LoadedBatch>;

  constructor(
    private readonly images: LabelledImages,
    private readonly config: TrainConfig,
    root: string,
    startStep: number,
    /** Data-parallel: this rank's part of every global batch (default: all of it). */
    private readonly part: { start: number; count: number } = { start: 0, count: config.batchSize },
  ) {
    this.order = new EpochOrder(images.paths.length, config.seed);
    const options = loaderOptions(config, root, true);
    this.queue = new PrefetchQueue((step) => loadBatch(this.refs(step), options), config.prefetchBatches, startStep);
  }

  /** The samples of batch `step` (of this rank's part of it). */
  refs(step: number): SampleRef[] {
    const batchSize = this.config.batchSize;
    return Array.from({ length: this.part.count }, (_, i) => {
      const sampleIndex = step * batchSize + this.part.start + i;
      const index = this.order.at(sampleIndex);
      return { path: this.images.paths[index]!, label: this.images.labels[index]!, augmentSeed: mixSeed(this.config.seed, STREAM.augment, sampleIndex) };
    });
  }

  next(): Promise<Taken<LoadedBatch>> {
    return this.queue.take();
  }

  /** Softmax epochs may end after any batch. */
  atRoundEnd(): boolean {
    return true;
  }

  close(): void {
    this.queue.close();
  }
}

/** Fixed batches over a list of images without augmentation (validation), decoded ahead. */
export function plainBatches(images: LabelledImages, config: TrainConfig, root: string): PrefetchQueue<LoadedBatch> {
  const batchSize = config.batchSize;
  const batchCount = Math.ceil(images.paths.length / batchSize);
  const options = loaderOptions(config, root, false);
  return new PrefetchQueue(
    (k) =>
      loadBatch(
        images.paths.slice(k * batchSize, (k + 1) * batchSize).map((path, i) => ({ path, label: images.labels[k * batchSize + i]!, augmentSeed: 0 })),
        options,
      ),
    config.prefetchBatches,
    0,
    batchCount,
  );
}
