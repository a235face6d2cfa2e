/**
 * File helpers shared by the weight readers and writers: whole-file reads with the project's error
 * codes, and atomic writes (a crash or a full disk never leaves a half-written file under the final
 * name, because readers would then see a "truncated" weights file).
 */

import { open, readFile, rename, unlink } from 'node:fs/promises';
import { FacenetError } from '../errors.js';

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** Reads a whole file into one Buffer; a missing file is NOT_FOUND, a directory is BAD_FILE. */
export async function readWholeFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') throw new FacenetError('NOT_FOUND', `${path}: no such file`, { cause: err });
    if (code === 'EISDIR') throw new FacenetError('BAD_FILE', `${path}: is a directory, not a file`, { cause: err });
    throw err;
  }
}

/** Writes `chunks` to `path + '.tmp-<pid>'`, flushes it, then renames it over `path`. */
export async function writeFileAtomic(path: string, chunks: readonly Uint8Array[]): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  let handle;
  try {
    handle = await open(tmp, 'w');
    for (const chunk of chunks) {
      let written = 0;
      while (written < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, written, chunk.length - written);
        written += bytesWritten;
      }
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, path);
  } catch (err) {
    if (handle) await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
