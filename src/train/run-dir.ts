/**
 * Run folders: <logsBaseDir>/<YYYYmmdd-HHMMSS> (facenet's subdir name, local time) or
 * <logsBaseDir>/<runName>, holding config.json, metrics.jsonl, checkpoint.safetensors,
 * optimizer-state.bin, curves.svg and model.safetensors. Two runs started in the same second get
 * "-2", "-3", ... rather than sharing a folder (facenet would mix them).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { FacenetError } from '../errors.js';
import { fsError } from '../io/fs-errors.js';

export const RUN_FILES = Object.freeze({
  config: 'config.json',
  metrics: 'metrics.jsonl',
  curves: 'curves.svg',
  model: 'model.safetensors',
});

/** datetime.strftime(datetime.now(), '%Y%m%d-%H%M%S'). */
export function runName(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
}

/**
 * Creates a fresh run folder under base and returns its absolute path. A named folder may exist
 * already (a run that failed before its first checkpoint) but must not hold a checkpoint.
 */
export async function createRunDir(base: string, name: string | null = null, now = new Date()): Promise<string> {
  if (name !== null) {
    const dir = path.resolve(base, name);
    if (existsSync(path.join(dir, 'checkpoint.safetensors'))) {
      throw new FacenetError('BAD_ARGUMENT', `run folder ${dir} already holds a run: continue it with --resume ${dir}, or pick another --run-name`);
    }
    await mkdir(dir, { recursive: true }).catch((err: unknown) => Promise.reject(fsError(err, dir, 'create the run folder') ?? err));
    return dir;
  }
  await mkdir(base, { recursive: true }).catch((err: unknown) => Promise.reject(fsError(err, path.resolve(base), 'create the runs folder (--logs-base-dir)') ?? err));
  const stamp = runName(now);
  for (let i = 1; ; i++) {
    const dir = path.resolve(base, i === 1 ? stamp : `${stamp}-${i}`);
    try {
      await mkdir(dir);
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(err, dir, 'create the run folder') ?? err;
    }
  }
}

/** config.json and other run files are written with the one atomic write (src/io/fs-util.ts). */
export { writeJsonAtomic } from '../io/fs-util.js';
