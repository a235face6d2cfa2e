/**
 * A synthetic class-per-folder dataset of PNG images, for tests, benchmarks and smoke runs of the
 * training pipeline where no face data is at hand. Each class has its own colour and the position of
 * a bright square; each image adds noise and a small shift, so that a network can learn the classes
 * quickly but not trivially.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { Rng } from '../math/rng.js';

export interface SyntheticDatasetOptions {
  classes: number;
  imagesPerClass: number;
  /** Side of the square images in pixels. */
  size: number;
  seed?: number;
  /** Class folder name prefix (default 'person'). */
  prefix?: string;
}

/** Writes root/<prefix>_<i>/<prefix>_<i>_<j>.png and returns the class folder names. */
export async function writeSyntheticDataset(root: string, o: SyntheticDatasetOptions): Promise<string[]> {
  const rng = new Rng(o.seed ?? 1);
  const prefix = o.prefix ?? 'person';
  const names: string[] = [];
  const s = o.size;
  for (let c = 0; c < o.classes; c++) {
    const name = `${prefix}_${String(c).padStart(3, '0')}`;
    names.push(name);
    const dir = path.join(root, name);
    await mkdir(dir, { recursive: true });
    const colour = [rng.nextInt(256), rng.nextInt(256), rng.nextInt(256)];
    const sq = Math.max(2, Math.floor(s / 4));
    const sx = rng.nextInt(s - sq);
    const sy = rng.nextInt(s - sq);
    const writes: Promise<void>[] = [];
    for (let i = 0; i < o.imagesPerClass; i++) {
      const data = new Uint8Array(s * s * 3);
      const dx = rng.nextInt(3) - 1;
      const dy = rng.nextInt(3) - 1;
      for (let y = 0; y < s; y++) {
        for (let x = 0; x < s; x++) {
          const inSquare = x >= sx + dx && x < sx + dx + sq && y >= sy + dy && y < sy + dy + sq;
          for (let ch = 0; ch < 3; ch++) {
            const base = inSquare ? 255 - colour[ch]! : colour[ch]!;
            data[(y * s + x) * 3 + ch] = Math.max(0, Math.min(255, Math.round(base + rng.normal(0, 20))));
          }
        }
      }
      const file = path.join(dir, `${name}_${String(i + 1).padStart(4, '0')}.png`);
      writes.push(
        sharp(data, { raw: { width: s, height: s, channels: 3 } })
          .png()
          .toBuffer()
          .then((png) => writeFile(file, png)),
      );
    }
    await Promise.all(writes);
  }
  return names;
}
