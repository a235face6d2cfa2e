/**
 * Center loss (Wen et al. 2016) as facenet.center_loss computes it:
 *
 *   centers_batch = centers[labels]
 *   loss          = mean((features - centers_batch)^2)          (over batch and features)
 *   centers[labels] -= (1 - alfa) * (centers_batch - features)  (tf.scatter_sub: duplicates add up)
 *
 * The centers are not trained by the optimiser: they move outside the gradient, after the step,
 * and the loss uses the centers as they were before that update (facenet gathers centers_batch
 * before its scatter_sub).
 *
 * Deliberate difference: facenet always builds and updates the centers, even with
 * --center_loss_factor 0; the trainer here creates them only when the factor is > 0.
 */
import { Tensor, keep, noGrad, zeros } from '../../tensor/index.js';

export class CenterLoss {
  /** [nrofClasses, nrofFeatures], zero-initialised like facenet's. */
  readonly centers: Tensor;

  constructor(
    nrofClasses: number,
    nrofFeatures: number,
    readonly alfa: number,
  ) {
    this.centers = keep(zeros([nrofClasses, nrofFeatures]));
  }

  /** mean((features - centers[labels])^2), differentiable in features. features [N, D], labels int64 [N]. */
  loss(features: Tensor, labels: Tensor): Tensor {
    const batchCenters = this.centers.indexSelect(0, labels); // [N, D], no grad (centers is not a parameter)
    return features.sub(batchCenters).square().mean();
  }

  /** centers[labels] -= (1 - alfa) * (centers[labels] - features), with duplicate labels accumulating. */
  update(features: Tensor, labels: Tensor): void {
    noGrad(() => {
      const batchCenters = this.centers.indexSelect(0, labels);
      const diff = batchCenters.sub(features.detach()).mul(1 - this.alfa); // [N, D]
      this.centers.indexAdd_(0, labels, diff, -1);
      batchCenters.dispose();
      diff.dispose();
    });
  }

  /** Replaces the centers (resume). */
  load(values: Tensor): void {
    noGrad(() => this.centers.copy_(values));
  }

  dispose(): void {
    this.centers.dispose();
  }
}
