/**
 * The regularisation terms facenet adds to REGULARIZATION_LOSSES:
 *
 * - prelogits norm: factor * mean over the batch of || |prelogits| + eps ||_p, eps = 1e-4
 *   (train_softmax.py: tf.norm(tf.abs(prelogits) + eps, ord=p, axis=1));
 * - weight decay: TF-slim's l2_regularizer on every conv and fully-connected weight (biases and
 *   batch-norm parameters excluded): wd * sum(w^2) / 2, added to the loss.
 *
 * Note: the gradient of wd*sum(w^2)/2 is wd*w, what torch's optimiser weight_decay would add, but
 * that would also decay batch-norm and bias parameters, so the term is computed explicitly here.
 */
import type { Tensor } from '../../tensor/index.js';

/** TF's eps inside the prelogits norm. */
export const PRELOGITS_NORM_EPS = 1e-4;

/** mean_i ( sum_j (|x_ij| + eps)^p )^(1/p) of prelogits [N, D]. */
export function prelogitsNorm(prelogits: Tensor, p: number): Tensor {
  const shifted = prelogits.abs().add(PRELOGITS_NORM_EPS);
  if (p === 1) return shifted.sum(1).mean();
  if (p === 2) return shifted.norm(1).mean();
  return shifted.pow(p).sum(1).pow(1 / p).mean();
}

/** sum over weights of sum(w^2) / 2 (tf.nn.l2_loss), unscaled. */
export function l2Loss(weights: readonly Tensor[]): Tensor {
  let total: Tensor | null = null;
  for (const w of weights) {
    const term = w.square().sum();
    total = total === null ? term : total.add(term);
  }
  if (total === null) throw new Error('l2Loss: no weights');
  return total.mul(0.5);
}
