/**
 * Whether an LFW run measured what it claims: how many pairs it used and skipped, and whether
 * every cross-validation fold holds both kinds of pairs. A run on 79 of 6,000 pairs, or with folds
 * of one class, prints perfect-looking figures (accuracy 1.0, threshold 0.0) that mean nothing; its
 * threshold must never become a model's same-person threshold.
 */
import { kfoldSplit } from '../math/kfold.js';

/** Default for --max-skipped: the share of pairs a run may skip and still count (LFW skips 1 of 6,000 with MTCNN). */
export const DEFAULT_MAX_SKIPPED = 0.01;

export interface SingleClassFold {
  /** 1-based, as printed. */
  fold: number;
  kind: 'same' | 'different';
  pairs: number;
}

export interface LfwRunCheck {
  pairsUsed: number;
  pairsSkipped: number;
  pairsTotal: number;
  /** pairsSkipped / pairsTotal (0 when there are none). */
  skippedShare: number;
  /** Test folds whose pairs are all "same" or all "different". */
  singleClassFolds: SingleClassFold[];
  /** True when more than maxSkipped of the pairs were skipped. */
  tooManySkipped: boolean;
  /** Why the run's threshold must not be stored (empty when it may). */
  thresholdProblems: string[];
}

/** `issame`: labels of the pairs used, in evaluation order; folds as the protocol cuts them. */
export function checkLfwRun(issame: readonly boolean[], skipped: number, nrofFolds: number, maxSkipped = DEFAULT_MAX_SKIPPED): LfwRunCheck {
  const used = issame.length;
  const total = used + skipped;
  const share = total > 0 ? skipped / total : 0;
  const singleClassFolds: SingleClassFold[] = [];
  if (used >= nrofFolds) {
    kfoldSplit(used, nrofFolds).forEach((f, i) => {
      const same = Array.from(f.test).filter((j) => issame[j]).length;
      if (same === 0 || same === f.test.length) singleClassFolds.push({ fold: i + 1, kind: same === 0 ? 'different' : 'same', pairs: f.test.length });
    });
  }
  const tooManySkipped = share > maxSkipped;
  const thresholdProblems: string[] = [];
  if (tooManySkipped) thresholdProblems.push(`${skipped} of ${total} pairs (${percent(share)}) were skipped, more than --max-skipped ${maxSkipped}`);
  if (singleClassFolds.length > 0) thresholdProblems.push(`${singleClassFolds.length} of ${nrofFolds} folds hold a single kind of pair`);
  if (!issame.some((s) => s) || issame.every((s) => s)) thresholdProblems.push('the pairs used are all of one kind');
  return { pairsUsed: used, pairsSkipped: skipped, pairsTotal: total, skippedShare: share, singleClassFolds, tooManySkipped, thresholdProblems: [...new Set(thresholdProblems)] };
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(share > 0 && share < 0.001 ? 3 : 1)}%`;
}

/** The headline: `Pairs: 5999 used, 1 skipped (0.017%) of 6000`. */
export function formatPairsHeadline(c: LfwRunCheck): string {
  return `Pairs: ${c.pairsUsed} used, ${c.pairsSkipped} skipped (${percent(c.skippedShare)}) of ${c.pairsTotal}`;
}

/** One warning per single-class fold, for stderr. */
export function singleClassFoldWarnings(c: LfwRunCheck): string[] {
  return c.singleClassFolds.map(
    (f) => `fold ${f.fold} holds only "${f.kind}" pairs (${f.pairs}): its accuracy and threshold measure nothing; use more pairs or fewer --nrof-folds`,
  );
}
