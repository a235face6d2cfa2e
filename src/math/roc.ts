/**
 * Confusion counts and rates at a distance threshold, with the semantics of facenet's
 * calculate_accuracy and calculate_val_far (facenet.py): a pair is predicted "same" when
 * dist < threshold (strictly), so a NaN distance is always predicted "different".
 *
 * `ThresholdCounter` gives the same integer counts as the direct loop but sorts the distances once
 * and answers each threshold by binary search; lfw-protocol asks for 400 + 4000 thresholds per fold.
 */
import { FacenetError } from '../errors.js';
import type { NumArray } from './numpy-reduce.js';

export interface Confusion {
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

export interface Rates {
  readonly tpr: number;
  readonly fpr: number;
  readonly accuracy: number;
}

/** Labels: anything indexable giving truthy for "same person" (boolean[], Uint8Array, ...). */
export type Labels = ArrayLike<boolean | number>;

function checkLengths(dist: NumArray, issame: Labels): void {
  if (dist.length !== issame.length) {
    throw new FacenetError(
      'SHAPE_MISMATCH',
      `roc: ${dist.length} distances but ${issame.length} issame labels; they must be equal`,
    );
  }
}

/** Direct count over `indices` (default: every pair) of predict = dist < threshold. */
export function confusionAt(threshold: number, dist: NumArray, issame: Labels, indices?: NumArray): Confusion {
  checkLengths(dist, issame);
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  const n = indices ? indices.length : dist.length;
  for (let k = 0; k < n; k++) {
    const i = indices ? indices[k]! : k;
    const predict = dist[i]! < threshold;
    const actual = Boolean(issame[i]);
    if (predict && actual) tp++;
    else if (predict) fp++;
    else if (actual) fn++;
    else tn++;
  }
  return { tp, fp, tn, fn };
}

/**
 * facenet's calculate_accuracy: tpr = 0 when tp+fn == 0, fpr = 0 when fp+tn == 0, and
 * accuracy = (tp+tn) / number of pairs (NaN for no pairs, where facenet divides 0 by 0 too).
 */
export function ratesOf(c: Confusion): Rates {
  const tpr = c.tp + c.fn === 0 ? 0 : c.tp / (c.tp + c.fn);
  const fpr = c.fp + c.tn === 0 ? 0 : c.fp / (c.fp + c.tn);
  const accuracy = (c.tp + c.tn) / (c.tp + c.fp + c.tn + c.fn);
  return { tpr, fpr, accuracy };
}

/**
 * facenet's calculate_val_far: VAL = true accepts / same pairs, FAR = false accepts / different
 * pairs. Deliberate difference: facenet raises ZeroDivisionError when a subset has no same (or no
 * different) pairs; here that rate is NaN.
 */
export function valFarOf(c: Confusion): { val: number; far: number } {
  const nSame = c.tp + c.fn;
  const nDiff = c.fp + c.tn;
  return { val: nSame === 0 ? NaN : c.tp / nSame, far: nDiff === 0 ? NaN : c.fp / nDiff };
}

/** Number of values in ascending `sorted` that are < t (0 for t = NaN). */
function countBelow(sorted: Float64Array, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Confusion counts of one subset of pairs at any number of thresholds, O(log n) each. */
export class ThresholdCounter {
  private readonly same: Float64Array;
  private readonly diff: Float64Array;
  readonly nSame: number;
  readonly nDiff: number;

  constructor(dist: NumArray, issame: Labels, indices?: NumArray) {
    checkLengths(dist, issame);
    const same: number[] = [];
    const diff: number[] = [];
    let nSame = 0;
    let nDiff = 0;
    const n = indices ? indices.length : dist.length;
    for (let k = 0; k < n; k++) {
      const i = indices ? indices[k]! : k;
      const d = dist[i]!;
      if (issame[i]) {
        nSame++;
        // NaN never passes dist < threshold: it counts in nSame but never as a positive.
        if (!Number.isNaN(d)) same.push(d);
      } else {
        nDiff++;
        if (!Number.isNaN(d)) diff.push(d);
      }
    }
    this.same = Float64Array.from(same).sort();
    this.diff = Float64Array.from(diff).sort();
    this.nSame = nSame;
    this.nDiff = nDiff;
  }

  confusionAt(threshold: number): Confusion {
    const tp = countBelow(this.same, threshold);
    const fp = countBelow(this.diff, threshold);
    return { tp, fp, tn: this.nDiff - fp, fn: this.nSame - tp };
  }
}
