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

export function loaderOptions(c: TrainConfig, root: string, augmentEnabled: boolean, groupSize = 1): BatchLoaderOptions {
  return {
    augment: { imageSize: c.imageSize!, randomCrop: c.randomCrop, randomFlip: c.randomFlip, randomRotate: c.randomRotate },
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
    private readonly c: TrainConfig,
    root: string,
    startStep: number,
  ) {
    this.order = new EpochOrder(images.paths.length, c.seed);
    const options = loaderOptions(c, root, true);
    this.queue = new PrefetchQueue((step) => loadBatch(this.refs(step), options), c.prefetchBatches, startStep);
  }

  /** The samples of batch `step`. */
  refs(step: number): SampleRef[] {
    const b = this.c.batchSize;
    return Array.from({ length: b }, (_, i) => {
      const g = step * b + i;
      const index = this.order.at(g);
      return { path: this.images.paths[index]!, label: this.images.labels[index]!, augmentSeed: mixSeed(this.c.seed, STREAM.augment, g) };
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
export function plainBatches(images: LabelledImages, c: TrainConfig, root: string): PrefetchQueue<LoadedBatch> {
  const b = c.batchSize;
  const n = Math.ceil(images.paths.length / b);
  const options = loaderOptions(c, root, false);
  return new PrefetchQueue(
    (k) =>
      loadBatch(
        images.paths.slice(k * b, (k + 1) * b).map((path, i) => ({ path, label: images.labels[k * b + i]!, augmentSeed: 0 })),
        options,
      ),
    c.prefetchBatches,
    0,
    n,
  );
}
