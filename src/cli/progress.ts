/**
 * A dependency-free progress bar for long CLI jobs (alignment, extraction, training epochs).
 *
 * On a terminal it redraws one line in place, at most ~10 times a second. In logs (stderr not a
 * TTY, CI set, or TERM=dumb) carriage returns would turn into thousands of lines, so it prints a
 * plain line every `plainIntervalMs` instead. Progress reporting must never take a job down, so
 * no method throws: a failing stream just silences the bar.
 */

/** The part of a writable stream the bar uses; process.stderr satisfies it. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
  on?(event: 'error', listener: (err: Error) => void): unknown;
  off?(event: 'error', listener: (err: Error) => void): unknown;
}

export type ProgressFields = Record<string, number | string>;

export interface ProgressOptions {
  label: string;
  /** Number of items; omit when unknown (no percentage or ETA then). */
  total?: number;
  /** Item name for the rate, e.g. 'img' gives '12.3 img/s' (default 'it'). */
  unit?: string;
  stream?: ProgressStream;
  /** Milliseconds, monotonic (default performance.now). Injected by tests. */
  clock?: () => number;
  /** 'auto' (default) picks 'tty' or 'plain' from the stream and the environment. */
  mode?: 'auto' | 'tty' | 'plain';
  /** Environment used by 'auto' (default process.env). */
  env?: Record<string, string | undefined>;
  /** Minimum time between two redraws on a terminal (default 100 ms, i.e. ~10 Hz). */
  redrawIntervalMs?: number;
  /** Time between two lines in plain mode (default 10 s). */
  plainIntervalMs?: number;
  /** Time constant of the rate's exponential smoothing (default 5 s). */
  smoothingSeconds?: number;
  /**
   * Items already done when the bar starts (e.g. a resumed epoch, or the step that was running
   * when the bar was made): counted in the position, not in the rate.
   */
  initialDone?: number;
}

/** Minimum gap between two rate samples: shorter gaps make the instantaneous rate pure noise. */
const RATE_SAMPLE_MS = 200;

export class ProgressBar {
  readonly mode: 'tty' | 'plain';
  private readonly label: string;
  private readonly unit: string;
  private readonly stream: ProgressStream;
  private readonly clock: () => number;
  private readonly redrawMs: number;
  private readonly plainMs: number;
  private readonly tauSeconds: number;
  private readonly startedAt: number;
  private readonly initialDone: number;
  private total: number | undefined;
  private doneCount = 0;
  private fields: ProgressFields = {};
  private smoothedRate: number | undefined;
  private sampleAt: number;
  private sampleDone = 0;
  private lastDrawAt = Number.NEGATIVE_INFINITY;
  private lastPlainAt: number;
  private drawn = false;
  private finished = false;
  private broken = false;
  private readonly onStreamError = (): void => {
    this.broken = true;
  };

  constructor(opts: ProgressOptions) {
    this.label = String(opts.label ?? '');
    this.unit = opts.unit ?? 'it';
    this.stream = opts.stream ?? process.stderr;
    this.clock = opts.clock ?? (() => performance.now());
    this.redrawMs = positive(opts.redrawIntervalMs, 100);
    this.plainMs = positive(opts.plainIntervalMs, 10_000);
    this.tauSeconds = positive(opts.smoothingSeconds, 5);
    this.total = validTotal(opts.total);
    this.mode = opts.mode === 'tty' || opts.mode === 'plain' ? opts.mode : autoMode(this.stream, opts.env ?? process.env);
    this.startedAt = this.now();
    this.initialDone = Number.isFinite(opts.initialDone) && opts.initialDone! > 0 ? opts.initialDone! : 0;
    this.doneCount = this.initialDone;
    this.sampleDone = this.initialDone;
    this.sampleAt = this.startedAt;
    this.lastPlainAt = this.startedAt;
    try {
      // An EPIPE on stderr arrives as an 'error' event; unhandled, it would kill the job.
      this.stream.on?.('error', this.onStreamError);
    } catch {
      // a stream without working events is fine
    }
  }

  /** Sets the number of items done (absolute) and merges `fields` (e.g. { loss: 0.123 }). */
  update(done: number, fields?: ProgressFields): void {
    try {
      if (this.finished || !Number.isFinite(done)) return;
      this.doneCount = Math.max(0, done);
      if (fields) this.fields = { ...this.fields, ...fields };
      this.sampleRate();
      this.maybeDraw();
    } catch {
      // never throw from progress reporting
    }
  }

  /** Adds `n` items done (default 1). */
  tick(n = 1, fields?: ProgressFields): void {
    this.update(this.doneCount + (Number.isFinite(n) ? n : 0), fields);
  }

  /** Changes the total (e.g. once a folder scan has counted the work); undefined means unknown. */
  setTotal(total: number | undefined): void {
    try {
      this.total = validTotal(total);
    } catch {
      // never throw
    }
  }

  /** Prints a message on its own line without garbling the bar, then redraws the bar. */
  log(message: string): void {
    try {
      if (this.mode === 'tty' && this.drawn && !this.finished) {
        this.write(`\r\x1b[K${message}\n`);
        this.draw();
      } else {
        this.write(`${message}\n`);
      }
    } catch {
      // never throw
    }
  }

  /** Prints the final summary line (total time, average rate, fields). Later calls do nothing. */
  finish(fields?: ProgressFields): void {
    try {
      if (this.finished) return;
      if (fields) this.fields = { ...this.fields, ...fields };
      this.finished = true;
      const line = this.summaryLine();
      this.write(this.mode === 'tty' ? `\r${fit(line, this.stream.columns)}\x1b[K\n` : `${line}\n`);
    } catch {
      // never throw
    } finally {
      try {
        this.stream.off?.('error', this.onStreamError);
      } catch {
        // ignore
      }
    }
  }

  get done(): number {
    return this.doneCount;
  }

  /** Smoothed items per second (overall average until the first sample). */
  get rate(): number {
    if (this.smoothedRate !== undefined) return this.smoothedRate;
    const elapsed = (this.now() - this.startedAt) / 1000;
    return elapsed > 0 ? this.doneCount / elapsed : 0;
  }

  /** Seconds left at the smoothed rate, or undefined when unknown. */
  get etaSeconds(): number | undefined {
    const rate = this.rate;
    if (this.total === undefined || !(rate > 0)) return undefined;
    return Math.max(0, this.total - this.doneCount) / rate;
  }

  /** The line as it would be drawn now (without control characters). */
  statusLine(width?: number): string {
    const parts: string[] = [];
    const count = this.total === undefined ? `${this.doneCount}` : `${this.doneCount}/${this.total}`;
    const pct = this.total ? ` ${((100 * this.doneCount) / this.total).toFixed(1)}%` : '';
    const eta = this.total === undefined ? '' : ` ETA ${formatDuration(this.etaSeconds)}`;
    const tail = `${count}${pct} ${formatRate(this.rate, this.unit)}${eta}${formatFields(this.fields)}`;
    parts.push(this.label);
    if (this.mode === 'tty' && this.total && width !== undefined) {
      const room = width - 1 - this.label.length - tail.length - 4;
      const barWidth = Math.min(30, room);
      if (barWidth >= 10) parts.push(bar(this.doneCount / this.total, barWidth));
    }
    parts.push(tail);
    return parts.filter((p) => p.length > 0).join(' ');
  }

  /** The closing line: totals, elapsed time and the overall average rate. */
  summaryLine(): string {
    const elapsed = (this.now() - this.startedAt) / 1000;
    const count = this.total === undefined ? `${this.doneCount}` : `${this.doneCount}/${this.total}`;
    const avg = elapsed > 0 ? (this.doneCount - this.initialDone) / elapsed : 0;
    const head = this.label ? `${this.label} ` : '';
    // A bar finished short of its total (interrupted, cut off by --max-minutes) did not complete.
    const state = this.total !== undefined && this.doneCount < this.total ? 'stopped' : 'done';
    return `${head}${state}: ${count} in ${formatDuration(elapsed)} (${formatRate(avg, this.unit)})${formatFields(this.fields)}`;
  }

  private sampleRate(): void {
    const now = this.now();
    const dtMs = now - this.sampleAt;
    if (dtMs < RATE_SAMPLE_MS) return;
    const inst = ((this.doneCount - this.sampleDone) * 1000) / dtMs;
    // Time-based EMA: the weight of the new sample depends on how long it covers, so the
    // smoothing is the same whether updates come every 10 ms or every 10 s.
    const alpha = 1 - Math.exp(-dtMs / 1000 / this.tauSeconds);
    this.smoothedRate = this.smoothedRate === undefined ? inst : this.smoothedRate + alpha * (inst - this.smoothedRate);
    this.sampleAt = now;
    this.sampleDone = this.doneCount;
  }

  private maybeDraw(): void {
    const now = this.now();
    if (this.mode === 'tty') {
      const complete = this.total !== undefined && this.doneCount >= this.total;
      if (now - this.lastDrawAt >= this.redrawMs || complete) this.draw();
    } else if (now - this.lastPlainAt >= this.plainMs) {
      this.lastPlainAt = now;
      this.write(`${this.statusLine()}\n`);
    }
  }

  private draw(): void {
    this.lastDrawAt = this.now();
    this.drawn = true;
    const width = this.stream.columns && this.stream.columns > 0 ? this.stream.columns : 80;
    this.write(`\r${fit(this.statusLine(width), width)}\x1b[K`);
  }

  private write(s: string): void {
    if (this.broken) return;
    try {
      this.stream.write(s);
    } catch {
      this.broken = true;
    }
  }

  private now(): number {
    try {
      const t = this.clock();
      return Number.isFinite(t) ? t : 0;
    } catch {
      return 0;
    }
  }
}

function autoMode(stream: ProgressStream, env: Record<string, string | undefined>): 'tty' | 'plain' {
  const ci = env.CI;
  const inCi = ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
  return stream.isTTY === true && !inCi && env.TERM !== 'dumb' ? 'tty' : 'plain';
}

function positive(v: number | undefined, fallback: number): number {
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : fallback;
}

function validTotal(total: number | undefined): number | undefined {
  return total !== undefined && Number.isFinite(total) && total >= 0 ? total : undefined;
}

/** Cuts a line so that it never wraps (a wrapped line breaks the in-place redraw). */
function fit(line: string, columns: number | undefined): string {
  const width = columns && columns > 0 ? columns : 80;
  return line.length < width ? line : line.slice(0, Math.max(0, width - 1));
}

function bar(fraction: number, width: number): string {
  const inner = width - 2;
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * inner);
  return `[${'#'.repeat(filled)}${'-'.repeat(inner - filled)}]`;
}

/** h:mm:ss; '?:??:??' when unknown. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '?:??:??';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
}

/** '123 it/s', '12.3 it/s', '1.23 it/s', or '4.2 s/it' below one item a second. */
export function formatRate(rate: number, unit: string): string {
  if (!Number.isFinite(rate) || rate <= 0) return `? ${unit}/s`;
  if (rate < 1) return `${(1 / rate).toFixed(1)} s/${unit}`;
  const digits = rate >= 100 ? 0 : rate >= 10 ? 1 : 2;
  return `${rate.toFixed(digits)} ${unit}/s`;
}

function formatFields(fields: ProgressFields): string {
  let out = '';
  for (const [k, v] of Object.entries(fields)) out += ` ${k}=${formatValue(v)}`;
  return out;
}

function formatValue(v: number | string): string {
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
  if (Math.abs(v) >= 1000) return v.toFixed(0);
  return String(Number(v.toPrecision(4)));
}
