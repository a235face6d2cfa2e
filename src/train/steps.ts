/**
 * One optimisation step of each kind of trainingModel, inside one tidy() scope so that a step leaves no
 * tensor behind (memory stays flat over a run):
 *
 *  softmax: total = CE(head(prelogits)) + prelogits_norm_factor * prelogits norm
 *                   + center_loss_factor * center loss + weight decay   (train_softmax.py)
 *  triplet: total = triplet loss on the embeddings + weight decay       (train_tripletloss.py)
 *
 * followed by backward, the optimiser step at the given learning rate and the center update.
 */
import { noGrad, tensor, tidy, type Tensor } from '../tensor/index.js';
import type { LoadedBatch } from '../data/batch-loader.js';
import type { TrainConfig } from './config.js';
import type { TrainingModel } from './training-model.js';
import { batchAccuracy, softmaxCrossEntropy } from './losses/softmax-loss.js';
import { l2Loss, prelogitsNorm } from './losses/regularizers.js';
import { tripletLoss } from './losses/triplet-loss.js';
import { standardizeBatch } from './standardize-batch.js';

export interface StepResult {
  /** The total loss that was minimised. */
  loss: number;
  /** Training accuracy of the batch (softmax only). */
  accuracy: number | null;
  /** Individual terms, unscaled (crossEntropy, tripletLoss, centerLoss, prelogitsNorm), and the scaled regularisation sum when any is on. */
  terms: Record<string, number>;
}

/** The batch as network input, standardised as the model records it (its config, saved with it). */
function inputs(trainingModel: TrainingModel, batch: LoadedBatch): { x: Tensor; y: Tensor } {
  const { inputSize, standardization } = trainingModel.model.config;
  const x = standardizeBatch(batch.pixels, batch.count, inputSize, standardization); // [N, 3, S, S]
  const y = tensor(batch.labels, [batch.count]).long(); // [N] int64
  return { x, y };
}

/** The weight-decay term wd * sum(w^2) / 2, or null when off. */
function weightDecay(trainingModel: TrainingModel, config: TrainConfig): Tensor | null {
  return config.weightDecay > 0 ? l2Loss(trainingModel.decayed).mul(config.weightDecay) : null;
}

interface SoftmaxTerms {
  total: Tensor;
  ce: Tensor;
  norm: Tensor;
  center: Tensor | null;
  scores: Tensor;
  prelogits: Tensor;
}

function softmaxTerms(trainingModel: TrainingModel, config: TrainConfig, x: Tensor, y: Tensor): SoftmaxTerms {
  const out = trainingModel.model.forwardAll(x);
  const { logits, scores } = trainingModel.head!.forward(out.prelogits, y);
  const ce = softmaxCrossEntropy(logits, y);
  let total = ce;
  const norm = prelogitsNorm(out.prelogits, config.prelogitsNormP);
  if (config.prelogitsNormLossFactor > 0) total = total.add(norm.mul(config.prelogitsNormLossFactor));
  const center = trainingModel.centers ? trainingModel.centers.loss(out.prelogits, y) : null;
  if (center) total = total.add(center.mul(config.centerLossFactor));
  const decayTerm = weightDecay(trainingModel, config);
  if (decayTerm) total = total.add(decayTerm);
  return { total, ce, norm, center, scores, prelogits: out.prelogits };
}

function softmaxResult(computed: SoftmaxTerms, y: Tensor): StepResult {
  const loss = computed.total.item();
  const crossEntropy = computed.ce.item();
  const terms: Record<string, number> = { crossEntropy, prelogitsNorm: computed.norm.item() };
  if (computed.total !== computed.ce) terms['regularization'] = loss - crossEntropy; // only when some regulariser is on
  if (computed.center) terms['centerLoss'] = computed.center.item();
  return { loss, accuracy: batchAccuracy(computed.scores, y), terms };
}

/**
 * `afterBackward` runs between backward and the optimiser step (data-parallel training averages
 * the gradients over the ranks there).
 */
export function softmaxStep(trainingModel: TrainingModel, config: TrainConfig, batch: LoadedBatch, lr: number, afterBackward?: () => void): StepResult {
  return tidy(() => {
    const { x, y } = inputs(trainingModel, batch);
    const computed = softmaxTerms(trainingModel, config, x, y);
    trainingModel.optimizer.lr = lr;
    computed.total.backward();
    afterBackward?.();
    trainingModel.optimizer.step();
    trainingModel.optimizer.zeroGrad();
    // facenet's scatter_sub on the centers, with the features of this (pre-update) forward pass.
    trainingModel.centers?.update(computed.prelogits, y);
    return softmaxResult(computed, y);
  });
}

/** Validation: the same loss terms without gradients or updates (the caller sets eval mode). */
export function softmaxEvaluate(trainingModel: TrainingModel, config: TrainConfig, batch: LoadedBatch): StepResult {
  return noGrad(() => tidy(() => {
    const { x, y } = inputs(trainingModel, batch);
    return softmaxResult(softmaxTerms(trainingModel, config, x, y), y);
  }));
}

export function tripletStep(trainingModel: TrainingModel, config: TrainConfig, batch: LoadedBatch, lr: number): StepResult {
  return tidy(() => {
    const { x } = inputs(trainingModel, batch);
    const out = trainingModel.model.forwardAll(x);
    const tripletTerm = tripletLoss(out.embeddings, config.alpha);
    const decayTerm = weightDecay(trainingModel, config);
    const total = decayTerm ? tripletTerm.add(decayTerm) : tripletTerm;
    trainingModel.optimizer.lr = lr;
    total.backward();
    trainingModel.optimizer.step();
    trainingModel.optimizer.zeroGrad();
    const loss = total.item();
    const tripletValue = tripletTerm.item();
    const terms: Record<string, number> = { tripletLoss: tripletValue };
    if (decayTerm) terms['regularization'] = loss - tripletValue;
    return { loss, accuracy: null, terms };
  });
}

/** Embeddings [n, D] of a batch without gradients, in whatever mode the model is in. */
export function embedBatch(trainingModel: TrainingModel, config: TrainConfig, batch: LoadedBatch): Float32Array {
  return noGrad(() => tidy(() => trainingModel.model.forward(inputs(trainingModel, batch).x).toFloat32()));
}
