/**
 * The training loop, top to bottom:
 *
 *   until a stop condition (max epochs, schedule's -1, --max-minutes, the abort signal):
 *     at an epoch end: validation (every validate_every_n_epochs), LFW (every lfw_every_n_epochs),
 *                      checkpoint
 *     next batch (decoded ahead) -> one step at lr(epoch, step) -> EMA update -> metrics
 *     a checkpoint every --checkpoint-every-minutes
 *   final checkpoint, then (unless interrupted) model.safetensors from the moving-average weights.
 *
 * Deliberate difference from facenet: LFW runs before the epoch's checkpoint (facenet saves first),
 * so that each checkpoint's plot includes the epoch's LFW accuracy.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { getNumThreads, manualSeed } from '../tensor/index.js';
import type { BatchFailure, LoadedBatch } from '../data/batch-loader.js';
import { mixSeed, STREAM } from '../data/sample-order.js';
import { FacenetError } from '../errors.js';
import { CHECKPOINT_FILE } from './checkpoint.js';
import { checkLfw, validate } from './evaluation.js';
import type { StopReason, TrainEvent, TrainOptions, TrainSummary } from './events.js';
import type { MetricRecord } from './metrics-log.js';
import { exportModel, saveCheckpoint, savePlot } from './run-artifacts.js';
import type { Session } from './session.js';
import { SoftmaxBatchSource } from './softmax-source.js';
import { softmaxStep, tripletStep, type StepResult } from './steps.js';
import { TripletBatchSource } from './triplet-source.js';
import { RunHealth } from './run-health.js';

export class Trainer {
  private readonly source: SoftmaxBatchSource | TripletBatchSource;
  private readonly health: RunHealth;
  private checkpointedAt: string;
  private lastCheckpointTime = performance.now();
  private epochStarted = performance.now();
  private readonly totals = { images: 0, stepMs: 0, waitMs: 0, steps: 0 };
  private lastResult: StepResult | null = null;

  constructor(
    private readonly session: Session,
    private readonly options: TrainOptions,
  ) {
    const config = session.config;
    const part = options.parallel?.shard(config.batchSize);
    this.source = config.loss === 'triplet' ? new TripletBatchSource(session.set, config, session.trainingModel, session.tripletRound) : new SoftmaxBatchSource(session.set, config, session.set.root, session.state.step, part);
    this.checkpointedAt = session.resumedFromStep !== null ? this.stateKey() : '';
    this.health = new RunHealth((m) => this.warn(m), config.dataDir);
  }

  emit(event: TrainEvent): void {
    this.options.onProgress?.(event);
  }

  private warn(message: string): void {
    this.emit({ type: 'warning', message });
  }

  private record(record: MetricRecord): void {
    if (!this.writes) return;
    this.session.metrics?.append(record);
    this.session.history.add(record);
  }

  /** This process writes the run folder (always, unless it is a rank > 0 of a data-parallel run). */
  private get writes(): boolean {
    return this.options.parallel?.writes ?? true;
  }

  private stateKey(): string {
    const state = this.session.state;
    return `${state.step}/${state.epoch}/${state.batchInEpoch}`;
  }

  private epochDone(): boolean {
    return this.session.state.batchInEpoch >= this.session.config.epochSize && this.source.atRoundEnd();
  }

  async run(): Promise<TrainSummary> {
    const started = performance.now();
    const startStep = this.session.state.step;
    let stopReason: StopReason;
    try {
      stopReason = await this.loop(started);
    } catch (err) {
      if (err instanceof FacenetError && err.code === 'NOT_FOUND' && !existsSync(this.session.config.dataDir)) {
        // The model state is consistent (the failed batch was never applied): keep it.
        const saved = await this.checkpoint(false).then((ok) => ok, () => false);
        const where = saved ? `a checkpoint at step ${this.session.state.step} is in ${this.session.runDir}` : `the last checkpoint in ${this.session.runDir} is kept`;
        throw new FacenetError('NOT_FOUND', `${err.message}; ${where}`, { cause: err });
      }
      throw err;
    } finally {
      this.source.close();
    }
    if (this.checkpointedAt !== this.stateKey()) await this.checkpoint(true);
    // An interrupted run is unfinished: it leaves a checkpoint to resume from, not a model.
    const modelFile = stopReason === 'interrupted' || !this.writes ? null : await exportModel(this.session);
    await this.options.parallel?.barrier();
    const totals = this.totals;
    const busy = (totals.stepMs + totals.waitMs) / 1000;
    return {
      runDir: this.session.runDir,
      modelFile,
      checkpointFile: path.join(this.session.runDir, CHECKPOINT_FILE),
      stopReason,
      steps: this.session.state.step,
      startStep,
      epochsCompleted: this.session.state.epoch - 1,
      lastLoss: this.lastResult?.loss ?? null,
      lastAccuracy: this.lastResult?.accuracy ?? null,
      lfw: this.session.state.lastLfw,
      imagesPerSec: busy > 0 ? totals.images / busy : 0,
      meanStepMs: totals.steps > 0 ? totals.stepMs / totals.steps : 0,
      meanDataWaitMs: totals.steps > 0 ? totals.waitMs / totals.steps : 0,
      skippedImages: this.session.state.skippedImages,
      skippedBatches: this.session.state.skippedBatches,
      seconds: (performance.now() - started) / 1000,
    };
  }

  private async loop(started: number): Promise<StopReason> {
    const config = this.session.config;
    const state = this.session.state;
    for (;;) {
      if (this.epochDone()) await this.endEpoch();
      if (state.batchInEpoch === 0) {
        if (state.epoch > config.maxNrofEpochs) return 'max-epochs';
        if (this.session.lr.baseRate(state.epoch) <= 0) return 'schedule-end';
      }
      let stop: StopReason | null = null;
      if (this.options.signal?.aborted) stop = 'interrupted';
      else if (config.maxMinutes > 0 && performance.now() - started >= config.maxMinutes * 60_000) stop = 'max-minutes';
      const next = stop ? null : await this.nextBatch();
      if (!stop && !next) stop = 'interrupted';
      const parallel = this.options.parallel;
      // Every rank must take the same decisions, or the next collective would wait for a rank that left.
      const trainable = next !== null && next.batch.count >= (config.loss === 'triplet' ? 3 : 2);
      const agreed = parallel ? parallel.agreeOnStep(stop !== null, trainable) : { stop: stop !== null, trainable };
      // (another rank stopped first: its reason was the time limit or an interrupt)
      if (agreed.stop) return stop ?? (config.maxMinutes > 0 ? 'max-minutes' : 'interrupted');
      this.trainOn(next!.batch, next!.waitMs, agreed.trainable);
      const due = config.checkpointEveryMinutes > 0 && performance.now() - this.lastCheckpointTime >= config.checkpointEveryMinutes * 60_000;
      if (due && !this.epochDone()) await this.checkpoint(false);
    }
  }

  private async nextBatch(): Promise<{ batch: LoadedBatch; waitMs: number } | null> {
    if (this.source instanceof SoftmaxBatchSource) {
      const taken = await this.source.next();
      return { batch: taken.value, waitMs: taken.waitMs };
    }
    const taken = await this.source.next(this.options.signal);
    if (!taken) return null;
    if (taken.selection) this.emit({ type: 'selection', step: this.session.state.step, report: taken.selection });
    return { batch: taken.value, waitMs: taken.waitMs };
  }

  private noteFailures(failures: readonly BatchFailure[]): void {
    this.session.state.skippedImages += failures.length;
    this.health.noteFailures(failures);
  }

  private trainOn(batch: LoadedBatch, waitMs: number, trainable: boolean): void {
    const { config, state, trainingModel } = this.session;
    const lr = this.session.lr.rateAt(state.epoch, state.step);
    this.noteFailures(batch.failures);
    let result: StepResult | null = null;
    const t0 = performance.now();
    const parallel = this.options.parallel;
    if (trainable) {
      // Dropout draws from libtorch's generator: reseeding per step makes a resumed run match (each
      // rank of a data-parallel run draws its own masks).
      const seed = mixSeed(config.seed, STREAM.dropout, state.step);
      manualSeed(parallel && parallel.rank > 0 ? mixSeed(seed, STREAM.dropout, parallel.rank) : seed);
      trainingModel.model.train();
      result = config.loss === 'triplet' ? tripletStep(trainingModel, config, batch, lr) : softmaxStep(trainingModel, config, batch, lr, parallel && (() => parallel.reduceGradients()));
      // (the global loss: every rank of a data-parallel run takes the same decision)
      if (parallel) result = parallel.reduceResult(result);
      if (!Number.isFinite(result.loss)) throw this.diverged(`the loss is ${result.loss} at step ${state.step + 1}`, lr);
    } else {
      state.skippedBatches++;
    }
    this.health.noteBatch(result !== null);
    // Metrics are global: images of all ranks (each holds an equal part of the global batch).
    const images = batch.count * (parallel?.worldSize ?? 1);
    const stepMs = performance.now() - t0;
    state.step++;
    state.batchInEpoch++;
    if (result) {
      this.health.noteStep(stepMs, getNumThreads());
      trainingModel.ema?.update(state.step);
      this.lastResult = result;
      this.totals.images += images;
      this.totals.stepMs += stepMs;
      this.totals.waitMs += waitMs;
      this.totals.steps++;
    }
    const imagesPerSec = (images * 1000) / Math.max(1e-6, stepMs + waitMs);
    this.record({
      kind: 'step', step: state.step, epoch: state.epoch, batch: state.batchInEpoch, loss: result?.loss ?? null, accuracy: result?.accuracy ?? null,
      ...(result?.terms ?? {}), lr, images, imagesPerSec, dataWaitMs: waitMs, stepMs, skippedImages: batch.failures.length,
      time: new Date().toISOString(),
    });
    this.emit({
      type: 'step', step: state.step, epoch: state.epoch, batchInEpoch: state.batchInEpoch, epochSize: config.epochSize, maxEpochs: config.maxNrofEpochs,
      loss: result?.loss ?? Number.NaN, accuracy: result?.accuracy ?? null, terms: result?.terms ?? {}, lr, images,
      imagesPerSec, dataWaitMs: waitMs, stepMs, skipped: result === null,
    });
  }

  private async endEpoch(): Promise<void> {
    const { config, state } = this.session;
    const epoch = state.epoch;
    const last = epoch === config.maxNrofEpochs;
    const signal = this.options.signal;
    if (!signal?.aborted && this.writes) {
      const every = config.validateEveryNEpochs;
      if (this.session.set.val.paths.length > 0 && ((epoch - 1) % every === every - 1 || last)) {
        const validation = await validate(this.session, signal, (f) => this.noteFailures(f));
        if (validation) {
          this.record({ kind: 'validation', step: state.step, epoch, ...validation });
          this.emit({ type: 'validation', epoch, step: state.step, ...validation });
        }
      }
      if (this.session.lfw && (epoch % config.lfwEveryNEpochs === 0 || last)) {
        try {
          const result = await checkLfw(this.session, signal);
          if (result) {
            state.lastLfw = result;
            this.record({ kind: 'lfw', step: state.step, epoch, ...result });
            this.emit({ type: 'lfw', epoch, step: state.step, result });
          }
        } catch (err) {
          this.warn(`LFW evaluation failed (training goes on): ${(err as Error).message}`);
        }
      }
    }
    const seconds = (performance.now() - this.epochStarted) / 1000;
    state.epoch++;
    state.batchInEpoch = 0;
    this.record({ kind: 'epoch', step: state.step, epoch, seconds });
    this.emit({ type: 'epoch', epoch, step: state.step, seconds });
    await this.checkpoint(false);
    // The other ranks wait here (off their event loops) while rank 0 evaluates and checkpoints.
    await this.options.parallel?.barrier();
    this.epochStarted = performance.now();
  }

  /**
   * The error that stops a run whose loss became NaN/Inf. Nothing of the diverged state is written
   * (checkpoints refuse non-finite weights too): the last finite checkpoint stays in the run folder.
   */
  private diverged(what: string, lr: number, cause?: unknown): FacenetError {
    const state = this.session.state;
    const kept = this.checkpointedAt
      ? `the last finite checkpoint (step ${this.checkpointedAt.split('/')[0]}) is kept in ${this.session.runDir}; resume from it with --resume ${this.session.runDir} --learning-rate ${lr / 10}`
      : `no checkpoint had been written yet (${this.session.runDir} holds the config and metrics only)`;
    return new FacenetError(
      'NON_FINITE',
      `training diverged: ${what} (epoch ${state.epoch}, learning rate ${lr}); the run stopped without saving the diverged weights. ` +
        `${kept}. Try a lower --learning-rate (e.g. ${lr / 10}), a smaller --weight-decay, or the default schedule`,
      { cause },
    );
  }

  /** Checkpoint and plot. A failed checkpoint is an error when final, else a warning (the previous one stays). */
  private async checkpoint(final: boolean): Promise<boolean> {
    if (!this.writes) {
      this.checkpointedAt = this.stateKey();
      this.lastCheckpointTime = performance.now();
      return true;
    }
    try {
      const file = await saveCheckpoint(this.session, this.source instanceof TripletBatchSource ? this.source.state() : null);
      this.checkpointedAt = this.stateKey();
      this.lastCheckpointTime = performance.now();
      this.emit({ type: 'checkpoint', step: this.session.state.step, file });
    } catch (err) {
      if (err instanceof FacenetError && err.code === 'NON_FINITE') {
        throw this.diverged(`the weights hold NaN/Inf at step ${this.session.state.step}`, this.session.lr.rateAt(this.session.state.epoch, this.session.state.step), err);
      }
      if (final) throw err;
      this.warn(`${(err as Error).message}; training goes on and tries again at the next checkpoint`);
      return false;
    }
    await savePlot(this.session).catch((err: Error) => this.warn(`could not write the training curves: ${err.message}`));
    return true;
  }
}
