/**
 * File helpers shared by the weight readers and writers: whole-file reads with the project's error
 * codes, and atomic writes (a crash or a full disk never leaves a half-written file under the final
 * name, because readers would then see a "truncated" weights file).
 */

import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import nodePath from 'node:path';
import { FacenetError } from '../errors.js';

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/**
 * Reads a text file named in a message as `what` ('LFW pairs file', 'training config', ...):
 * a missing file is NOT_FOUND ("<what> <file> does not exist"), any other failure BAD_FILE.
 */
export async function readTextFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw new FacenetError('NOT_FOUND', `${what} ${file} does not exist`, { cause: err });
    throw new FacenetError('BAD_FILE', `cannot read ${what} ${file}: ${(err as Error).message}`, { cause: err });
  }
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

/**
 * A temporary name beside `file` (same folder, so the rename is atomic), unique per process and
 * call: `.<name>.<pid>.<random>.tmp`. Two processes writing the same file never share one.
 */
export function tempPathFor(file: string): string {
  return nodePath.join(nodePath.dirname(file), `.${nodePath.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

export type FileData = string | Uint8Array | readonly Uint8Array[];

/** Writes `data` to `file` (created or truncated) and fsyncs it before closing. */
export async function writeFileSynced(file: string, data: FileData): Promise<void> {
  const chunks = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
  const handle = await open(file, 'w');
  try {
    for (const chunk of chunks) {
      let written = 0;
      while (written < chunk.length) written += (await handle.write(chunk, written, chunk.length - written)).bytesWritten;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsyncs a folder, so that a rename inside it survives a power cut. Best effort where folders cannot be opened. */
export async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms and file systems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * The one atomic file write: `data` goes to tempPathFor(file), is fsynced, renamed over `file`,
 * and the folder is fsynced. A crash, a full disk or a parallel reader never sees half a file
 * under the final name; on failure the temporary file is removed and the old file is untouched.
 * `mkdir: true` creates missing parent folders. Errors are the file system's (callers add context).
 */
export async function writeFileAtomic(file: string, data: FileData, o: { mkdir?: boolean } = {}): Promise<void> {
  const dir = nodePath.dirname(file);
  if (o.mkdir) await mkdir(dir, { recursive: true });
  const tmp = tempPathFor(file);
  try {
    await writeFileSynced(tmp, data);
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
}

/** writeFileAtomic of `value` as indented JSON with a final newline. */
export async function writeJsonAtomic(file: string, value: unknown, o: { mkdir?: boolean } = {}): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n', o);
}
