/**
 * One-dimensional piecewise-linear interpolation with the exact semantics (and rounding) of
 *  - numpy.interp                              -> `npInterp`
 *  - scipy.interpolate.interp1d(kind='linear') -> `interp1dLinear` (current scipy delegates 1-D
 *    float64 data to numpy.interp after a stable sort of x; validate_on_lfw's EER uses it)
 *  - scipy.interpolate.interp1d(kind='slinear')-> `interp1dSlinear` (a degree-1 B-spline built by
 *    make_interp_spline and evaluated by de Boor's recursion; facenet's calculate_val uses it)
 * Both interp1d variants keep scipy's default bounds_error=True: a query outside [x[0], x[-1]]
 * throws instead of returning a fill value.
 */
import { FacenetError } from '../errors.js';
import type { NumArray } from './numpy-reduce.js';

/** Number of elements of ascending `a` that are <= key (numpy's binary_search_with_guess + 1). */
function countAtMost(a: NumArray, key: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key >= a[mid]!) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * numpy.interp(x, xp, fp, left, right) for one x. `xp` must be non-decreasing (numpy does not
 * check it either). With repeated xp values the result at a repeated abscissa is the fp of its
 * LAST occurrence, as numpy's (it never divides by a zero-width interval).
 */
export function npInterp(x: number, xp: NumArray, fp: NumArray, left?: number, right?: number): number {
  const n = xp.length;
  if (n === 0) throw new FacenetError('BAD_ARGUMENT', 'npInterp: xp must not be empty');
  if (fp.length !== n) {
    throw new FacenetError('SHAPE_MISMATCH', `npInterp: xp has ${n} values but fp has ${fp.length}`);
  }
  const lval = left ?? fp[0]!;
  const rval = right ?? fp[n - 1]!;
  if (Number.isNaN(x)) return x;
  if (n === 1) return x < xp[0]! ? lval : x > xp[0]! ? rval : fp[0]!;
  if (x < xp[0]!) return lval;
  if (x > xp[n - 1]!) return rval;
  const j = countAtMost(xp, x) - 1;
  if (j === n - 1) return fp[j]!;
  if (xp[j] === x) return fp[j]!; // numpy: avoid a non-finite interpolation
  const slope = (fp[j + 1]! - fp[j]!) / (xp[j + 1]! - xp[j]!);
  let res = slope * (x - xp[j]!) + fp[j]!;
  if (Number.isNaN(res)) {
    // numpy: "if we get nan in one direction, try the other"
    res = slope * (x - xp[j + 1]!) + fp[j + 1]!;
    if (Number.isNaN(res) && fp[j] === fp[j + 1]) res = fp[j]!;
  }
  return res;
}

/** Stable ascending sort of (x, y) by x, like interp1d's np.argsort(x, kind='mergesort'). */
function sortedCopy(x: NumArray, y: NumArray, who: string): { xs: Float64Array; ys: Float64Array } {
  if (x.length !== y.length) {
    throw new FacenetError('SHAPE_MISMATCH', `${who}: x has ${x.length} values but y has ${y.length}`);
  }
  if (x.length < 2) throw new FacenetError('BAD_ARGUMENT', `${who}: x and y need at least 2 entries`);
  const order = Array.from({ length: x.length }, (_, i) => i);
  order.sort((a, b) => x[a]! - x[b]! || a - b); // Array.prototype.sort is stable; ties keep order
  const xs = new Float64Array(order.length);
  const ys = new Float64Array(order.length);
  order.forEach((k, i) => {
    xs[i] = x[k]!;
    ys[i] = y[k]!;
  });
  return { xs, ys };
}

function checkBounds(v: number, xs: Float64Array, who: string): void {
  if (v < xs[0]!) {
    throw new FacenetError('BAD_ARGUMENT', `${who}: ${v} is below the interpolation range's minimum (${xs[0]})`);
  }
  if (v > xs[xs.length - 1]!) {
    throw new FacenetError(
      'BAD_ARGUMENT',
      `${who}: ${v} is above the interpolation range's maximum (${xs[xs.length - 1]})`,
    );
  }
}

/** scipy interp1d(x, y) (kind='linear', bounds_error=True) as a function of one query. */
export function interp1dLinear(x: NumArray, y: NumArray): (v: number) => number {
  const { xs, ys } = sortedCopy(x, y, 'interp1dLinear');
  return (v: number) => {
    checkBounds(v, xs, 'interp1dLinear');
    return npInterp(v, xs, ys);
  };
}

/**
 * scipy interp1d(x, y, kind='slinear') as a function of one query. Mathematically the same line
 * segments as interp1dLinear, but evaluated as scipy's B-spline does, which can differ in the
 * last bit: on [x_i, x_i+1) with w = 1 / (x_i+1 - x_i), value = y_i * (w * (x_i+1 - v)) +
 * y_i+1 * (w * (v - x_i)). Like scipy, x must be free of duplicates (after sorting).
 */
export function interp1dSlinear(x: NumArray, y: NumArray): (v: number) => number {
  const { xs, ys } = sortedCopy(x, y, 'interp1dSlinear');
  for (let i = 1; i < xs.length; i++) {
    if (!(xs[i]! > xs[i - 1]!)) {
      throw new FacenetError('BAD_ARGUMENT', `interp1dSlinear: x must not have duplicates (x = ${xs[i]} twice)`);
    }
  }
  const last = xs.length - 1;
  return (v: number) => {
    if (Number.isNaN(v)) return NaN;
    checkBounds(v, xs, 'interp1dSlinear');
    // BSpline's find_interval: i with x_i <= v < x_i+1, and the last interval for v == x_last.
    const i = Math.min(countAtMost(xs, v) - 1, last - 1);
    const xa = xs[i]!;
    const xb = xs[i + 1]!;
    const w = 1 / (xb - xa);
    const h0 = w * (xb - v);
    const h1 = w * (v - xa);
    return 0 + ys[i]! * h0 + ys[i + 1]! * h1;
  };
}
