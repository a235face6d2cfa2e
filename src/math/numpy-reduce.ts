/**
 * numpy's float64 reductions, reproduced operation for operation so that figures computed here
 * agree with facenet's (numpy) figures to the last bit rather than merely to rounding noise.
 *
 * numpy sums a contiguous run with "pairwise summation" (numpy/_core/src/umath/loops_utils.h.src,
 * `pairwise_sum`): fewer than 8 values are added left to right, up to 128 values use 8 interleaved
 * accumulators combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) plus the tail, and longer runs are
 * split in two halves (the first a multiple of 8 long) recursively. np.sum / np.mean / np.std over a
 * 1-D array and over the last axis of a C-contiguous 2-D array use it; a reduction over axis 0 of a
 * 2-D array does not (it adds whole rows in order), see `columnMeans`.
 */

/** Anything indexable by number: plain arrays and every typed array. */
export type NumArray = ArrayLike<number>;

const PW_BLOCKSIZE = 128;

/** numpy's pairwise sum of `n` values of `a` starting at `offset`, `stride` apart. */
export function pairwiseSum(a: NumArray, offset = 0, n = a.length - offset, stride = 1): number {
  if (n < 8) {
    // numpy starts from -0.0 so that a sum of negative zeros stays -0.0.
    let res = -0.0;
    for (let i = 0; i < n; i++) res += a[offset + i * stride]!;
    return res;
  }
  if (n <= PW_BLOCKSIZE) {
    let r0 = a[offset]!;
    let r1 = a[offset + stride]!;
    let r2 = a[offset + 2 * stride]!;
    let r3 = a[offset + 3 * stride]!;
    let r4 = a[offset + 4 * stride]!;
    let r5 = a[offset + 5 * stride]!;
    let r6 = a[offset + 6 * stride]!;
    let r7 = a[offset + 7 * stride]!;
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      const p = offset + i * stride;
      r0 += a[p]!;
      r1 += a[p + stride]!;
      r2 += a[p + 2 * stride]!;
      r3 += a[p + 3 * stride]!;
      r4 += a[p + 4 * stride]!;
      r5 += a[p + 5 * stride]!;
      r6 += a[p + 6 * stride]!;
      r7 += a[p + 7 * stride]!;
    }
    // prettier-ignore
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) res += a[offset + i * stride]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, offset, n2, stride) + pairwiseSum(a, offset + n2 * stride, n - n2, stride);
}

/**
 * np.sum(a) of a 1-D float64 array. The reduction starts from the additive identity 0, so the
 * result is 0 + pairwise sum (which only turns a -0.0 into 0.0).
 */
export function npSum(a: NumArray): number {
  return 0 + pairwiseSum(a);
}

/** np.mean(a): np.sum(a) / len(a). NaN for an empty array, as numpy (which also warns). */
export function npMean(a: NumArray): number {
  return npSum(a) / a.length;
}

/**
 * np.std(a) with numpy's default ddof = 0 (the population standard deviation), computed the way
 * numpy's `_var` does: mean by pairwise sum, squared deviations, pairwise sum again, divide, sqrt.
 */
export function npStd(a: NumArray): number {
  const n = a.length;
  const mean = npSum(a) / n;
  const sq = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - mean;
    sq[i] = d * d;
  }
  return Math.sqrt(npSum(sq) / n);
}

/**
 * np.mean(rows, axis=0) over the rows of a row-major matrix, `cols` wide, picking rows by index.
 * numpy adds whole rows into the accumulator one after the other (no pairwise summation along
 * axis 0), starting from 0, then divides by the row count.
 */
export function columnMeans(data: NumArray, cols: number, rowLists: readonly NumArray[]): Float64Array {
  const acc = new Float64Array(cols);
  let count = 0;
  for (const rows of rowLists) {
    for (let k = 0; k < rows.length; k++) {
      const base = rows[k]! * cols;
      for (let j = 0; j < cols; j++) acc[j] = acc[j]! + data[base + j]!;
    }
    count += rows.length;
  }
  for (let j = 0; j < cols; j++) acc[j] = acc[j]! / count;
  return acc;
}

/** np.diff(x) of a 1-D array. */
export function npDiff(x: NumArray): Float64Array {
  const out = new Float64Array(Math.max(0, x.length - 1));
  for (let i = 0; i < out.length; i++) out[i] = x[i + 1]! - x[i]!;
  return out;
}
