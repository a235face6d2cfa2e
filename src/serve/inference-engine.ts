/**
 * The server side of the inference worker: starts it, waits for the model to load, sends batches
 * and matches answers to them. `run(jobs)` is the BatchQueue's processor.
 */
import { Worker } from 'node:worker_threads';
import { FacenetError, type FacenetErrorCode } from '../errors.js';
import type { BatchOutcome } from './batch-queue.js';
import type { EngineConfig, FromWorker, InferenceJob, InferenceResult, ModelInfo, ToWorker } from './inference-protocol.js';

/** An error a job failed with inside the worker, with the code it had there. */
export class JobError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'JobError';
  }
}

function startWorker(config: EngineConfig): Worker {
  const here = import.meta.url;
  if (here.endsWith('.js')) return new Worker(new URL('./inference-worker.js', here), { workerData: config });
  // Running from TypeScript sources (tsx): the worker registers tsx itself before loading its .ts file.
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./inference-worker.ts', here).href;
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true, workerData: config });
}

export class InferenceEngine {
  private nextId = 1;
  private pending = new Map<number, { resolve: (o: BatchOutcome<InferenceResult>[]) => void; reject: (e: Error) => void }>();
  private dead: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly info: ModelInfo,
  ) {
    worker.on('message', (msg: FromWorker) => {
      if (msg.type !== 'result') return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      p.resolve(msg.outcomes.map((o) => (o.ok ? { ok: true, value: o.value } : { ok: false, error: new JobError(o.error.code, o.error.message) })));
    });
    const fail = (e: Error) => {
      this.dead ??= e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new FacenetError('NATIVE', `the inference worker stopped (exit code ${code})`)));
  }

  /** Starts the worker and resolves when its model is loaded (rejects with the load error). */
  static async start(config: EngineConfig): Promise<InferenceEngine> {
    const worker = startWorker(config);
    let onMessage: (msg: FromWorker) => void = () => {};
    let onError: (e: Error) => void = () => {};
    let onExit: (code: number) => void = () => {};
    const info = await new Promise<ModelInfo>((resolve, reject) => {
      onMessage = (msg) => {
        if (msg.type === 'ready') resolve(msg.info);
        else if (msg.type === 'fatal') reject(new FacenetError(msg.code as FacenetErrorCode, msg.message));
      };
      onError = reject;
      onExit = (code) => reject(new FacenetError('NATIVE', `the inference worker exited (code ${code}) while loading ${config.model}`));
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    })
      .catch(async (e: unknown) => {
        await worker.terminate();
        throw e;
      })
      .finally(() => worker.off('message', onMessage).off('error', onError).off('exit', onExit));
    return new InferenceEngine(worker, info);
  }

  /** Null while the worker runs; the reason once it has stopped. */
  get failure(): Error | null {
    return this.dead;
  }

  run(jobs: InferenceJob[]): Promise<BatchOutcome<InferenceResult>[]> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const msg: ToWorker = { type: 'batch', id, jobs };
      // Pixels travel by copy: a decoded image's bytes may share a pooled buffer with other data.
      this.worker.postMessage(msg);
    });
  }

  /** Lets the worker finish what it was sent, free the model, and stop. */
  async dispose(): Promise<void> {
    if (this.dead) return;
    const exited = new Promise<void>((r) => this.worker.once('exit', () => r()));
    this.worker.postMessage({ type: 'close' } satisfies ToWorker);
    const timer = setTimeout(() => void this.worker.terminate(), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
