import { Tensor, zeros, ones, batchNorm, tensor, noGrad } from '../tensor/index.js';
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
  /**
   * When set (data-parallel training with synchronised batch norm), training-mode statistics are
   * taken over every rank's batch: this sums a tensor over the ranks, differentiably.
   */
  statsSum: ((t: Tensor) => Tensor) | null = null;

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
    if (this.training && this.statsSum) return this.synchronised(x, this.statsSum);
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

  /**
   * Batch norm with the global batch's statistics, two-pass (mean, then the centred squares) as
   * at::batch_norm does, so that N ranks reproduce one process on the whole batch; the running
   * statistics take the unbiased global variance, as torch's SyncBatchNorm.
   */
  private synchronised(input: Tensor, sum: (t: Tensor) => Tensor): Tensor {
    // Statistics in fp32 whatever the activations' dtype (bf16 under autocast): mixed precision
    // keeps batch-norm statistics in fp32, and gloo all-reduces no bf16 in libtorch 1.13.
    const x = input.dtype === 'float32' ? input : input.to('float32');
    const c = x.shape[1]!;
    const dims = x.shape.length === 4 ? [0, 2, 3] : [0];
    const view = x.shape.length === 4 ? [1, c, 1, 1] : [1, c];
    const local = x.size / c;
    const counted = sum(tensor(Float32Array.of(local), [1]));
    const n = counted.item();
    const mean = sum(x.sum(dims)).div(n);
    const centred = x.sub(mean.reshape(view));
    const variance = sum(centred.square().sum(dims)).div(n);
    // y = x * alpha + beta, alpha = w / sqrt(var + eps), beta = b - mean * alpha: at::batch_norm's
    // own arrangement of the arithmetic, so that the rounding matches one process's closely.
    let alpha = variance.add(this.eps).rsqrt();
    if (this.weight) alpha = alpha.mul(this.weight);
    let beta = mean.mul(alpha).neg();
    if (this.bias) beta = beta.add(this.bias);
    const y = x.mul(alpha.reshape(view)).add(beta.reshape(view));
    noGrad(() => {
      this.runningMean.lerp_(mean.detach(), this.momentum);
      this.runningVar.lerp_(variance.detach().mul(n / Math.max(1, n - 1)), this.momentum);
    });
    return input.dtype === 'float32' ? y : y.to(input.dtype);
  }
}
