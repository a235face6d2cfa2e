/**
 * facenet's pair distances (facenet.distance), in float64 with numpy's summation order so that
 * distances equal facenet's bit for bit (a distance sitting on a threshold decides a prediction):
 *   metric 0: sum((e1 - e2)^2) over the embedding (squared Euclidean, no sqrt);
 *   metric 1: arccos(dot(e1, e2) / (|e1| |e2|)) / pi, in [0, 1].
 * Both sums are numpy pairwise sums along the embedding axis; the norms are np.linalg.norm's
 * sqrt(sum(x * x)). Math.acos may differ from the C library's acos in the last bit.
 * facenet does NOT clip the cosine: a similarity rounded above 1 gives NaN, a pair that is then
 * never predicted "same". `clipCosine` clips it to [-1, 1] instead (a deliberate, opt-in
 * difference; off by default for parity).
 */
import { FacenetError } from '../errors.js';
import { pairwiseSum, type NumArray } from '../math/numpy-reduce.js';

export type DistanceMetric = 0 | 1;

export interface DistanceOptions {
  readonly metric: DistanceMetric;
  /** Subtracted from both embeddings of every pair first (facenet's subtract_mean), length dim. */
  readonly mean?: NumArray | null;
  readonly clipCosine?: boolean;
}

/**
 * Distances of the N pairs of `embeddings` (row-major [2N, dim]; rows 2i and 2i+1 are pair i).
 */
export function pairDistances(embeddings: NumArray, dim: number, options: DistanceOptions): Float64Array {
  if (!Number.isInteger(dim) || dim < 1 || embeddings.length % (2 * dim) !== 0) {
    throw new FacenetError('SHAPE_MISMATCH', `pairDistances: ${embeddings.length} values are not whole pairs of ${dim}-d rows`);
  }
  if (options.metric !== 0 && options.metric !== 1) {
    throw new FacenetError('BAD_ARGUMENT', `pairDistances: undefined distance metric ${String(options.metric)} (use 0 or 1)`);
  }
  const mean = options.mean ?? null;
  if (mean && mean.length !== dim) {
    throw new FacenetError('SHAPE_MISMATCH', `pairDistances: mean has ${mean.length} values, embeddings have ${dim}`);
  }
  const n = embeddings.length / (2 * dim);
  const out = new Float64Array(n);
  const a = new Float64Array(dim);
  const b = new Float64Array(dim);
  const t0 = new Float64Array(dim);
  const t1 = new Float64Array(dim);
  const t2 = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const pa = 2 * i * dim;
    const pb = pa + dim;
    for (let k = 0; k < dim; k++) {
      // facenet: embeddings1 - mean, embeddings2 - mean (mean = 0.0 when not subtracting).
      a[k] = mean ? embeddings[pa + k]! - mean[k]! : embeddings[pa + k]!;
      b[k] = mean ? embeddings[pb + k]! - mean[k]! : embeddings[pb + k]!;
    }
    if (options.metric === 0) {
      for (let k = 0; k < dim; k++) {
        const d = a[k]! - b[k]!;
        t0[k] = d * d;
      }
      out[i] = 0 + pairwiseSum(t0);
    } else {
      for (let k = 0; k < dim; k++) {
        t0[k] = a[k]! * b[k]!;
        t1[k] = a[k]! * a[k]!;
        t2[k] = b[k]! * b[k]!;
      }
      const dot = 0 + pairwiseSum(t0);
      const norm = Math.sqrt(0 + pairwiseSum(t1)) * Math.sqrt(0 + pairwiseSum(t2));
      let similarity = dot / norm;
      if (options.clipCosine) similarity = Math.min(1, Math.max(-1, similarity));
      out[i] = Math.acos(similarity) / Math.PI;
    }
  }
  return out;
}
