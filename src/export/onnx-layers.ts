/** Layer-shaped helpers on OnnxGraph shared by the exporters. */
import { noGrad, tidy, type Tensor } from '../tensor/index.js';
import type { OnnxGraph } from './onnx-graph.js';

export interface ConvSpec {
  weight: Float32Array;
  bias: Float32Array | null;
  /** [out, in / groups, kh, kw] */
  shape: readonly number[];
  stride?: readonly [number, number];
  padding?: readonly [number, number];
  dilation?: readonly [number, number];
  groups?: number;
}

/** A tensor's values, row-major (whatever its memory format), as float32. */
export function tensorValues(t: Tensor): Float32Array {
  return noGrad(() => tidy(() => t.detach().contiguous().toFloat32()));
}

export function convNode(g: OnnxGraph, x: string, c: ConvSpec, name: string, outName = name): string {
  const [ph, pw] = c.padding ?? [0, 0];
  const inputs = [x, g.weight(`${name}.weight`, c.weight, c.shape)];
  if (c.bias) inputs.push(g.weight(`${name}.bias`, c.bias, [c.shape[0]!]));
  return g.node(
    'Conv',
    inputs,
    {
      kernel_shape: [c.shape[2]!, c.shape[3]!],
      strides: [...(c.stride ?? [1, 1])],
      pads: [ph, pw, ph, pw],
      dilations: [...(c.dilation ?? [1, 1])],
      group: c.groups ?? 1,
    },
    outName,
  );
}

/** Gemm y = x W^T + b for a dense layer's weight [out, in]. */
export function denseNode(g: OnnxGraph, x: string, weight: Float32Array, bias: Float32Array, shape: readonly number[], name: string, outName = name): string {
  return g.node('Gemm', [x, g.weight(`${name}.weight`, weight, shape), g.weight(`${name}.bias`, bias, [shape[0]!])], { transB: 1 }, outName);
}

/** PReLU with one slope per channel; `spatial` for NCHW inputs (slope [C, 1, 1]), else [C]. */
export function preluNode(g: OnnxGraph, x: string, slope: Float32Array, spatial: boolean, name: string): string {
  const dims = spatial ? [slope.length, 1, 1] : [slope.length];
  return g.node('PRelu', [x, g.weight(`${name}.weight`, slope, dims)], {}, name);
}
