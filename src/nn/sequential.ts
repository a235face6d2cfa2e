import type { Tensor } from '../tensor/index.js';
import { Module } from './module.js';

/** A module with a single-tensor forward pass. */
export interface Layer {
  forward(x: Tensor): Tensor;
}

/**
 * Children applied in order, named "0", "1", … as torch.nn.Sequential, so keys such as
 * "branch1.0.conv.weight" match PyTorch's. Intermediates are disposed as soon as they are used.
 */
export class Sequential extends Module implements Layer {
  private readonly layers: (Module & Layer)[];

  constructor(layers: (Module & Layer)[]) {
    super();
    this.layers = layers;
    layers.forEach((l, i) => this.registerModule(String(i), l));
  }

  forward(x: Tensor): Tensor {
    let out = x;
    for (const l of this.layers) {
      const next = l.forward(out);
      if (out !== x) out.dispose();
      out = next;
    }
    return out;
  }
}
