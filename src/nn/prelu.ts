import { Tensor, full, prelu } from '../tensor/index.js';
import { Module } from './module.js';

/** Parametric ReLU with one slope per channel (torch.nn.PReLU(num_parameters), init 0.25). */
export class PReLU extends Module {
  readonly weight: Tensor;

  constructor(channels: number, init = 0.25) {
    super();
    this.weight = this.registerParameter('weight', full([channels], init));
  }

  forward(x: Tensor): Tensor {
    return prelu(x, this.weight);
  }
}
