/**
 * node --import tsx launch.ts OPTIONS.json: runs launch() with the train worker, for tests that
 * need the launcher in a process of its own (another network namespace, SIGINT on the launcher).
 * OPTIONS = { job, nprocPerNode, nnodes?, nodeRank?, masterAddr?, masterPort?, env? }. Prints the
 * result as one JSON line and exits 0 when the run succeeded.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { launch } from '../launcher.js';

const o = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as {
  job: string;
  nprocPerNode: number;
  nnodes?: number;
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
  env?: Record<string, string>;
};
const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), 'train-worker.ts');
const controller = new AbortController();
process.on('SIGINT', () => controller.abort());
const result = await launch({ ...o, command: [worker, o.job], nodeArgs: ['--import', 'tsx'], signal: controller.signal, onEvent: (e) => process.stderr.write(JSON.stringify(e) + '\n') });
process.stdout.write(JSON.stringify(result) + '\n');
process.exitCode = result.ok ? 0 : 1;
