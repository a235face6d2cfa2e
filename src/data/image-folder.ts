/**
 * Class-per-folder image datasets, as facenet's split_dataset and classifier.py's filter; the
 * folder scan itself (facenet's get_dataset) is io/image-folder.ts, re-exported here.
 */

import { FacenetError } from '../errors.js';
import { shuffled, type Random } from '../math/shuffle.js';

export { IMAGE_EXTENSIONS, isImageFileName, scanImageFolder, type ImageClass, type ImageDataset, type ScanResult } from '../io/image-folder.js';
import type { ImageClass, ImageDataset } from '../io/image-folder.js';

export type SplitMode = 'SPLIT_IMAGES' | 'SPLIT_CLASSES';

/** Keeps the classes with at least `minImages` images (facenet classifier.py's filter). Pure. */
export function filterMinImages(ds: ImageDataset, minImages: number): ImageDataset {
  if (!(Number.isInteger(minImages) && minImages >= 0)) {
    throw new FacenetError('BAD_ARGUMENT', `filterMinImages: minImages must be an integer >= 0, got ${minImages}`);
  }
  return { classes: ds.classes.filter((c) => c.paths.length >= minImages).map(copyClass) };
}

/**
 * Splits a dataset into train and validation parts, like facenet.split_dataset.
 *
 * SPLIT_IMAGES (what train_softmax uses): in every class, shuffle its images, keep
 * floor(n * (1 - ratio)) for training (but always leave at least one for validation) and the
 * rest for validation. As in facenet, a class goes into both parts only when its *training*
 * share has at least `minImagesPerClass` images; otherwise it is dropped from both. (train_softmax
 * passes its --min_nrof_val_images_per_class here, but split_dataset compares it with the
 * training count; we keep the reference's behaviour.)
 *
 * SPLIT_CLASSES: shuffle the classes, the first round(nClasses * (1 - ratio)) (Python's
 * round-half-to-even) train, the rest validate. Deliberate difference: facenet slices
 * `class_indices[split:-1]`, which silently drops the last shuffled class; we keep it.
 * `minImagesPerClass` is ignored in this mode, as in facenet.
 *
 * Pure: the input is not modified (facenet shuffles its lists in place).
 */
export function splitDataset(
  ds: ImageDataset,
  ratio: number,
  minImagesPerClass: number,
  mode: SplitMode,
  random: Random,
): { train: ImageDataset; val: ImageDataset } {
  if (!(Number.isFinite(ratio) && ratio >= 0 && ratio <= 1)) {
    throw new FacenetError('BAD_ARGUMENT', `splitDataset: ratio must be between 0 and 1, got ${ratio}`);
  }
  if (!(Number.isInteger(minImagesPerClass) && minImagesPerClass >= 0)) {
    throw new FacenetError('BAD_ARGUMENT', `splitDataset: minImagesPerClass must be an integer >= 0, got ${minImagesPerClass}`);
  }
  if (mode === 'SPLIT_CLASSES') {
    const order = shuffled(ds.classes, random);
    const split = roundHalfEven(ds.classes.length * (1 - ratio));
    return { train: { classes: order.slice(0, split).map(copyClass) }, val: { classes: order.slice(split).map(copyClass) } };
  }
  if (mode === 'SPLIT_IMAGES') {
    const train: ImageClass[] = [];
    const val: ImageClass[] = [];
    for (const cls of ds.classes) {
      const paths = shuffled(cls.paths, random);
      const n = paths.length;
      let split = Math.floor(n * (1 - ratio));
      if (split === n) split = n - 1;
      if (split >= minImagesPerClass && n - split >= 1) {
        train.push({ name: cls.name, paths: paths.slice(0, split) });
        val.push({ name: cls.name, paths: paths.slice(split) });
      }
    }
    return { train: { classes: train }, val: { classes: val } };
  }
  throw new FacenetError('BAD_ARGUMENT', `splitDataset: invalid mode '${String(mode)}' (use SPLIT_IMAGES or SPLIT_CLASSES)`);
}

/** Python 3's round(): halves go to the even neighbour (round(2.5) == 2). */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function copyClass(c: ImageClass): ImageClass {
  return { name: c.name, paths: [...c.paths] };
}
