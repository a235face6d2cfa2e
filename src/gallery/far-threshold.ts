/** Choosing a squared-L2 threshold for a target false-accept rate from a stored ROC. */
import { FacenetError } from '../errors.js';
import type { StoredRoc } from './types.js';

/**
 * The largest threshold whose false-accept rate is at most `far`, interpolated linearly between the
 * two ROC points around `far` (as facenet's calculate_val_far interpolates thresholds over FAR).
 * The ROC's FPR must not decrease with the threshold, as facenet's does.
 */
export function thresholdForFar(roc: StoredRoc, far: number): number {
  if (!(far > 0 && far <= 1)) throw new FacenetError('BAD_ARGUMENT', `--far must be in (0, 1], got ${far}`);
  const { thresholds: t, fpr } = roc;
  if (t.length === 0 || t.length !== fpr.length) throw new FacenetError('BAD_FILE', 'the stored ROC is empty or malformed (thresholds and fpr differ in length)');
  if (fpr[0]! > far) {
    throw new FacenetError('BAD_ARGUMENT', `--far ${far} is below what the stored ROC reaches (its smallest false-accept rate is ${fpr[0]}): use a larger --far or --threshold`);
  }
  let i = 0;
  while (i + 1 < t.length && fpr[i + 1]! <= far) i++;
  if (i + 1 >= t.length || fpr[i] === far) return t[i]!;
  // fpr[i] < far < fpr[i + 1]
  return t[i]! + ((far - fpr[i]!) / (fpr[i + 1]! - fpr[i]!)) * (t[i + 1]! - t[i]!);
}

/** A ROC read from untrusted JSON (a model file's facts), or null when absent or malformed. */
export function parseRoc(v: unknown): StoredRoc | null {
  if (!v || typeof v !== 'object') return null;
  const r = v as Record<string, unknown>;
  const nums = (x: unknown) => Array.isArray(x) && x.every((y) => typeof y === 'number' && Number.isFinite(y));
  if (!nums(r['thresholds']) || !nums(r['fpr']) || !nums(r['tpr'])) return null;
  const roc = { thresholds: r['thresholds'] as number[], fpr: r['fpr'] as number[], tpr: r['tpr'] as number[] };
  if (roc.thresholds.length !== roc.fpr.length || roc.tpr.length !== roc.fpr.length || roc.thresholds.length === 0) return null;
  return roc;
}
