/**
 * The building blocks of Inception-ResNet-v1, named and wired as facenet-pytorch's
 * inception_resnet_v1.py (itself a port of facenet's TF-slim graph), so state dict keys match.
 */
import { Tensor, PackedConv2d, cat, maxPool2d, noGrad, tidy, type Dtype } from '../../tensor/index.js';
import { Module, Conv2d, BatchNorm, Sequential, foldBatchNorm, type Layer } from '../../nn/index.js';
import { channels } from './config.js';

export interface BlockSettings {
  width: number;
  bnEps: number;
  bnMomentum: number;
}

type Pair = number | [number, number];

/**
 * Folded weights in the activations' dtype: folding happens in float32, then (bf16 inference) the
 * result is rounded once to bfloat16 for oneDNN's bf16 kernels. Biases stay float32 (oneDNN adds
 * them in its float32 accumulator).
 */
export function inDtype(weight: Tensor, dtype: Dtype): Tensor {
  return weight.dtype === dtype ? weight : weight.to(dtype);
}

/** conv (no bias) + batch norm + ReLU. */
export class BasicConv2d extends Module implements Layer {
  readonly conv: Conv2d;
  readonly bn: BatchNorm;

  constructor(inC: number, outC: number, kernel: Pair, stride: Pair, padding: Pair, s: BlockSettings) {
    super();
    this.conv = this.registerModule('conv', new Conv2d(inC, outC, { kernel, stride, padding, bias: false }));
    this.bn = this.registerModule('bn', new BatchNorm(outC, { eps: s.bnEps, momentum: s.bnMomentum }));
  }

  /**
   * Eval-mode batch norm folded into the convolution (w * g/sqrt(v+eps), b - m * g/sqrt(v+eps)),
   * with the ReLU, as one prepacked oneDNN convolution (PackedConv2d): one op instead of three at
   * inference, and no per-call weight reorder. Built on first use after eval(), dropped by train()
   * and by loading weights, so it never goes stale.
   */
  private fold(dtype: Dtype): PackedConv2d {
    const bn = this.bn;
    return noGrad(() =>
      tidy(() => {
        const { weight: w, bias } = foldBatchNorm(this.conv.weight, bn);
        const weight = w.contiguous(this.conv.weight.isContiguous('channels_last') ? 'channels_last' : 'contiguous');
        return new PackedConv2d(inDtype(weight, dtype), bias, { stride: this.conv.stride, padding: this.conv.padding, relu: true });
      }),
    );
  }

  forward(x: Tensor): Tensor {
    if (!this.training) {
      // one packed copy per activation dtype (float32, or bfloat16 under setPrecision('bf16'))
      return this.derived(`folded:${x.dtype}`, () => this.fold(x.dtype)).forward(x);
    }
    const c = this.conv.forward(x);
    const b = this.bn.forward(c);
    c.dispose();
    const r = b.relu();
    b.dispose();
    return r;
  }
}

/** out = relu?(x + scale * conv1x1(cat(branches))) — the residual pattern shared by the three block types. */
abstract class ResidualBlock extends Module implements Layer {
  protected abstract branches(): Layer[];
  protected abstract readonly up: Conv2d;

  constructor(
    /** Residual scale (0.17 / 0.10 / 0.20; 1 for the last Block8); public for the ONNX exporter. */
    readonly scale: number,
    readonly relu: boolean,
  ) {
    super();
  }

  private fold(dtype: Dtype): PackedConv2d {
    const up = this.up;
    return noGrad(() =>
      tidy(() => {
        const weight = up.weight.mul(this.scale).contiguous(up.weight.isContiguous('channels_last') ? 'channels_last' : 'contiguous');
        const bias = up.bias ? up.bias.mul(this.scale) : null;
        return new PackedConv2d(inDtype(weight, dtype), bias, { stride: up.stride, padding: up.padding, dilation: up.dilation, groups: up.groups });
      }),
    );
  }

  forward(x: Tensor): Tensor {
    const outs = this.branches().map((b) => b.forward(x));
    const mixed = cat(outs, 1);
    for (const o of outs) o.dispose();
    if (!this.training) {
      // The 1x1 "up" convolution with the scale folded in, prepacked (see BasicConv2d).
      const out = this.derived(`folded:${mixed.dtype}`, () => this.fold(mixed.dtype)).forward(mixed, { add: x, reluAfter: this.relu });
      mixed.dispose();
      return out;
    }
    const up = this.up.forward(mixed);
    mixed.dispose();
    const scaled = up.mul(this.scale);
    up.dispose();
    const sum = scaled.add(x);
    scaled.dispose();
    if (!this.relu) return sum;
    const r = sum.relu();
    sum.dispose();
    return r;
  }
}

/** 35x35 block (17x17 at 160 px input): three branches of 1x1 / 3x3 / 3x3x2 convs. */
export class Block35 extends ResidualBlock {
  protected readonly up: Conv2d;
  private readonly b: Layer[];

  constructor(inC: number, scale: number, s: BlockSettings) {
    super(scale, true);
    const c = channels(32, s.width);
    const b0 = this.registerModule('branch0', new BasicConv2d(inC, c, 1, 1, 0, s));
    const b1 = this.registerModule('branch1', new Sequential([new BasicConv2d(inC, c, 1, 1, 0, s), new BasicConv2d(c, c, 3, 1, 1, s)]));
    const b2 = this.registerModule(
      'branch2',
      new Sequential([new BasicConv2d(inC, c, 1, 1, 0, s), new BasicConv2d(c, c, 3, 1, 1, s), new BasicConv2d(c, c, 3, 1, 1, s)]),
    );
    this.up = this.registerModule('conv2d', new Conv2d(3 * c, inC, { kernel: 1 }));
    this.b = [b0, b1, b2];
  }
  protected branches(): Layer[] {
    return this.b;
  }
}

/** 17x17 block: 1x1 and a factorised 1x7 / 7x1 branch. */
export class Block17 extends ResidualBlock {
  protected readonly up: Conv2d;
  private readonly b: Layer[];

  constructor(inC: number, scale: number, s: BlockSettings) {
    super(scale, true);
    const c = channels(128, s.width);
    const b0 = this.registerModule('branch0', new BasicConv2d(inC, c, 1, 1, 0, s));
    const b1 = this.registerModule(
      'branch1',
      new Sequential([new BasicConv2d(inC, c, 1, 1, 0, s), new BasicConv2d(c, c, [1, 7], 1, [0, 3], s), new BasicConv2d(c, c, [7, 1], 1, [3, 0], s)]),
    );
    this.up = this.registerModule('conv2d', new Conv2d(2 * c, inC, { kernel: 1 }));
    this.b = [b0, b1];
  }
  protected branches(): Layer[] {
    return this.b;
  }
}

/** 8x8 block: 1x1 and a factorised 1x3 / 3x1 branch; the very last one has no ReLU. */
export class Block8 extends ResidualBlock {
  protected readonly up: Conv2d;
  private readonly b: Layer[];

  constructor(inC: number, scale: number, relu: boolean, s: BlockSettings) {
    super(scale, relu);
    const c = channels(192, s.width);
    const b0 = this.registerModule('branch0', new BasicConv2d(inC, c, 1, 1, 0, s));
    const b1 = this.registerModule(
      'branch1',
      new Sequential([new BasicConv2d(inC, c, 1, 1, 0, s), new BasicConv2d(c, c, [1, 3], 1, [0, 1], s), new BasicConv2d(c, c, [3, 1], 1, [1, 0], s)]),
    );
    this.up = this.registerModule('conv2d', new Conv2d(2 * c, inC, { kernel: 1 }));
    this.b = [b0, b1];
  }
  protected branches(): Layer[] {
    return this.b;
  }
}

function concatBranches(x: Tensor, branches: Layer[], pool: boolean): Tensor {
  const outs = branches.map((b) => b.forward(x));
  if (pool) outs.push(maxPool2d(x, 3, { stride: 2 }));
  const out = cat(outs, 1);
  for (const o of outs) o.dispose();
  return out;
}

/** Reduction-A: 35 -> 17 (17 -> 8 at 160 px). Output channels: inC + 2 branches. */
export class Mixed6a extends Module implements Layer {
  readonly outChannels: number;
  private readonly b: Layer[];

  constructor(inC: number, s: BlockSettings) {
    super();
    const c384 = channels(384, s.width);
    const c192 = channels(192, s.width);
    const c256 = channels(256, s.width);
    const b0 = this.registerModule('branch0', new BasicConv2d(inC, c384, 3, 2, 0, s));
    const b1 = this.registerModule(
      'branch1',
      new Sequential([new BasicConv2d(inC, c192, 1, 1, 0, s), new BasicConv2d(c192, c192, 3, 1, 1, s), new BasicConv2d(c192, c256, 3, 2, 0, s)]),
    );
    this.b = [b0, b1];
    this.outChannels = c384 + c256 + inC;
  }

  forward(x: Tensor): Tensor {
    return concatBranches(x, this.b, true);
  }
}

/** Reduction-B: 17 -> 8 (8 -> 3 at 160 px). */
export class Mixed7a extends Module implements Layer {
  readonly outChannels: number;
  private readonly b: Layer[];

  constructor(inC: number, s: BlockSettings) {
    super();
    const c256 = channels(256, s.width);
    const c384 = channels(384, s.width);
    const b0 = this.registerModule('branch0', new Sequential([new BasicConv2d(inC, c256, 1, 1, 0, s), new BasicConv2d(c256, c384, 3, 2, 0, s)]));
    const b1 = this.registerModule('branch1', new Sequential([new BasicConv2d(inC, c256, 1, 1, 0, s), new BasicConv2d(c256, c256, 3, 2, 0, s)]));
    const b2 = this.registerModule(
      'branch2',
      new Sequential([new BasicConv2d(inC, c256, 1, 1, 0, s), new BasicConv2d(c256, c256, 3, 1, 1, s), new BasicConv2d(c256, c256, 3, 2, 0, s)]),
    );
    this.b = [b0, b1, b2];
    this.outChannels = c384 + c256 + c256 + inC;
  }

  forward(x: Tensor): Tensor {
    return concatBranches(x, this.b, true);
  }
}
