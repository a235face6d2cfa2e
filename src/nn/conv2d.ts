import { Tensor, zeros, conv2d, noGrad, type MemoryFormat } from '../tensor/index.js';
import { Module } from './module.js';
import { defaultBiasInit, defaultWeightInit, fans } from './init.js';

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

export interface Conv2dConfig {
  kernel: Pair;
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

/** 2-D convolution with torch.nn.Conv2d's parameters: weight [out, in/groups, kh, kw], bias [out]. */
export class Conv2d extends Module {
  weight: Tensor;
  readonly bias: Tensor | null;
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(inChannels: number, outChannels: number, c: Conv2dConfig) {
    super();
    const [kh, kw] = pair(c.kernel);
    this.groups = c.groups ?? 1;
    this.stride = pair(c.stride ?? 1);
    this.padding = pair(c.padding ?? 0);
    this.dilation = pair(c.dilation ?? 1);
    this.weight = this.registerParameter('weight', defaultWeightInit(zeros([outChannels, inChannels / this.groups, kh, kw])));
    this.bias = c.bias === false ? null : this.registerParameter('bias', defaultBiasInit(zeros([outChannels]), fans(this.weight.shape).fanIn));
  }

  /** Stores the weight in the given layout (channels_last runs faster on CPU with oneDNN). */
  setMemoryFormat(format: MemoryFormat): void {
    if (this.weight.isContiguous(format)) return;
    const w = noGrad(() => this.weight.contiguous(format));
    this.weight = this.replaceParameter('weight', w);
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}
