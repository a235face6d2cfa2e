/**
 * Area under a curve, as sklearn.metrics.auc(x, y) (which validate_on_lfw uses for the ROC):
 * numpy.trapz(y, x) with the sign flipped when x is non-increasing; an x that goes both up and
 * down is an error. The trapezoid sum mirrors numpy: (dx * (y[i+1] + y[i])) / 2 per interval,
 * then numpy's pairwise sum.
 */
import { FacenetError } from '../errors.js';
import { npSum, type NumArray } from './numpy-reduce.js';

/** numpy.trapz(y, x) (numpy.trapezoid in numpy 2). */
export function trapezoid(y: NumArray, x: NumArray): number {
  if (x.length !== y.length) {
    throw new FacenetError('SHAPE_MISMATCH', `trapezoid: x has ${x.length} values but y has ${y.length}`);
  }
  const n = Math.max(0, x.length - 1);
  const terms = new Float64Array(n);
  for (let i = 0; i < n; i++) terms[i] = ((x[i + 1]! - x[i]!) * (y[i + 1]! + y[i]!)) / 2.0;
  return npSum(terms);
}

/** sklearn.metrics.auc(x, y). */
export function auc(x: NumArray, y: NumArray): number {
  if (x.length !== y.length) {
    throw new FacenetError('SHAPE_MISMATCH', `auc: x has ${x.length} values but y has ${y.length}`);
  }
  if (x.length < 2) {
    throw new FacenetError('BAD_ARGUMENT', `auc: at least 2 points are needed to compute the area, got ${x.length}`);
  }
  let anyDecrease = false;
  let allNonIncreasing = true;
  for (let i = 0; i + 1 < x.length; i++) {
    const dx = x[i + 1]! - x[i]!;
    if (dx < 0) anyDecrease = true;
    if (!(dx <= 0)) allNonIncreasing = false; // as np.all(dx <= 0): a NaN step counts against it
  }
  let direction = 1;
  if (anyDecrease) {
    if (!allNonIncreasing) {
      throw new FacenetError('BAD_ARGUMENT', 'auc: x is neither increasing nor decreasing');
    }
    direction = -1;
  }
  return direction * trapezoid(y, x);
}
