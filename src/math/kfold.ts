/**
 * K-fold split of sample indices, exactly as sklearn.model_selection.KFold(n_splits, shuffle=False)
 * (which is what facenet's calculate_roc / calculate_val use): the samples are cut into n_splits
 * contiguous test blocks, the first n_samples % n_splits blocks one element longer than the rest,
 * and each block's training set is every other index, in ascending order.
 */
import { FacenetError } from '../errors.js';

export interface Fold {
  /** Indices used for fitting (every index not in `test`), ascending. */
  readonly train: Int32Array;
  /** The held-out contiguous block, ascending. */
  readonly test: Int32Array;
}

function checkArgs(nSamples: number, nSplits: number): void {
  if (!Number.isInteger(nSamples) || nSamples < 0) {
    throw new FacenetError('BAD_ARGUMENT', `kfold: nSamples must be a non-negative integer, got ${nSamples}`);
  }
  // Same two checks (and the same reasons) as sklearn's _BaseKFold.__init__ and split().
  if (!Number.isInteger(nSplits) || nSplits < 2) {
    throw new FacenetError(
      'BAD_ARGUMENT',
      `kfold: k-fold cross-validation needs nSplits to be an integer >= 2, got ${nSplits}`,
    );
  }
  if (nSplits > nSamples) {
    throw new FacenetError(
      'BAD_ARGUMENT',
      `kfold: cannot have nSplits=${nSplits} greater than the number of samples (${nSamples})`,
    );
  }
}

/** Test-block sizes: floor(n / k) each, plus one for the first n % k blocks. */
export function kfoldSizes(nSamples: number, nSplits: number): number[] {
  checkArgs(nSamples, nSplits);
  const base = Math.floor(nSamples / nSplits);
  const extra = nSamples % nSplits;
  return Array.from({ length: nSplits }, (_, i) => base + (i < extra ? 1 : 0));
}

/** All folds of KFold(nSplits, shuffle=False).split(range(nSamples)), in sklearn's order. */
export function kfoldSplit(nSamples: number, nSplits: number): Fold[] {
  const sizes = kfoldSizes(nSamples, nSplits);
  const folds: Fold[] = [];
  let start = 0;
  for (const size of sizes) {
    const stop = start + size;
    const test = new Int32Array(size);
    for (let i = 0; i < size; i++) test[i] = start + i;
    const train = new Int32Array(nSamples - size);
    let k = 0;
    for (let i = 0; i < start; i++) train[k++] = i;
    for (let i = stop; i < nSamples; i++) train[k++] = i;
    folds.push({ train, test });
    start = stop;
  }
  return folds;
}
