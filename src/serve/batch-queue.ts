/**
 * Dynamic batching: jobs that arrive within a short window are handed to one `process` call, so
 * concurrent requests share one forward pass. A batch starts when `maxBatch` jobs wait or when the
 * oldest waiting job has waited `windowMs`; one batch runs at a time (the model is one resource),
 * and jobs that arrive meanwhile form the next batch. At most `maxQueue` jobs may wait: beyond
 * that `push` rejects at once with QueueFullError, which the server answers with 503, instead of
 * letting latency grow without bound.
 */

export interface BatchQueueOptions {
  /** How long the first job of a batch waits for company, in ms (0: next tick). */
  windowMs: number;
  maxBatch: number;
  /** Jobs allowed to wait (not counting the batch being processed). */
  maxQueue: number;
}

/** One result per job, in job order: a value or the error of that job alone. */
export type BatchOutcome<R> = { ok: true; value: R } | { ok: false; error: Error };

export class QueueFullError extends Error {
  constructor(readonly depth: number) {
    super(`the inference queue is full (${depth} requests waiting); retry shortly`);
    this.name = 'QueueFullError';
  }
}

export class QueueClosedError extends Error {
  constructor() {
    super('the server is shutting down');
    this.name = 'QueueClosedError';
  }
}

interface Waiting<J, R> {
  job: J;
  resolve: (r: R) => void;
  reject: (e: Error) => void;
}

export class BatchQueue<J, R> {
  private waiting: Waiting<J, R>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private closed = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly process: (jobs: J[]) => Promise<BatchOutcome<R>[]>,
    readonly options: BatchQueueOptions,
    private readonly onBatch: (size: number) => void = () => {},
  ) {
    if (!(Number.isInteger(options.maxBatch) && options.maxBatch >= 1)) throw new RangeError(`maxBatch must be a positive integer, got ${options.maxBatch}`);
    if (!(Number.isInteger(options.maxQueue) && options.maxQueue >= 1)) throw new RangeError(`maxQueue must be a positive integer, got ${options.maxQueue}`);
    if (!(options.windowMs >= 0)) throw new RangeError(`windowMs must be >= 0, got ${options.windowMs}`);
  }

  /** Jobs waiting for a batch. */
  get depth(): number {
    return this.waiting.length;
  }

  get busy(): boolean {
    return this.running;
  }

  push(job: J): Promise<R> {
    if (this.closed) return Promise.reject(new QueueClosedError());
    if (this.waiting.length >= this.options.maxQueue) return Promise.reject(new QueueFullError(this.waiting.length));
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ job, resolve, reject });
      this.schedule();
    });
  }

  /** Refuses new jobs; resolves once every accepted job has been processed. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.waiting.length === 0 && !this.running) return;
    await new Promise<void>((r) => this.idle.push(r));
  }

  private schedule(): void {
    if (this.running) return; // the running batch's end schedules the next one
    if (this.waiting.length >= this.options.maxBatch || this.closed) {
      this.clearTimer();
      void this.runBatch();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.runBatch();
      }, this.options.windowMs);
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async runBatch(): Promise<void> {
    if (this.running || this.waiting.length === 0) return;
    this.running = true;
    const batch = this.waiting.splice(0, this.options.maxBatch);
    this.onBatch(batch.length);
    try {
      const outcomes = await this.process(batch.map((w) => w.job));
      batch.forEach((w, i) => {
        const o = outcomes[i];
        if (!o) w.reject(new Error(`batch processor returned ${outcomes.length} results for ${batch.length} jobs`));
        else if (o.ok) w.resolve(o.value);
        else w.reject(o.error);
      });
    } catch (e) {
      for (const w of batch) w.reject(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.running = false;
    }
    if (this.waiting.length > 0) {
      // Jobs that queued up while the model was busy have already waited: run them now.
      this.clearTimer();
      void this.runBatch();
    } else {
      for (const r of this.idle.splice(0)) r();
    }
  }
}
