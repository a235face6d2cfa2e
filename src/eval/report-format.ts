/**
 * The text validate_on_lfw.py prints for an LfwReport:
 *   Accuracy: 0.98900+-0.00600
 *   Validation rate: 0.90000+-0.02000 @ FAR=0.00100
 *   Area Under Curve (AUC): 0.998
 *   Equal Error Rate (EER): 0.012
 * with Python's %-formatting reproduced exactly (ties round half to even on the exact binary value,
 * "nan" / "inf" spelled as Python does). The settings line after them is our addition: facenet
 * prints its settings only as the command line.
 */
import type { LfwReport, LfwSettings } from './lfw-protocol.js';

/**
 * Python's '%.<digits>f' % x. JavaScript's toFixed rounds exact ties (such as 0.015625 to 5 digits)
 * up, Python's (C's) printf rounds them to even; everything else is already correctly rounded.
 */
export function formatFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const a = Math.abs(x);
  let s = a.toFixed(digits);
  if (a < 1e21) {
    // The exact decimal expansion of a double has at most ~1100 digits; a tie needs exactly digits+1.
    const exact = a.toFixed(100);
    const point = exact.indexOf('.');
    const tail = exact.slice(point + 1 + digits);
    if (/^50*$/.test(tail)) {
      const truncated = exact.slice(0, digits === 0 ? point : point + 1 + digits);
      const lastDigit = Number(truncated[truncated.length - 1]);
      if (lastDigit % 2 === 0) s = truncated;
    }
  }
  return sign + s;
}

const METRIC_NAMES = { 0: 'squared Euclidean', 1: 'angular (arccos of cosine similarity / pi)' } as const;

/** One line describing how the figures were computed (not printed by facenet). */
export function formatSettings(s: LfwSettings): string {
  return (
    `Settings: ${s.nrofPairs} pairs, ${s.embeddingSize}-d embeddings, ${s.nrofFolds} folds, ` +
    `distance metric ${s.distanceMetric} (${METRIC_NAMES[s.distanceMetric]}), ` +
    `subtract mean: ${s.subtractMean ? 'yes' : 'no'}, FAR target ${s.farTarget}` +
    (s.clipCosine ? ', cosine clipped to [-1, 1]' : '')
  );
}

/** validate_on_lfw's four lines plus the settings line, joined with '\n' (no trailing newline). */
export function formatLfwReport(report: LfwReport): string {
  return [
    `Accuracy: ${formatFixed(report.accuracy_mean, 5)}+-${formatFixed(report.accuracy_std, 5)}`,
    `Validation rate: ${formatFixed(report.val, 5)}+-${formatFixed(report.val_std, 5)} @ FAR=${formatFixed(report.far, 5)}`,
    `Area Under Curve (AUC): ${formatFixed(report.auc, 3)}`,
    `Equal Error Rate (EER): ${formatFixed(report.eer, 3)}`,
    formatSettings(report.settings),
  ].join('\n');
}
