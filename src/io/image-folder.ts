/**
 * Scanning a class-per-folder image tree, as facenet's get_dataset:
 *
 *   root/
 *     Alice/ a.jpg b.png ...
 *     Bob/   ...
 *
 * Each sub-folder of `root` is one class; its label is the class's index in `classes`. File
 * system work only (alignment, embedding and training all list images this way); splits and
 * filters are data/image-folder.ts.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { FacenetError } from '../errors.js';

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
