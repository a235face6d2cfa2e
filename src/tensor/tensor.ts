/**
 * Tensor: a typed handle on one libtorch tensor. Every op returns a new Tensor (tracked by the open
 * tidy() scope); in-place ops end in an underscore. Call dispose() (or use tidy) to free memory
 * deterministically; the garbage collector is only the safety net.
 */
import { native, type NativeHandle } from './native.js';
import { track } from './scope.js';
import type { Dtype } from './dtype.js';
import { FacenetError } from '../errors.js';

export type MemoryFormat = 'contiguous' | 'channels_last';
export type ReduceDims = number | number[] | undefined;

function dimsOf(d: ReduceDims): number[] | null {
  if (d === undefined) return null;
  return typeof d === 'number' ? [d] : d;
}

export class Tensor {
  readonly handle: NativeHandle;

  /** Wraps a native handle; library users create tensors with tensor(), zeros(), … instead. */
  constructor(handle: NativeHandle) {
    this.handle = handle;
    track(this);
  }

  // ---- facts -----------------------------------------------------------------------------------
  get shape(): number[] {
    return native.shape(this.handle);
  }
  get rank(): number {
    return this.shape.length;
  }
  get dtype(): Dtype {
    return native.dtype(this.handle);
  }
  get device(): string {
    return native.device(this.handle);
  }
  get size(): number {
    return native.numel(this.handle);
  }
  get strides(): number[] {
    return native.strides(this.handle);
  }
  get isDisposed(): boolean {
    return native.isDisposed(this.handle);
  }
  isContiguous(format: MemoryFormat = 'contiguous'): boolean {
    return native.isContiguous(this.handle, format);
  }
  toString(): string {
    return this.isDisposed ? 'Tensor(disposed)' : `Tensor(${this.dtype}, [${this.shape.join(', ')}], ${this.device})`;
  }

  dispose(): void {
    native.dispose(this.handle);
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- read-back -------------------------------------------------------------------------------
  /** A copy of the values, row-major, in the typed array of the dtype (int64 as BigInt64Array). */
  data(): Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array {
    return native.data(this.handle);
  }
  /** Values converted to float32 (any dtype). */
  toFloat32(): Float32Array {
    const d = this.data();
    if (d instanceof Float32Array) return d;
    const out = new Float32Array(d.length);
    for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
    return out;
  }
  /** Values as plain numbers (int64 beyond 2^53 loses precision). */
  toArray(): number[] {
    return Array.from(this.data() as ArrayLike<number | bigint>, Number);
  }
  item(): number {
    return native.item(this.handle);
  }

  // ---- conversion ------------------------------------------------------------------------------
  to(dtype: Dtype): Tensor {
    return new Tensor(native.to(this.handle, dtype));
  }
  toDevice(device: string): Tensor {
    return new Tensor(native.toDevice(this.handle, device));
  }
  float(): Tensor {
    return this.to('float32');
  }
  long(): Tensor {
    return this.to('int64');
  }
  contiguous(format: MemoryFormat = 'contiguous'): Tensor {
    return new Tensor(native.contiguous(this.handle, format));
  }
  clone(): Tensor {
    return new Tensor(native.unary(this.handle, 'clone'));
  }
  detach(): Tensor {
    return new Tensor(native.unary(this.handle, 'detach'));
  }

  // ---- elementwise -----------------------------------------------------------------------------
  private bin(other: Tensor | number, op: string): Tensor {
    return new Tensor(native.binary(this.handle, typeof other === 'number' ? other : other.handle, op));
  }
  private un(op: string): Tensor {
    return new Tensor(native.unary(this.handle, op));
  }
  add(o: Tensor | number): Tensor { return this.bin(o, 'add'); }
  sub(o: Tensor | number): Tensor { return this.bin(o, 'sub'); }
  mul(o: Tensor | number): Tensor { return this.bin(o, 'mul'); }
  div(o: Tensor | number): Tensor { return this.bin(o, 'div'); }
  pow(o: Tensor | number): Tensor { return this.bin(o, 'pow'); }
  maximum(o: Tensor | number): Tensor { return this.bin(o, 'maximum'); }
  minimum(o: Tensor | number): Tensor { return this.bin(o, 'minimum'); }
  remainder(o: Tensor | number): Tensor { return this.bin(o, 'remainder'); }
  floorDivide(o: Tensor | number): Tensor { return this.bin(o, 'floorDivide'); }
  eq(o: Tensor | number): Tensor { return this.bin(o, 'eq'); }
  ne(o: Tensor | number): Tensor { return this.bin(o, 'ne'); }
  lt(o: Tensor | number): Tensor { return this.bin(o, 'lt'); }
  le(o: Tensor | number): Tensor { return this.bin(o, 'le'); }
  gt(o: Tensor | number): Tensor { return this.bin(o, 'gt'); }
  ge(o: Tensor | number): Tensor { return this.bin(o, 'ge'); }
  logicalAnd(o: Tensor | number): Tensor { return this.bin(o, 'logicalAnd'); }
  logicalOr(o: Tensor | number): Tensor { return this.bin(o, 'logicalOr'); }
  logicalNot(): Tensor { return this.un('logicalNot'); }
  neg(): Tensor { return this.un('neg'); }
  abs(): Tensor { return this.un('abs'); }
  exp(): Tensor { return this.un('exp'); }
  log(): Tensor { return this.un('log'); }
  log1p(): Tensor { return this.un('log1p'); }
  sqrt(): Tensor { return this.un('sqrt'); }
  rsqrt(): Tensor { return this.un('rsqrt'); }
  square(): Tensor { return this.un('square'); }
  reciprocal(): Tensor { return this.un('reciprocal'); }
  relu(): Tensor { return this.un('relu'); }
  sigmoid(): Tensor { return this.un('sigmoid'); }
  tanh(): Tensor { return this.un('tanh'); }
  sign(): Tensor { return this.un('sign'); }
  floor(): Tensor { return this.un('floor'); }
  ceil(): Tensor { return this.un('ceil'); }
  round(): Tensor { return this.un('round'); }
  sin(): Tensor { return this.un('sin'); }
  cos(): Tensor { return this.un('cos'); }
  acos(): Tensor { return this.un('acos'); }
  isnan(): Tensor { return this.un('isnan'); }
  isfinite(): Tensor { return this.un('isfinite'); }
  clamp(min: number | null, max: number | null = null): Tensor {
    return new Tensor(native.clamp(this.handle, min, max));
  }

  // ---- reductions ------------------------------------------------------------------------------
  private red(op: string, dims: ReduceDims, keepdim: boolean): Tensor {
    return new Tensor(native.reduce(this.handle, op, dimsOf(dims), keepdim));
  }
  sum(dims?: ReduceDims, keepdim = false): Tensor { return this.red('sum', dims, keepdim); }
  mean(dims?: ReduceDims, keepdim = false): Tensor { return this.red('mean', dims, keepdim); }
  /** Maximum values over dims (all when omitted); see maxDim() for values with indices. */
  max(dims?: ReduceDims, keepdim = false): Tensor { return this.red('amax', dims, keepdim); }
  min(dims?: ReduceDims, keepdim = false): Tensor { return this.red('amin', dims, keepdim); }
  prod(dim?: number, keepdim = false): Tensor { return this.red('prod', dim, keepdim); }
  logsumexp(dims: ReduceDims, keepdim = false): Tensor { return this.red('logsumexp', dims, keepdim); }
  /** Unbiased (n-1) variance, as torch.var. */
  var(dims?: ReduceDims, keepdim = false): Tensor { return this.red('var', dims, keepdim); }
  std(dims?: ReduceDims, keepdim = false): Tensor { return this.red('std', dims, keepdim); }
  /** Population (n) standard deviation, as numpy's default. */
  stdPopulation(dims?: ReduceDims, keepdim = false): Tensor { return this.red('stdPopulation', dims, keepdim); }
  /** L2 norm over dims. */
  norm(dims?: ReduceDims, keepdim = false): Tensor { return this.red('norm', dims, keepdim); }
  any(dim?: number, keepdim = false): Tensor { return this.red('any', dim, keepdim); }
  all(dim?: number, keepdim = false): Tensor { return this.red('all', dim, keepdim); }
  argmax(dim?: number, keepdim = false): Tensor {
    return new Tensor(native.argmax(this.handle, dim ?? null, keepdim));
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return new Tensor(native.argmin(this.handle, dim ?? null, keepdim));
  }
  maxDim(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [v, i] = native.maxDim(this.handle, dim, keepdim);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  minDim(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [v, i] = native.minDim(this.handle, dim, keepdim);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  topk(k: number, dim = -1, largest = true, sorted = true): { values: Tensor; indices: Tensor } {
    const [v, i] = native.topk(this.handle, k, dim, largest, sorted);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  sort(dim = -1, descending = false, stable = true): { values: Tensor; indices: Tensor } {
    const [v, i] = native.sort(this.handle, dim, descending, stable);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  cumsum(dim: number): Tensor {
    return new Tensor(native.cumsum(this.handle, dim));
  }

  // ---- shape and indexing ----------------------------------------------------------------------
  reshape(...shape: number[] | [number[]]): Tensor {
    const s = Array.isArray(shape[0]) ? shape[0] : (shape as number[]);
    return new Tensor(native.reshape(this.handle, s));
  }
  permute(...dims: number[]): Tensor { return new Tensor(native.permute(this.handle, dims)); }
  transpose(d0: number, d1: number): Tensor { return new Tensor(native.transpose(this.handle, d0, d1)); }
  /** Matrix transpose of a 2-D tensor. */
  get T(): Tensor {
    if (this.rank !== 2) throw new FacenetError('BAD_ARGUMENT', `.T needs a 2-D tensor, got [${this.shape.join(', ')}]`);
    return this.transpose(0, 1);
  }
  flip(dims: number | number[]): Tensor { return new Tensor(native.flip(this.handle, dimsOf(dims) ?? [])); }
  squeeze(dim?: number): Tensor {
    return new Tensor(dim === undefined ? native.squeeze(this.handle) : native.squeeze(this.handle, dim));
  }
  unsqueeze(dim: number): Tensor { return new Tensor(native.unsqueeze(this.handle, dim)); }
  expand(...shape: number[]): Tensor { return new Tensor(native.expand(this.handle, shape)); }
  repeat(...repeats: number[]): Tensor { return new Tensor(native.repeat(this.handle, repeats)); }
  flatten(startDim = 0, endDim = -1): Tensor { return new Tensor(native.flatten(this.handle, startDim, endDim)); }
  /** x[start:end:step] along dim (null = open end); negative indices count from the end. */
  slice(dim: number, start: number | null, end: number | null = null, step = 1): Tensor {
    return new Tensor(native.slice(this.handle, dim, start, end, step));
  }
  /** x.select(dim, i): the i-th entry along dim, with that dim removed. */
  select(dim: number, index: number): Tensor { return new Tensor(native.select(this.handle, dim, index)); }
  indexSelect(dim: number, index: Tensor): Tensor { return new Tensor(native.indexSelect(this.handle, dim, index.handle)); }
  gather(dim: number, index: Tensor): Tensor { return new Tensor(native.gather(this.handle, dim, index.handle)); }
  maskedFill(mask: Tensor, value: number): Tensor { return new Tensor(native.maskedFill(this.handle, mask.handle, value)); }
  maskedSelect(mask: Tensor): Tensor { return new Tensor(native.maskedSelect(this.handle, mask.handle)); }
  nonzero(): Tensor { return new Tensor(native.nonzero(this.handle)); }
  split(sizeOrSizes: number | number[], dim = 0): Tensor[] {
    return native.split(this.handle, sizeOrSizes, dim).map((h) => new Tensor(h));
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return native.chunk(this.handle, chunks, dim).map((h) => new Tensor(h));
  }
  matmul(o: Tensor): Tensor { return new Tensor(native.matmul(this.handle, o.handle)); }

  // ---- in place (no autograd history; for optimisers, EMA, initialisers) ------------------------
  copy_(src: Tensor): this { native.copy_(this.handle, src.handle); return this; }
  /**
   * Writes a typed array's values into this contiguous CPU tensor from flat element
   * `elementOffset` on, converting to its dtype; no temporary tensor (bulk fills of big buffers).
   */
  write_(data: Float32Array | Float64Array | Int32Array, elementOffset = 0): this { native.writeInto(this.handle, data, elementOffset); return this; }
  add_(other: Tensor | number, alpha = 1): this {
    native.add_(this.handle, typeof other === 'number' ? other : other.handle, alpha);
    return this;
  }
  mul_(other: Tensor | number): this {
    native.mul_(this.handle, typeof other === 'number' ? other : other.handle);
    return this;
  }
  lerp_(end: Tensor, weight: number): this { native.lerp_(this.handle, end.handle, weight); return this; }
  addcmul_(a: Tensor, b: Tensor, value = 1): this { native.addcmul_(this.handle, a.handle, b.handle, value); return this; }
  addcdiv_(a: Tensor, b: Tensor, value = 1): this { native.addcdiv_(this.handle, a.handle, b.handle, value); return this; }
  fill_(value: number): this { native.fill_(this.handle, value); return this; }
  zero_(): this { return this.fill_(0); }
  uniform_(low: number, high: number): this { native.uniform_(this.handle, low, high); return this; }
  normal_(mean: number, std: number): this { native.normal_(this.handle, mean, std); return this; }
  indexAdd_(dim: number, index: Tensor, source: Tensor, alpha = 1): this {
    native.indexAdd_(this.handle, dim, index.handle, source.handle, alpha);
    return this;
  }

  // ---- autograd --------------------------------------------------------------------------------
  get requiresGrad(): boolean { return native.requiresGrad(this.handle); }
  set requiresGrad(on: boolean) { native.setRequiresGrad(this.handle, on); }
  requiresGrad_(on = true): this { native.setRequiresGrad(this.handle, on); return this; }
  get isLeaf(): boolean { return native.isLeaf(this.handle); }
  retainGrad(): void { native.retainGrad(this.handle); }
  /** The accumulated gradient as a new handle (dispose it when done), or null. */
  get grad(): Tensor | null {
    const g = native.grad(this.handle);
    return g === null ? null : new Tensor(g);
  }
  set grad(g: Tensor | null) { native.setGrad(this.handle, g === null ? null : g.handle); }
  backward(gradient?: Tensor, retainGraph = false): void {
    native.backward(this.handle, gradient?.handle ?? null, retainGraph);
  }
}
