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
    private readonly s: Session,
    private readonly o: TrainOptions,
  ) {
    const c = s.config;
    this.source = c.loss === 'triplet' ? new TripletBatchSource(s.set, c, s.tm, s.tripletRound) : new SoftmaxBatchSource(s.set, c, s.set.root, s.state.step);
    this.checkpointedAt = s.resumedFromStep !== null ? this.stateKey() : '';
    this.health = new RunHealth((m) => this.warn(m), c.dataDir);
  }

  emit(event: TrainEvent): void {
    this.o.onProgress?.(event);
  }

  private warn(message: string): void {
    this.emit({ type: 'warning', message });
  }

  private record(r: MetricRecord): void {
    this.s.metrics.append(r);
    this.s.history.add(r);
  }

  private stateKey(): string {
    const st = this.s.state;
    return `${st.step}/${st.epoch}/${st.batchInEpoch}`;
  }

  private epochDone(): boolean {
    return this.s.state.batchInEpoch >= this.s.config.epochSize && this.source.atRoundEnd();
  }

  async run(): Promise<TrainSummary> {
    const started = performance.now();
    const startStep = this.s.state.step;
    let stopReason: StopReason;
    try {
      stopReason = await this.loop(started);
    } catch (err) {
      if (err instanceof FacenetError && err.code === 'NOT_FOUND' && !existsSync(this.s.config.dataDir)) {
        // The model state is consistent (the failed batch was never applied): keep it.
        const saved = await this.checkpoint(false).then((ok) => ok, () => false);
        const where = saved ? `a checkpoint at step ${this.s.state.step} is in ${this.s.runDir}` : `the last checkpoint in ${this.s.runDir} is kept`;
        throw new FacenetError('NOT_FOUND', `${err.message}; ${where}`, { cause: err });
      }
      throw err;
    } finally {
      this.source.close();
    }
    if (this.checkpointedAt !== this.stateKey()) await this.checkpoint(true);
    // An interrupted run is unfinished: it leaves a checkpoint to resume from, not a model.
    const modelFile = stopReason === 'interrupted' ? null : await exportModel(this.s);
    const t = this.totals;
    const busy = (t.stepMs + t.waitMs) / 1000;
    return {
      runDir: this.s.runDir,
      modelFile,
      checkpointFile: path.join(this.s.runDir, CHECKPOINT_FILE),
      stopReason,
      steps: this.s.state.step,
      startStep,
      epochsCompleted: this.s.state.epoch - 1,
      lastLoss: this.lastResult?.loss ?? null,
      lastAccuracy: this.lastResult?.accuracy ?? null,
      lfw: this.s.state.lastLfw,
      imagesPerSec: busy > 0 ? t.images / busy : 0,
      meanStepMs: t.steps > 0 ? t.stepMs / t.steps : 0,
      meanDataWaitMs: t.steps > 0 ? t.waitMs / t.steps : 0,
      skippedImages: this.s.state.skippedImages,
      skippedBatches: this.s.state.skippedBatches,
      seconds: (performance.now() - started) / 1000,
    };
  }

  private async loop(started: number): Promise<StopReason> {
    const c = this.s.config;
    const st = this.s.state;
    for (;;) {
      if (this.epochDone()) await this.endEpoch();
      if (st.batchInEpoch === 0) {
        if (st.epoch > c.maxNrofEpochs) return 'max-epochs';
        if (this.s.lr.baseRate(st.epoch) <= 0) return 'schedule-end';
      }
      if (this.o.signal?.aborted) return 'interrupted';
      if (c.maxMinutes > 0 && performance.now() - started >= c.maxMinutes * 60_000) return 'max-minutes';
      const next = await this.nextBatch();
      if (!next) return 'interrupted';
      this.trainOn(next.batch, next.waitMs);
      const due = c.checkpointEveryMinutes > 0 && performance.now() - this.lastCheckpointTime >= c.checkpointEveryMinutes * 60_000;
      if (due && !this.epochDone()) await this.checkpoint(false);
    }
  }

  private async nextBatch(): Promise<{ batch: LoadedBatch; waitMs: number } | null> {
    if (this.source instanceof SoftmaxBatchSource) {
      const taken = await this.source.next();
      return { batch: taken.value, waitMs: taken.waitMs };
    }
    const taken = await this.source.next(this.o.signal);
    if (!taken) return null;
    if (taken.selection) this.emit({ type: 'selection', step: this.s.state.step, report: taken.selection });
    return { batch: taken.value, waitMs: taken.waitMs };
  }

  private noteFailures(failures: readonly BatchFailure[]): void {
    this.s.state.skippedImages += failures.length;
    this.health.noteFailures(failures);
  }

  private trainOn(batch: LoadedBatch, waitMs: number): void {
    const { config: c, state: st, tm } = this.s;
    const lr = this.s.lr.rateAt(st.epoch, st.step);
    this.noteFailures(batch.failures);
    let result: StepResult | null = null;
    const t0 = performance.now();
    if (batch.count >= (c.loss === 'triplet' ? 3 : 2)) {
      // Dropout draws from libtorch's generator: reseeding per step makes a resumed run match.
      manualSeed(mixSeed(c.seed, STREAM.dropout, st.step));
      tm.model.train();
      result = c.loss === 'triplet' ? tripletStep(tm, c, batch, lr) : softmaxStep(tm, c, batch, lr);
      if (!Number.isFinite(result.loss)) throw this.diverged(`the loss is ${result.loss} at step ${st.step + 1}`, lr);
    } else {
      st.skippedBatches++;
    }
    this.health.noteBatch(result !== null);
    const stepMs = performance.now() - t0;
    st.step++;
    st.batchInEpoch++;
    if (result) {
      this.health.noteStep(stepMs, getNumThreads());
      tm.ema?.update(st.step);
      this.lastResult = result;
      this.totals.images += batch.count;
      this.totals.stepMs += stepMs;
      this.totals.waitMs += waitMs;
      this.totals.steps++;
    }
    const imagesPerSec = (batch.count * 1000) / Math.max(1e-6, stepMs + waitMs);
    this.record({
      kind: 'step', step: st.step, epoch: st.epoch, batch: st.batchInEpoch, loss: result?.loss ?? null, accuracy: result?.accuracy ?? null,
      ...(result?.terms ?? {}), lr, images: batch.count, imagesPerSec, dataWaitMs: waitMs, stepMs, skippedImages: batch.failures.length,
      time: new Date().toISOString(),
    });
    this.emit({
      type: 'step', step: st.step, epoch: st.epoch, batchInEpoch: st.batchInEpoch, epochSize: c.epochSize, maxEpochs: c.maxNrofEpochs,
      loss: result?.loss ?? Number.NaN, accuracy: result?.accuracy ?? null, terms: result?.terms ?? {}, lr, images: batch.count,
      imagesPerSec, dataWaitMs: waitMs, stepMs, skipped: result === null,
    });
  }

  private async endEpoch(): Promise<void> {
    const { config: c, state: st } = this.s;
    const epoch = st.epoch;
    const last = epoch === c.maxNrofEpochs;
    const signal = this.o.signal;
    if (!signal?.aborted) {
      const every = c.validateEveryNEpochs;
      if (this.s.set.val.paths.length > 0 && ((epoch - 1) % every === every - 1 || last)) {
        const r = await validate(this.s, signal, (f) => this.noteFailures(f));
        if (r) {
          this.record({ kind: 'validation', step: st.step, epoch, ...r });
          this.emit({ type: 'validation', epoch, step: st.step, ...r });
        }
      }
      if (this.s.lfw && (epoch % c.lfwEveryNEpochs === 0 || last)) {
        try {
          const result = await checkLfw(this.s, signal);
          if (result) {
            st.lastLfw = result;
            this.record({ kind: 'lfw', step: st.step, epoch, ...result });
            this.emit({ type: 'lfw', epoch, step: st.step, result });
          }
        } catch (err) {
          this.warn(`LFW evaluation failed (training goes on): ${(err as Error).message}`);
        }
      }
    }
    const seconds = (performance.now() - this.epochStarted) / 1000;
    st.epoch++;
    st.batchInEpoch = 0;
    this.record({ kind: 'epoch', step: st.step, epoch, seconds });
    this.emit({ type: 'epoch', epoch, step: st.step, seconds });
    await this.checkpoint(false);
    this.epochStarted = performance.now();
  }

  /**
   * The error that stops a run whose loss became NaN/Inf. Nothing of the diverged state is written
   * (checkpoints refuse non-finite weights too): the last finite checkpoint stays in the run folder.
   */
  private diverged(what: string, lr: number, cause?: unknown): FacenetError {
    const st = this.s.state;
    const kept = this.checkpointedAt
      ? `the last finite checkpoint (step ${this.checkpointedAt.split('/')[0]}) is kept in ${this.s.runDir}; resume from it with --resume ${this.s.runDir} --learning-rate ${lr / 10}`
      : `no checkpoint had been written yet (${this.s.runDir} holds the config and metrics only)`;
    return new FacenetError(
      'NON_FINITE',
      `training diverged: ${what} (epoch ${st.epoch}, learning rate ${lr}); the run stopped without saving the diverged weights. ` +
        `${kept}. Try a lower --learning-rate (e.g. ${lr / 10}), a smaller --weight-decay, or the default schedule`,
      { cause },
    );
  }

  /** Checkpoint and plot. A failed checkpoint is an error when final, else a warning (the previous one stays). */
  private async checkpoint(final: boolean): Promise<boolean> {
    try {
      const file = await saveCheckpoint(this.s, this.source instanceof TripletBatchSource ? this.source.state() : null);
      this.checkpointedAt = this.stateKey();
      this.lastCheckpointTime = performance.now();
      this.emit({ type: 'checkpoint', step: this.s.state.step, file });
    } catch (err) {
      if (err instanceof FacenetError && err.code === 'NON_FINITE') {
        throw this.diverged(`the weights hold NaN/Inf at step ${this.s.state.step}`, this.s.lr.rateAt(this.s.state.epoch, this.s.state.step), err);
      }
      if (final) throw err;
      this.warn(`${(err as Error).message}; training goes on and tries again at the next checkpoint`);
      return false;
    }
    await savePlot(this.s).catch((err: Error) => this.warn(`could not write the training curves: ${err.message}`));
    return true;
  }
}
