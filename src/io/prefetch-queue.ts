/**
 * A queue that keeps the next few items of a numbered sequence in production while the consumer
 * works on the current one: the training loop takes batch i while batches i+1 .. i+depth decode.
 *
 * Why it works with a synchronous consumer: sharp decodes on libuv's thread pool, which keeps
 * running while the main thread is inside a libtorch step. Each take() first yields one event-loop
 * turn (setImmediate), so the completions that arrived during the step are processed and the next
 * jobs get queued, even when the batch asked for is already done (an already-settled await alone
 * would never let the event loop poll for I/O).
 *
 * Failures are held until their item is taken, so a prefetched batch that fails never becomes an
 * unhandled rejection.
 */
import { FacenetError } from '../errors.js';

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

export interface Taken<T> {
  value: T;
  /** Milliseconds the consumer waited for this item (0 when it was ready). */
  waitMs: number;
}

export class PrefetchQueue<T> {
  private readonly pending = new Map<number, Promise<Settled<T>>>();
  private nextIndex: number;
  private closed = false;

  /**
   * produce(i) makes item i; items start/end: [start, end) (end Infinity for an endless stream).
   * depth: how many items are in production at once, the one being waited for included.
   */
  constructor(
    private readonly produce: (index: number) => Promise<T>,
    private readonly depth: number,
    start = 0,
    private readonly end = Number.POSITIVE_INFINITY,
  ) {
    if (!(Number.isInteger(depth) && depth >= 1)) throw new FacenetError('BAD_ARGUMENT', `PrefetchQueue: depth must be a positive integer, got ${depth}`);
    this.nextIndex = start;
  }

  /** Index of the item the next take() returns. */
  get position(): number {
    return this.nextIndex;
  }

  get exhausted(): boolean {
    return this.nextIndex >= this.end;
  }

  private fill(): void {
    for (let i = this.nextIndex; i < this.nextIndex + this.depth && i < this.end; i++) {
      if (this.pending.has(i)) continue;
      const settled: Promise<Settled<T>> = (async () => this.produce(i))().then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      this.pending.set(i, settled);
    }
  }

  /** The next item in order; rethrows its production error. */
  async take(): Promise<Taken<T>> {
    if (this.closed) throw new FacenetError('BAD_ARGUMENT', 'PrefetchQueue: take() after close()');
    if (this.exhausted) throw new FacenetError('BAD_ARGUMENT', `PrefetchQueue: no item ${this.nextIndex} (the sequence ends at ${this.end})`);
    this.fill();
    const started = performance.now();
    await new Promise<void>((resolve) => setImmediate(resolve));
    const index = this.nextIndex;
    const result = await this.pending.get(index)!;
    const waitMs = performance.now() - started;
    this.pending.delete(index);
    this.nextIndex = index + 1;
    // Start the next item now, before the consumer's (synchronous) work on this one.
    this.fill();
    if (!result.ok) throw result.error;
    return { value: result.value, waitMs };
  }

  /** Stops producing; items in flight finish in the background and are dropped. */
  close(): void {
    this.closed = true;
    this.pending.clear();
  }
}
