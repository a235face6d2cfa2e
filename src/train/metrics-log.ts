/**
 * metrics.jsonl: one JSON object per line, appended as training goes (kind 'step', 'epoch',
 * 'validation', 'lfw'). Lines are written synchronously to an open descriptor: a line is ~300
 * bytes, so this costs microseconds and needs no event-loop round trip while libtorch holds the
 * main thread.
 *
 * On resume, lines after the checkpoint's step (written by the interrupted run after its last
 * checkpoint) are dropped, so the file reads as one uninterrupted run.
 */
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { writeFileAtomic } from '../io/fs-util.js';

export type MetricRecord = { kind: string; step: number } & Record<string, unknown>;

export class MetricsLog {
  private fd: number | null;

  private constructor(
    readonly file: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** Opens for appending; keepUpToStep drops records of later steps first (resume). */
  static async open(file: string, keepUpToStep: number | null = null): Promise<{ log: MetricsLog; history: MetricRecord[] }> {
    let history: MetricRecord[] = [];
    if (existsSync(file)) {
      history = parseLines(readFileSync(file, 'utf8'));
      if (keepUpToStep !== null) {
        history = history.filter((r) => r.step <= keepUpToStep);
        await writeFileAtomic(file, history.map((r) => JSON.stringify(r) + '\n').join(''));
      }
    }
    return { log: new MetricsLog(file, openSync(file, 'a')), history };
  }

  append(record: MetricRecord): void {
    if (this.fd === null) return;
    writeSync(this.fd, JSON.stringify(record, roundFloats) + '\n');
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Parses metrics lines; a torn last line (crash mid-write) is ignored. */
export function parseLines(text: string): MetricRecord[] {
  const out: MetricRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const record = JSON.parse(line) as MetricRecord;
      if (typeof record.step === 'number' && typeof record.kind === 'string') out.push(record);
    } catch {
      // partial line
    }
  }
  return out;
}

/** Seven significant digits: float32 values carry no more, and the file stays readable. */
function roundFloats(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) && Number.isFinite(value) ? Number(value.toPrecision(7)) : value;
}
