/**
 * What train() reports while it runs (onProgress events) and what it returns (the summary), and
 * the loop position a checkpoint saves.
 */
import type { TrainConfig } from './config.js';
import type { LfwCheckResult } from './lfw-check.js';
import type { SelectionReport } from './triplet-source.js';
import type { TrainParallel } from './parallel.js';

export interface TrainOptions {
  /** Aborting stops training after the current step with a checkpoint to resume from (SIGINT). */
  signal?: AbortSignal;
  onProgress?: (event: TrainEvent) => void;
  /**
   * A run folder to continue from its last checkpoint. The checkpoint's config is the base; the
   * config passed to train() may change run-control options (epochs, time limit, LFW, threads, ...)
   * but not those that shape the model or the data order.
   */
  resume?: string;
  /** Data-parallel training: this process is one rank of several (see src/distributed/). */
  parallel?: TrainParallel;
}

export interface StepEvent {
  type: 'step';
  /** Steps done so far (this one included). */
  step: number;
  epoch: number;
  /** Batches done in this epoch (this one included). */
  batchInEpoch: number;
  epochSize: number;
  maxEpochs: number;
  loss: number;
  accuracy: number | null;
  terms: Record<string, number>;
  lr: number;
  /** Images that made it into the batch. */
  images: number;
  imagesPerSec: number;
  dataWaitMs: number;
  stepMs: number;
  /** The batch was too small to train on (unreadable images) and no update was made. */
  skipped: boolean;
}

export type TrainEvent =
  | { type: 'start'; runDir: string; config: TrainConfig; resumedFromStep: number | null; classes: number; images: number; valImages: number; parameters: number }
  | StepEvent
  | { type: 'selection'; step: number; report: SelectionReport }
  | { type: 'validation'; epoch: number; step: number; loss: number; accuracy: number; images: number }
  | { type: 'lfw'; epoch: number; step: number; result: LfwCheckResult }
  | { type: 'epoch'; epoch: number; step: number; seconds: number }
  | { type: 'checkpoint'; step: number; file: string }
  | { type: 'warning'; message: string };

export type StopReason =
  | 'max-epochs' // --max-nrof-epochs reached
  | 'schedule-end' // the learning-rate schedule gave a rate <= 0
  | 'max-minutes' // --max-minutes reached
  | 'interrupted'; // the signal aborted (SIGINT)

export interface TrainSummary {
  runDir: string;
  /** model.safetensors; null when interrupted (the run is unfinished: resume it). */
  modelFile: string | null;
  checkpointFile: string;
  stopReason: StopReason;
  /** Steps done in the whole run, and the step this invocation started from. */
  steps: number;
  startStep: number;
  epochsCompleted: number;
  lastLoss: number | null;
  lastAccuracy: number | null;
  lfw: LfwCheckResult | null;
  /** Training throughput of this invocation (images over step + data-wait time). */
  imagesPerSec: number;
  meanStepMs: number;
  meanDataWaitMs: number;
  skippedImages: number;
  skippedBatches: number;
  seconds: number;
}

/** The loop position, saved in every checkpoint. */
export interface LoopState {
  step: number;
  /** The epoch in progress (1-based, as facenet counts). */
  epoch: number;
  batchInEpoch: number;
  skippedImages: number;
  skippedBatches: number;
  lastLfw: LfwCheckResult | null;
  /** Triplet training: the round in progress (its triplets are a checkpoint tensor). */
  tripletRound: { round: number; position: number } | null;
}
