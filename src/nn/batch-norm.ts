import { Tensor, zeros, ones, batchNorm, tensor } from '../tensor/index.js';
import { Module } from './module.js';

export interface BatchNormConfig {
  eps?: number;
  momentum?: number;
  affine?: boolean;
}

/**
 * Batch normalisation over dim 1 of [N, C] or [N, C, H, W] inputs (BatchNorm1d and BatchNorm2d in
 * one class; the state dict keys are the same). Buffers: running_mean, running_var,
 * num_batches_tracked (int64), as torch.
 */
export class BatchNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly numBatchesTracked: Tensor;
  readonly eps: number;
  momentum: number;

  constructor(channels: number, c: BatchNormConfig = {}) {
    super();
    this.eps = c.eps ?? 1e-5;
    this.momentum = c.momentum ?? 0.1;
    const affine = c.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', ones([channels])) : null;
    this.bias = affine ? this.registerParameter('bias', zeros([channels])) : null;
    this.runningMean = this.registerBuffer('running_mean', zeros([channels]));
    this.runningVar = this.registerBuffer('running_var', ones([channels]));
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', tensor(new BigInt64Array(1), []));
  }

  forward(x: Tensor): Tensor {
    if (this.training) this.numBatchesTracked.add_(1);
    return batchNorm(x, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      training: this.training,
      momentum: this.momentum,
      eps: this.eps,
    });
  }
}
