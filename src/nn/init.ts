/**
 * Weight initialisers (torch.nn.init semantics), drawing from libtorch's seeded generator.
 * All act in place on a parameter and return it.
 */
import type { Tensor } from '../tensor/index.js';
import { noGrad } from '../tensor/index.js';
import { FacenetError } from '../errors.js';

/** fan_in and fan_out of a weight [out, in, ...kernel] as torch computes them. */
export function fans(shape: number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new FacenetError('BAD_ARGUMENT', `fans: need a weight of rank >= 2, got [${shape}]`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

/** PyTorch's default for Conv2d / Linear weights: kaiming_uniform_(a = sqrt(5)), i.e. U(±1/sqrt(fan_in)). */
export function defaultWeightInit(w: Tensor): Tensor {
  const bound = 1 / Math.sqrt(fans(w.shape).fanIn);
  return noGrad(() => w.uniform_(-bound, bound));
}

/** PyTorch's default bias: U(±1/sqrt(fan_in)) of the layer's weight. */
export function defaultBiasInit(b: Tensor, fanIn: number): Tensor {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return noGrad(() => b.uniform_(-bound, bound));
}

/** Glorot / Xavier uniform: facenet's (TF-slim's) default for conv and dense weights. */
export function xavierUniform(w: Tensor, gain = 1): Tensor {
  const { fanIn, fanOut } = fans(w.shape);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return noGrad(() => w.uniform_(-bound, bound));
}

export function kaimingNormal(w: Tensor, mode: 'fanIn' | 'fanOut' = 'fanIn', gain = Math.SQRT2): Tensor {
  const f = fans(w.shape)[mode];
  return noGrad(() => w.normal_(0, gain / Math.sqrt(f)));
}

export function normalInit(w: Tensor, std: number, mean = 0): Tensor {
  return noGrad(() => w.normal_(mean, std));
}

export function constantInit(w: Tensor, value: number): Tensor {
  return noGrad(() => w.fill_(value));
}
