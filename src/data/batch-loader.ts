/**
 * Builds one training batch from image files: decode (thread pool), augment, and pack the crops as
 * uint8 [N, S, S, 3]; standardisation happens in the engine (train/standardize-batch.ts), where it
 * costs the main thread nothing between steps. Corrupt or vanished images are left out of the
 * batch and reported; they are never fatal. A dataset folder that has disappeared is fatal, with
 * an error naming it.
 *
 * Deliberate difference from facenet, whose input queue crashes on an unreadable image: the batch
 * just gets smaller (or, for triplets, loses the triplets that used the image).
 */
import { existsSync } from 'node:fs';
import { FacenetError } from '../errors.js';
import { Rng } from '../math/rng.js';
import { augmentImage, drawAugment, NO_AUGMENT, type AugmentOptions } from './augment.js';
import { decodeImageFileFast } from '../io/image.js';

/** One image to load: its file, its label, and the seed of its augmentation draws. */
export interface SampleRef {
  path: string;
  label: number;
  augmentSeed: number;
}

export interface BatchFailure {
  path: string;
  reason: string;
}

export interface LoadedBatch {
  /** [count, S, S, 3] RGB crops (HWC per image), row-major. */
  pixels: Uint8Array;
  labels: Int32Array;
  count: number;
  /** Positions (in the requested list) of the samples that made it into the batch. */
  kept: number[];
  failures: BatchFailure[];
}

export interface BatchLoaderOptions {
  augment: AugmentOptions;
  /** Training turns augmentation on; validation and embedding passes may turn it off. */
  augmentEnabled: boolean;
  /** The dataset folder: if it is gone when an image fails, the whole run stops. */
  datasetRoot: string;
  /** Keep or drop samples in groups (3 for anchor/positive/negative triplets). */
  groupSize?: number;
}

/** Thrown when the dataset folder itself vanished during a run. */
export function datasetGoneError(root: string): FacenetError {
  return new FacenetError(
    'NOT_FOUND',
    `dataset folder ${root} disappeared during training (images can no longer be read); restore it, then continue with --resume`,
  );
}

/** Decodes and augments the samples; failed ones (and their group) are dropped. */
export async function loadBatch(refs: readonly SampleRef[], o: BatchLoaderOptions): Promise<LoadedBatch> {
  const s = o.augment.imageSize;
  const plane = 3 * s * s;
  const group = o.groupSize ?? 1;
  const buffers = await Promise.allSettled(
    refs.map(async (ref) => {
      const img = await decodeImageFileFast(ref.path);
      const draw = o.augmentEnabled ? drawAugment(new Rng(ref.augmentSeed), o.augment) : NO_AUGMENT;
      return augmentImage(img, { ...o.augment, randomCrop: o.augmentEnabled && o.augment.randomCrop }, draw).data;
    }),
  );
  const failures: BatchFailure[] = [];
  const badGroups = new Set<number>();
  buffers.forEach((b, i) => {
    if (b.status === 'rejected') {
      failures.push({ path: refs[i]!.path, reason: b.reason instanceof Error ? b.reason.message : String(b.reason) });
      badGroups.add(Math.floor(i / group));
    }
  });
  if (failures.length > 0 && !existsSync(o.datasetRoot)) throw datasetGoneError(o.datasetRoot);
  const kept: number[] = [];
  for (let i = 0; i < refs.length; i++) if (!badGroups.has(Math.floor(i / group))) kept.push(i);
  const pixels = new Uint8Array(kept.length * plane);
  const labels = new Int32Array(kept.length);
  kept.forEach((src, dst) => {
    pixels.set((buffers[src] as PromiseFulfilledResult<Uint8Array>).value, dst * plane);
    labels[dst] = refs[src]!.label;
  });
  return { pixels, labels, count: kept.length, kept, failures };
}
