/** Expands command-line inputs (image files and folders) into a sorted list of image files. */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { isImageFileName } from '../io/image-folder.js';
import { FacenetError } from '../errors.js';

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile() && isImageFileName(e.name)) out.push(p);
  }
}

/**
 * Files are kept as given (whatever their extension; a missing one is kept too, so that it is
 * reported per item by the decoder); folders contribute their images, recursively, sorted.
 */
export async function listImages(inputs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const input of inputs) {
    let s;
    try {
      s = await stat(input);
    } catch {
      out.push(input);
      continue;
    }
    if (s.isDirectory()) {
      const before = out.length;
      await walk(input, out);
      if (out.length === before) throw new FacenetError('BAD_ARGUMENT', `${input}: folder holds no images (looked for .jpg .jpeg .png .webp .bmp .gif .tif)`);
    } else {
      out.push(input);
    }
  }
  return out;
}
