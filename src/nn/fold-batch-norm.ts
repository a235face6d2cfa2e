import type { Tensor } from '../tensor/index.js';
import type { BatchNorm } from './batch-norm.js';

/**
 * Eval-mode batch norm folded into the preceding layer's weight [out, ...] (no bias):
 * w' = w * g / sqrt(v + eps) per output channel, b' = beta - m * g / sqrt(v + eps).
 * New tensors; call inside noGrad + tidy and keep what you return.
 */
export function foldBatchNorm(weight: Tensor, bn: BatchNorm): { weight: Tensor; bias: Tensor } {
  const scale = bn.runningVar.add(bn.eps).rsqrt().mul(bn.weight!); // [out]
  const perChannel = scale.reshape(-1, ...new Array<number>(weight.rank - 1).fill(1));
  return { weight: weight.mul(perChannel), bias: bn.bias!.sub(bn.runningMean.mul(scale)) };
}
