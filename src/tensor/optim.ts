/**
 * Optimisers. SGD (momentum, nesterov), Adam, AdamW, Adagrad and RMSprop are libtorch's own
 * (torch::optim); Adadelta, which libtorch's C++ API lacks, is written here with in-place ops and
 * follows torch.optim.Adadelta. The learning rate is set from outside every step (schedules are
 * pure functions of the step), and the state saves to a Buffer for checkpoints.
 */
import { native, toFacenetError, type NativeOptimizerHandle, type NativeOptimizerOptions } from './native.js';
import { Tensor } from './tensor.js';
import { zerosLike } from './create.js';
import { keep, tidy } from './scope.js';
import { noGrad } from './autograd.js';
import { FacenetError } from '../errors.js';

export type OptimizerKind = 'sgd' | 'adam' | 'adamw' | 'adagrad' | 'rmsprop' | 'adadelta';

export interface OptimizerOptions extends NativeOptimizerOptions {
  /** Adadelta's decay of the running averages. */
  rho?: number;
}

export interface Optimizer {
  readonly kind: OptimizerKind;
  lr: number;
  step(): void;
  zeroGrad(): void;
  saveState(): Buffer;
  loadState(state: Buffer): void;
  dispose(): void;
}

/** Runs a call on the native optimizer handle (whose methods the addon loader does not wrap). */
function call<T>(op: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw toFacenetError(e, op);
  }
}

class LibtorchOptimizer implements Optimizer {
  readonly kind: OptimizerKind;
  private readonly h: NativeOptimizerHandle;

  constructor(kind: OptimizerKind, params: Tensor[], o: OptimizerOptions) {
    this.kind = kind;
    try {
      this.h = new native.NativeOptimizer(kind, params.map((p) => p.handle), o);
    } catch (e) {
      throw new FacenetError('BAD_ARGUMENT', (e as Error).message);
    }
  }
  get lr(): number {
    return call('optimizer.lr', () => this.h.getLr());
  }
  set lr(v: number) {
    call('optimizer.lr', () => this.h.setLr(v));
  }
  step(): void {
    call('optimizer.step', () => this.h.step());
  }
  zeroGrad(): void {
    call('optimizer.zeroGrad', () => this.h.zeroGrad());
  }
  saveState(): Buffer {
    return call('optimizer.saveState', () => this.h.save());
  }
  loadState(state: Buffer): void {
    try {
      this.h.load(state);
    } catch (e) {
      throw new FacenetError('BAD_FILE', `optimizer state could not be loaded (${(e as Error).message}); was it saved by a ${this.kind} optimizer over the same parameters?`);
    }
  }
  dispose(): void {
    this.h.dispose();
  }
}

/** torch.optim.Adadelta: lr 1.0, rho 0.9, eps 1e-6, weight decay 0 by default. */
class Adadelta implements Optimizer {
  readonly kind = 'adadelta' as const;
  lr: number;
  private readonly rho: number;
  private readonly eps: number;
  private readonly weightDecay: number;
  private readonly params: Tensor[];
  private readonly squareAvg: Tensor[];
  private readonly accDelta: Tensor[];

  constructor(params: Tensor[], o: OptimizerOptions) {
    this.lr = o.lr ?? 1.0;
    this.rho = o.rho ?? 0.9;
    this.eps = o.eps ?? 1e-6;
    this.weightDecay = o.weightDecay ?? 0;
    this.params = params;
    this.squareAvg = params.map((p) => keep(noGrad(() => zerosLike(p))));
    this.accDelta = params.map((p) => keep(noGrad(() => zerosLike(p))));
  }

  step(): void {
    // tidy frees the gradient handles and every intermediate (sq + eps, its sqrt, …).
    tidy(() =>
      noGrad(() => {
        this.params.forEach((p, i) => {
          const g0 = p.grad;
          if (!g0) return;
          const g = this.weightDecay !== 0 ? g0.add(p.mul(this.weightDecay)) : g0;
          const sq = this.squareAvg[i]!;
          const acc = this.accDelta[i]!;
          sq.mul_(this.rho).addcmul_(g, g, 1 - this.rho);
          const std = sq.add(this.eps).sqrt();
          const delta = acc.add(this.eps).sqrt().div(std).mul(g);
          acc.mul_(this.rho).addcmul_(delta, delta, 1 - this.rho);
          p.add_(delta, -this.lr);
        });
      }),
    );
  }
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }
  saveState(): Buffer {
    // [u32 count][for each tensor: its values, f64 for float64 parameters and f32 otherwise], in
    // parameter order: squareAvg then accDelta.
    const parts = [...this.squareAvg, ...this.accDelta].map((t) => {
      const v = t.dtype === 'float64' ? t.data() : t.toFloat32();
      return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    });
    const head = Buffer.alloc(4);
    head.writeUInt32LE(parts.length);
    return Buffer.concat([head, ...parts]);
  }
  loadState(state: Buffer): void {
    const all = [...this.squareAvg, ...this.accDelta];
    const width = (t: Tensor) => (t.dtype === 'float64' ? 8 : 4);
    const expected = 4 + all.reduce((n, t) => n + t.size * width(t), 0);
    if (state.length !== expected || state.readUInt32LE(0) !== all.length) {
      throw new FacenetError('BAD_FILE', `adadelta state has ${state.length} bytes, expected ${expected} for these parameters`);
    }
    let off = 4;
    for (const t of all) {
      const bytes = t.size * width(t);
      const raw = state.buffer.slice(state.byteOffset + off, state.byteOffset + off + bytes);
      const src = width(t) === 8 ? new Float64Array(raw) : new Float32Array(raw);
      const tmp = new Tensor(native.fromData(src, t.shape, width(t) === 8 ? 'float64' : 'float32'));
      t.copy_(tmp);
      tmp.dispose();
      off += bytes;
    }
  }
  dispose(): void {
    for (const t of [...this.squareAvg, ...this.accDelta]) t.dispose();
  }
}

/** Creates an optimiser over leaf tensors with requiresGrad. */
export function createOptimizer(kind: OptimizerKind, params: Tensor[], options: OptimizerOptions = {}): Optimizer {
  if (params.length === 0) throw new FacenetError('BAD_ARGUMENT', 'createOptimizer: no parameters to optimise');
  if (kind === 'adadelta') return new Adadelta(params, options);
  return new LibtorchOptimizer(kind, params, options);
}
