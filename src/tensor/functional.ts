/**
 * Functional ops: the neural-network building blocks (conv, batch norm, pooling, losses,
 * resampling) and the multi-tensor ops (cat, stack, where). Same semantics as torch.nn.functional.
 */
import { native, type NativePackedConv } from './native.js';
import { Tensor } from './tensor.js';
import { FacenetError } from '../errors.js';

type Pair = number | [number, number];
const pair = (v: Pair): number[] => (typeof v === 'number' ? [v, v] : v);

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

/** x [N, Cin, H, W] * weight [Cout, Cin/groups, kh, kw] (+ bias [Cout]). */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, o: Conv2dOptions = {}): Tensor {
  return new Tensor(
    native.conv2d(x.handle, weight.handle, bias?.handle ?? null, pair(o.stride ?? 1), pair(o.padding ?? 0), pair(o.dilation ?? 1), o.groups ?? 1),
  );
}

/**
 * A convolution with fixed weights, for inference: forward(x) = relu?(conv(x)), optionally
 * followed by a residual add (and a ReLU of the sum). On CPU float32 input without autograd it
 * runs oneDNN with the weights reordered once, on the first call, into the layout oneDNN wants for
 * that input shape, and the ReLU fused into the convolution (the ops behind torch.jit.freeze +
 * optimize_for_inference); at::conv2d instead reorders the weights every call and, at batch 1,
 * takes a slower non-oneDNN path for 1x1 kernels and small maps. Otherwise (autograd, float64,
 * CUDA) it is conv2d with the same weights. It keeps its own copy of the weights: make a new one
 * when they change, and dispose() it.
 */
export class PackedConv2d {
  private h: NativePackedConv | null;

  constructor(weight: Tensor, bias: Tensor | null, o: Conv2dOptions & { relu?: boolean } = {}) {
    this.h = native.conv2dPrepack(weight.handle, bias?.handle ?? null, pair(o.stride ?? 1), pair(o.padding ?? 0), pair(o.dilation ?? 1), o.groups ?? 1, o.relu ?? false);
  }

  /** Whether the linked libtorch has oneDNN's prepacked convolution (else forward is plain conv2d). */
  static get available(): boolean {
    return native.conv2dPrepackAvailable();
  }

  /** relu?(conv(x)); with residual: relu?(conv(x)) + residual, then a ReLU of the sum when reluAfter. */
  forward(x: Tensor, residual?: { add: Tensor; reluAfter?: boolean }): Tensor {
    if (this.h === null) throw new FacenetError('DISPOSED', 'PackedConv2d: used after dispose()');
    return new Tensor(native.conv2dPrepackedRun(this.h, x.handle, residual?.add.handle ?? null, residual?.reluAfter ?? false));
  }

  dispose(): void {
    if (this.h !== null) native.conv2dPrepackedDispose(this.h);
    this.h = null;
  }
}

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  training: boolean;
  momentum?: number;
  eps?: number;
}

/** Batch norm over dim 1. In training mode the running statistics are updated in place. */
export function batchNorm(x: Tensor, o: BatchNormOptions): Tensor {
  return new Tensor(
    native.batchNorm(
      x.handle,
      o.weight?.handle ?? null,
      o.bias?.handle ?? null,
      o.runningMean?.handle ?? null,
      o.runningVar?.handle ?? null,
      o.training,
      o.momentum ?? 0.1,
      o.eps ?? 1e-5,
    ),
  );
}

export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  return new Tensor(native.linear(x.handle, weight.handle, bias?.handle ?? null));
}
export function prelu(x: Tensor, weight: Tensor): Tensor {
  return new Tensor(native.prelu(x.handle, weight.handle));
}
export function softmax(x: Tensor, dim: number): Tensor {
  return new Tensor(native.softmax(x.handle, dim));
}
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return new Tensor(native.logSoftmax(x.handle, dim));
}

export interface PoolOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}
export function maxPool2d(x: Tensor, kernel: Pair, o: PoolOptions = {}): Tensor {
  return new Tensor(
    native.maxPool2d(x.handle, pair(kernel), pair(o.stride ?? kernel), pair(o.padding ?? 0), pair(o.dilation ?? 1), o.ceilMode ?? false),
  );
}
export function avgPool2d(x: Tensor, kernel: Pair, o: PoolOptions = {}): Tensor {
  return new Tensor(
    native.avgPool2d(x.handle, pair(kernel), pair(o.stride ?? kernel), pair(o.padding ?? 0), o.ceilMode ?? false, o.countIncludePad ?? true),
  );
}
export function adaptiveAvgPool2d(x: Tensor, size: Pair): Tensor {
  return new Tensor(native.adaptiveAvgPool2d(x.handle, pair(size)));
}
/** Inverted dropout (scales kept units by 1/(1-p)) when training; identity otherwise. */
export function dropout(x: Tensor, p: number, training: boolean): Tensor {
  return new Tensor(native.dropout(x.handle, p, training));
}

export type Reduction = 'mean' | 'sum' | 'none';
/** Softmax cross-entropy of logits [N, C] against int64 class indices [N]. */
export function crossEntropy(logits: Tensor, target: Tensor, o: { reduction?: Reduction; labelSmoothing?: number; weight?: Tensor } = {}): Tensor {
  return new Tensor(native.crossEntropy(logits.handle, target.handle, o.reduction ?? 'mean', o.labelSmoothing ?? 0, o.weight?.handle ?? null));
}
export function nllLoss(logProbs: Tensor, target: Tensor, o: { reduction?: Reduction; weight?: Tensor } = {}): Tensor {
  return new Tensor(native.nllLoss(logProbs.handle, target.handle, o.reduction ?? 'mean', o.weight?.handle ?? null));
}
/** x / max(||x||_p, eps) along dim, as torch.nn.functional.normalize (p = 2 by default). */
export function normalize(x: Tensor, o: { p?: number; dim?: number; eps?: number } = {}): Tensor {
  return new Tensor(native.normalize(x.handle, o.p ?? 2, o.dim ?? 1, o.eps ?? 1e-12));
}

export type InterpolateMode = 'bilinear' | 'bilinear_aa' | 'bicubic' | 'nearest' | 'area';
/** Resamples [N, C, H, W] to [N, C, h, w]; 'area' is adaptive average pooling (facenet-pytorch's imresample). */
export function interpolate(x: Tensor, size: [number, number], mode: InterpolateMode = 'bilinear', alignCorners = false): Tensor {
  return new Tensor(native.interpolate(x.handle, size, mode, alignCorners));
}
/** Sampling grid [N, H, W, 2] for affine matrices theta [N, 2, 3] in normalised coordinates. */
export function affineGrid(theta: Tensor, size: number[], alignCorners = false): Tensor {
  return new Tensor(native.affineGrid(theta.handle, size, alignCorners));
}
export function gridSample(
  x: Tensor,
  grid: Tensor,
  o: { mode?: 'bilinear' | 'nearest' | 'bicubic'; padding?: 'zeros' | 'border' | 'reflection'; alignCorners?: boolean } = {},
): Tensor {
  return new Tensor(native.gridSample(x.handle, grid.handle, o.mode ?? 'bilinear', o.padding ?? 'zeros', o.alignCorners ?? false));
}
/** Constant padding; pad lists (before, after) pairs from the last dim backwards, as torch's F.pad. */
export function pad(x: Tensor, padding: number[], value = 0): Tensor {
  return new Tensor(native.pad(x.handle, padding, value));
}
export function oneHot(x: Tensor, numClasses: number): Tensor {
  return new Tensor(native.oneHot(x.handle, numClasses));
}

export function cat(tensors: Tensor[], dim = 0): Tensor {
  return new Tensor(native.cat(tensors.map((t) => t.handle), dim));
}
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return new Tensor(native.stack(tensors.map((t) => t.handle), dim));
}
export function where(condition: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  return new Tensor(native.where(condition.handle, typeof a === 'number' ? a : a.handle, typeof b === 'number' ? b : b.handle));
}
/** Out-of-place, differentiable x.index_add(dim, index, source * alpha). */
export function indexAdd(x: Tensor, dim: number, index: Tensor, source: Tensor, alpha = 1): Tensor {
  return new Tensor(native.indexAdd(x.handle, dim, index.handle, source.handle, alpha));
}
