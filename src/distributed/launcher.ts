/**
 * The launcher: starts this machine's N workers of a data-parallel run (ranks nodeRank*N ..
 * nodeRank*N+N-1 of nnodes*N), each with torchrun's environment variables, and watches them.
 *
 *  - A worker that dies (a signal, or a non-zero exit) stops the others at once (SIGTERM, then
 *    SIGKILL after a grace period), and the result names the dead rank.
 *  - Aborting (SIGINT on the launcher) forwards SIGINT: the workers agree to stop after the step,
 *    rank 0 writes a checkpoint to resume from, and they exit; a second abort kills them.
 *  - Workers die with the launcher: each has an IPC channel, and exits when it closes
 *    (exitWithLauncher()).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { FacenetError } from '../errors.js';
import { DEFAULT_MASTER_PORT, worldEnv } from './world.js';

export interface LaunchOptions {
  nprocPerNode: number;
  nnodes?: number;
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
  /** The worker's node arguments: [script, ...args] (run with this node and its execArgv). */
  command: string[];
  /** Node options for the workers (default: this process's, without node --test's own). */
  nodeArgs?: string[];
  env?: Record<string, string>;
  /** Aborting forwards SIGINT to the workers (a second abort or the grace period: SIGKILL). */
  signal?: AbortSignal;
  /** How long stopping workers get before SIGKILL (default 10 s). */
  graceMs?: number;
  onEvent?: (e: LaunchEvent) => void;
}

export type LaunchEvent =
  | { type: 'started'; rank: number; localRank: number; pid: number }
  | { type: 'exited'; rank: number; pid: number; code: number | null; signal: string | null }
  | { type: 'stopping'; reason: string };

export interface LaunchResult {
  ok: boolean;
  /** The rank whose death stopped the run (null when none failed). */
  failedRank: number | null;
  message: string;
  exits: { rank: number; code: number | null; signal: string | null }[];
}

interface Worker {
  rank: number;
  child: ChildProcess;
  exited: boolean;
  code: number | null;
  signal: string | null;
  at: number;
}

function validate(o: LaunchOptions): { nnodes: number; nodeRank: number; masterAddr: string; masterPort: number } {
  const nnodes = o.nnodes ?? 1;
  const nodeRank = o.nodeRank ?? 0;
  const masterPort = o.masterPort ?? DEFAULT_MASTER_PORT;
  const int = (v: number, min: number, flag: string) => {
    if (!Number.isInteger(v) || v < min) throw new FacenetError('BAD_ARGUMENT', `${flag} must be an integer >= ${min}, got ${v}`);
  };
  int(o.nprocPerNode, 1, '--nproc-per-node');
  int(nnodes, 1, '--nnodes');
  int(nodeRank, 0, '--node-rank');
  int(masterPort, 1, '--master-port');
  if (masterPort > 65535) throw new FacenetError('BAD_ARGUMENT', `--master-port must be 1..65535, got ${masterPort}`);
  if (nodeRank >= nnodes) throw new FacenetError('BAD_ARGUMENT', `--node-rank ${nodeRank} must be below --nnodes ${nnodes}`);
  return { nnodes, nodeRank, masterAddr: o.masterAddr ?? '127.0.0.1', masterPort };
}

/** Fails fast, with the fix, when rank 0's store could not listen (the port is taken). */
export async function checkPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new FacenetError('DISTRIBUTED', `the master port ${port} is already in use on this machine: pass another --master-port (or MASTER_PORT)`));
      else reject(new FacenetError('DISTRIBUTED', `cannot listen on the master port ${port}: ${e.message}`));
    });
    server.listen({ port, exclusive: true }, () => server.close(() => resolve()));
  });
}

function describe(w: Worker): string {
  return w.signal ? `was killed by ${w.signal}` : `exited with code ${w.code}`;
}

export async function launch(o: LaunchOptions): Promise<LaunchResult> {
  const { nnodes, nodeRank, masterAddr, masterPort } = validate(o);
  const n = o.nprocPerNode;
  const worldSize = nnodes * n;
  if (nodeRank === 0) await checkPortFree(masterPort);
  const graceMs = o.graceMs ?? 10_000;
  const nodeArgs = o.nodeArgs ?? process.execArgv.filter((a) => !a.startsWith('--test'));
  const workers: Worker[] = [];
  let failure: Worker | null = null;
  let interrupts = 0;
  let killTimer: NodeJS.Timeout | null = null;

  const alive = () => workers.filter((w) => !w.exited);
  const killAll = () => {
    for (const w of alive()) w.child.kill('SIGKILL');
  };
  const stopAll = (reason: string) => {
    o.onEvent?.({ type: 'stopping', reason });
    for (const w of alive()) w.child.kill('SIGTERM');
    killTimer ??= setTimeout(killAll, graceMs);
  };
  const onAbort = () => {
    interrupts++;
    if (interrupts === 1) {
      o.onEvent?.({ type: 'stopping', reason: 'interrupted: the workers stop after this step (interrupt again to kill them)' });
      for (const w of alive()) w.child.kill('SIGINT');
      killTimer ??= setTimeout(killAll, Math.max(graceMs, 60_000));
    } else {
      killAll();
    }
  };

  const done = new Promise<void>((resolve) => {
    for (let local = 0; local < n; local++) {
      const rank = nodeRank * n + local;
      const env = {
        ...process.env,
        ...o.env,
        ...worldEnv({ rank, worldSize, localRank: local, localWorldSize: n, masterAddr, masterPort }),
        GROUP_RANK: String(nodeRank),
        FACENET_LAUNCHED: '1',
      };
      // Detached (a process group of its own): a Ctrl-C in the terminal reaches the launcher only,
      // which forwards one SIGINT; the IPC channel still ties the worker's life to the launcher.
      const child = spawn(process.execPath, [...nodeArgs, ...o.command], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true });
      const w: Worker = { rank, child, exited: false, code: null, signal: null, at: 0 };
      workers.push(w);
      o.onEvent?.({ type: 'started', rank, localRank: local, pid: child.pid ?? -1 });
      child.on('exit', (code, signal) => {
        w.exited = true;
        w.code = code;
        w.signal = signal;
        w.at = performance.now();
        o.onEvent?.({ type: 'exited', rank, pid: child.pid ?? -1, code, signal });
        const failed = signal !== null || (code !== 0 && !(interrupts > 0 && code === 130));
        // The first death (not our own SIGTERM/SIGKILL of the survivors) names the culprit.
        if (failed && failure === null && interrupts === 0) {
          failure = w;
          stopAll(`rank ${rank} (pid ${child.pid}) ${describe(w)}`);
        }
        if (alive().length === 0) resolve();
      });
    }
  });
  o.signal?.addEventListener('abort', onAbort);
  try {
    await done;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    if (killTimer) clearTimeout(killTimer);
  }
  const exits = workers.map((w) => ({ rank: w.rank, code: w.code, signal: w.signal }));
  const f = failure as Worker | null;
  if (f) {
    return { ok: false, failedRank: f.rank, message: `rank ${f.rank} (pid ${f.child.pid}) ${describe(f)}; the other workers were stopped`, exits };
  }
  // After an interrupt, `facenet train` workers exit with 130 (interrupted, resumable): clean too.
  const bad = workers.find((w) => !(w.code === 0 || (interrupts > 0 && w.code === 130 && w.signal === null)));
  if (bad) return { ok: false, failedRank: bad.rank, message: `rank ${bad.rank} ${describe(bad)}`, exits };
  return { ok: true, failedRank: null, message: interrupts > 0 ? 'interrupted: all workers stopped cleanly' : 'all workers finished', exits };
}

/** In a worker: exit when the launcher goes away (its IPC channel closes), so no worker outlives it. */
export function exitWithLauncher(): void {
  if (typeof process.send !== 'function') return;
  // The channel must not keep the worker alive once its work is done.
  process.channel?.unref();
  process.on('disconnect', () => {
    process.stderr.write(`facenet: rank ${process.env['RANK'] ?? '?'}: the launcher went away; exiting\n`);
    process.exit(1);
  });
}
