/**
 * The one file that touches the native addon (native/, C++ over libtorch). It loads the addon,
 * declares its surface, and turns the addon's thrown errors into FacenetErrors.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import os from 'node:os';
import { chooseOmpWaitPolicy } from './omp-wait-policy.js';
import { FacenetError, type FacenetErrorCode } from '../errors.js';

/** Opaque handle owning one libtorch tensor. */
export interface NativeHandle {
  readonly __nativeTensor: unique symbol;
}

export type NativeDtype = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';
export type NativeData = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;
type H = NativeHandle;
type HN = NativeHandle | number;
type Ints = number[] | number;

export interface NativeOptimizerOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  amsgrad?: boolean;
  lrDecay?: number;
  initialAccumulatorValue?: number;
  alpha?: number;
  centered?: boolean;
}

export interface NativeOptimizerHandle {
  step(): void;
  zeroGrad(): void;
  setLr(lr: number): void;
  getLr(): number;
  save(): Buffer;
  load(state: Buffer): void;
  dispose(): void;
}

/** Opaque handle of a convolution with prepacked weights (conv2dPrepack). */
export interface NativePackedConv {
  readonly __nativePackedConv: unique symbol;
}

/** Opaque handle of a c10d process group (native/src/distributed.cc). */
export interface NativeProcessGroup {
  readonly __nativeProcessGroup: unique symbol;
}

/** Opaque handle of a bucketed gradient reducer. */
export interface NativeGradReducer {
  readonly __nativeGradReducer: unique symbol;
}

export interface NativeProcessGroupOptions {
  backend: 'gloo' | 'nccl';
  masterAddr: string;
  masterPort: number;
  rank: number;
  worldSize: number;
  /** The address this process's backend listens on (reachable by the other ranks). */
  localAddress: string;
  timeoutMs: number;
  connectTimeoutMs: number;
}

export interface NativeReducerStats {
  steps: number;
  buckets: number;
  commMs: number;
  exposedMs: number;
  finishMs: number;
  bucketsLaunchedInBackward: number;
  bucketsTotal: number;
}

export interface NativeBinding {
  libtorchVersion: string;
  /** glibc malloc settings the addon made when it loaded (null: left alone, see native/src/addon.cc). */
  mallocTuning: { mmapMax: number; trimThreshold: number } | null;
  NativeOptimizer: new (kind: string, params: H[], options: NativeOptimizerOptions) => NativeOptimizerHandle;
  // creation and read-back
  fromData(data: ArrayBufferView, shape: number[], dtype: NativeDtype, device?: string): H;
  full(shape: number[], value: number | boolean, dtype?: NativeDtype, device?: string): H;
  empty(shape: number[], dtype?: NativeDtype, device?: string): H;
  writeInto(t: H, data: Float32Array | Float64Array | Int32Array, elementOffset: number): void;
  arange(start: number, end: number, step: number, dtype?: NativeDtype, device?: string): H;
  randn(shape: number[], dtype?: NativeDtype, device?: string): H;
  rand(shape: number[], dtype?: NativeDtype, device?: string): H;
  randint(low: number, high: number, shape: number[], dtype?: NativeDtype): H;
  randperm(n: number): H;
  manualSeed(seed: number): void;
  dispose(t: H): void;
  isDisposed(t: H): boolean;
  shape(t: H): number[];
  strides(t: H): number[];
  dtype(t: H): NativeDtype;
  device(t: H): string;
  numel(t: H): number;
  isContiguous(t: H, format?: string): boolean;
  contiguous(t: H, format?: string): H;
  item(t: H): number;
  data(t: H): NativeData;
  liveTensors(): { count: number; bytes: number };
  // autograd
  setRequiresGrad(t: H, on: boolean): void;
  requiresGrad(t: H): boolean;
  isLeaf(t: H): boolean;
  retainGrad(t: H): void;
  grad(t: H): H | null;
  setGrad(t: H, g: H | null): void;
  backward(t: H, gradient: H | null, retainGraph: boolean): void;
  autogradGrad(outputs: H[], inputs: H[], gradOutputs: H[] | null, retainGraph: boolean | null, createGraph: boolean, allowUnused: boolean): (H | null)[];
  isGradEnabled(): boolean;
  setGradEnabled(on: boolean): boolean;
  // runtime
  setNumThreads(n: number): void;
  getNumThreads(): number;
  cudaIsAvailable(): boolean;
  cudaDeviceCount(): number;
  parallelInfo(): string;
  autocastEnter(dtype: string): [boolean, string];
  autocastExit(enabled: boolean, dtype: string): void;
  autocastEnabled(): boolean;
  // ops
  unary(x: H, op: string): H;
  binary(a: HN, b: HN, op: string): H;
  clamp(x: H, min: number | null, max: number | null): H;
  where(cond: H, a: HN, b: HN): H;
  to(x: H, dtype: NativeDtype): H;
  toDevice(x: H, device: string): H;
  matmul(a: H, b: H): H;
  linear(x: H, w: H, b: H | null): H;
  conv2d(x: H, w: H, b: H | null, stride: number[], padding: number[], dilation: number[], groups: number): H;
  conv2dPrepack(w: H, b: H | null, stride: number[], padding: number[], dilation: number[], groups: number, relu: boolean): NativePackedConv;
  conv2dPrepackedRun(p: NativePackedConv, x: H, residual: H | null, reluAfterResidual: boolean): H;
  conv2dPrepackedDispose(p: NativePackedConv): void;
  conv2dPrepackAvailable(): boolean;
  batchNorm(x: H, w: H | null, b: H | null, rm: H | null, rv: H | null, training: boolean, momentum: number, eps: number): H;
  prelu(x: H, w: H): H;
  softmax(x: H, dim: number): H;
  logSoftmax(x: H, dim: number): H;
  maxPool2d(x: H, kernel: number[], stride: number[], padding: number[], dilation: number[], ceilMode: boolean): H;
  avgPool2d(x: H, kernel: number[], stride: number[], padding: number[], ceilMode: boolean, countIncludePad: boolean): H;
  adaptiveAvgPool2d(x: H, size: number[]): H;
  dropout(x: H, p: number, training: boolean): H;
  crossEntropy(logits: H, target: H, reduction: string, labelSmoothing: number, weight: H | null): H;
  nllLoss(logProbs: H, target: H, reduction: string, weight: H | null): H;
  normalize(x: H, p: number, dim: number, eps: number): H;
  interpolate(x: H, size: number[], mode: string, alignCorners: boolean): H;
  affineGrid(theta: H, size: number[], alignCorners: boolean): H;
  gridSample(x: H, grid: H, mode: string, padding: string, alignCorners: boolean): H;
  pad(x: H, pad: number[], value: number): H;
  oneHot(x: H, numClasses: number): H;
  reduce(x: H, op: string, dims: number[] | null, keepdim: boolean): H;
  argmax(x: H, dim: number | null, keepdim: boolean): H;
  argmin(x: H, dim: number | null, keepdim: boolean): H;
  maxDim(x: H, dim: number, keepdim: boolean): [H, H];
  minDim(x: H, dim: number, keepdim: boolean): [H, H];
  topk(x: H, k: number, dim: number, largest: boolean, sorted: boolean): [H, H];
  sort(x: H, dim: number, descending: boolean, stable: boolean): [H, H];
  cumsum(x: H, dim: number): H;
  reshape(x: H, shape: number[]): H;
  permute(x: H, dims: number[]): H;
  transpose(x: H, d0: number, d1: number): H;
  flip(x: H, dims: number[]): H;
  squeeze(x: H, dim?: number): H;
  unsqueeze(x: H, dim: number): H;
  expand(x: H, shape: number[]): H;
  repeat(x: H, repeats: number[]): H;
  flatten(x: H, startDim: number, endDim: number): H;
  cat(ts: H[], dim: number): H;
  stack(ts: H[], dim: number): H;
  split(x: H, sizeOrSizes: Ints, dim: number): H[];
  chunk(x: H, chunks: number, dim: number): H[];
  slice(x: H, dim: number, start: number | null, end: number | null, step: number): H;
  select(x: H, dim: number, index: number): H;
  indexSelect(x: H, dim: number, index: H): H;
  gather(x: H, dim: number, index: H): H;
  maskedFill(x: H, mask: H, value: number): H;
  maskedSelect(x: H, mask: H): H;
  nonzero(x: H): H;
  tril(x: H, diagonal: number): H;
  indexAdd(x: H, dim: number, index: H, source: H, alpha: number): H;
  copy_(dst: H, src: H): void;
  add_(x: H, other: HN, alpha: number): void;
  mul_(x: H, other: HN): void;
  lerp_(x: H, end: H, weight: number): void;
  addcmul_(x: H, a: H, b: H, value: number): void;
  addcdiv_(x: H, a: H, b: H, value: number): void;
  fill_(x: H, value: number): void;
  uniform_(x: H, low: number, high: number): void;
  normal_(x: H, mean: number, std: number): void;
  indexAdd_(x: H, dim: number, index: H, source: H, alpha: number): void;
  // distributed (c10d)
  pgCreate(o: NativeProcessGroupOptions): Promise<NativeProcessGroup>;
  pgAllReduce(pg: NativeProcessGroup, ts: H[], op: 'sum' | 'avg' | 'max' | 'min'): void;
  pgBroadcast(pg: NativeProcessGroup, ts: H[], root: number): void;
  pgBarrier(pg: NativeProcessGroup): Promise<void>;
  pgStoreSet(pg: NativeProcessGroup, key: string, value: string): void;
  pgStoreGet(pg: NativeProcessGroup, key: string): Promise<string>;
  pgDispose(pg: NativeProcessGroup): void;
  pgAllReduceSumAutograd(pg: NativeProcessGroup, x: H): H;
  reducerCreate(pg: NativeProcessGroup, params: H[], bucketBytes: number): NativeGradReducer;
  reducerFinish(r: NativeGradReducer): void;
  reducerStats(r: NativeGradReducer): NativeReducerStats;
  reducerDispose(r: NativeGradReducer): void;
  ncclAvailable(): boolean;
}

const NATIVE_CODES = new Set<FacenetErrorCode>(['NATIVE', 'BAD_ARGUMENT', 'DISPOSED', 'DISTRIBUTED']);

/** Converts an error thrown by the addon into a FacenetError with the addon's code. */
export function toFacenetError(e: unknown, op?: string): unknown {
  if (e instanceof FacenetError || !(e instanceof Error)) return e;
  const code = (e as Error & { code?: string }).code as FacenetErrorCode | undefined;
  if (code && NATIVE_CODES.has(code)) return new FacenetError(code, op ? `${op}: ${e.message}` : e.message);
  return e;
}

function addonPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // src/tensor/ and dist/tensor/ are both two levels below the package root.
  return path.resolve(here, '../../native/build/Release/facenet_native.node');
}

function loadAddon(): NativeBinding {
  const file = addonPath();
  if (!existsSync(file)) {
    throw new FacenetError(
      'NOT_FOUND',
      `the native engine is not built (${file} is missing): run \`npm run build:native\` ` +
        '(needs libtorch: `apt-get install -y libtorch-dev`, or LIBTORCH=/path/to/libtorch)',
    );
  }
  // Before libtorch (and its libgomp) loads: the wait policy is read once, at load (omp-wait-policy.ts).
  const policy = chooseOmpWaitPolicy({ env: process.env, load1: os.loadavg()[0] ?? 0, cores: os.availableParallelism() });
  if (policy.set) process.env['OMP_WAIT_POLICY'] = policy.set;
  ompWaitPolicy = { policy: process.env['OMP_WAIT_POLICY'] ?? 'libgomp default', why: policy.why };
  const raw = createRequire(import.meta.url)(file) as Record<string, unknown>;
  // Wrap every function once so that addon errors surface as FacenetErrors with a code.
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === 'function' && name !== 'NativeOptimizer' && name !== 'NativeTensor') {
      const f = value as (...args: unknown[]) => unknown;
      wrapped[name] = (...args: unknown[]) => {
        try {
          return f(...args);
        } catch (e) {
          throw toFacenetError(e, name);
        }
      };
    } else {
      wrapped[name] = value;
    }
  }
  return wrapped as unknown as NativeBinding;
}

/** The OpenMP wait policy the engine was loaded with, and why (see omp-wait-policy.ts). */
export let ompWaitPolicy: { policy: string; why: string } = { policy: 'not loaded', why: '' };

/** The addon, loaded on first import of the tensor layer. */
export const native: NativeBinding = loadAddon();
