/** The tensor layer's public surface. */
export { Tensor, type MemoryFormat } from './tensor.js';
export type { Dtype } from './dtype.js';
export { tidy, keep, dispose } from './scope.js';
export { tensor, full, empty, zeros, ones, zerosLike, onesLike, arange, randn, rand, randint, randperm, manualSeed, type CreateOptions } from './create.js';
export {
  conv2d,
  PackedConv2d,
  batchNorm,
  linear,
  prelu,
  softmax,
  logSoftmax,
  maxPool2d,
  avgPool2d,
  adaptiveAvgPool2d,
  dropout,
  crossEntropy,
  nllLoss,
  normalize,
  interpolate,
  affineGrid,
  gridSample,
  pad,
  oneHot,
  cat,
  stack,
  where,
  indexAdd,
  type Conv2dOptions,
  type BatchNormOptions,
  type PoolOptions,
  type InterpolateMode,
  type Reduction,
} from './functional.js';
export { noGrad, isGradEnabled, grad, autocast, isAutocastEnabled } from './autograd.js';
export {
  parsePrecision,
  resolvePrecision,
  computeDtype,
  cpuBf16Flags,
  bf16FlagsIn,
  PRECISION_CHOICES,
  type Precision,
  type PrecisionOption,
  type ResolvedPrecision,
} from './precision.js';
export { createOptimizer, type Optimizer, type OptimizerKind, type OptimizerOptions } from './optim.js';
export { setNumThreads, getNumThreads, useAllCores, applyRuntimeOptions, type RuntimeOptions, cudaAvailable, cudaDeviceCount, defaultDevice, liveTensors, libtorchVersion, parallelInfo, mallocTuning, ompWaitPolicyInfo } from './runtime.js';
export { parseDevice, resolveDevice, type Device } from './device.js';
export { ProcessGroup, GradientReducer, type ProcessGroupOptions, type ReduceOp } from './distributed.js';
