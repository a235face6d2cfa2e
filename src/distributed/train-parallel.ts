/**
 * trainDataParallel(config, options): train() as one rank of a data-parallel run. The rank and the
 * master come from options.world or torchrun's environment variables (set by the launcher).
 */
import { FacenetError } from '../errors.js';
import { train } from '../train/train.js';
import type { TrainConfig } from '../train/config.js';
import type { TrainOptions, TrainSummary } from '../train/events.js';
import type { NativeReducerStats } from '../tensor/native.js';
import { DataParallel, type DataParallelOptions } from './data-parallel.js';
import { worldFromEnv, type WorldSpec } from './world.js';

export interface DataParallelTrainOptions extends Omit<TrainOptions, 'parallel'>, DataParallelOptions {
  world?: WorldSpec;
}

export interface DataParallelSummary extends TrainSummary {
  rank: number;
  worldSize: number;
  /** Gradient all-reduce totals over the run (null in a world of one). */
  allReduce: NativeReducerStats | null;
}

export async function trainDataParallel(config: Partial<TrainConfig>, options: DataParallelTrainOptions = {}): Promise<DataParallelSummary> {
  const world = options.world ?? worldFromEnv();
  if (!world) throw new FacenetError('BAD_ARGUMENT', 'not a data-parallel worker: WORLD_SIZE, RANK and MASTER_ADDR are unset (use facenet train --nproc-per-node N)');
  const { world: _w, syncBatchNorm, backend, timeoutMs, connectTimeoutMs, bucketBytes, ...trainOptions } = options;
  const dp = await DataParallel.join(world, { syncBatchNorm, backend, timeoutMs, connectTimeoutMs, bucketBytes });
  try {
    const summary = await train(config, { ...trainOptions, parallel: dp });
    return { ...summary, rank: world.rank, worldSize: world.worldSize, allReduce: dp.reducerStats() };
  } finally {
    dp.dispose();
  }
}
