/**
 * LFW pairs looked up in `facenet embed`'s output: the sidecar names each row's image, so a pair
 * (name, n) finds its row by the image's LFW name `<name>_<%04d n>` (any folder, any extension).
 * Pairs with an image that was not embedded are skipped and counted, as validate does for
 * missing images.
 */
import path from 'node:path';
import { FacenetError } from '../errors.js';
import type { LfwPair } from './pairs.js';

export interface PairRows {
  /** Two rows per used pair: first image at 2k, second at 2k+1. */
  rows: number[];
  issame: boolean[];
  /** Pairs (0-based indices into `pairs`) with an image not among the rows. */
  skipped: number[];
}

const stem = (name: string, index: number) => `${name}_${String(index).padStart(4, '0')}`;

export function pairRowsFromImages(pairs: readonly LfwPair[], images: readonly string[]): PairRows {
  const rowOf = new Map<string, number>();
  images.forEach((file, row) => {
    const key = path.basename(file).replace(/\.[^.]+$/, '');
    if (rowOf.has(key)) throw new FacenetError('BAD_FILE', `two embedded images share the LFW name ${key} (${images[rowOf.get(key)!]} and ${file}): embed one LFW folder`);
    rowOf.set(key, row);
  });
  const out: PairRows = { rows: [], issame: [], skipped: [] };
  pairs.forEach((p, i) => {
    const a = rowOf.get(stem(p.name1, p.index1));
    const b = rowOf.get(stem(p.name2, p.index2));
    if (a === undefined || b === undefined) out.skipped.push(i);
    else {
      out.rows.push(a, b);
      out.issame.push(p.issame);
    }
  });
  return out;
}

/** The rows `rows` of a row-major [*, dim] matrix, in that order. */
export function gatherRows(matrix: Float32Array, dim: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => out.set(matrix.subarray(r * dim, (r + 1) * dim), i * dim));
  return out;
}
