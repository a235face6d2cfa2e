/**
 * What the training loop needs from data-parallel training (src/distributed/ implements it): the
 * loop stays one loop, and calls these few hooks at fixed points. Absent, training is one process.
 */
import type { TrainConfig } from './config.js';
import type { StepResult } from './steps.js';
import type { TrainingModel } from './training-model.js';

export interface TrainParallel {
  readonly rank: number;
  readonly worldSize: number;
  /** Only this rank writes the run folder: config, metrics, checkpoints, curves, model (rank 0). */
  readonly writes: boolean;
  /** libtorch threads per process when the config says 0 (all cores, shared by the local ranks). */
  readonly defaultThreads: number;
  /** Fails on every rank, before the first step, unless all ranks resolved the same config. */
  agreeOnConfig(config: TrainConfig): Promise<void>;
  /** Rank 0 passes the run folder it made; the others get it. */
  shareRunDir(runDir: string | null): Promise<string>;
  /** Rank 0's weights everywhere; synchronised batch norm when asked; gradient averaging hooks. */
  attach(trainingModel: TrainingModel): void;
  /** The first and count of this rank's samples of a global batch of `batchSize`. */
  shard(batchSize: number): { start: number; count: number };
  /** After backward, before the optimiser step: gradients become their means over the ranks. */
  reduceGradients(): void;
  /** One small collective per step: any rank stopping stops all; any rank unable to train skips all. */
  agreeOnStep(stop: boolean, trainable: boolean): { stop: boolean; trainable: boolean };
  /** The step's loss, accuracy and terms averaged over the ranks. */
  reduceResult(result: StepResult): StepResult;
  /** Every rank waits (off the event loop) for rank 0's epoch-end evaluation and checkpoint. */
  barrier(): Promise<void>;
  /** Removes the hooks from the model (the group itself belongs to the caller). */
  detach(): void;
}
