/**
 * DataParallel: one rank of a data-parallel training run, as the training loop sees it
 * (TrainParallel). Joins the c10d process group, checks that all ranks agree on the config, puts
 * rank 0's weights everywhere, averages gradients over the ranks in buckets during backward, makes
 * the logged metrics global and, with syncBatchNorm, takes batch-norm statistics over the global
 * batch. Per-process batch norm (the default, as in PyTorch's DDP) leaves the layers alone.
 */
import { BatchNorm } from '../nn/batch-norm.js';
import { FacenetError } from '../errors.js';
import { ProcessGroup, type GradientReducer } from '../tensor/distributed.js';
import type { NativeReducerStats } from '../tensor/native.js';
import type { TrainConfig } from '../train/config.js';
import type { TrainParallel } from '../train/parallel.js';
import type { StepResult } from '../train/steps.js';
import type { TrainingModel } from '../train/training-model.js';
import { localAddressToward } from './local-address.js';
import { batchShard, defaultThreadsPerProcess, type WorldSpec } from './world.js';

export interface DataParallelOptions {
  /** All-reduce batch-norm statistics (default false: per-process statistics, as DDP). */
  syncBatchNorm?: boolean;
  backend?: 'gloo' | 'nccl';
  /** A peer silent this long fails the run (default 10 min: rank 0's evaluations run meanwhile). */
  timeoutMs?: number;
  /** How long to keep trying to reach the master (default 60 s). */
  connectTimeoutMs?: number;
  /** Gradient bucket size in bytes (default 4 MB). */
  bucketBytes?: number;
}

/** A stable JSON of the config (keys sorted), for comparing ranks. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  return v;
}

/** The keys whose values differ between two configs. */
export function configDifferences(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => JSON.stringify(canonical(a[k])) !== JSON.stringify(canonical(b[k])));
}

export class DataParallel implements TrainParallel {
  private reducer: GradientReducer | null = null;
  private syncedNorms: BatchNorm[] = [];
  private finalStats: NativeReducerStats | null = null;

  private constructor(
    readonly group: ProcessGroup,
    readonly world: WorldSpec,
    private readonly o: DataParallelOptions,
  ) {}

  /** Joins the run's process group (rank 0 hosts the rendezvous store). */
  static async join(world: WorldSpec, o: DataParallelOptions = {}): Promise<DataParallel> {
    const localAddress = await localAddressToward(world.masterAddr, world.masterPort);
    const group = await ProcessGroup.create({
      backend: o.backend ?? 'gloo',
      masterAddr: world.masterAddr,
      masterPort: world.masterPort,
      rank: world.rank,
      worldSize: world.worldSize,
      localAddress,
      timeoutMs: o.timeoutMs ?? 600_000,
      connectTimeoutMs: o.connectTimeoutMs ?? 60_000,
    });
    return new DataParallel(group, world, o);
  }

  get rank(): number {
    return this.world.rank;
  }
  get worldSize(): number {
    return this.world.worldSize;
  }
  get writes(): boolean {
    return this.world.rank === 0;
  }
  get defaultThreads(): number {
    return defaultThreadsPerProcess(this.world.localWorldSize);
  }

  async agreeOnConfig(config: TrainConfig): Promise<void> {
    const mine = { ...config, syncBatchNorm: this.o.syncBatchNorm ?? false, worldSize: this.worldSize } as Record<string, unknown>;
    this.group.storeSet(`facenet/config/${this.rank}`, JSON.stringify(canonical(mine)));
    for (let r = 0; r < this.worldSize; r++) {
      if (r === this.rank) continue;
      const theirs = JSON.parse(await this.group.storeGet(`facenet/config/${r}`)) as Record<string, unknown>;
      const diff = configDifferences(mine, theirs);
      if (diff.length > 0) {
        const shown = diff.slice(0, 5).map((k) => `${k}: ${JSON.stringify(mine[k])} here, ${JSON.stringify(theirs[k])} on rank ${r}`).join('; ');
        throw new FacenetError('BAD_ARGUMENT', `rank ${this.rank} and rank ${r} were started with different training configs (${shown}); start every rank with the same options`);
      }
    }
  }

  async shareRunDir(runDir: string | null): Promise<string> {
    if (this.writes) {
      if (runDir === null) throw new FacenetError('DISTRIBUTED', 'rank 0 has no run folder to share');
      this.group.storeSet('facenet/run-dir', runDir);
      return runDir;
    }
    return this.group.storeGet('facenet/run-dir');
  }

  attach(trainingModel: TrainingModel): void {
    const params = [...trainingModel.params.values()];
    const buffers = trainingModel.model.namedBuffers().map(([, t]) => t);
    // Equal seeds give equal weights already; broadcasting makes it so whatever the initialisation.
    this.group.broadcast([...params, ...buffers], 0);
    if (this.o.syncBatchNorm) {
      const sum = (t: import('../tensor/index.js').Tensor) => this.group.allReduceSumDifferentiable(t);
      for (const [, m] of trainingModel.model.namedModules()) {
        if (m instanceof BatchNorm) {
          m.statsSum = sum;
          this.syncedNorms.push(m);
        }
      }
    }
    this.reducer = this.group.gradientReducer(params, this.o.bucketBytes ?? 4 << 20);
  }

  shard(batchSize: number): { start: number; count: number } {
    return batchShard(batchSize, this.rank, this.worldSize);
  }

  reduceGradients(): void {
    if (!this.reducer) throw new FacenetError('DISTRIBUTED', 'reduceGradients() before attach()');
    this.reducer.finish();
  }

  agreeOnStep(stop: boolean, trainable: boolean): { stop: boolean; trainable: boolean } {
    const [anyStop, anyUntrainable] = this.group.allReduceNumbers([stop ? 1 : 0, trainable ? 0 : 1], 'max');
    return { stop: anyStop! > 0, trainable: anyUntrainable === 0 };
  }

  reduceResult(result: StepResult): StepResult {
    const keys = Object.keys(result.terms).sort();
    const values = this.group.allReduceNumbers([result.loss, result.accuracy ?? 0, ...keys.map((k) => result.terms[k]!)], 'avg');
    const terms: Record<string, number> = {};
    keys.forEach((k, i) => (terms[k] = values[2 + i]!));
    return { loss: values[0]!, accuracy: result.accuracy === null ? null : values[1]!, terms };
  }

  barrier(): Promise<void> {
    return this.group.barrier();
  }

  /** Gradient all-reduce totals: time in flight, the part not hidden behind backward. */
  reducerStats(): NativeReducerStats | null {
    return this.reducer?.stats() ?? this.finalStats;
  }

  detach(): void {
    if (this.reducer) this.finalStats = this.reducer.stats();
    this.reducer?.dispose();
    this.reducer = null;
    for (const m of this.syncedNorms) m.statsSum = null;
    this.syncedNorms = [];
  }

  dispose(): void {
    this.detach();
    this.group.dispose();
  }
}
