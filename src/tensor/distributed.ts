/**
 * c10d process groups over the binding (native/src/distributed.cc): rendezvous through a TCPStore
 * hosted by rank 0, collectives on ProcessGroupGloo (CPU tensors) or ProcessGroupNCCL (CUDA builds),
 * a bucketed gradient reducer that all-reduces while backward still runs, and a differentiable
 * all-reduce for synchronised batch-norm statistics. Nothing here knows about training.
 */
import { FacenetError } from '../errors.js';
import { native, type NativeGradReducer, type NativeProcessGroup, type NativeReducerStats } from './native.js';
import { Tensor } from './tensor.js';

export type ReduceOp = 'sum' | 'avg' | 'max' | 'min';

export interface ProcessGroupOptions {
  backend?: 'gloo' | 'nccl';
  masterAddr: string;
  masterPort: number;
  rank: number;
  worldSize: number;
  /** The address the other ranks reach this process on (default 127.0.0.1). */
  localAddress?: string;
  /** Collective timeout: a peer silent this long fails the run (default 10 min). */
  timeoutMs?: number;
  /** How long to keep trying to reach the master's store (default 60 s). */
  connectTimeoutMs?: number;
}

/** Rewords the binding's rendezvous and collective failures as DISTRIBUTED errors with the likely cause. */
export function distributedError(e: unknown, what: string, o?: ProcessGroupOptions): FacenetError {
  const msg = e instanceof Error ? e.message : String(e);
  let hint = '';
  if (/address already in use/i.test(msg)) hint = ` (the master port ${o?.masterPort} is already in use: pick another --master-port)`;
  else if (/timed? ?out|timeout/i.test(msg) && what === 'rendezvous') {
    hint = ` (no master answered at ${o?.masterAddr}:${o?.masterPort} within ${(o?.connectTimeoutMs ?? 60_000) / 1000} s: check --master-addr/--master-port and that rank 0 is running)`;
  } else if (/response is expected|unexpected|protocol/i.test(msg) && what === 'rendezvous') {
    hint = ` (something at ${o?.masterAddr}:${o?.masterPort} answered, but it is not a rendezvous store: check --master-addr/--master-port)`;
  } else if (/connection (closed|reset)|peer|broken pipe|ECONNRESET|EPIPE/i.test(msg)) hint = ' (a peer process died or closed its connection)';
  return new FacenetError('DISTRIBUTED', `${what} failed: ${msg}${hint}`, { cause: e });
}

export class ProcessGroup {
  private handle: NativeProcessGroup | null;

  private constructor(
    handle: NativeProcessGroup,
    readonly rank: number,
    readonly worldSize: number,
    readonly backend: 'gloo' | 'nccl',
  ) {
    this.handle = handle;
  }

  /** Connects to (rank 0: hosts) the store at masterAddr:masterPort and joins the group. */
  static async create(o: ProcessGroupOptions): Promise<ProcessGroup> {
    const backend = o.backend ?? 'gloo';
    if (backend === 'nccl' && !native.ncclAvailable()) {
      throw new FacenetError('NO_DEVICE', 'this build of the native addon has no NCCL: rebuild it against a CUDA libtorch (LIBTORCH=/path/to/libtorch npm run build:native)');
    }
    try {
      const h = await native.pgCreate({
        backend,
        masterAddr: o.masterAddr,
        masterPort: o.masterPort,
        rank: o.rank,
        worldSize: o.worldSize,
        localAddress: o.localAddress ?? '127.0.0.1',
        timeoutMs: o.timeoutMs ?? 600_000,
        connectTimeoutMs: o.connectTimeoutMs ?? 60_000,
      });
      return new ProcessGroup(h, o.rank, o.worldSize, backend);
    } catch (e) {
      if (e instanceof FacenetError && e.code === 'BAD_ARGUMENT') throw e;
      throw distributedError(e, 'rendezvous', o);
    }
  }

  private h(): NativeProcessGroup {
    if (!this.handle) throw new FacenetError('DISPOSED', 'the process group was disposed');
    return this.handle;
  }

  private guard<T>(what: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof FacenetError && (e.code === 'BAD_ARGUMENT' || e.code === 'DISPOSED')) throw e;
      throw distributedError(e, what);
    }
  }

  /** In place over all ranks; blocks until done (for small tensors: metrics, statistics, flags). */
  allReduce(tensors: Tensor[], op: ReduceOp = 'sum'): void {
    this.guard('all-reduce', () => native.pgAllReduce(this.h(), tensors.map((t) => t.handle), op));
  }

  /** Numbers reduced over all ranks (one small all-reduce). */
  allReduceNumbers(values: number[], op: ReduceOp = 'sum'): number[] {
    const t = new Tensor(native.fromData(Float64Array.from(values), [values.length], 'float64'));
    try {
      this.allReduce([t], op);
      return Array.from(t.data() as Float64Array);
    } finally {
      t.dispose();
    }
  }

  /** Overwrites the tensors with rank `root`'s values. */
  broadcast(tensors: Tensor[], root = 0): void {
    this.guard('broadcast', () => native.pgBroadcast(this.h(), tensors.map((t) => t.handle), root));
  }

  /** Waits (off the event loop) until every rank reaches it. */
  async barrier(): Promise<void> {
    try {
      await native.pgBarrier(this.h());
    } catch (e) {
      throw distributedError(e, 'barrier');
    }
  }

  storeSet(key: string, value: string): void {
    this.guard('store set', () => native.pgStoreSet(this.h(), key, value));
  }

  /** The value some rank set for `key`, waiting for it up to the collective timeout. */
  async storeGet(key: string): Promise<string> {
    try {
      return await native.pgStoreGet(this.h(), key);
    } catch (e) {
      throw distributedError(e, `store get '${key}'`);
    }
  }

  /** Sum over ranks whose backward sums the gradients over ranks (synchronised batch norm). */
  allReduceSumDifferentiable(x: Tensor): Tensor {
    return this.guard('all-reduce', () => new Tensor(native.pgAllReduceSumAutograd(this.h(), x.handle)));
  }

  /** A gradient reducer over these parameters (hooks on their gradient accumulators). */
  gradientReducer(params: Tensor[], bucketBytes = 4 << 20): GradientReducer {
    return new GradientReducer(this, this.guard('reducer', () => native.reducerCreate(this.h(), params.map((p) => p.handle), bucketBytes)));
  }

  /** @internal */
  nativeHandle(): NativeProcessGroup {
    return this.h();
  }

  dispose(): void {
    if (this.handle) native.pgDispose(this.handle);
    this.handle = null;
  }
}

/**
 * Averages the gradients of a parameter list over the ranks. Buckets start all-reducing during
 * backward as soon as their parameters' gradients are accumulated; finish() (after backward, before
 * the optimiser step) waits for them and writes the means into .grad.
 */
export class GradientReducer {
  private handle: NativeGradReducer | null;

  constructor(
    private readonly group: ProcessGroup,
    handle: NativeGradReducer,
  ) {
    this.handle = handle;
  }

  finish(): void {
    if (!this.handle) throw new FacenetError('DISPOSED', 'the gradient reducer was disposed');
    const h = this.handle;
    try {
      native.reducerFinish(h);
    } catch (e) {
      throw distributedError(e, `gradient all-reduce (rank ${this.group.rank})`);
    }
  }

  /** Totals since creation: all-reduce time, the part of it not hidden behind backward, buckets. */
  stats(): NativeReducerStats {
    if (!this.handle) throw new FacenetError('DISPOSED', 'the gradient reducer was disposed');
    return native.reducerStats(this.handle);
  }

  dispose(): void {
    if (this.handle) native.reducerDispose(this.handle);
    this.handle = null;
  }
}
