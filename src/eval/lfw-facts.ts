/**
 * The LFW figures in the one shape everything else stores and prints: training's LFW events and
 * summary, the `lfw` entry of a model file's facts, and `facenet validate --save-threshold`. Also
 * the one rule for when an LFW threshold is a usable same-person threshold.
 *
 * LfwReport (lfw-protocol.ts) keeps facenet's own snake_case names because it mirrors
 * validate_on_lfw's variables and the parity fixtures; this summary is what the project reports.
 */
import type { LfwReport } from './lfw-protocol.js';
import type { DistanceMetric } from './distance.js';
import type { Precision } from '../tensor/index.js';

export interface LfwSummary {
  accuracy: number;
  accuracyStd: number;
  val: number;
  valStd: number;
  far: number;
  auc: number;
  eer: number;
  /** Mean over the folds of the chosen distance threshold (in the run's distance metric). */
  threshold: number;
  /** Pairs evaluated. */
  pairs: number;
  /** Pairs left out (images missing or unreadable). */
  skippedPairs: number;
}

/** The `lfw` entry of ModelFacts (src/models/model-file.ts). Published weights carry only `accuracy`. */
export interface LfwFacts extends Partial<LfwSummary> {
  accuracy: number;
  pairsFile?: string;
  /** Where the figure comes from when it was not measured here (e.g. 'facenet-pytorch README'). */
  source?: string;
  /** Compute precision of the embeddings it was measured with. */
  precision?: Precision;
}

export function summarizeLfw(report: LfwReport, skippedPairs: number): LfwSummary {
  return {
    accuracy: report.accuracy_mean,
    accuracyStd: report.accuracy_std,
    val: report.val,
    valStd: report.val_std,
    far: report.far,
    auc: report.auc,
    eer: report.eer,
    threshold: report.best_thresholds.reduce((a, t) => a + t, 0) / report.best_thresholds.length,
    pairs: report.settings.nrofPairs,
    skippedPairs,
  };
}

export interface ThresholdSettings {
  distanceMetric: DistanceMetric;
  subtractMean: boolean;
  /** Flipped images were added (concatenated or summed embeddings). */
  flipped: boolean;
}

/**
 * Why an LFW threshold cannot be stored as the model's same-person threshold, or null when it
 * can: FaceNet.compare applies it to the squared L2 distance of plain embeddings, so only
 * distance metric 0 without flips or mean subtraction qualifies.
 */
export function thresholdUnusableBecause(s: ThresholdSettings): string | null {
  if (s.distanceMetric !== 0) return 'the distance is not squared L2 (distance metric 0)';
  if (s.flipped) return 'the embeddings include flipped images';
  if (s.subtractMean) return 'the mean embedding was subtracted';
  return null;
}

/** The `lfw` facts of a model measured on `pairsFile`. */
export function lfwFacts(summary: LfwSummary, pairsFile: string, precision?: Precision): LfwFacts {
  const { accuracy, accuracyStd, val, valStd, far, auc, eer, threshold, pairs, skippedPairs } = summary;
  return { accuracy, accuracyStd, val, valStd, far, auc, eer, threshold, pairs, skippedPairs, pairsFile, ...(precision ? { precision } : {}) };
}
