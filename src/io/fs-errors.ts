/**
 * File-system errors as one clear message each: what failed, on which path, and what to do. Node's
 * own messages ("EROFS: read-only file system, open '…/.x.123.tmp'") name a temporary file and no
 * fix; these name the user's path when the caller knows it.
 */
import path from 'node:path';
import { FacenetError } from '../errors.js';

/** The errno code of a Node.js system error ('ENOSPC', …), or undefined. */
export function errnoCode(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** The fix for each code, given the path involved. */
const FIXES: Readonly<Record<string, (p: string) => string>> = {
  ENOSPC: (p) => `no space left on the device holding ${p}: free some space (df -h ${path.dirname(p)}) or write to another disk`,
  EDQUOT: (p) => `disk quota exceeded writing ${p}: free some of your space or write elsewhere`,
  EROFS: (p) => `${p} is on a read-only file system: choose an output folder on a writable disk`,
  EACCES: (p) => `permission denied for ${p}: check its owner and mode (ls -ld ${p}) or use a folder you can write to`,
  EPERM: (p) => `operation not permitted on ${p}: check its owner and mode (ls -ld ${p}) or use a folder you can write to`,
  ENOENT: (p) => `${p} does not exist: check the path (an output's parent folder must exist)`,
  ENOTDIR: (p) => `a part of ${p} is a file, not a folder: check the path`,
  EISDIR: (p) => `${p} is a folder where a file was expected: name a file`,
  EEXIST: (p) => `${p} already exists: remove it or choose another name`,
  ENOTEMPTY: (p) => `${p} is a folder that is not empty: remove it or choose another name`,
  EMFILE: (p) => `too many open files (at ${p}): raise the limit (ulimit -n 4096) or lower the parallelism`,
  ENFILE: (p) => `the system has too many open files (at ${p}): close other programs or raise fs.file-max`,
  EIO: (p) => `input/output error on ${p}: the disk or network file system is failing; check it (dmesg) and try again`,
  EBUSY: (p) => `${p} is busy (in use by another process or a mount point): try again when it is free`,
  ENAMETOOLONG: (p) => `the path ${p} is too long: use a shorter folder or file name`,
  ELOOP: (p) => `${p} has too many symbolic links in a loop: check the links`,
  EXDEV: (p) => `${p} is on another device than its temporary file: write within one file system`,
  EFBIG: (p) => `${p} would be larger than this file system allows: write to another disk`,
};

/**
 * A FacenetError ('IO') for a file-system error, naming `file` (else the error's own path) and the
 * fix; null when `err` is not a file-system error. `action` says what was being done ('write the
 * embeddings').
 */
export function fsError(err: unknown, file?: string, action?: string): FacenetError | null {
  const code = errnoCode(err);
  if (!code) return null;
  const e = err as NodeJS.ErrnoException & { dest?: string };
  const where = file ?? e.path ?? e.dest ?? '(unknown path)';
  const fix = FIXES[code];
  const what = fix ? fix(where) : `${code} on ${where}: ${e.message}`;
  return new FacenetError('IO', `${action ? `cannot ${action}: ` : ''}${what} (${code})`, { cause: err });
}

/** Runs `work`; a file-system error it throws becomes fsError(err, file, action). */
export async function withFsErrors<T>(file: string, action: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw fsError(err, file, action) ?? err;
  }
}
