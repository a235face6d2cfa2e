/**
 * The run's health checks, which turn symptoms into warnings (or, past a limit, an error):
 *  - unreadable images: skipped and counted; the first ones are named;
 *  - batches without enough readable images: skipped; several in a row stop the run;
 *  - stalling threads: OpenMP's spinning barriers make libtorch steps 10-60x slower when other
 *    work takes the cores its threads expect (seen on a busy 2-core machine); one thread fewer,
 *    or one thread, does not suffer from it.
 */
import type { BatchFailure } from '../data/batch-loader.js';
import { FacenetError } from '../errors.js';

/** Distinct unreadable files reported one by one; later ones are only counted. */
const MAX_LISTED_FAILURES = 20;
/** Batches in a row without enough readable images before the run gives up. */
const MAX_UNUSABLE_BATCHES = 5;

export class RunHealth {
  private readonly listed = new Set<string>();
  private unusableInARow = 0;
  private fastestStepMs = Number.POSITIVE_INFINITY;
  private slowInARow = 0;
  private stallReported = false;

  constructor(
    private readonly warn: (message: string) => void,
    private readonly dataDir: string,
  ) {}

  noteFailures(failures: readonly BatchFailure[]): void {
    for (const f of failures) {
      if (this.listed.has(f.path) || this.listed.size > MAX_LISTED_FAILURES) continue;
      this.listed.add(f.path);
      this.warn(
        this.listed.size > MAX_LISTED_FAILURES
          ? 'more unreadable images: they are skipped and counted (skippedImages) but no longer listed'
          : `skipped unreadable image: ${f.reason}`,
      );
    }
  }

  /** Records whether a batch could be trained on; throws after too many unusable ones in a row. */
  noteBatch(usable: boolean): void {
    this.unusableInARow = usable ? 0 : this.unusableInARow + 1;
    if (this.unusableInARow >= MAX_UNUSABLE_BATCHES) {
      throw new FacenetError('BAD_IMAGE', `${MAX_UNUSABLE_BATCHES} batches in a row had too few readable images in ${this.dataDir}; are the files images?`);
    }
  }

  noteStep(stepMs: number, threads: number): void {
    this.fastestStepMs = Math.min(this.fastestStepMs, stepMs);
    this.slowInARow = stepMs > 8 * this.fastestStepMs ? this.slowInARow + 1 : 0;
    if (this.slowInARow >= 3 && !this.stallReported && threads > 1) {
      this.stallReported = true;
      this.warn(
        `steps take ${(stepMs / 1000).toFixed(1)} s, ${Math.round(stepMs / this.fastestStepMs)}x the fastest one: the machine is probably busy ` +
          `and libtorch's ${threads} threads stall each other; --threads ${threads - 1} may be much faster`,
      );
    }
  }
}
