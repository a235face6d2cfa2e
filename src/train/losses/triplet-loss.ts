/**
 * facenet.triplet_loss: mean over triplets of max(||a - p||^2 - ||a - n||^2 + alpha, 0), on
 * L2-normalised embeddings laid out as facenet's batches are: rows a0, p0, n0, a1, p1, n1, ...
 * (train_tripletloss reshapes the embeddings to [-1, 3, D] and unstacks them).
 */
import type { Tensor } from '../../tensor/index.js';
import { FacenetError } from '../../errors.js';

export function tripletLoss(embeddings: Tensor, alpha: number): Tensor {
  const [n, d] = embeddings.shape as [number, number];
  if (n % 3 !== 0) throw new FacenetError('SHAPE_MISMATCH', `tripletLoss: ${n} embeddings do not form triplets (a multiple of 3)`);
  const t = embeddings.reshape(n / 3, 3, d);
  const anchor = t.select(1, 0);
  const positive = t.select(1, 1);
  const negative = t.select(1, 2);
  const posDist = anchor.sub(positive).square().sum(1);
  const negDist = anchor.sub(negative).square().sum(1);
  return posDist.sub(negDist).add(alpha).clamp(0, null).mean();
}
