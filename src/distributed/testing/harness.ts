/** Helpers for the data-parallel tests and benchmarks: free ports, jobs, the launcher on a worker script. */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, type LaunchEvent, type LaunchResult } from '../launcher.js';
import type { TrainConfig } from '../../train/config.js';

export const TESTING_DIR = path.dirname(fileURLToPath(import.meta.url));
export const TRAIN_WORKER = path.join(TESTING_DIR, 'train-worker.ts');
export const GRAD_CHECK_WORKER = path.join(TESTING_DIR, 'grad-check-worker.ts');
export const LAUNCH_SCRIPT = path.join(TESTING_DIR, 'launch.ts');

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface TrainJob {
  config: Partial<TrainConfig>;
  /** Per-rank config changes (to test the agreement check). */
  configByRank?: Record<string, Partial<TrainConfig>>;
  syncBatchNorm?: boolean;
  resume?: string;
  out: string;
  timeoutMs?: number;
  connectTimeoutMs?: number;
}

export function writeJob(dir: string, name: string, job: Omit<TrainJob, 'out'>): { file: string; out: string } {
  const out = path.join(dir, `${name}.out`);
  const file = path.join(dir, `${name}.job.json`);
  writeFileSync(file, JSON.stringify({ ...job, out }));
  return { file, out };
}

export interface WorkerOutput {
  summary: { steps: number; startStep: number; runDir: string; modelFile: string | null; stopReason: string; allReduce: { commMs: number; exposedMs: number; steps: number; bucketsLaunchedInBackward: number; bucketsTotal: number } | null };
  losses: number[];
}

export function readOutput(out: string, rank: number): WorkerOutput {
  return JSON.parse(readFileSync(`${out}.${rank}.json`, 'utf8')) as WorkerOutput;
}

export function readError(out: string, rank: number): { code: string | null; message: string } | null {
  const f = `${out}.${rank}.error.json`;
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { code: string | null; message: string }) : null;
}

export async function launchTrain(
  job: string,
  o: { nprocPerNode: number; masterPort: number; env?: Record<string, string>; signal?: AbortSignal; onEvent?: (e: LaunchEvent) => void },
): Promise<LaunchResult> {
  return launch({ nprocPerNode: o.nprocPerNode, masterPort: o.masterPort, command: [TRAIN_WORKER, job], nodeArgs: ['--import', 'tsx'], env: o.env, signal: o.signal, onEvent: o.onEvent, graceMs: 5000 });
}

/** Largest relative difference of two equally long series. */
export function maxRelativeDifference(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`series of ${a.length} and ${b.length} values`);
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]!) / Math.max(Math.abs(v), 1e-12)));
}
