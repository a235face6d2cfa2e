import { Tensor, zeros, linear } from '../tensor/index.js';
import { Module } from './module.js';
import { defaultBiasInit, defaultWeightInit } from './init.js';

/** y = x W^T + b with torch.nn.Linear's parameters: weight [out, in], bias [out]. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, c: { bias?: boolean } = {}) {
    super();
    this.weight = this.registerParameter('weight', defaultWeightInit(zeros([outFeatures, inFeatures])));
    this.bias = c.bias === false ? null : this.registerParameter('bias', defaultBiasInit(zeros([outFeatures]), inFeatures));
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
