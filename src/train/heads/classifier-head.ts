/**
 * Classifier heads for softmax-loss training, kept apart from the backbone so that the exported
 * model is a pure embedding network (facenet exports its Logits layer inside the graph; here it
 * stays in the checkpoint only).
 *
 * - 'softmax': facenet's slim.fully_connected(prelogits, nrof_classes) with Xavier weights and zero
 *   biases: logits = prelogits W^T + b.
 * - 'arcface' (beyond facenet): cosines between the L2-normalised prelogits and L2-normalised class
 *   weights, with the additive angular margin on the target class.
 */
import { Tensor, normalize, linear, zeros } from '../../tensor/index.js';
import { Module, xavierUniform, normalInit } from '../../nn/index.js';
import { arcfaceLogits, type ArcMargin } from '../losses/arcface-margin.js';

export interface HeadOutput {
  /** What the cross-entropy sees (with the margin, for ArcFace). */
  logits: Tensor;
  /** What predictions and the accuracy use (without the margin). */
  scores: Tensor;
}

export abstract class ClassifierHead extends Module {
  abstract forward(prelogits: Tensor, labels: Tensor): HeadOutput;
  /** The weights weight decay applies to (facenet regularises the Logits weights, not the bias). */
  abstract decayedWeights(): Tensor[];
}

export class SoftmaxHead extends ClassifierHead {
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(features: number, classes: number) {
    super();
    this.weight = this.registerParameter('weight', xavierUniform(zeros([classes, features])));
    this.bias = this.registerParameter('bias', zeros([classes]));
  }

  forward(prelogits: Tensor): HeadOutput {
    const logits = linear(prelogits, this.weight, this.bias);
    return { logits, scores: logits };
  }

  decayedWeights(): Tensor[] {
    return [this.weight];
  }
}

export class ArcFaceHead extends ClassifierHead {
  readonly weight: Tensor;

  constructor(
    features: number,
    classes: number,
    readonly margin: ArcMargin,
  ) {
    super();
    // insightface initialises the class centres with normal(0, 0.01).
    this.weight = this.registerParameter('weight', normalInit(zeros([classes, features]), 0.01));
  }

  forward(prelogits: Tensor, labels: Tensor): HeadOutput {
    const x = normalize(prelogits, { dim: 1, eps: 1e-10 });
    const w = normalize(this.weight, { dim: 1, eps: 1e-10 });
    const cosine = x.matmul(w.T); // [N, C]
    const logits = arcfaceLogits(cosine, labels, this.margin);
    return { logits, scores: cosine };
  }

  decayedWeights(): Tensor[] {
    return [this.weight];
  }
}

export function createHead(kind: 'softmax' | 'arcface', features: number, classes: number, margin: ArcMargin): ClassifierHead {
  return kind === 'arcface' ? new ArcFaceHead(features, classes, margin) : new SoftmaxHead(features, classes);
}
