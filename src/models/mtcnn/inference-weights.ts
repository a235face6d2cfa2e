/**
 * Inference-time re-layouts of the MTCNN weights. They change how the maths is run, not what it
 * computes (outputs agree with the reference layout to float rounding, ~1e-6):
 *
 * - convolution weights in channels_last order (oneDNN's fast path on CPU);
 * - a dense layer that follows a (w, h, c)-order flatten becomes a convolution over the whole
 *   feature map, its [out, W*H*C] weight re-read as [out, C, H, W]: this drops the permute + copy
 *   in front of it, and oneDNN's convolution is several times faster here than the BLAS matmul
 *   behind torch's linear;
 * - dense heads that read the same features are stacked into one 1x1 convolution.
 *
 * The results are copies, held by each net as a Module.derived() value: built on the first forward,
 * dropped (and rebuilt on demand) after weight loads, freed with the net.
 */
import { cat, conv2d, keep, noGrad, tidy, type Tensor } from '../../tensor/index.js';
import type { Conv2d, Linear, PReLU } from '../../nn/index.js';

export interface ConvParams {
  weight: Tensor;
  bias: Tensor;
}

function owned(fn: () => Tensor): Tensor {
  return keep(tidy(() => noGrad(fn)));
}

/** A conv layer's parameters, the weight in channels_last order. */
export function convParams(conv: Conv2d): ConvParams {
  return { weight: owned(() => conv.weight.detach().contiguous('channels_last')), bias: owned(() => conv.bias!.detach().clone()) };
}

/** A dense layer [out, W*H*C] that follows a (w, h, c) flatten of a [C, H, W] map, as a conv [out, C, H, W]. */
export function denseAsConv(dense: Linear, c: number, h: number, w: number): ConvParams {
  const out = dense.weight.shape[0]!;
  return {
    weight: owned(() => dense.weight.detach().reshape(out, w, h, c).permute(0, 3, 2, 1).contiguous('channels_last')),
    bias: owned(() => dense.bias!.detach().clone()),
  };
}

/** Dense heads [o_i, in] or 1x1 convs stacked into one 1x1 conv [sum o_i, in, 1, 1]. */
export function stackedHeads(heads: readonly (Linear | Conv2d)[]): ConvParams {
  return {
    weight: owned(() =>
      cat(
        heads.map((m) => {
          const w = m.weight.detach();
          return w.rank === 2 ? w.reshape(w.shape[0]!, w.shape[1]!, 1, 1) : w;
        }),
        0,
      ).contiguous('channels_last'),
    ),
    bias: owned(() => cat(heads.map((m) => m.bias!.detach()), 0)),
  };
}

/** A net's re-laid-out weights, named by layer, as one disposable derived value. */
export class InferenceLayout<K extends string> {
  constructor(readonly params: Readonly<Record<K, ConvParams>>) {}

  dispose(): void {
    for (const p of Object.values<ConvParams>(this.params)) {
      p.weight.dispose();
      p.bias.dispose();
    }
  }
}

/** A convolution in the inference layout followed by its PReLU. */
export function convPrelu(x: Tensor, c: ConvParams, activation: PReLU): Tensor {
  return activation.forward(conv2d(x, c.weight, c.bias));
}
