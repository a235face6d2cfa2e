/**
 * Comparing two face embeddings: plain Euclidean distance (as facenet's compare.py prints),
 * cosine similarity, and a verdict against a threshold on the squared distance (what
 * `facenet validate --save-threshold` stores). Pure; shared by the Node facade and facenet/web.
 */
import { FacenetError } from '../errors.js';

export interface Comparison {
  /** Plain Euclidean distance, as compare.py prints. */
  distance: number;
  /** Cosine similarity. */
  similarity: number;
  /** distance² below the model's stored threshold; null when the model has none. */
  isMatch: boolean | null;
}

export function compareEmbeddings(a: ArrayLike<number>, b: ArrayLike<number>, threshold: number | null): Comparison {
  if (a.length !== b.length) throw new FacenetError('SHAPE_MISMATCH', `embeddings of different sizes: ${a.length} and ${b.length}`);
  let sq = 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    sq += (a[i]! - b[i]!) ** 2;
    dot += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return { distance: Math.sqrt(sq), similarity: dot / Math.sqrt(na * nb || 1), isMatch: threshold === null ? null : sq < threshold };
}
