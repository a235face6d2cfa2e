/**
 * A small tmpfs for tests of full and read-only disks (ENOSPC, EROFS). Needs root (CI runs as
 * root); anything else is a test failure that says why, never a silent skip.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, writeSync, closeSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Tmpfs {
  dir: string;
  /** Fills the free space with a filler file, so that the next block written fails with ENOSPC. */
  fill(): void;
  /** Remounts it read-only. */
  readOnly(): void;
  unmount(): void;
}

export function mountTmpfs(sizeKb: number): Tmpfs {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`this test mounts a tmpfs to get a full / read-only disk and needs root (mount -t tmpfs): ${(e as Error).message}`);
  }
  return {
    dir,
    fill() {
      mkdirSync(dir, { recursive: true });
      const fd = openSync(path.join(dir, 'filler'), 'w');
      const block = Buffer.alloc(4096, 1);
      try {
        for (;;) writeSync(fd, block);
      } catch {
        // ENOSPC: full
      } finally {
        closeSync(fd);
      }
    },
    readOnly() {
      execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' });
    },
    unmount() {
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' }); // lazy: a descriptor still open in this process must not fail the test's cleanup
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
