/** Tensor creation: from JS data, constants, ranges and seeded random values. */
import { native } from './native.js';
import { Tensor } from './tensor.js';
import { dtypeOfArray, type Dtype } from './dtype.js';
import { FacenetError } from '../errors.js';

export interface CreateOptions {
  dtype?: Dtype;
  device?: string;
}

type NestedNumbers = number | boolean | NestedNumbers[];

function inferShape(v: NestedNumbers): number[] {
  const shape: number[] = [];
  let cur: NestedNumbers = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0] as NestedNumbers;
  }
  return shape;
}

function flattenInto(v: NestedNumbers, out: number[]): void {
  if (Array.isArray(v)) for (const x of v) flattenInto(x, out);
  else out.push(Number(v));
}

function typedFor(values: ArrayLike<number>, dtype: Dtype): ArrayBufferView {
  switch (dtype) {
    case 'float32': return Float32Array.from(values);
    case 'float64': return Float64Array.from(values);
    case 'int64': return BigInt64Array.from(Array.from(values, (x) => BigInt(Math.trunc(x))));
    case 'int32': return Int32Array.from(values);
    case 'int16': return Int16Array.from(values);
    case 'int8': return Int8Array.from(values);
    case 'uint8':
    case 'bool': return Uint8Array.from(values, (x) => (dtype === 'bool' ? (x ? 1 : 0) : x));
    default: throw new FacenetError('BAD_ARGUMENT', `tensor(): cannot create ${dtype} from numbers; create float32 and convert with .to('${dtype}')`);
  }
}

/**
 * A tensor from a typed array (with its shape) or from nested arrays of numbers. The data is copied.
 * A typed array's dtype is kept unless options.dtype says otherwise; plain numbers default to float32.
 */
export function tensor(data: ArrayBufferView | NestedNumbers, shape?: number[], options: CreateOptions = {}): Tensor {
  if (ArrayBuffer.isView(data)) {
    const own = dtypeOfArray(data);
    const dtype = options.dtype ?? own;
    if (!dtype) throw new FacenetError('BAD_ARGUMENT', 'tensor(): unsupported typed array (use Float32Array, Int32Array, …)');
    const length = (data as unknown as ArrayLike<number>).length;
    const s = shape ?? [length];
    const view = own === dtype ? data : typedFor(Array.from(data as unknown as ArrayLike<number | bigint>, Number), dtype);
    return new Tensor(native.fromData(view, s, dtype, options.device));
  }
  const s = shape ?? inferShape(data);
  const flat: number[] = [];
  flattenInto(data, flat);
  const dtype = options.dtype ?? 'float32';
  return new Tensor(native.fromData(typedFor(flat, dtype), s, dtype, options.device));
}

export function full(shape: number[], value: number, options: CreateOptions = {}): Tensor {
  return new Tensor(native.full(shape, value, options.dtype ?? 'float32', options.device));
}
/** Uninitialised memory: only for buffers written (write_, copy_) before they are read. */
export function empty(shape: number[], options: CreateOptions = {}): Tensor {
  return new Tensor(native.empty(shape, options.dtype ?? 'float32', options.device));
}
export function zeros(shape: number[], options: CreateOptions = {}): Tensor {
  return full(shape, 0, options);
}
export function ones(shape: number[], options: CreateOptions = {}): Tensor {
  return full(shape, 1, options);
}
export function zerosLike(t: Tensor): Tensor {
  return full(t.shape, 0, { dtype: t.dtype, device: t.device });
}
export function onesLike(t: Tensor): Tensor {
  return full(t.shape, 1, { dtype: t.dtype, device: t.device });
}
/** [start, end) in steps, like torch.arange; an integral start/end/step gives int64 unless dtype says otherwise. */
export function arange(start: number, end: number, step = 1, options: CreateOptions = {}): Tensor {
  const integral = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step);
  return new Tensor(native.arange(start, end, step, options.dtype ?? (integral ? 'int64' : 'float32'), options.device));
}
/** Standard normal values from libtorch's generator (seed it with manualSeed). */
export function randn(shape: number[], options: CreateOptions = {}): Tensor {
  return new Tensor(native.randn(shape, options.dtype ?? 'float32', options.device));
}
/** Uniform values in [0, 1). */
export function rand(shape: number[], options: CreateOptions = {}): Tensor {
  return new Tensor(native.rand(shape, options.dtype ?? 'float32', options.device));
}
/** Integers uniform in [low, high). */
export function randint(low: number, high: number, shape: number[], dtype: Dtype = 'int64'): Tensor {
  return new Tensor(native.randint(low, high, shape, dtype));
}
export function randperm(n: number): Tensor {
  return new Tensor(native.randperm(n));
}
/** Seeds libtorch's default generator (randn, rand, randint, randperm, dropout, in-place inits). */
export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}
