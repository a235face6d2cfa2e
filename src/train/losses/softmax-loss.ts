/**
 * train_softmax's classification loss: sparse softmax cross-entropy of the logits, averaged over
 * the batch, and the batch accuracy (argmax of the logits equals the label).
 */
import { crossEntropy, type Tensor } from '../../tensor/index.js';

/** Mean softmax cross-entropy of logits [N, C] against int64 labels [N]. */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  return crossEntropy(logits, labels);
}

/** Fraction of rows whose highest score is the label (a number, read back from the engine). */
export function batchAccuracy(scores: Tensor, labels: Tensor): number {
  return scores.argmax(1).eq(labels).float().mean().item();
}
