/**
 * A lock file that says which process owns a folder: `<dir>/<name>` created with O_EXCL, holding
 * the owner's pid, host and start time. A second process gets a clear error naming the holder's pid;
 * a lock left by a process that no longer runs (kill -9, crash) on this host is taken over.
 */
import { unlinkSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FacenetError } from '../errors.js';
import { errnoCode, fsError } from './fs-errors.js';

export interface DirLock {
  readonly file: string;
  /** Removes the lock file (synchronously, so that a close() can release it); idempotent. */
  release(): void;
}

interface LockInfo {
  pid: number;
  host: string;
  since: string;
  what: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM'; // exists, owned by someone else
  }
}

/** Takes `<dir>/<name>`; `what` describes the job for the message ('facenet align'). */
export async function acquireDirLock(dir: string, what: string, name = '.facenet.lock'): Promise<DirLock> {
  const file = path.join(dir, name);
  const info: LockInfo = { pid: process.pid, host: os.hostname(), since: new Date().toISOString(), what };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      try {
        await handle.writeFile(JSON.stringify(info) + '\n');
      } finally {
        await handle.close();
      }
      let released = false;
      return {
        file,
        release() {
          if (released) return;
          released = true;
          try {
            unlinkSync(file);
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw fsError(err, file, `lock ${dir}`) ?? err;
    }
    let holder: Partial<LockInfo> = {};
    try {
      holder = JSON.parse(await readFile(file, 'utf8')) as Partial<LockInfo>;
    } catch {
      // half-written or unreadable: treat as held (it was just created) unless it is old
    }
    const sameHost = holder.host === undefined || holder.host === os.hostname();
    if (typeof holder.pid === 'number' && sameHost && !alive(holder.pid)) {
      await unlink(file).catch(() => undefined); // stale: its process is gone
      continue;
    }
    throw new FacenetError(
      'BAD_ARGUMENT',
      `${dir} is in use by another ${holder.what ?? 'facenet job'} (pid ${holder.pid ?? '?'} on ${holder.host ?? '?'}, since ${holder.since ?? '?'}): ` +
        `wait for it to finish or stop it; if no such process runs, delete ${file}`,
    );
  }
  throw new FacenetError('BAD_ARGUMENT', `could not take the lock ${file}: it keeps reappearing; is another job starting in ${dir}?`);
}
