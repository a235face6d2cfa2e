/** Embedding checks shared by enroll and identify: size, finiteness, unit length. */
import { FacenetError } from '../errors.js';

/**
 * A unit-length copy of v. facenet's embeddings are already L2-normalised; renormalising makes the
 * distance/similarity identities (d² = 2 - 2·cos) hold exactly for rows from any source.
 */
export function unitCopy(v: ArrayLike<number>, dim: number, what: string): Float32Array {
  if (v.length !== dim) throw new FacenetError('SHAPE_MISMATCH', `${what}: embedding has ${v.length} values, the gallery's model gives ${dim}`);
  let sq = 0;
  for (let i = 0; i < dim; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x)) throw new FacenetError('BAD_ARGUMENT', `${what}: embedding value ${i} is ${x}`);
    sq += x * x;
  }
  if (sq === 0) throw new FacenetError('BAD_ARGUMENT', `${what}: embedding is all zeros`);
  const inv = 1 / Math.sqrt(sq);
  const out = new Float32Array(dim);
  for (let i = 0; i < dim; i++) out[i] = v[i]! * inv;
  return out;
}

/** Plain L2 distance between unit vectors of cosine similarity s. */
export function distanceFromSimilarity(s: number): number {
  return Math.sqrt(Math.max(0, 2 - 2 * s));
}
