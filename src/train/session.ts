/**
 * Opening a training run: resolve the config (or take it from the checkpoint being resumed),
 * create or reuse the run folder, scan the dataset, read the learning-rate schedule and LFW pairs,
 * and build the model state. Every check that can fail without training does so here, before the
 * first step.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { getNumThreads, resolveDevice, resolvePrecision, setNumThreads, useAllCores } from '../tensor/index.js';
import { loadTrainingSet, type TrainingSet } from '../data/training-set.js';
import { FacenetError } from '../errors.js';
import { acquireDirLock } from '../io/dir-lock.js';
import { fsError } from '../io/fs-errors.js';
import { checkOutputDir } from '../io/output-path.js';
import { FROZEN_ON_RESUME, resolveTrainConfig, type TrainConfig } from './config.js';
import { readCheckpoint } from './checkpoint.js';
import type { LoopState, TrainOptions } from './events.js';
import { LearningRatePolicy } from './learning-rate.js';
import { LfwCheck } from './lfw-check.js';
import { MetricHistory } from './metric-history.js';
import { MetricsLog, type MetricRecord } from './metrics-log.js';
import { RUN_FILES, createRunDir, writeJsonAtomic } from './run-dir.js';
import { buildTrainingModel, disposeTrainingModel, type TrainingModel } from './training-model.js';
import type { TripletRoundState } from './triplet-source.js';

export interface Session {
  config: TrainConfig;
  runDir: string;
  set: TrainingSet;
  lr: LearningRatePolicy;
  lfw: LfwCheck | null;
  trainingModel: TrainingModel;
  /** Null on the ranks of a data-parallel run that do not write (all but rank 0). */
  metrics: MetricsLog | null;
  history: MetricHistory;
  state: LoopState;
  resumedFromStep: number | null;
  tripletRound: TripletRoundState | null;
  classesSha256: string;
  close(): void;
}

export function classesSha256(names: readonly string[]): string {
  return createHash('sha256').update(names.join('\n')).digest('hex');
}

function freshState(): LoopState {
  return { step: 0, epoch: 1, batchInEpoch: 0, skippedImages: 0, skippedBatches: 0, lastLfw: null, tripletRound: null };
}

export async function openSession(partial: Partial<TrainConfig>, options: TrainOptions, warn: (m: string) => void): Promise<Session> {
  const checkpoint = options.resume ? await readCheckpoint(options.resume) : null;
  let config: TrainConfig;
  if (checkpoint) {
    const saved = checkpoint.records['config'] as TrainConfig;
    for (const k of FROZEN_ON_RESUME) {
      const value = partial[k];
      if (value !== undefined && value !== null && value !== saved[k]) {
        throw new FacenetError('BAD_ARGUMENT', `cannot change ${k} when resuming (the checkpoint was trained with ${JSON.stringify(saved[k])}, got ${JSON.stringify(value)})`);
      }
    }
    config = resolveTrainConfig(saved, partial);
  } else {
    config = resolveTrainConfig(partial);
  }

  // 'auto' becomes what this machine runs, so that config.json and the checkpoint record it
  const precision = resolvePrecision(config.precision);
  if (precision.warning) warn(precision.warning);
  config = Object.freeze({ ...config, precision: precision.precision });

  resolveDevice(config.device); // before any work: a device this build cannot use is an error now
  const parallel = options.parallel ?? null;
  if (parallel) {
    if (config.loss === 'triplet') throw new FacenetError('BAD_ARGUMENT', 'data-parallel training supports --loss softmax only (triplet selection is over the whole batch); train triplet loss in one process');
    if (config.centerLossFactor > 0) throw new FacenetError('BAD_ARGUMENT', 'data-parallel training does not support --center-loss-factor > 0 yet (the centers would need their own all-reduce); set it to 0 or train in one process');
    if (config.batchSize % parallel.worldSize !== 0) {
      throw new FacenetError('BAD_ARGUMENT', `--batch-size ${config.batchSize} is the global batch and must split evenly over the ${parallel.worldSize} processes`);
    }
    await parallel.agreeOnConfig(config);
  }
  const writes = parallel?.writes ?? true;
  const set = await loadTrainingSet(config);
  if (config.loss === 'softmax' && config.batchSize > set.paths.length) {
    throw new FacenetError(
      'BAD_ARGUMENT',
      `--batch-size (batchSize) ${config.batchSize} is more than the ${set.paths.length} training images in ${config.dataDir}; use --batch-size ${set.paths.length} or fewer`,
    );
  }
  const classesSha = classesSha256(set.classNames);
  const state: LoopState = checkpoint ? (checkpoint.records['state'] as LoopState) : freshState();
  if (checkpoint && checkpoint.records['classesSha256'] !== classesSha) {
    throw new FacenetError(
      'BAD_ARGUMENT',
      `the dataset ${config.dataDir} no longer has the classes the checkpoint was trained on (${checkpoint.records['numClasses']} classes then, ` +
        `${set.classNames.length} now, or other names); resume with the same dataset`,
    );
  }
  const lr = await LearningRatePolicy.create(config);
  const lfw = config.lfwDir ? await LfwCheck.create(config) : null;
  if (lfw && lfw.skippedPairs > 0) warn(`LFW check: ${lfw.skippedPairs} pairs skipped (images missing under ${config.lfwDir})`);

  let runDir: string | null = null;
  if (writes) runDir = options.resume ? path.resolve(options.resume) : await createRunDir(config.logsBaseDir, config.runName);
  if (parallel) runDir = await parallel.shareRunDir(runDir);
  if (runDir === null) throw new FacenetError('DISTRIBUTED', 'no run folder came from rank 0');
  // One process per run folder: a second `train --run-name dup` (or --resume) would overwrite its
  // model. (In a data-parallel run rank 0 holds it for all: it alone writes.)
  const lock = writes ? await acquireDirLock(runDir, 'facenet train', '.facenet-train.lock') : null;
  let metrics: MetricsLog | null = null;
  let records: MetricRecord[] = [];
  if (writes) {
    try {
      await checkOutputDir(runDir, 'the run folder');
      const configFile = path.join(runDir, RUN_FILES.config);
      await writeJsonAtomic(configFile, config).catch((err: unknown) => Promise.reject(fsError(err, configFile, 'write the run config') ?? err));
      // A fresh run in a reused named folder starts a fresh metrics file.
      ({ log: metrics, history: records } = await MetricsLog.open(path.join(runDir, RUN_FILES.metrics), checkpoint ? state.step : 0));
    } catch (err) {
      lock?.release();
      throw err;
    }
  }
  const history = new MetricHistory();
  for (const record of records) history.add(record);

  const previousThreads = getNumThreads();
  if (config.threads > 0) setNumThreads(config.threads);
  else if (parallel) setNumThreads(parallel.defaultThreads);
  else useAllCores();
  let trainingModel: TrainingModel;
  try {
    trainingModel = await buildTrainingModel(config, {
      numClasses: set.classNames.length,
      resume: checkpoint?.tensors ?? null,
      optimizerState: checkpoint?.optimizerState ?? null,
      warn,
    });
    parallel?.attach(trainingModel);
  } catch (err) {
    metrics?.close();
    setNumThreads(previousThreads);
    lock?.release();
    throw err;
  }
  const saved = checkpoint?.tensors.get('triplets');
  const tripletRound =
    state.tripletRound && saved ? { ...state.tripletRound, triplets: Int32Array.from(saved.data as Int32Array) } : null;
  return {
    config,
    runDir,
    set,
    lr,
    lfw,
    trainingModel,
    metrics,
    history,
    state,
    resumedFromStep: checkpoint ? state.step : null,
    tripletRound,
    classesSha256: classesSha,
    close() {
      metrics?.close();
      parallel?.detach();
      disposeTrainingModel(trainingModel);
      setNumThreads(previousThreads);
      lock?.release();
    },
  };
}
