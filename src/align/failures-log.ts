/**
 * failures.jsonl of an alignment run: one JSON object per image that produced no aligned face,
 * {"file": <input path>, "reason": ..., "message": ...}. Beyond facenet, which only prints these.
 *
 * Resumable: the file is read at the start, an image's entry is replaced when it is tried again
 * (and dropped when it then succeeds), so after any number of interrupted runs the file lists the
 * latest outcome of every failed image. It is rewritten atomically (temp file + rename).
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../io/fs-util.js';

export type AlignFailureReason = 'unreadable' | 'no face' | 'write failed' | 'duplicate output' | 'error';

export interface AlignFailure {
  file: string;
  reason: AlignFailureReason;
  message: string;
}

export class FailuresLog {
  private readonly entries = new Map<string, AlignFailure>();
  private dirty = 0;
  private lastFlush = performance.now();

  private constructor(readonly path: string) {}

  /** Opens (and reads, if present) the log at `path`; unreadable lines of an old file are dropped. */
  static async open(path: string): Promise<FailuresLog> {
    const log = new FailuresLog(path);
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch {
      log.dirty = 1; // no earlier run: write the (empty) file at the end, so it always exists
    }
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as AlignFailure;
        if (typeof e.file === 'string') log.entries.set(e.file, e);
      } catch {
        // a damaged line: the image is tried again anyway
      }
    }
    return log;
  }

  get size(): number {
    return this.entries.size;
  }

  record(f: AlignFailure): void {
    this.entries.set(f.file, f);
    this.dirty++;
  }

  succeeded(file: string): void {
    if (this.entries.delete(file)) this.dirty++;
  }

  /** Writes the file when something changed and (unless forced) enough time or changes accumulated. */
  async flush(force = false): Promise<void> {
    if (this.dirty === 0) return;
    if (!force && this.dirty < 100 && performance.now() - this.lastFlush < 5000) return;
    const text = [...this.entries.values()].map((e) => JSON.stringify(e) + '\n').join('');
    this.dirty = 0;
    this.lastFlush = performance.now();
    await writeFileAtomic(this.path, [Buffer.from(text, 'utf8')]);
  }
}
