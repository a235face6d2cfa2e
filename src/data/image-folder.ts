/**
 * Class-per-folder image datasets, as facenet's get_dataset / split_dataset:
 *
 *   root/
 *     Alice/ a.jpg b.png ...
 *     Bob/   ...
 *
 * Each sub-folder of `root` is one class; its label is the class's index in `classes`.
 */

import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { FacenetError } from '../errors.js';
import { shuffled, type Random } from '../math/shuffle.js';

export interface ImageClass {
  name: string;
  /** Absolute paths, sorted by file name. */
  paths: string[];
}

export interface ImageDataset {
  /** Sorted by name; the index of a class is its label. */
  classes: ImageClass[];
}

export interface ScanResult extends ImageDataset {
  /** Class folders that held no image (left out of `classes`, so labels stay dense). */
  emptyClasses: string[];
}

export type SplitMode = 'SPLIT_IMAGES' | 'SPLIT_CLASSES';

/** Lower-case extensions (with the dot) that count as images. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.gif', '.tif', '.tiff'];

const IMAGE_EXT_SET = new Set(IMAGE_EXTENSIONS);

/** True when the file name has an image extension (case-insensitive) and is not hidden. */
export function isImageFileName(name: string): boolean {
  return !name.startsWith('.') && IMAGE_EXT_SET.has(path.extname(name).toLowerCase());
}

/**
 * Plain code-unit order, as Python's list.sort() on str (for the BMP, identical). Not
 * localeCompare: labels must not depend on the user's locale.
 */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Scans `root` for class folders, like facenet.get_dataset. Deliberate differences from the
 * reference, all for reproducibility or clearer failures:
 * - image paths are sorted (facenet keeps os.listdir order, which varies between file systems);
 * - only files with an image extension count (facenet takes every file, so a stray .txt or
 *   .DS_Store would crash training later), and hidden files and folders are skipped;
 * - class folders without any image are left out and listed in `emptyClasses` (facenet keeps
 *   them as empty classes, which wastes a logit and breaks per-class sampling);
 * - paths are absolute.
 * Symbolic links to folders and files are followed, as os.path.isdir does.
 */
export async function scanImageFolder(root: string): Promise<ScanResult> {
  const rootAbs = path.resolve(root);
  let rootStat;
  try {
    rootStat = await stat(rootAbs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new FacenetError('NOT_FOUND', `dataset folder not found: ${root}`, { cause: err });
    }
    throw new FacenetError('BAD_ARGUMENT', `cannot read dataset folder ${root}: ${(err as Error).message}`, { cause: err });
  }
  if (!rootStat.isDirectory()) {
    throw new FacenetError('BAD_ARGUMENT', `dataset path ${root} is a file; expected a folder with one sub-folder per class`);
  }

  const entries = (await readdir(rootAbs, { withFileTypes: true })).filter((d) => !d.name.startsWith('.'));
  const classNames: string[] = [];
  let looseImages = 0;
  for (const d of entries) {
    if (await isDirectory(path.join(rootAbs, d.name), d)) classNames.push(d.name);
    else if (isImageFileName(d.name)) looseImages++;
  }
  classNames.sort(byName);

  const classes: ImageClass[] = [];
  const emptyClasses: string[] = [];
  for (const name of classNames) {
    const dir = path.join(rootAbs, name);
    const files: string[] = [];
    for (const d of await readdir(dir, { withFileTypes: true })) {
      if (!isImageFileName(d.name)) continue;
      if (d.isFile() || (d.isSymbolicLink() && (await isFile(path.join(dir, d.name))))) files.push(d.name);
    }
    files.sort(byName);
    if (files.length === 0) emptyClasses.push(name);
    else classes.push({ name, paths: files.map((f) => path.join(dir, f)) });
  }

  if (classes.length === 0) {
    const exts = IMAGE_EXTENSIONS.join(' ');
    const where =
      classNames.length === 0
        ? `it has no class sub-folders${looseImages > 0 ? ` (but ${looseImages} images directly inside it: put each class's images in a sub-folder named after the class)` : ''}`
        : `none of its ${classNames.length} class folder(s) holds a file ending in ${exts}`;
    throw new FacenetError('BAD_ARGUMENT', `found no images in dataset folder ${root}: ${where}. Image extensions looked for (any case): ${exts}`);
  }
  return { classes, emptyClasses };
}

async function isDirectory(full: string, d: { isDirectory(): boolean; isSymbolicLink(): boolean }): Promise<boolean> {
  if (d.isDirectory()) return true;
  if (!d.isSymbolicLink()) return false;
  try {
    return (await stat(full)).isDirectory();
  } catch {
    return false; // dangling link
  }
}

async function isFile(full: string): Promise<boolean> {
  try {
    return (await stat(full)).isFile();
  } catch {
    return false;
  }
}

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
