/**
 * The LFW verification protocol of davidsandberg/facenet: lfw.evaluate (facenet.calculate_roc and
 * calculate_val) plus the AUC and EER that validate_on_lfw.py prints, in float64 and reproducing
 * numpy/scipy/sklearn's arithmetic so that the figures equal facenet's (see the parity test).
 *
 * Deliberate differences from facenet, all documented where they happen:
 *  - VAL: the FAR -> threshold interpolation runs over the distinct training FAR values, each with
 *    the smallest threshold reaching it (np.unique), because current scipy's interp1d(kind='slinear')
 *    refuses the repeated FAR values facenet feeds it (the fixtures use the same rule);
 *  - a fold without same (or different) test pairs gives VAL (or FAR) NaN instead of raising;
 *  - when the averaged ROC does not span FAR 0..1, EER is NaN instead of scipy raising.
 * Not reproducible bit for bit: metric 1 uses Math.acos, which can differ from numpy's arccos in the
 * last bit (77 of the fixture's 6000 pairs); that changes a figure only if a distance lies within
 * one ulp of a threshold (on the fixture the nearest is 1e-7 away, and every figure is identical).
 */
import { FacenetError } from '../errors.js';
import { auc } from '../math/auc.js';
import { brentq } from '../math/brentq.js';
import { interp1dLinear, interp1dSlinear } from '../math/interp.js';
import { kfoldSplit } from '../math/kfold.js';
import { columnMeans, npMean, npStd, type NumArray } from '../math/numpy-reduce.js';
import { ratesOf, ThresholdCounter, valFarOf, type Labels } from '../math/roc.js';
import { pairDistances, type DistanceMetric } from './distance.js';

export interface LfwOptions {
  /** KFold splits (facenet: --lfw_nrof_folds, default 10). */
  readonly nrofFolds?: number;
  /** 0 = squared Euclidean (default), 1 = arccos(cosine similarity) / pi. */
  readonly distanceMetric?: DistanceMetric;
  /** Subtract the mean embedding of each fold's training pairs first (default false). */
  readonly subtractMean?: boolean;
  /** FAR at which VAL is reported (facenet: 1e-3). */
  readonly farTarget?: number;
  /** Clip the cosine to [-1, 1] for metric 1 (facenet does not; default false). */
  readonly clipCosine?: boolean;
}

export interface LfwSettings {
  readonly nrofFolds: number;
  readonly distanceMetric: DistanceMetric;
  readonly subtractMean: boolean;
  readonly farTarget: number;
  readonly clipCosine: boolean;
  readonly nrofPairs: number;
  readonly embeddingSize: number;
}

export interface LfwReport {
  readonly accuracy_mean: number;
  /** Population std (np.std) of the fold accuracies. */
  readonly accuracy_std: number;
  readonly fold_accuracy: number[];
  readonly val: number;
  readonly val_std: number;
  readonly far: number;
  /** sklearn.metrics.auc of the fold-averaged ROC. */
  readonly auc: number;
  /** Equal error rate on the fold-averaged ROC (validate_on_lfw's brentq). */
  readonly eer: number;
  /** Per fold, the ROC threshold chosen on the training folds. */
  readonly best_thresholds: number[];
  /** Per fold, the threshold interpolated for FAR = farTarget on the training folds (0 if unreachable). */
  readonly val_thresholds: number[];
  /** TPR / FPR at each ROC threshold (0, 0.01, ..., 3.99), averaged over the folds' test sets. */
  readonly tpr: number[];
  readonly fpr: number[];
  readonly settings: LfwSettings;
}

/**
 * numpy.arange(start, stop, step) for floats: length ceil((stop - start) / step), values
 * start + i * delta where delta = (start + step) - start, exactly as numpy fills the array
 * (np.arange(0, 4, 0.01)[i] == i * 0.01, which is not always the decimal i/100).
 */
export function npArange(start: number, stop: number, step: number): Float64Array {
  if (!(step !== 0) || !Number.isFinite(step)) throw new FacenetError('BAD_ARGUMENT', `npArange: bad step ${step}`);
  const length = Math.max(0, Math.ceil((stop - start) / step));
  const out = new Float64Array(length);
  const delta = start + step - start;
  for (let i = 0; i < length; i++) out[i] = i === 0 ? start : i === 1 ? start + step : start + i * delta;
  return out;
}

/** calculate_roc's thresholds: np.arange(0, 4, 0.01). Shared: treat as read-only. */
export const ROC_THRESHOLDS: Float64Array = npArange(0, 4, 0.01);
/** calculate_val's thresholds: np.arange(0, 4, 0.001). Shared: treat as read-only. */
export const VAL_THRESHOLDS: Float64Array = npArange(0, 4, 0.001);

/** First index of the maximum, as np.argmax (NaN never wins here; facenet's accuracies have none). */
function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/**
 * The VAL threshold of one fold: the smallest threshold reaching each distinct training FAR, then
 * slinear interpolation at farTarget; 0 when no threshold reaches the target (as facenet).
 */
function valThreshold(train: ThresholdCounter, thresholds: Float64Array, farTarget: number): number {
  const farTrain = new Float64Array(thresholds.length);
  let maxFar = -Infinity;
  thresholds.forEach((t, i) => {
    farTrain[i] = valFarOf(train.confusionAt(t)).far;
    maxFar = Math.max(maxFar, farTrain[i]!);
  });
  if (!(maxFar >= farTarget)) return 0.0;
  // np.unique(far_train, return_index=True): sorted distinct values, index of the first occurrence.
  const firstIndex = new Map<number, number>();
  farTrain.forEach((f, i) => {
    if (!firstIndex.has(f)) firstIndex.set(f, i);
  });
  const fars = [...firstIndex.keys()].sort((a, b) => a - b);
  return interp1dSlinear(fars, fars.map((f) => thresholds[firstIndex.get(f)!]!))(farTarget);
}

/** validate_on_lfw's EER: brentq(lambda x: 1 - x - interp1d(fpr, tpr)(x), 0, 1); NaN if undefined. */
export function equalErrorRate(fpr: NumArray, tpr: NumArray): number {
  const f = interp1dLinear(fpr, tpr);
  try {
    return brentq((x) => 1 - x - f(x), 0, 1);
  } catch (err) {
    if (err instanceof FacenetError && err.code === 'BAD_ARGUMENT') return NaN;
    throw err;
  }
}

function resolveSettings(embeddings: NumArray, issame: Labels, options: LfwOptions): LfwSettings {
  const nrofPairs = issame.length;
  if (nrofPairs === 0) throw new FacenetError('BAD_ARGUMENT', 'evaluateLfw: no pairs');
  const embeddingSize = embeddings.length / (2 * nrofPairs);
  if (!Number.isInteger(embeddingSize) || embeddingSize < 1) {
    throw new FacenetError(
      'SHAPE_MISMATCH',
      `evaluateLfw: ${embeddings.length} embedding values do not make 2 x ${nrofPairs} rows (one pair per issame label)`,
    );
  }
  const farTarget = options.farTarget ?? 1e-3;
  if (!(farTarget > 0 && farTarget <= 1)) throw new FacenetError('BAD_ARGUMENT', `evaluateLfw: farTarget must be in (0, 1], got ${farTarget}`);
  const distanceMetric = options.distanceMetric ?? 0;
  if (distanceMetric !== 0 && distanceMetric !== 1) {
    throw new FacenetError('BAD_ARGUMENT', `evaluateLfw: undefined distance metric ${String(distanceMetric)} (use 0 or 1)`);
  }
  return {
    nrofFolds: options.nrofFolds ?? 10,
    distanceMetric,
    subtractMean: options.subtractMean ?? false,
    farTarget,
    clipCosine: options.clipCosine ?? false,
    nrofPairs,
    embeddingSize,
  };
}

/**
 * facenet's lfw.evaluate + validate_on_lfw figures. `embeddings`: row-major [2N, D] (rows 2i and
 * 2i+1 are pair i, float32 or float64; computed in float64); `issame`: N labels.
 */
export function evaluateLfw(embeddings: NumArray, issame: Labels, options: LfwOptions = {}): LfwReport {
  const settings = resolveSettings(embeddings, issame, options);
  const { nrofFolds, nrofPairs, embeddingSize: dim } = settings;
  const folds = kfoldSplit(nrofPairs, nrofFolds);
  const nT = ROC_THRESHOLDS.length;
  const tprSum = new Float64Array(nT);
  const fprSum = new Float64Array(nT);
  const foldAccuracy: number[] = [];
  const bestThresholds: number[] = [];
  const vals: number[] = [];
  const fars: number[] = [];
  const valThresholds: number[] = [];
  const distancesFor = (mean: Float64Array | null): Float64Array =>
    pairDistances(embeddings, dim, { metric: settings.distanceMetric, mean, clipCosine: settings.clipCosine });
  // Without mean subtraction every fold sees the same distances: compute them once.
  const plainDist = settings.subtractMean ? null : distancesFor(null);

  for (const { train, test } of folds) {
    let dist = plainDist;
    if (!dist) {
      // np.mean(np.concatenate([embeddings1[train_set], embeddings2[train_set]]), axis=0)
      const first = Int32Array.from(train, (i) => 2 * i);
      const second = Int32Array.from(train, (i) => 2 * i + 1);
      dist = distancesFor(columnMeans(embeddings, dim, [first, second]));
    }
    const trainCounter = new ThresholdCounter(dist, issame, train);
    const testCounter = new ThresholdCounter(dist, issame, test);

    // calculate_roc: best training accuracy (first best wins, as np.argmax), test rates per threshold.
    const accTrain = Array.from(ROC_THRESHOLDS, (t) => ratesOf(trainCounter.confusionAt(t)).accuracy);
    const best = argmax(accTrain);
    ROC_THRESHOLDS.forEach((t, i) => {
      const r = ratesOf(testCounter.confusionAt(t));
      // np.mean(tprs, 0) adds the folds' rows in order from 0, then divides.
      tprSum[i] = tprSum[i]! + r.tpr;
      fprSum[i] = fprSum[i]! + r.fpr;
    });
    bestThresholds.push(ROC_THRESHOLDS[best]!);
    foldAccuracy.push(ratesOf(testCounter.confusionAt(ROC_THRESHOLDS[best]!)).accuracy);

    // calculate_val
    const threshold = valThreshold(trainCounter, VAL_THRESHOLDS, settings.farTarget);
    const vf = valFarOf(testCounter.confusionAt(threshold));
    valThresholds.push(threshold);
    vals.push(vf.val);
    fars.push(vf.far);
  }

  const tpr = Array.from(tprSum, (s) => s / nrofFolds);
  const fpr = Array.from(fprSum, (s) => s / nrofFolds);
  return {
    accuracy_mean: npMean(foldAccuracy),
    accuracy_std: npStd(foldAccuracy),
    fold_accuracy: foldAccuracy,
    val: npMean(vals),
    val_std: npStd(vals),
    far: npMean(fars),
    auc: auc(fpr, tpr),
    eer: equalErrorRate(fpr, tpr),
    best_thresholds: bestThresholds,
    val_thresholds: valThresholds,
    tpr,
    fpr,
    settings,
  };
}
